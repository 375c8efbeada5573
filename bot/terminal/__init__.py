"""The terminal's rendering of replies: the Slack mrkdwn the templates write, read back
into styled text and tables (`mrkdwn.py` parses, `render.py` draws with rich)."""
