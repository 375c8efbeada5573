"""`narrator rules test`: unit tests for rules, written in YAML next to them.

    rules/tests/*.yaml
    tests:
      - name: a 1:6 ratio is a narrow audience
        posts:
          - id: p1
            metrics: {impressions_per_member_reached: 6, impressions: 1200, members_reached: 200}
        expect:
          - {rule: narrow-audience, post: p1, outcome: fired, says: ["1:6.0"]}

Posts are given as metric values, or as snapshots (then every metric is
computed as of `at`, exactly as the bot does). Accounts likewise: metric values,
or computed from the test's snapshot posts. Each expectation names a rule, a
post or an account, the outcome (fired, quiet, not_ready, no_data, undefined) and,
optionally, phrases the finding's narrative must contain.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PlainValidator, ValidationError, model_validator

from bot.errors import Problem
from bot.metrics import (
    ACCOUNT_CATALOGUE,
    CATALOGUE,
    account_metrics_of,
    observe,
    post_metrics_of,
    posting_slots,
)
from bot.metrics.table import TIME, Table, as_number, as_time
from bot.model import COUNTERS, parse_moment
from bot.pack import Pack, finding_context
from bot.rules.engine import OUTCOMES, Evaluation, decide, evaluate
from bot.rules.loader import Rule, _validation_problems
from bot.rules.model import as_written
from bot.rules.yamlfile import Located, load_yaml

DEFAULT_ACCOUNT = "test-account"

#: Hourly gains of one post, per counter: a year of hours. Each hour becomes an
#: observation, so this bounds what one line of YAML ("1x300000000") may expand to.
MAX_HOURLY = 24 * 365
#: How late after publishing a snapshot may be: ten years (pandas' times end in 2262).
MAX_SNAPSHOT_HOURS = 24 * 365 * 10
#: Observations (hourly gains and snapshots) of all posts of one test.
MAX_OBSERVATIONS = 100_000


def _moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(
                f"'{value.isoformat()}' has no time zone: add Z for UTC or an offset such as +01:00"
            )
        return parse_moment(value.isoformat())
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a time such as 2026-03-01T09:00:00Z")
    return parse_moment(value)


def _number(value: Any) -> float:
    written = as_written(value)
    if written is not None:
        return float(written)
    if isinstance(value, bool) or not isinstance(value, int | float):
        shown = f"'{value}'" if isinstance(value, str) else repr(value)
        raise ValueError(f"{shown} is not a number; write it without quotes, or null for missing")
    try:
        number = float(value)
    except OverflowError:  # a whole number past float's range
        digits = str(value)
        raise ValueError(
            f"{digits[:4]}…{digits[-3:]} ({len(digits)} digits) is too large; "
            "numbers go up to about 1e308"
        ) from None
    if not math.isfinite(number):  # YAML's .inf and .nan
        raise ValueError(f"{number} is not a number; write it without quotes, or null for missing")
    return number


def _hours(value: Any) -> float:
    hours = _number(value)
    if not 0 <= hours <= MAX_SNAPSHOT_HOURS:
        raise ValueError(
            f"{hours:g} is out of range: a snapshot is from 0 to {MAX_SNAPSHOT_HOURS:,} hours "
            "(ten years) after publishing"
        )
    return hours


def _maybe_number(value: Any) -> float:
    return float("nan") if value is None else _number(value)


Moment = Annotated[datetime, PlainValidator(_moment)]
Value = Annotated[float, PlainValidator(_maybe_number)]


class SnapshotSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    hours: Annotated[float, PlainValidator(_hours)]
    impressions: Value | None = None
    members_reached: Value | None = None
    reactions: Value | None = None
    comments: Value | None = None
    reposts: Value | None = None
    saves: Value | None = None
    sends: Value | None = None
    clicks: Value | None = None
    profile_views: Value | None = None
    followers_gained: Value | None = None
    comment_replies: Value | None = None
    engagements: Value | None = None


def _hourly(value: Any) -> list[float]:
    """Hourly gains: numbers, or "NxK" for N repeated K times ("5x69"); at most
    MAX_HOURLY hours, counted before anything is expanded."""
    if not isinstance(value, list):
        raise ValueError('must be a list of hourly gains, such as [300, 400, "5x70"]')
    runs: list[tuple[float, int]] = []
    for item in value:
        if isinstance(item, str) and "x" in item:
            amount, _, times = item.partition("x")
            try:
                gain, count = float(amount), int(times)
            except ValueError:
                raise ValueError(f"'{item}' is not of the form NxK, such as 5x70") from None
            if not math.isfinite(gain):
                raise ValueError(f"'{item}' repeats '{amount.strip()}', which is not a number")
            if count < 1:
                raise ValueError(
                    f"'{item}' repeats {amount.strip()} {count} times; "
                    "write a whole number of hours from 1, such as 5x70"
                )
            runs.append((gain, count))
        else:
            runs.append((_number(item), 1))
    hours = sum(count for _, count in runs)
    if hours > MAX_HOURLY:
        raise ValueError(
            f"the hourly gains cover {hours:,} hours; "
            f"a post's cover at most {MAX_HOURLY:,} (a year)"
        )
    return [gain for gain, count in runs for _ in range(count)]


class PostSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    account: str = DEFAULT_ACCOUNT
    published_at: Moment | None = None
    followers: Value | None = None
    metrics: dict[str, Value] | None = None
    snapshots: list[SnapshotSpec] | None = None
    hourly: dict[str, Annotated[list[float], PlainValidator(_hourly)]] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> PostSpec:
        observed = self.snapshots is not None or self.hourly is not None
        if (self.metrics is None) == (not observed):
            raise ValueError("give the post either 'metrics', or 'snapshots' / 'hourly'")
        if observed and self.published_at is None:
            raise ValueError("a post given by snapshots needs 'published_at'")
        if self.hourly is not None:
            unknown = sorted(set(self.hourly) - set(COUNTERS))
            if unknown:
                raise ValueError(
                    f"hourly: unknown counter '{unknown[0]}'; use {', '.join(COUNTERS)}"
                )
            lengths = {len(v) for v in self.hourly.values()}
            if len(lengths) > 1:
                raise ValueError("hourly: give every counter the same number of hours")
        return self

    def observation_count(self) -> int:
        """How many observations `observations` will return, at most (cheap)."""
        hourly = max((len(gains) for gains in (self.hourly or {}).values()), default=0)
        return hourly + len(self.snapshots or [])

    def observations(self) -> list[dict[str, float]]:
        """Observations as {hours, counter: cumulative}: summed `hourly` gains, then `snapshots`."""
        rows: dict[float, dict[str, float]] = {}
        for counter, gains in (self.hourly or {}).items():
            for hour, total in enumerate(np.cumsum(gains), start=1):
                rows.setdefault(float(hour), {})[counter] = float(total)
        for snap in self.snapshots or []:
            values = {c: getattr(snap, c) for c in COUNTERS if getattr(snap, c) is not None}
            rows.setdefault(snap.hours, {}).update(values)
        return [{"hours": h, **rows[h]} for h in sorted(rows)]


class AccountSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = DEFAULT_ACCOUNT
    account_kind: Literal["member", "organization"] | None = "member"
    metrics: dict[str, Value] | None = None


class Expectation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str
    post: str | None = None
    account: str | None = None
    outcome: Literal["fired", "quiet", "not_ready", "no_data", "undefined"]
    says: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_subject(self) -> Expectation:
        if (self.post is None) == (self.account is None):
            raise ValueError("name either the 'post' or the 'account' the rule is judged on")
        return self


class TestCase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    at: Moment | None = None
    posts: list[PostSpec] = Field(default_factory=list)
    accounts: list[AccountSpec] = Field(default_factory=list)
    expect: list[Expectation]


class TestFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    defaults: dict[str, dict[str, Value]] = Field(default_factory=dict)
    tests: list[dict[str, Any]]


@dataclass(frozen=True)
class TestReport:
    files: int
    tests: int
    expectations: int
    failures: tuple[Problem, ...]


def rule_test_files(rules_dir: Path) -> list[Path]:
    folder = rules_dir / "tests"
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else []


def run_rule_tests(
    rules_dir: Path,
    pack: Pack,
    *,
    as_given: bool = False,
    on_file: Callable[[str], None] | None = None,
) -> TestReport:
    """Run every rules/tests/*.yaml against `pack`; collect every failure with its place
    (files named from the rules folder's name down, or with `as_given` by the path given).
    `on_file` is told each file's name as its tests start (a progress bar)."""
    failures: list[Problem] = []
    tests = expectations = 0
    files = rule_test_files(rules_dir)
    for path in files:
        display = str(path) if as_given else _display(path, rules_dir.parent)
        if on_file is not None:
            on_file(display)
        located, problems = load_yaml(path, display, rules_dir)
        failures.extend(problems)
        if located is None:
            continue
        try:
            parsed = TestFile.model_validate(located.data)
        except ValidationError as exc:
            failures.extend(_validation_problems(exc, located, display))
            continue
        defaults = parsed.defaults
        unknown = set(defaults) - {"post", "account"}
        for key in sorted(unknown):
            line, col = located.where(("defaults", key), key=True)
            failures.append(
                Problem(display, line, col, f"defaults: '{key}' must be 'post' or 'account'")
            )
        for index, raw in enumerate(parsed.tests):
            where = ("tests", index)
            try:
                case = TestCase.model_validate(raw)
            except ValidationError as exc:
                failures.extend(_validation_problems(exc, located, display, prefix=where))
                continue
            tests += 1
            expectations += len(case.expect)
            failures.extend(_run_case(case, defaults, pack, located, display, where))
    return TestReport(len(files), tests, expectations, tuple(failures))


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _run_case(
    case: TestCase,
    defaults: dict[str, dict[str, float]],
    pack: Pack,
    located: Located,
    display: str,
    where: tuple[Any, ...],
) -> list[Problem]:
    def problem(path: tuple[Any, ...], message: str, *, key: bool = False) -> Problem:
        line, col = located.where((*where, *path), key=key)
        return Problem(display, line, col, f'test "{case.name}": {message}')

    problems: list[Problem] = []
    for position, post in enumerate(case.posts):
        for name in post.metrics or {}:
            if name not in CATALOGUE:
                problems.append(
                    problem(
                        ("posts", position, "metrics", name),
                        _unknown("post metric", name, CATALOGUE),
                        key=True,
                    )
                )
    for position, account in enumerate(case.accounts):
        for name in account.metrics or {}:
            if name not in ACCOUNT_CATALOGUE:
                problems.append(
                    problem(
                        ("accounts", position, "metrics", name),
                        _unknown("account metric", name, ACCOUNT_CATALOGUE),
                        key=True,
                    )
                )
    if any(p.metrics is None for p in case.posts) and case.at is None:
        problems.append(problem(("name",), "posts given by snapshots need the test's 'at' time"))
    # The frames are indexed by id: a second row of one id would be read as a pair.
    for what, subjects in (("post", case.posts), ("account", case.accounts)):
        first: dict[str, int] = {}
        for position, subject in enumerate(subjects):
            if subject.id in first:
                problems.append(
                    problem(
                        (f"{what}s", position, "id"),
                        f"{what} '{subject.id}' is given twice (first as {what} "
                        f"{first[subject.id] + 1}); give each {what} its own id",
                    )
                )
            else:
                first[subject.id] = position
    observations = sum(p.observation_count() for p in case.posts)
    if observations > MAX_OBSERVATIONS:
        problems.append(
            problem(
                (),
                f"its posts hold {observations:,} observations; a test holds at most "
                f"{MAX_OBSERVATIONS:,}: split it into smaller tests",
            )
        )
    if problems:
        return problems

    post_frame, account_frame, slots = _frames(case, defaults)
    post_eval = evaluate(pack.ruleset, post_frame, "post")
    account_eval = evaluate(pack.ruleset, account_frame, "account")
    for number, expected in enumerate(case.expect):
        path = ("expect", number)
        rule = pack.ruleset.get(expected.rule)
        if rule is None:
            problems.append(problem(path, _unknown("rule", expected.rule, pack.ruleset.ids)))
            continue
        scope, subject = ("post", expected.post) if expected.post else ("account", expected.account)
        if rule.spec.scope != scope:
            problems.append(
                problem(
                    path,
                    f"{rule.id} judges {rule.spec.scope}s, not {scope}s; "
                    f"name the {rule.spec.scope} instead",
                )
            )
            continue
        evaluation = post_eval if scope == "post" else account_eval
        if not evaluation.frame.has(subject):
            known = [str(s) for s in evaluation.frame.index.tolist()]
            problems.append(problem(path, _unknown(scope, str(subject), known)))
            continue
        explained = next(e for e in evaluation.explain(str(subject)) if e.rule.id == rule.id)
        if explained.outcome != expected.outcome:
            flip = threshold_for(rule, evaluation.frame.row(subject), explained, expected.outcome)
            problems.append(
                problem(
                    path,
                    f"{rule.id} on {scope} {subject}: expected {expected.outcome}, got "
                    f"{explained.outcome} ({_describe(explained.values, explained.params)})"
                    + (f". {flip}" if flip else ""),
                )
            )
            continue
        if expected.outcome == "fired" or expected.says:  # its words must render
            try:
                text = _narrative(pack, evaluation, rule.id, str(subject), slots)
            except Exception as exc:  # a template that fails on these values
                failure = pack.narrator.failure(exc, f"rules/{rule.spec.template_name}.j2")
                problems.append(
                    problem(path, f"{rule.id} on {scope} {subject}: its words failed: {failure}")
                )
                continue
            for phrase in expected.says:
                if phrase not in text:
                    problems.append(
                        problem(
                            path,
                            f"{rule.id} on {scope} {subject}: expected the narrative to say "
                            f"'{phrase}'; it says: {text}",
                        )
                    )
    return problems


#: How far from its value a param is tried, as factors: the search for the value an
#: expectation was written for starts from these, then narrows to the boundary.
_FACTORS = np.array(
    [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.01, 1.05, 1.1, 1.25, 1.5, 2, 4, 10]
)


def threshold_for(rule: Rule, row: Mapping[str, Any], explained: Any, wanted: str) -> str | None:
    """Which param of `rule`, moved alone, gives the `wanted` outcome on `row`, and
    past which value: the value the expectation was written for, told without any
    history (a test file records no params). Said as how to update the test."""
    names = set(rule.condition.names) | set(rule.requires.names if rule.requires else ())
    values = {n: as_number(row.get(n)) for n in names}
    code = OUTCOMES.index(wanted)
    best: tuple[float, str, float, float] | None = None
    for name, current in explained.params.items():
        found = _boundary(rule, values, explained.params, name, float(current), code)
        if found is None:
            continue
        edge, moved = found
        distance = abs(moved - current) / (abs(current) or 1.0)
        if best is None or distance < best[0]:
            best = (distance, name, edge, moved)
    if best is None:
        return None
    _, name, edge, moved = best
    current = explained.params[name]
    shown = float(f"{edge:.6g}")
    up = moved > current
    if _outcomes(rule, values, explained.params, name, np.array([shown]))[0] == code:
        needed = f"{shown:g} or {'more' if up else 'less'}"
    else:
        needed = f"{'above' if up else 'below'} {shown:g}"
    source = explained.param_sources.get(name, "default")
    where = rule.file if source == "default" else f"{rule.file} ({_override_words(source)})"
    return (
        f"{name} is {_fmt(current)} in {where}, and this expectation holds only with {name} "
        f"{needed}: it was written for another {name}. If the change is meant, update the "
        f"test (expect {explained.outcome}, or change its numbers); if not, set {name} back"
    )


def _override_words(source: str) -> str:
    kind, _, target = source.partition(":")
    if kind == "kind":
        return (
            "the override for company pages"
            if target == "organization"
            else ("the override for member profiles")
        )
    return f"the override for {target}"


def _boundary(
    rule: Rule,
    values: dict[str, float],
    params: dict[str, Any],
    name: str,
    current: float,
    code: int,
) -> tuple[float, float] | None:
    """The value of param `name` past which the outcome becomes `code`, and a value
    that gives it; None if no value tried does."""
    scale = abs(current) or 1.0
    tried = np.unique(
        np.concatenate(
            [
                current * _FACTORS if current else _FACTORS - 1,
                [v for v in values.values() if math.isfinite(v)],
                [v * (1 + s * 1e-9) for v in values.values() if math.isfinite(v) for s in (-1, 1)],
            ]
        )
    )
    outcomes = _outcomes(rule, values, params, name, tried)
    good = tried[outcomes == code]
    if good.size == 0:
        return None
    moved = float(good[np.argmin(np.abs(good - current))])
    low, high = current, moved  # the outcome is wrong at low, right at high
    for _ in range(6):  # narrow to the boundary, 64 values a round
        grid = np.linspace(low, high, 64)
        right = _outcomes(rule, values, params, name, grid) == code
        first = int(np.argmax(right))
        low, high = float(grid[max(first - 1, 0)]), float(grid[first])
        if abs(high - low) <= scale * 1e-12:
            break
    return high, moved


def _outcomes(
    rule: Rule, values: dict[str, float], params: dict[str, Any], name: str, tried: np.ndarray
) -> np.ndarray:
    rows = len(tried)
    columns = {n: np.full(rows, v) for n, v in values.items()}
    return decide(rule, columns, {**params, name: tried.astype(float)}, rows)


def _unknown(what: str, name: str, known: Any) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown {what} '{name}'{hint}"


def _describe(values: dict[str, float | None], params: dict[str, Any]) -> str:
    shown = [f"{k}={_fmt(v)}" for k, v in values.items()]
    shown += [f"{k}={_fmt(v)}" for k, v in params.items()]
    return ", ".join(shown)


def _fmt(value: Any) -> str:
    if value is None:
        return "missing"
    number = float(value)
    return f"{number:g}"


def _frames(
    case: TestCase, defaults: dict[str, dict[str, float]]
) -> tuple[Table, Table, dict[str, list[dict[str, Any]]]]:
    """The test's posts and accounts as the tables the engine judges: metrics given as
    they are, posts given by observations measured as a reply measures them."""
    given = [p for p in case.posts if p.metrics is not None]
    observed = [p for p in case.posts if p.metrics is None]
    kinds = {a.id: a.account_kind for a in case.accounts}
    rows = [
        {**dict.fromkeys(CATALOGUE, np.nan), **defaults.get("post", {}), **(p.metrics or {})}
        for p in given
    ]
    post_columns = {name: [_floats([r[name] for r in rows])] for name in CATALOGUE}
    post_ids, post_accounts = [p.id for p in given], [p.account for p in given]
    slots: dict[str, list[dict[str, Any]]] = {}
    account_tables = []
    if observed:
        assert case.at is not None
        posts, snaps, followers = _observed_tables(observed, kinds)
        seen = observe(posts, snaps, case.at, newest_first=True)
        computed = post_metrics_of(seen, followers)
        for name in CATALOGUE:
            post_columns[name].append(computed.floats(name))
        post_ids += computed.index.tolist()
        post_accounts += computed["account"].tolist()
        ids = sorted({p.account for p in observed} - {a.id for a in case.accounts if a.metrics})
        if ids:
            accounts = Table.build({"id": ids, "kind": [kinds.get(i, "member") for i in ids]})
            measured = account_metrics_of(accounts, seen, followers, computed)
            account_tables.append((measured.index.tolist(), measured))
        for account_id in ids:
            slots[account_id] = posting_slots(computed, account_id)
    post_frame = Table.build(
        {
            **{name: np.concatenate(parts) for name, parts in post_columns.items()},
            "account": _objects(post_accounts),
            "account_kind": _objects([kinds.get(a, "member") for a in post_accounts]),
        },
        index=post_ids,
        index_name="post",
    )
    written = [a for a in case.accounts if a.metrics is not None]
    rows = [
        {
            **dict.fromkeys(ACCOUNT_CATALOGUE, np.nan),
            **defaults.get("account", {}),
            **(a.metrics or {}),
        }
        for a in written
    ]
    account_ids = [a.id for a in written]
    account_columns = {name: [_floats([r[name] for r in rows])] for name in ACCOUNT_CATALOGUE}
    account_kinds = [a.account_kind for a in written]
    for ids, measured in account_tables:
        account_ids += ids
        account_kinds += measured["account_kind"].tolist()
        for name in ACCOUNT_CATALOGUE:
            account_columns[name].append(measured.floats(name))
    account_frame = Table.build(
        {
            **{name: np.concatenate(parts) for name, parts in account_columns.items()},
            "account_kind": _objects(account_kinds),
        },
        index=account_ids,
        index_name="account",
    )
    return post_frame, account_frame, slots


def _floats(values: list[Any]) -> np.ndarray:
    return np.array([as_number(v) for v in values], dtype=float)


def _objects(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _observed_tables(observed: list[PostSpec], kinds: dict[str, str]) -> tuple[Table, Table, Table]:
    """Posts given by observations: their rows, snapshots and follower counts."""
    published = [p.published_at for p in observed]
    assert all(moment is not None for moment in published)
    posts = Table.build(
        {
            "id": _objects([p.id for p in observed]),
            "account": _objects([p.account for p in observed]),
            "account_kind": _objects([kinds.get(p.account, "member") for p in observed]),
            "published_at": np.array([as_time(m) for m in published], dtype=TIME),
            "url": _objects([None] * len(observed)),
            "format": _objects([None] * len(observed)),
            "title": _objects([p.id for p in observed]),
        }
    )
    snap_posts, snap_times = [], []
    counters: dict[str, list[Any]] = {c: [] for c in COUNTERS}
    follower_rows = []
    for p, moment in zip(observed, published, strict=True):
        assert moment is not None
        for observation in p.observations():
            snap_posts.append(p.id)
            snap_times.append(as_time(moment + timedelta(hours=observation["hours"])))
            for c in COUNTERS:
                counters[c].append(observation.get(c, np.nan))
        if p.followers is not None:
            follower_rows.append((p.account, as_time(moment), float(p.followers)))
    snaps = Table.build(
        {
            "post": _objects(snap_posts),
            "observed_at": np.array(snap_times, dtype=TIME),
            **{c: _floats(values) for c, values in counters.items()},
        }
    )
    followers = Table.build(
        {
            "account": _objects([r[0] for r in follower_rows]),
            "observed_at": np.array([r[1] for r in follower_rows], dtype=TIME),
            "followers": np.array([r[2] for r in follower_rows], dtype=float),
        }
    )
    return posts, snaps, followers


def _narrative(
    pack: Pack,
    evaluation: Evaluation,
    rule_id: str,
    subject: str,
    slots: dict[str, list[dict[str, Any]]],
) -> str:
    finding = next(f for f in evaluation.findings() if f.rule == rule_id and f.subject == subject)
    rule = pack.ruleset.get(rule_id)
    assert rule is not None
    account = {"id": DEFAULT_ACCOUNT, "name": "Test account", "kind": "member", "followers": None}
    post = None
    if rule.spec.scope == "post":
        row = evaluation.frame.row(subject)
        post = {
            "id": subject,
            "number": 1,
            "title": subject,
            "url": None,
            "published_at": None,
            "format": None,
            "age_hours": None
            if math.isnan(as_number(row["post_age_hours"]))
            else float(row["post_age_hours"]),
        }
    context = finding_context(
        rule,
        values=finding.values,
        params=finding.params,
        sources=finding.param_sources,
        account=account,
        post=post,
        slots=slots.get(subject, []) if rule.spec.scope == "account" else None,
    )
    name = f"rules/{finding.template}.j2"
    parts = [
        pack.narrator.block(name, "finding", **context),
        pack.narrator.block(name, "next", **context),
    ]
    return " ".join(p for p in parts if p)
