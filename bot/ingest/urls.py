"""A post's id from the LinkedIn address it was exported with.

LinkedIn writes one post's address in several forms:
`.../feed/update/urn:li:activity:7204703086211198976/`,
`.../feed/update/urn:li:share:7204...` or `urn:li:ugcPost:7204...`, and the
readable `.../posts/jane-doe_some-words-activity-7204703086211198976-AbCd`.
The id kept is the URN's kind and number (`activity-7204703086211198976`), so the
same post seen through the feed and the readable form is one post; a share and an
activity with different numbers stay two, since nothing in a file ties them.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

_URN = re.compile(r"urn:li:(activity|share|ugcPost|ugcpost):([0-9]{6,25})", re.IGNORECASE)
_SLUG = re.compile(r"-(activity|share|ugcpost)-([0-9]{6,25})(?:-|/|$|\?)", re.IGNORECASE)
_KINDS = {"activity": "activity", "share": "share", "ugcpost": "ugcPost"}


def post_id(url: str) -> str | None:
    """`activity-7204...` for any of the forms above; None when the address names no post."""
    text = unquote(str(url).strip())
    match = _URN.search(text) or _SLUG.search(text)
    if match is None:
        return None
    return f"{_KINDS[match[1].lower()]}-{match[2]}"


def urn(post: str) -> str:
    """The URN of a post id made by `post_id`: `urn:li:activity:7204...`."""
    kind, _, number = post.partition("-")
    return f"urn:li:{kind}:{number}"
