"""Jinja filters that write numbers the way a busy marketer reads them.

Every filter takes the locale from the environment, returns text, and writes a
missing value (None or NaN) as an em dash, so a template never prints "nan".
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
import urllib.parse
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import NumberPattern, format_compact_decimal, parse_pattern
from jinja2 import Undefined, pass_context
from jinja2.runtime import Context

from bot.metrics.catalogue import SCOPES

MISSING = "—"
UNITS_BY_NAME = {name: m.unit for scope in SCOPES.values() for name, m in scope.items()}


class Mrkdwn(str):
    """Text that is already valid Slack mrkdwn and must not be escaped again."""


def escape_mrkdwn(value: Any) -> str:
    """Escape the three characters Slack treats as control characters."""
    text = str(value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_ZWJ = "\u200d"


def visible(text: str) -> str:
    """`text` without the characters that change how the rest reads but show nothing:
    controls (a terminal obeys ESC), bidi overrides (a title shown backwards), zero-width
    spaces and joiners (an id that looks like another). A joiner inside an emoji stays."""
    if text.isascii() and text.isprintable():
        return text
    out = []
    for i, ch in enumerate(text):
        kind = unicodedata.category(ch)
        if kind == "Cc" and ch not in "\n\t":
            continue
        if kind == "Cf":
            emoji = ch == _ZWJ and 0 < i < len(text) - 1 and _pictograph(text[i - 1], text[i + 1])
            if not emoji:
                continue
        out.append(ch)
    return "".join(out)


def _pictograph(before: str, after: str) -> bool:
    return unicodedata.category(after) == "So" and (
        unicodedata.category(before) == "So" or before == "\ufe0f"
    )


#: Slack's formatting marks, replaced by look-alikes in data: a title "*Big* news" or
#: "```" cannot bold, strike or fence the message around it. An underscore inside a
#: word (acme_corp, min_rate) never italicises, so only those at a word's edge go.
_MARKS = str.maketrans({"*": "∗", "`": "ˋ", "~": "∼"})
_EDGE_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")


def neutralise(value: Any) -> str:
    """Data as mrkdwn that reads as its characters: escaped, formatting marks and
    invisible characters defused."""
    text = visible(str(value)).translate(_MARKS)
    return escape_mrkdwn(_EDGE_UNDERSCORE.sub("ˍ", text))


def code(value: Any) -> Mrkdwn:
    """Text for inside `backticks` (conditions, problems): Slack shows * _ ~ literally
    there, so they stay as written; only a backtick would end the span."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Mrkdwn(MISSING)
    return Mrkdwn(escape_mrkdwn(visible(str(value)).replace("`", "ˋ")))


def finalize(value: Any) -> Any:
    """Applied to every `{{ ... }}`: data is neutralised, Mrkdwn passes through."""
    if isinstance(value, Mrkdwn):
        return value
    if value is None:
        return MISSING
    if isinstance(value, float) and math.isnan(value):
        return MISSING
    return neutralise(value)


#: Where post links may point: LinkedIn and its link shortener, over https.
LINK_HOSTS = ("linkedin.com", "lnkd.in")
_URL_CHARS = re.compile(r"[!#$%&'()*+,\-./0-9:;=?@A-Z\[\]_a-z|~]+")


def linkedin_url(url: str) -> bool:
    """An https URL on LinkedIn's own hosts, with nothing a browser could read as
    another host (user info, a port, backslashes, spaces, non-ASCII)."""
    if not _URL_CHARS.fullmatch(url):
        return False
    parts = urllib.parse.urlsplit(url)
    host = parts.netloc.lower()
    if "@" in host or ":" in host:  # user info, a port
        return False
    return parts.scheme == "https" and any(
        host == allowed or host.endswith("." + allowed) for allowed in LINK_HOSTS
    )


def missing(value: Any) -> bool:
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return value is None or (isinstance(value, float) and math.isnan(value))


@functools.lru_cache(maxsize=64)
def _pattern(text: str) -> NumberPattern:
    """A parsed number pattern: what Babel's format_decimal and format_percent parse
    again on every call (a last10 reply formats a few hundred numbers)."""
    return parse_pattern(text)


#: At most this many decimals are added to keep a value apart from its threshold.
_MAX_DIGITS = 4


def _given(value: Any) -> bool:
    """A threshold to keep apart from: a misspelt one fails like any undefined name."""
    return value is not None and not missing(value)


def _apart(write: Any, value: float, threshold: Any, digits: int) -> int:
    """Decimals enough that `value` is not written as `threshold` is at the same
    precision (unless they are equal): compared as written, so rounding half-way
    values (1.95%) cannot slip past."""
    if not _given(threshold) or value == threshold:
        return digits
    while digits < _MAX_DIGITS and write(value, digits) == write(threshold, digits):
        digits += 1
    return digits


def make_filters(locale: str) -> dict[str, Any]:
    babel_locale = Locale.parse(locale)
    # The locale's own percent pattern ("#,##0%" in English, "#,##0 %" in French),
    # its number part widened to the decimals asked for.
    percent_pattern = babel_locale.percent_formats[None].pattern

    def num(value: Any, digits: int = 0, against: Any = None) -> str:
        """1,234; with `against`, as for pct (hour 4.5 past hour 4, never "hour 4")."""
        if missing(value):
            return MISSING
        if against is not None:
            digits = _apart(num, value, against, digits)
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return _pattern(pattern).apply(value, babel_locale)

    def compact(value: Any) -> str:
        """12,345 -> 12.3k; below 10,000 the full number reads better."""
        if missing(value):
            return MISSING
        if abs(value) < 10_000:
            return num(value)
        text = format_compact_decimal(value, format_type="short", fraction_digits=1, locale=locale)
        return text.replace("K", "k") if locale.startswith("en") else text

    def pct(value: Any, digits: int = 1, trim: bool = False, against: Any = None) -> str:
        """0.031 -> 3.1%; with trim, decimals only where needed (0.02 -> 2%, 0.015 -> 1.5%).
        With `against` (a threshold the value is held to), more decimals where the value
        would otherwise read as the threshold: 1.99% below 2%, never 2.0% below 2%."""
        if missing(value):
            return MISSING
        digits = _apart(lambda v, d: _percent(v, d, trim), value, against, digits)
        return _percent(value, digits, trim)

    def _percent(value: Any, digits: int, trim: bool) -> str:
        decimals = ("#" if trim else "0") * digits
        number = "#,##0" + ("." + decimals if digits else "")
        return _pattern(percent_pattern.replace("#,##0", number, 1)).apply(value, babel_locale)

    def signed_pct(value: Any, digits: int = 0) -> str:
        if missing(value):
            return MISSING
        text = pct(value, digits)
        if not any(ch in "123456789" for ch in text):  # rounds to nothing: no sign, no "-0%"
            return pct(0, digits)
        return text if value < 0 else "+" + text

    def ratio(value: Any, digits: int = 1, against: Any = None) -> str:
        """Impressions per member reached, written 1:N as LinkedIn users say it; with
        `against`, as for pct (1:5.04 past 1:5, never 1:5.0)."""
        if missing(value):
            return MISSING
        return "1:" + num(value, _apart(num, value, against, digits))

    def times(value: Any, digits: int = 1) -> str:
        """A multiple such as 2.4x."""
        if missing(value):
            return MISSING
        return num(value, digits) + "×"

    def count(value: Any, singular: str, plural: str) -> str:
        """1 reply, 3 replies: the number with the word that agrees with it."""
        if missing(value):
            return f"{MISSING} {plural}"
        text = num(value)  # the word agrees with the number shown: 0.75 reads "1 reply"
        shown = round(float(value))
        # The locale's plural rule: English "0 replies", French "0 réponse".
        one = shown >= 0 and babel_locale.plural_form(shown) == "one"
        return f"{text} {singular if one else plural}"

    def per1k(value: Any, digits: int = 1) -> str:
        if missing(value):
            return MISSING
        return num(value, digits)

    def age(hours: Any) -> str:
        if missing(hours):
            return MISSING
        return format_timedelta(timedelta(hours=float(hours)), threshold=2, locale=locale)

    # Times are UTC in the data; a reply about an account speaks in the account's zone,
    # which its context names as `zone` (IANA; UTC where absent: see `zoned`) and its
    # header says once.
    def day(moment: Any, pattern: str = "d MMM", zone: str | None = None) -> str:
        """A moment's date, e.g. "23 Nov" ("EEE d MMM": "Mon 23 Nov", "lun. 23 nov.")."""
        if missing(moment):
            return MISSING
        return format_date(_in_zone(moment, zone), pattern, locale=locale)

    def clock(moment: Any, pattern: str = "EEE HH:mm", zone: str | None = None) -> str:
        """A moment's local day and time ("Tue 09:00")."""
        if missing(moment):
            return MISSING
        return format_datetime(_in_zone(moment, zone), pattern, locale=locale)

    def weekday(value: Any, width: str = "wide") -> str:
        """A weekday number (0 is Monday) as the locale names it: Tuesday, mardi."""
        if missing(value):
            return MISSING
        names = babel_locale.days["format"][width]
        return str(names[int(value) % 7])

    def local_day(value: Any, pattern: str = "d MMM") -> str:
        """A calendar date ('2026-11-16') written out, e.g. with "EEEE d MMMM y"."""
        if missing(value):
            return MISSING
        return format_date(date.fromisoformat(str(value)[:10]), pattern, locale=locale)

    def moment(value: Any, named: bool = True, zone: str | None = None) -> str:
        """A moment with its zone named: "2 Mar 2026, 10:00 Europe/Paris" (`named=false`
        where the reply has named it already)."""
        if missing(value):
            return MISSING
        text = format_datetime(_in_zone(value, zone), "d MMM y, HH:mm", locale=locale)
        return f"{text} {zone or 'UTC'}" if named else text

    def language_name(value: Any) -> str:
        """A language code as this locale names it: "fr" is French, or français."""
        if missing(value):
            return MISSING
        try:
            return Locale.parse(str(value)).get_display_name(babel_locale) or str(value)
        except (ValueError, TypeError, LookupError):
            return str(value)

    def clip(value: Any, width: int) -> str:
        text = "" if missing(value) else " ".join(str(value).split())
        return text if len(text) <= width else text[: width - 1].rstrip() + "…"

    def ljust(value: Any, width: int) -> str:
        return (MISSING if missing(value) else str(value)).ljust(width)

    def rjust(value: Any, width: int) -> str:
        return (MISSING if missing(value) else str(value)).rjust(width)

    def metric(value: Any, name: str) -> str:
        """A metric's value written the way its unit reads best (see docs/metrics.md),
        precisely enough to hold against a threshold."""
        unit = UNITS_BY_NAME.get(name, "count")
        if missing(value):
            return MISSING
        if name == "impressions_per_member_reached":
            return ratio(value, 2)
        if unit == "hours":
            return plain(value) + " h"
        writers = {
            "share": lambda v: pct(v, 2, trim=True),
            "per_1k": per1k,
            "multiple": lambda v: times(v, 2),
        }
        return writers.get(unit, plain)(value)

    def plain(value: Any) -> str:
        """A number with as many decimals as it has, up to three: 0.015, 1.5, 50,000."""
        if missing(value):
            return MISSING
        return _pattern("#,##0.###").apply(value, babel_locale)

    def link(url: Any, label: Any) -> Mrkdwn:
        """A Slack link to LinkedIn whose URL and label cannot break out of the link
        syntax; any other URL (a CSV can carry anything) leaves the label alone."""
        text = neutralise(label).replace("|", "¦")
        if missing(url) or not linkedin_url(str(url)):
            return Mrkdwn(text)
        return Mrkdwn(f"<{escape_mrkdwn(url).replace('|', '%7C')}|{text}>")

    return {
        "num": num,
        "compact": compact,
        "pct": pct,
        "signed_pct": signed_pct,
        "ratio": ratio,
        "times": times,
        "per1k": per1k,
        "count": count,
        "metric": metric,
        "plain": plain,
        "age": age,
        "day": day,
        "weekday": weekday,
        "clock": clock,
        "local_day": local_day,
        "moment": moment,
        "language_name": language_name,
        "clip": clip,
        "ljust": ljust,
        "rjust": rjust,
        "link": link,
        "code": code,
    }


#: The filters that write a moment on the wall clock of the reply's zone.
ZONED = ("day", "clock", "moment")


def zoned(func: Any) -> Any:
    """`func` taking its zone from the template's `zone` (the account's) unless given."""

    @pass_context
    def in_reply_zone(context: Context, value: Any, *args: Any, **kwargs: Any) -> str:
        zone = context.get("zone")
        kwargs.setdefault("zone", zone if isinstance(zone, str) and zone else None)
        return func(value, *args, **kwargs)

    return functools.wraps(func)(in_reply_zone)


def _in_zone(value: Any, zone: str | None) -> datetime:
    """A UTC moment (text or datetime) on the wall clock of `zone` (UTC if None)."""
    return _as_datetime(value).astimezone(_tz(zone or "UTC"))


@functools.lru_cache(maxsize=64)  # bounded: a template may name any zone
def _tz(zone: str) -> tzinfo:
    return UTC if zone == "UTC" else ZoneInfo(zone)


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
