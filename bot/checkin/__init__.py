"""First-hour check-ins: a short message in a channel once a new post's first 90
minutes are in the store, ranking its early interactions among the account's own
earlier first hours, with one thing to do while the post is young.

`build.py` works the check-in out from the same `measure` as last10 (pure: the
moment is passed in); `send.py` makes it a clock job, sent once per post.
"""

from __future__ import annotations

from datetime import timedelta

from bot.metrics.catalogue import EARLY_WINDOW_MINUTES

#: The early window: a check-in is due once this much of a post's life is observed.
EARLY = timedelta(minutes=EARLY_WINDOW_MINUTES)
#: A post whose first 90 minutes reach the store later than this after publishing
#: gets no check-in: "reply to the comments now" is no advice for a day-old post.
LATE = timedelta(hours=4)
#: How often the clock looks for posts whose early window is in.
SCAN_MINUTES = 5
#: Posts published this long ago are still looked at (those past LATE are then
#: recorded as skipped, once, so `clock_runs` says why a post had no check-in).
LOOKBACK = timedelta(hours=24)
