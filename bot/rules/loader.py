"""Load rules/*.yaml into a RuleSet, collecting every problem with its place.

Parsing and validation are kept apart from evaluation (as Prometheus does):
a RuleSet that exists is a RuleSet that is valid.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.errors import ExpressionError, Problem
from bot.limits import MAX_RULES
from bot.metrics.catalogue import SCOPES
from bot.rules.expr import Expression, compile_expression
from bot.rules.model import KEY_HELP, RuleFile, RuleSpec
from bot.rules.yamlfile import Located, load_yaml


@dataclass(frozen=True)
class Rule:
    """A validated rule with its compiled expressions."""

    spec: RuleSpec
    file: str
    line: int
    column: int
    condition: Expression
    requires: Expression | None

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def reads(self) -> tuple[str, ...]:
        """Every metric the rule's narrative may cite, in a stable order."""
        names: list[str] = []
        for expr in (self.requires, self.condition):
            if expr is not None:
                names.extend(n for n in expr.names if n not in names)
        names.extend(n for n in self.spec.shows if n not in names)
        return tuple(names)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    files: tuple[str, ...]

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rules)

    def scoped(self, scope: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.spec.scope == scope)


def rule_files(rules_dir: Path) -> list[Path]:
    """The rule files of a folder, in name order (tests live in rules/tests/)."""
    return sorted([*rules_dir.glob("*.yaml"), *rules_dir.glob("*.yml")])


def load_rules(rules_dir: Path, display_root: Path | None = None) -> tuple[RuleSet, list[Problem]]:
    """Load every rule file; return the valid rules and every problem found.

    The caller decides what a problem means; `RuleSet` is only safe to serve
    when the problem list is empty.
    """
    problems: list[Problem] = []
    if not rules_dir.is_dir():
        return RuleSet((), ()), [
            Problem(str(rules_dir), None, None, "no such folder of rule files")
        ]
    files = rule_files(rules_dir)
    if not files:
        problems.append(Problem(str(rules_dir), None, None, "holds no *.yaml rule files"))
    rules: list[Rule] = []
    first_seen: dict[str, tuple[str, int]] = {}
    for path in files:
        display = _display(path, display_root)
        located, parse_problems = load_yaml(path, display, rules_dir)
        problems.extend(parse_problems)
        if located is None:
            continue
        for rule in _rules_of_file(located, display, problems):
            if rule.id in first_seen:
                where, line = first_seen[rule.id]
                problems.append(
                    Problem(
                        display,
                        rule.line,
                        rule.column,
                        f"duplicate rule id (first defined at {where}:{line}); "
                        "give each rule its own id",
                        rule=rule.id,
                    )
                )
                continue
            first_seen[rule.id] = (display, rule.line)
            rules.append(rule)
    if len(rules) > MAX_RULES:
        problems.append(
            Problem(_display(rules_dir, display_root), None, None, _too_many(len(rules), "in all"))
        )
    problems.sort(key=lambda p: (p.file, p.line or 0, p.column if isinstance(p.column, int) else 0))
    return RuleSet(tuple(rules), tuple(_display(p, display_root) for p in files)), problems


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return str(path)


def _rules_of_file(located: Located, display: str, problems: list[Problem]) -> list[Rule]:
    data = located.data
    if not isinstance(data, dict):
        problems.append(
            Problem(display, 1, 1, "a rule file is a mapping with a 'rules:' list at the top")
        )
        return []
    try:
        parsed = RuleFile.model_validate(data)
    except ValidationError as exc:
        problems.extend(_validation_problems(exc, located, display))
        return []
    if len(parsed.rules) > MAX_RULES:
        # Refused before any rule is validated, compiled or rendered: that is the cost.
        line, col = located.where(("rules",), key=True)
        problems.append(Problem(display, line, col, _too_many(len(parsed.rules))))
        return []
    out = []
    for index, raw in enumerate(parsed.rules):
        try:
            spec = RuleSpec.model_validate(raw)
        except ValidationError as exc:
            problems.extend(_validation_problems(exc, located, display, prefix=("rules", index)))
            continue
        rule = _compile_rule(spec, index, located, display, problems)
        if rule is not None:
            out.append(rule)
    return out


def _too_many(count: int, scope: str = "") -> str:
    held = f"holds {count:,} rules {scope}".rstrip()
    return f"{held}; a rule pack may hold at most {MAX_RULES:,}: merge or drop some"


def _validation_problems(
    exc: ValidationError, located: Located, display: str, prefix: tuple[Any, ...] = ()
) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = (*prefix, *err["loc"])
        rule_id = _rule_id(located.data, loc)
        kind = err["type"]
        field = str(loc[-1]) if loc else ""
        if kind == "extra_forbidden":
            line, col = located.where(loc, key=True)
            allowed = _allowed_keys(loc)
            close = difflib.get_close_matches(field, allowed, n=1, cutoff=0.6)
            hint = (
                f" (did you mean '{close[0]}'?)" if close else f" (allowed: {', '.join(allowed)})"
            )
            message = f"unknown key '{field}'{hint}"
        elif kind == "missing":
            line, col = located.where(loc[:-1])
            help_ = KEY_HELP.get(field)
            message = f"missing key '{field}'" + (f": {help_}" if help_ else "")
        else:
            # An empty value has no place of its own: point at its key.
            line, col = located.where(loc, key=err.get("input") is None)
            message = f"{_dotted(loc)}: {_plain_error(err, field)}"
        account = _override_account(located.data, loc)
        problems.append(Problem(display, line, col, message, rule=rule_id, account=account))
    return problems


def _override_account(data: Any, loc: tuple[Any, ...]) -> str | None:
    """The account an override names, for a problem inside that override."""
    if len(loc) >= 4 and loc[0] == "rules" and loc[2] == "overrides":
        try:
            value = data["rules"][loc[1]]["overrides"][loc[3]].get("account")
        except (KeyError, IndexError, TypeError, AttributeError):
            return None
        return None if value is None else str(value)
    return None


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    if len(loc) >= 5 and loc[0] == "rules" and loc[2] == "overrides":
        return ["account", "account_kind", "params"]
    if len(loc) >= 3 and loc[0] == "rules":
        return list(RuleSpec.model_fields)
    return ["rules"]


def _rule_id(data: Any, loc: tuple[Any, ...]) -> str | None:
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        try:
            value = data["rules"][loc[1]].get("id")
        except (KeyError, IndexError, TypeError, AttributeError):
            return None
        return value if isinstance(value, str) else None
    return None


def _dotted(loc: tuple[Any, ...]) -> str:
    """A place in a file as a lead counts: keys joined by dots, list positions from 1
    (pydantic counts from 0): `overrides, item 1, params.min_rate`."""
    # Within one rule (or one rule test), name the key from there down.
    inside_item = len(loc) > 2 and loc[0] in ("rules", "tests") and isinstance(loc[1], int)
    parts: list[str] = []
    for part in loc[2:] if inside_item else loc:
        if isinstance(part, int):
            parts.append(f", item {part + 1}, ")
        elif parts and not parts[-1].endswith(", "):
            parts.append(f".{part}")
        else:
            parts.append(str(part))
    return "".join(parts).strip(", ") or "file"


def _plain_error(err: Any, field: str) -> str:
    kind = err["type"]
    value = err.get("input")
    shown = f"'{value}'" if isinstance(value, str) else repr(value)
    if kind == "value_error":
        return str(err["ctx"]["error"])
    if kind == "string_pattern_mismatch":
        return f"{shown} is not allowed: {KEY_HELP.get(field, 'use lower_snake_case names')}"
    if kind == "literal_error":
        return f"{shown} is not allowed: {KEY_HELP.get(field, err['msg'])}"
    if kind in {"string_type"}:
        return f"{shown} must be text"
    if kind in {"list_type"}:
        return f"must be a list, such as [a, b]; got {shown}"
    if kind in {"dict_type", "model_type"} and field == "rules":
        return f"each rule is a mapping of keys (id, description, condition, ...); got {shown}"
    if value is None and field == "params":
        return (
            "is empty; list each param under it, such as 'min_rate: 0.02', "
            "or remove the line 'params:'"
        )
    if value is None:
        return f"is empty; give it a value, or remove the line '{field}:'"
    if kind in {"dict_type", "model_type"}:
        return f"must be a mapping of names to values; got {shown}"
    if kind == "string_too_short":
        return "must not be empty"
    return str(err["msg"])


def _compile_rule(
    spec: RuleSpec, index: int, located: Located, display: str, problems: list[Problem]
) -> Rule | None:
    base = ("rules", index)
    rule_line, rule_column = located.where(base)
    catalogue = SCOPES[spec.scope]
    metrics = list(catalogue)
    ok = True
    for number, override in enumerate(spec.overrides):
        for name in override.params:
            if name not in spec.params:
                line, col = located.where((*base, "overrides", number, "params", name), key=True)
                close = difflib.get_close_matches(name, list(spec.params), n=1, cutoff=0.6)
                hint = (
                    f" (did you mean '{close[0]}'?)"
                    if close
                    else f" (the rule's params: {', '.join(spec.params) or 'none'})"
                )
                problems.append(
                    Problem(
                        display,
                        line,
                        col,
                        f"override for {override.label.replace(':', ' ')} sets '{name}', "
                        f"which is not one of the rule's params{hint}",
                        rule=spec.id,
                        account=override.account,
                    )
                )
                ok = False
    for name in spec.params:
        if name in catalogue:
            line, col = located.where((*base, "params", name), key=True)
            problems.append(
                Problem(
                    display,
                    line,
                    col,
                    f"param '{name}' has the name of a metric; rename it",
                    rule=spec.id,
                )
            )
            ok = False
    for position, name in enumerate(spec.shows):
        if name not in catalogue:
            line, col = located.where((*base, "shows", position))
            close = difflib.get_close_matches(name, metrics, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.append(
                Problem(
                    display,
                    line,
                    col,
                    f"shows: unknown {spec.scope} metric '{name}'{hint}",
                    rule=spec.id,
                )
            )
            ok = False
    compiled: dict[str, Expression | None] = {"requires": None}
    for key in ("requires", "condition"):
        source = getattr(spec, key)
        if source is None:
            continue
        try:
            compiled[key] = compile_expression(source, metrics, spec.params)
        except ExpressionError as exc:
            line, col = _expression_position(located, (*base, key), exc.column)
            problems.append(Problem(display, line, col, f"{key}: {exc.message}", rule=spec.id))
            ok = False
    if not ok:
        return None
    condition = compiled["condition"]
    assert condition is not None
    return Rule(spec, display, rule_line, rule_column, condition, compiled["requires"])


def _expression_position(located: Located, path: tuple[Any, ...], column: int) -> tuple[int, int]:
    """Where in the file the expression's `column` is, for plain and quoted values."""
    line, col = located.where(path)
    lines = located.text.splitlines()
    if 0 < line <= len(lines):
        text = lines[line - 1]
        if col - 1 < len(text) and text[col - 1] in "\"'":
            return line, col + column
        if col - 1 < len(text) and text[col - 1] in "|>":
            return line + 1, column
    return line, col + column - 1
