"""Sample contexts for every layout and message template, so `rules check` can
render each once and catch a broken edit before a user does.

tests/test_samples.py keeps these shaped like the contexts the commands build.
"""

from __future__ import annotations

from typing import Any

from bot.metrics.catalogue import CATALOGUE
from bot.narrate.filters import Mrkdwn

_UNITS = {
    "count": 1234.0,
    "hours": 96.0,
    "ratio": 2.1,
    "share": 0.034,
    "per_1k": 3.2,
    "multiple": 1.1,
    "hour": 2.0,
    "flag": 0.0,
}

ACCOUNT = {
    "id": "acme",
    "name": "Acme",
    "kind": "organization",
    "followers": 812.0,
    "last_observed_at": "2026-03-05T09:00:00Z",
    "timezone": "Europe/Paris",
}


def _post(number: int, **changes: Any) -> dict[str, Any]:
    post: dict[str, Any] = {
        "id": f"urn:li:activity:{number}",
        "number": number,
        "title": "A <sample> & post",
        "url": "https://www.linkedin.com/feed/update/urn:li:activity:1/",
        "format": "text",
        "published_at": "2026-03-01T09:00:00Z",
        "age_hours": 96.0,
    }
    post.update({name: _UNITS[m.unit] for name, m in CATALOGUE.items()})
    post.update(changes)
    return post


def _finding(rule: str, severity: str) -> dict[str, Any]:
    return {
        "rule": rule,
        "severity": severity,
        "text": Mrkdwn(f"*{rule}.* Sample words."),
        "next": Mrkdwn("Try something."),
        "error": None,
    }


_YOUNG = _post(
    2,
    title=None,
    url=None,
    format=None,
    age_hours=10.0,
    peak_hour=None,
    impressions_growth_48h=None,
)
_FINDINGS = [_finding("narrow-audience", "warning"), _finding("top-saves-shares", "positive")]
_STEP = {
    **_finding("narrow-audience", "warning"),
    "subject": "post:1",
    "post": _post(1),
    "text": Mrkdwn("Try something."),
}
_PENDING = [
    {"cause": "young", "posts": [{"post": _YOUNG, "checks": 11}], "groups": [], "checks": 11},
    {
        "cause": "waiting",
        "posts": [],
        "groups": [
            {
                "cause": "data",
                "names": ["members_reached"],
                "posts": [_post(3), _post(4)],
                "wants": {"urn:li:activity:3": ["members_reached"]},
                "checks": 2,
                "runs": [[3, 4]],
                "readings": [],
            },
            {
                "cause": "curve",
                "names": ["peak_hour_from", "share_48_72h_low"],
                "posts": [_post(5), _post(6, peak_gap_from=None)],
                "wants": {
                    "urn:li:activity:5": ["peak_hour_from"],
                    "urn:li:activity:6": ["share_48_72h_low"],
                },
                "checks": 2,
                "runs": [[5, 6]],
                "readings": [
                    {"kind": "between", "from": 6.0, "to": 13.0, "runs": [[5, 5]]},
                    {"kind": "daily", "from": None, "to": None, "runs": [[6, 6]]},
                ],
            },
            {
                "cause": "failed",
                "names": ["impressions / comments divides by zero (comments is 0)"],
                "posts": [_post(3)],
                "wants": {"urn:li:activity:3": []},
                "checks": 1,
                "runs": [[3, 3]],
                "readings": [],
            },
        ],
        "checks": 5,
    },
]
_TRAIT = {
    **_finding("strong-for-followers", "positive"),
    "trait": {"count": 7, "shown": 10, "runs": [[2, 3], [5, 9]], "others": [[1, 1], [4, 4]]},
}
_TRAIT.pop("next")
_TRAIT.pop("error")
_STATUS_BAD = {
    "loaded_at": "2026-03-05T09:00:00Z",
    "files": ["rules/a.yaml"],
    "last_attempt_at": "2026-03-05T10:00:00Z",
    "last_attempt_ok": False,
    "problems": ["rules/a.yaml:3:5: rule \"x\": missing key 'severity'"],
    "hidden_problems": 1,
    "rules": 16,
}

LAST10 = {
    "account": ACCOUNT,
    "as_of": "2026-03-05T09:00:00Z",
    "zone": "Europe/Paris",
    "posts": [_post(1), _YOUNG],
    "traits": [_TRAIT],
    "standouts": [{"post": _post(1), "findings": _FINDINGS}],
    "across": [_finding("off-target", "warning")],
    "next_steps": [_STEP],
    "pending": _PENDING,
    "legend": {"max_ratio": 5.0},
    "finding_count": 3,
    "rule_count": 12,
}

#: Each template with the contexts it is rendered against (more than one where
#: branches differ).
SAMPLES: dict[str, list[dict[str, Any]]] = {
    "last10.j2": [
        LAST10,
        {
            **LAST10,
            "traits": [],
            "standouts": [],
            "across": [],
            "next_steps": [],
            "pending": [],
            "legend": {"max_ratio": None},
            "account": {**ACCOUNT, "kind": None, "followers": None, "last_observed_at": None},
            "posts": [_post(1)],
        },
    ],
    "messages/post.j2": [
        {
            "account": ACCOUNT,
            "as_of": "2026-03-05T09:00:00Z",
            "zone": "Europe/Paris",
            "post": _post(1),
            "findings": _FINDINGS,
            "next_steps": [_STEP],
            "pending": [],
            "rule_count": 12,
            "audience": {
                "of": "post",
                "observed_at": "2026-03-04T12:00:00Z",
                "categories": [
                    {
                        "name": "Job title",
                        "lines": [
                            {"value": "Founder", "share": 0.12, "below": False},
                            {"value": "Analyst", "share": 0.01, "below": True},
                        ],
                    }
                ],
            },
        },
        {
            "account": ACCOUNT,
            "as_of": "2026-03-05T09:00:00Z",
            "zone": "Europe/Paris",
            "post": _YOUNG,
            "findings": [],
            "next_steps": [],
            "pending": _PENDING,
            "rule_count": 12,
            "audience": None,
        },
    ],
    "messages/why.j2": [
        {
            "post": _post(3),
            "account": ACCOUNT,
            "as_of": "2026-03-05T09:00:00Z",
            "zone": "Europe/Paris",
            "freshness": {
                "age_hours": 96.0,
                "hours_observed": 90.0,
                "last_observed_at": "2026-03-05T03:00:00Z",
                "snapshots": 75,
            },
            "verdicts": [
                {
                    "rule": rule,
                    "description": "d",
                    "severity": "warning",
                    "outcome": outcome,
                    "condition": "impressions_per_member_reached > max_ratio",
                    "requires": "post_age_hours >= min_age_hours",
                    "read": [
                        {"name": "impressions_per_member_reached", "value": 5.4},
                        {"name": "post_age_hours", "value": 96.0},
                        {"name": "members_reached", "value": None},
                    ],
                    "missing": ["members_reached"],
                    "undefined": (
                        ["impressions / comments divides by zero (comments is 0)"]
                        if outcome == "undefined"
                        else []
                    ),
                    "params": [{"name": "max_ratio", "value": 5, "source": source}],
                }
                for rule, outcome, source in (
                    ("a", "fired", "default"),
                    ("b", "quiet", "kind:organization"),
                    ("c", "not_ready", "account:acme"),
                    ("d", "no_data", "kind:member"),
                    ("e", "undefined", "default"),
                )
            ],
        },
        {
            "post": _YOUNG,
            "account": ACCOUNT,
            "as_of": "2026-03-05T09:00:00Z",
            "zone": "Europe/Paris",
            "freshness": {
                "age_hours": 10.0,
                "hours_observed": None,
                "last_observed_at": None,
                "snapshots": 0,
            },
            "verdicts": [],
        },
    ],
    "messages/accounts.j2": [
        {
            "accounts": [
                {
                    "id": "acme",
                    "name": "Acme",
                    "kind": "organization",
                    "followers": 812.0,
                    "posts": 30,
                    "last_published_at": "2026-03-01T09:00:00Z",
                    "last_observed_at": "2026-03-05T09:00:00Z",
                    "sync": {
                        "urn": "urn:li:organization:2414183",
                        "last": "2026-03-05T08:45:00Z",
                        "next": "2026-03-05T09:00:00Z",
                        "error": None,
                        "paused": False,
                    },
                },
                {
                    "id": "jane",
                    "name": "jane",
                    "kind": None,
                    "followers": None,
                    "posts": 1,
                    "last_published_at": None,
                    "last_observed_at": None,
                    "sync": None,
                },
                {
                    "id": "bob",
                    "name": "Bob",
                    "kind": "member",
                    "followers": 40.0,
                    "posts": 2,
                    "last_published_at": None,
                    "last_observed_at": None,
                    "sync": {
                        "urn": "urn:li:person:abc",
                        "last": None,
                        "next": None,
                        "error": "LinkedIn refused the access token",
                        "paused": False,
                    },
                },
                {
                    "id": "zed",
                    "name": "Zed",
                    "kind": "member",
                    "followers": 40.0,
                    "posts": 2,
                    "last_published_at": None,
                    "last_observed_at": None,
                    "sync": {
                        "urn": "urn:li:person:zed",
                        "last": "2026-03-05T08:45:00Z",
                        "next": "2026-03-06T00:00:00Z",
                        "error": None,
                        "paused": True,
                    },
                },
            ],
            "front": "slack",
        },
        {"accounts": [], "front": "slack"},
        {"accounts": [], "front": "terminal"},
    ],
    "messages/rules.j2": [
        {
            "rules": [
                {
                    "id": "narrow-audience",
                    "scope": "post",
                    "severity": "warning",
                    "description": "d",
                    "condition": "x > max_ratio",
                    "params": {"max_ratio": 5},
                    "overrides": [
                        {"target": "kind:organization", "params": {"max_ratio": 8}},
                        {"target": "account:acme", "params": {"max_ratio": 3}},
                    ],
                    "muted": True,
                },
                {
                    "id": "off-target",
                    "scope": "account",
                    "severity": "positive",
                    "description": "d",
                    "condition": "y < 1",
                    "params": {},
                    "overrides": [],
                    "muted": False,
                },
            ],
            "mutes": [{"rule": "narrow-audience", "by": "U012", "at": "2026-03-05T09:00:00Z"}],
            "status": _STATUS_BAD,
            "front": "slack",
        },
        {"rules": [], "mutes": [], "status": None, "front": "terminal"},
    ],
    "messages/help.j2": [
        {"front": "slack", "admins": ["U012"]},
        {"front": "terminal", "admins": []},
    ],
    "messages/unknown-command.j2": [
        {"word": "lats10", "suggestion": "last10", "subcommands": ["last10", "help"]},
        {"word": "x", "suggestion": None, "subcommands": ["last10"]},
    ],
    "messages/usage.j2": [{"usage": "last10 [ACCOUNT]"}],
    "messages/public-in-dm.j2": [{}],
    "messages/no-accounts.j2": [{"front": "slack"}, {"front": "terminal"}],
    "messages/slack-only.j2": [
        {"command": command}
        for command in ("link", "unlink", "mute", "unmute", "digest", "checkin", "other")
    ],
    "messages/unknown-account.j2": [
        {"account": "acm", "suggestion": "acme", "accounts": ["acme", "globex"]},
        {"account": "zz", "suggestion": None, "accounts": []},
    ],
    "messages/unknown-account-admin.j2": [
        {"account": "acm", "suggestion": "acme", "accounts": ["acme"]},
    ],
    "messages/which-account.j2": [{"accounts": ["acme", "globex"], "command": "last10"}],
    "messages/unknown-post.j2": [{"reference": "https://x/1"}],
    "messages/apology.j2": [{"ref": "abc123"}],
    "messages/busy.j2": [{}],
    "messages/not-admin.j2": [
        {"admins": ["U1", "U2", "U3"], "is_dm": False, "what": "links"},
        {"admins": [], "is_dm": True, "what": "links"},
        {"admins": ["U1"], "is_dm": False, "what": "digest"},
        {"admins": ["U1"], "is_dm": False, "what": "checkin"},
        {"admins": ["U1"], "is_dm": False, "what": "language"},
        {"admins": ["U1"], "is_dm": False, "what": "timezone"},
    ],
    "messages/timezone.j2": [
        {
            "accounts": [
                {"id": "acme", "name": "Acme", "zone": "Europe/Paris"},
                {"id": "globex", "name": "Globex", "zone": "UTC"},
            ],
            "before": None,
            "changed": False,
        },
        {
            "accounts": [{"id": "acme", "name": "Acme", "zone": "Europe/Paris"}],
            "before": "UTC",
            "changed": True,
        },
        {
            "accounts": [{"id": "acme", "name": "Acme", "zone": "UTC"}],
            "before": "UTC",
            "changed": False,
        },
    ],
    "messages/language.j2": [
        {"changed": True, "language": "fr"},
        {"changed": False, "language": "en"},
    ],
    "messages/language-unknown.j2": [{"value": "de", "languages": ["en", "fr"]}],
    "messages/linked.j2": [
        {"account": "acme", "target": "U1", "is_user": True, "changed": True},
        {"account": "acme", "target": "C1", "is_user": False, "changed": False},
    ],
    "messages/unlinked.j2": [
        {"account": "acme", "target": "U1", "is_user": True, "changed": False},
        {"account": "acme", "target": "C1", "is_user": False, "changed": True},
    ],
    "messages/muted.j2": [
        {"rule": "one-wave", "changed": True},
        {"rule": "one-wave", "changed": False},
    ],
    "messages/unmuted.j2": [
        {"rule": "one-wave", "changed": True, "known": True, "suggestion": None},
        {"rule": "one-wav", "changed": False, "known": False, "suggestion": "one-wave"},
    ],
    "messages/backtest.j2": [
        {
            "rule": {
                "id": "low-engagement",
                "scope": "post",
                "condition": "engagement_rate < min_rate",
            },
            "account": "acme",
            "as_of": "2026-03-05T09:00:00Z",
            "zone": "Europe/Paris",
            "count": 2,
            "asked": 30,
            "changes": [{"name": "min_rate", "old": 0.02, "new": 0.03}],
            "runs": [
                {
                    "fired": [_post(1)],
                    "counts": {
                        "fired": 1,
                        "quiet": 1,
                        "not_ready": 0,
                        "no_data": 0,
                        "undefined": 0,
                    },
                },
                {
                    "fired": [_post(1)],
                    "counts": {
                        "fired": 1,
                        "quiet": 0,
                        "not_ready": 0,
                        "no_data": 0,
                        "undefined": 1,
                    },
                },
            ],
        },
        {
            "rule": {"id": "off-target", "scope": "account", "condition": "x"},
            "account": "acme",
            "as_of": "2026-03-05T09:00:00Z",
            "zone": "Europe/Paris",
            "count": 1,
            "asked": 1,
            "changes": [],
            "runs": [
                {
                    "fired": [{"id": "w", "number": 1, "week_end": "2026-03-05T09:00:00Z"}],
                    "counts": {
                        "fired": 1,
                        "quiet": 0,
                        "not_ready": 0,
                        "no_data": 0,
                        "undefined": 0,
                    },
                }
            ],
        },
    ],
    "slack/labels.j2": [
        {"rule": "one-wave", "account": ACCOUNT, "finding_count": 1, "posts": [_post(1)]}
    ],
    "slack/home.j2": [
        {
            "a": {
                "id": "acme",
                "name": "Acme",
                "followers": 812.0,
                "last_published_at": "2026-03-01T09:00:00Z",
                "mature": 3,
                "ratio": 2.1,
                "engagement_rate": 0.03,
                "saves_shares_per_1k": 3.0,
            },
            "admins": ["U1"],
            "status": _STATUS_BAD,
        },
        {
            "a": {
                "id": "x",
                "name": "x",
                "followers": None,
                "last_published_at": None,
                "mature": 0,
            },
            "admins": [],
            "status": {**_STATUS_BAD, "last_attempt_ok": True, "problems": []},
        },
    ],
}

# The weekly digest (bot/digest/build.py builds these contexts).
_WEEK = {
    "impressions_week": 12345.0,
    "impressions_prev_week": 10234.0,
    "impressions_change": 0.206,
    "reach_week": 4321.0,
    "reach_prev_week": 4300.0,
    "reach_change": 0.005,
    "engagement_rate_week": 0.031,
    "engagement_rate_prev_week": 0.035,
    "engagement_rate_change": -0.114,
    "posts_week": 3.0,
    "posts_prev_week": 2.0,
    "reach_is_unique": False,
    "saves_shares_per_1k": 4.2,
    "saves_shares_per_1k_prev": None,
}


def _remembered(finding: dict[str, Any], memory: dict[str, Any] | None) -> dict[str, Any]:
    return {**finding, "memory": memory}


_DIGEST_PART = {
    "account": ACCOUNT,
    "week": _WEEK,
    "reading": [
        _remembered(_finding("saturating-audience", "warning"), {"new": False, "weeks": 3})
    ],
    "learn": [
        {
            "post": _post(1),
            "findings": [_remembered(_finding("top-saves-shares", "positive"), {"new": True})],
        }
    ],
    "under": [
        {
            "post": _YOUNG,
            "findings": [_remembered(_finding("weak-for-followers", "warning"), None)],
        }
    ],
    "standouts": [
        {
            "post": _post(3),
            "findings": [_remembered(_finding("narrow-audience", "warning"), {"new": True})],
        }
    ],
    "traits": [_remembered(_TRAIT, {"new": True})],
    "across": [_remembered(_finding("early-window-lost", "warning"), None)],
    "resolved": [
        {"rule": "off-target", "scope": "account"},
        {"rule": "low-engagement", "scope": "posts"},
    ],
    "pending": _PENDING,
    "rule_count": 12,
    "next_steps": [_STEP],
    "quiet": False,
}
_QUIET_PART = {
    **_DIGEST_PART,
    # An account whose zone is not the digest's: its weeks and times are its own.
    "account": {**ACCOUNT, "timezone": "America/New_York"},
    "week": {
        **_WEEK,
        "impressions_week": None,
        "impressions_change": None,
        "reach_is_unique": True,
    },
    "reading": [],
    "learn": [],
    "under": [],
    "standouts": [],
    "traits": [],
    "across": [],
    "resolved": [],
    "pending": [],
    "next_steps": [],
    "quiet": True,
}
_DIGEST = {
    "zone": "Europe/Paris",
    "week_start": "2026-03-02",
    "week_last_day": "2026-03-08",
    "as_of": "2026-03-08T23:00:00Z",
    "accounts": [_DIGEST_PART, _QUIET_PART],
    "missing": [],
    "fallback": None,
}
_SUBSCRIPTION = {
    "channel": "C0123",
    "day": "mon",
    "time": "09:00",
    "zone": "Europe/Paris",
    "quiet": "digest",
    "accounts": ["acme"],
    "linked": [],
    "next_run": "2026-03-09T09:00:00+01:00",
}
# A first-hour check-in (bot/checkin/build.py builds these contexts).
_CHECKIN = {
    "account": {"id": "acme", "name": "Acme"},
    "zone": "Europe/Paris",
    "post": {
        "id": "urn:li:activity:1",
        "title": "A <sample> & post",
        "url": "https://www.linkedin.com/feed/update/urn:li:activity:1/",
        "published_at": "2026-03-05T08:00:00Z",
        "age_minutes": 95,
    },
    "window_minutes": 90,
    "early_interactions": 14.0,
    "early_engagement_rate": 0.052,
    "comments": 3.0,
    "rank": 4,
    "compared": 12,
    "median_interactions": 9.5,
    "median_rate": 0.041,
    "action": "reply",
}
SAMPLES.update(
    {
        "digest.j2": [
            _DIGEST,
            {
                **_DIGEST,
                "accounts": [],
                "missing": ["gone"],
                "fallback": {"asked_week_last_day": "2026-03-15"},
            },
            {**_DIGEST, "accounts": [], "missing": []},
        ],
        "messages/digest-quiet.j2": [
            {**_DIGEST, "accounts": [_QUIET_PART]},
            {**_DIGEST, "accounts": [_QUIET_PART, _QUIET_PART]},
        ],
        "messages/digest-chart.j2": [
            {
                **_DIGEST,
                "posts": [
                    {"number": 1, "impressions": 1200.0, "members_reached": 300.0, "ratio": 4.0}
                ],
            }
        ],
        "messages/digest-invalid.j2": [
            {"field": field, "value": "x", "problem": problem, "suggestion": suggestion}
            for field, problem, suggestion in (
                ("day", "number", None),
                ("day", "unknown", "mon"),
                ("time", "range", None),
                ("time", "twelve-hour", "09:00"),
                ("time", "unknown", None),
                ("zone", "case", "Europe/Paris"),
                ("zone", "partial", "Europe/Paris"),
                ("zone", "unknown", None),
            )
        ],
        "messages/digest-no-accounts.j2": [
            {"channel": "C0123", "front": "terminal"},
            {"channel": "C0123", "front": "slack"},
        ],
        "messages/digest-in-dm.j2": [{}],
        "messages/checkin.j2": [
            _CHECKIN,
            {
                **_CHECKIN,
                "post": {**_CHECKIN["post"], "url": None, "title": None},
                "early_engagement_rate": None,
                "comments": 0.0,
                "rank": 1,
                "compared": 0,
                "median_interactions": None,
                "median_rate": None,
                "action": "reshare",
            },
            {**_CHECKIN, "rank": 1},
            {**_CHECKIN, "rank": 13, "median_rate": None},
        ],
        "messages/checkin-switched.j2": [
            {"on": True, "changed": True, "linked": ["acme"], "within_hours": 4},
            {"on": True, "changed": False, "linked": [], "within_hours": 4},
            {"on": False, "changed": True, "linked": ["acme"], "within_hours": 4},
            {"on": False, "changed": False, "linked": [], "within_hours": 4},
        ],
        "messages/digest-zone-unknown.j2": [{"day": "mon", "time": "09:00"}],
        "messages/digest-subscribed.j2": [
            {**_SUBSCRIPTION, "new": True, "zone_from_user": False},
            {
                **_SUBSCRIPTION,
                "new": False,
                "accounts": [],
                "linked": ["acme"],
                "quiet": "line",
                "zone_from_user": True,
            },
        ],
        "messages/digest-off.j2": [
            {"channel": "C0123", "changed": True},
            {"channel": "C0123", "changed": False},
        ],
        "messages/digest-not-subscribed.j2": [{"channel": "C0123"}],
        "messages/digest-list.j2": [
            {"subscriptions": []},
            {
                "subscriptions": [
                    {**_SUBSCRIPTION, "last_run": None},
                    {
                        **_SUBSCRIPTION,
                        "accounts": [],
                        "linked": [],
                        "last_run": {
                            "period": "2026-W10",
                            "status": "skipped",
                            "due_at": "2026-03-02T08:00:00Z",
                        },
                    },
                ]
            },
        ],
    }
)
