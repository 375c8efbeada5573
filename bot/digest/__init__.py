"""Weekly digests: what a channel's accounts did this week against the week before,
built from the same metrics and rules as `last10`, remembered from one digest to
the next, drawn as a chart, and delivered by the clock exactly once."""
