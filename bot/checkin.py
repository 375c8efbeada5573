"""First-hour check-ins: a short message when a new post's first 90 minutes are in."""

from __future__ import annotations

from datetime import timedelta

#: A post whose first 90 minutes reach the store later than this after publishing
#: gets no check-in: "reply to the comments now" is no advice for a day-old post.
LATE = timedelta(hours=4)
