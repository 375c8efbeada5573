"""Rest.li 2.0 query encoding, as LinkedIn's versioned API wants it.

URNs inside query parameters are percent-encoded (`urn%3Ali%3Ashare%3A1`); the
Rest.li syntax around them is not: objects are `(key:value,...)`, lists
`List(a,b)`. A finder's `entity` is a union: `(share:<urn>)` or `(ugc:<urn>)`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from urllib.parse import quote


def urn(value: str) -> str:
    """A URN (or any text value) as it stands inside a query parameter."""
    return quote(value, safe="")


def restli_list(values: Iterable[str]) -> str:
    return "List(" + ",".join(urn(v) for v in values) + ")"


def restli_object(fields: Mapping[str, str]) -> str:
    """`(key:value,...)`; values must already be encoded."""
    return "(" + ",".join(f"{key}:{value}" for key, value in fields.items()) + ")"


def day(value: date) -> str:
    return restli_object(
        {"year": str(value.year), "month": str(value.month), "day": str(value.day)}
    )


def date_range(start: date, end: date) -> str:
    """`(start:(year:..,month:..,day:..),end:(...))`: LinkedIn's dateRange, end exclusive."""
    return restli_object({"start": day(start), "end": day(end)})


def time_intervals(start_ms: int, end_ms: int, granularity: str = "DAY") -> str:
    """`(timeRange:(start:..,end:..),timeGranularityType:DAY)`: a time-bound statistics
    query's buckets, epoch milliseconds."""
    span = restli_object({"start": str(start_ms), "end": str(end_ms)})
    return restli_object({"timeRange": span, "timeGranularityType": granularity})


def entity(post_urn: str) -> str:
    """The `entity` union of memberCreatorPostAnalytics: share or ugcPost."""
    kind = post_urn.split(":")[2] if post_urn.count(":") >= 3 else ""
    member = {"share": "share", "ugcPost": "ugc"}.get(kind)
    if member is None:
        raise ValueError(
            f"'{post_urn}' is not a share or ugcPost URN; LinkedIn's post analytics take "
            "urn:li:share:... or urn:li:ugcPost:..."
        )
    return restli_object({member: urn(post_urn)})


def query(params: Mapping[str, str | int]) -> str:
    """A query string of already-encoded Rest.li values (plain ints and words as is)."""
    return "&".join(f"{key}={value}" for key, value in params.items())
