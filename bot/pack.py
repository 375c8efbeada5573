"""The rule pack: rules/*.yaml and the narratives that speak for them, loaded together."""

from __future__ import annotations

import math
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Template, TemplateError, TemplateNotFound, TemplateSyntaxError, UndefinedError

from bot.errors import Problem, RuleError
from bot.limits import MAX_RULES, survey
from bot.metrics.catalogue import SCOPES
from bot.narrate.env import TemplateRefusedError
from bot.narrate.limits import TemplateLimitError
from bot.narrate.render import Narrator
from bot.narrate.samples import SAMPLES
from bot.rules.loader import Rule, RuleSet, load_rules
from bot.rules.trial import TYPICAL, check_rule_conditions


@dataclass(frozen=True)
class Pack:
    ruleset: RuleSet
    narrator: Narrator


def load_pack(rules_dir: Path, narratives: Path, locale: str = "en") -> Pack:
    """Load and check rules and templates; raise RuleError listing every problem."""
    pack, problems = check_pack(rules_dir, narratives, locale)
    if problems:
        count = len(problems)
        raise RuleError(
            problems, summary=f"{count} problem{'s' if count > 1 else ''} in the rule pack"
        )
    return pack


def check_pack(
    rules_dir: Path, narratives: Path, locale: str = "en", *, render: bool = True
) -> tuple[Pack, list[Problem]]:
    """Load everything and collect every problem, rendering each template once
    (`render=False`: load only, for a copy already checked in a child process)."""
    root = rules_dir.parent
    refused = sorted(refused_files(rules_dir) + refused_files(narratives), key=lambda p: p.file)
    ruleset, problems = load_rules(rules_dir, display_root=root)
    narrator = Narrator(narratives, locale)
    if len(ruleset.rules) > MAX_RULES or not render:
        return Pack(ruleset, narrator), _unique(refused + problems)
    pack, more = _check_templates(ruleset, narrator, narratives, locale)
    return pack, _unique(refused + problems + more)


def refused_files(folder: Path) -> list[Problem]:
    """Every file of a pack folder that may not be read (a link out of it, a pipe, a
    file too large), named from the folder down, whether or not anything reads it."""
    return [
        Problem(
            f"{folder.name}/{path.relative_to(folder)}" if path != folder else folder.name,
            None,
            None,
            reason,
        )
        for path, reason in sorted(survey(folder).refused)
    ]


def _unique(problems: list[Problem]) -> list[Problem]:
    """A refused file is named by the survey and again by whatever tried to read it."""
    return list(dict.fromkeys(problems))


def _check_templates(
    ruleset: RuleSet, narrator: Narrator, narratives: Path, locale: str
) -> tuple[Pack, list[Problem]]:
    problems: list[Problem] = []
    if not (narratives / locale).is_dir():
        languages = sorted(p.name for p in narratives.glob("*") if p.is_dir())
        problems.append(
            Problem(
                _relative(str(narratives / locale), narratives),
                None,
                None,
                f"no templates in language '{locale}' (there are: "
                f"{', '.join(languages) or 'none'}); copy narratives/en to "
                f"narratives/{locale} and translate it, or set NARRATOR_LOCALE to one of those",
            )
        )
        return Pack(ruleset, narrator), problems
    for rule in ruleset.rules:
        problems.extend(check_rule_conditions(rule))
        problems.extend(_check_rule_template(rule, narrator, narratives))
    problems.extend(_check_layouts(narrator, narratives))
    return Pack(ruleset, narrator), problems


def _check_layouts(narrator: Narrator, narratives: Path) -> list[Problem]:
    """Render every layout and message template against its sample contexts."""
    problems: list[Problem] = []
    for name, contexts in SAMPLES.items():
        display = _template_path(narratives, narrator.locale, name)
        try:
            template = narrator.env.get_template(name)
        except TemplateRefusedError as exc:
            problems.append(_refused(exc, narrator, narratives))
            continue
        except TemplateNotFound as exc:
            missing = exc.name if exc.name != name else None
            what = f"includes {missing}, which does not exist" if missing else "is missing"
            problems.append(Problem(display, None, None, f"template {what}"))
            continue
        except TemplateSyntaxError as exc:
            problems.append(
                Problem(
                    (exc.filename and _relative(exc.filename, narratives)) or display,
                    exc.lineno,
                    None,
                    f"template syntax error: {exc.message}",
                )
            )
            continue
        for context in contexts:
            try:
                narrator.render(name, **context)
            except Exception as exc:  # whatever a lead's template raises is its problem
                line = _template_line(exc, template)
                message = (
                    f"template reads an undefined value: {exc}"
                    if isinstance(exc, UndefinedError)
                    else f"template fails: {_detail(exc)}"
                )
                problems.append(Problem(display, line, None, message))
                break
    return problems


def _refused(exc: TemplateRefusedError, narrator: Narrator, narratives: Path) -> Problem:
    """A template that may not be read, named as the survey of the files names it."""
    return Problem(_template_path(narratives, narrator.locale, exc.name), None, None, exc.reason)


def _relative(filename: str, narratives: Path) -> str:
    path = Path(filename)
    try:
        return f"{narratives.name}/{path.relative_to(narratives)}"
    except ValueError:
        return filename


def _template_path(narratives: Path, locale: str, name: str) -> str:
    """How a template is named in messages: from the narratives folder down."""
    return f"{narratives.name}/{locale}/{name}"


def _check_rule_template(rule: Rule, narrator: Narrator, narratives: Path) -> list[Problem]:
    name = f"rules/{rule.spec.template_name}.j2"
    display = _template_path(narratives, narrator.locale, name)
    try:
        template = narrator.env.get_template(name)
    except TemplateRefusedError as exc:
        return [_refused(exc, narrator, narratives)]
    except TemplateNotFound:
        return [
            Problem(
                rule.file,
                rule.line,
                rule.column,
                f"template {display} does not exist; create it "
                "or set 'template:' to an existing one",
                rule=rule.id,
            )
        ]
    except TemplateSyntaxError as exc:
        return [
            Problem(
                display, exc.lineno, None, f"template syntax error: {exc.message}", rule=rule.id
            )
        ]
    if "finding" not in template.blocks:
        return [Problem(display, 1, None, "template has no {% block finding %}", rule=rule.id)]
    problems: list[Problem] = []
    full = sample_finding_context(rule)
    # Values a rule only `shows` may be missing when it fires: the words must cope.
    sparse = {
        **full,
        "values": {
            k: (None if k not in _read_by_conditions(rule) else v)
            for k, v in full["values"].items()
        },
    }
    seen: set[str] = set()
    for context in (full, sparse):
        for block in ("finding", "next", "trait"):
            try:
                narrator.block(name, block, **context, trait=SAMPLE_TRAIT)
            except UndefinedError as exc:
                line = _template_line(exc, template)
                message = _undefined_message(exc, rule)
            except TemplateLimitError as exc:
                # Over its budget: one problem, and no more renders spent finding others.
                line = _template_line(exc, template)
                problems.append(
                    Problem(display, line, None, f"template fails: {exc}", rule=rule.id)
                )
                return problems
            except Exception as exc:  # whatever a lead's template raises is its problem
                line = _template_line(exc, template)
                message = f"template fails: {_detail(exc)}"
                if context is sparse:
                    message = f"template fails when a value it shows is missing: {_detail(exc)}"
            else:
                continue
            if message not in seen:
                seen.add(message)
                problems.append(Problem(display, line, None, message, rule=rule.id))
    return problems


def _detail(exc: Exception) -> str:
    """What went wrong: the message, named by its kind unless the message says it
    (a KeyError reads only `'a'`)."""
    if isinstance(exc, TemplateError | ArithmeticError | TypeError | ValueError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _read_by_conditions(rule: Rule) -> set[str]:
    names = set(rule.condition.names)
    if rule.requires is not None:
        names |= set(rule.requires.names)
    return names


def _undefined_message(exc: UndefinedError, rule: Rule) -> str:
    text = str(exc)
    if "has no attribute" in text:
        missing = text.rsplit("attribute", 1)[-1].strip(" '\"")
        if missing in SCOPES[rule.spec.scope]:
            return (
                f"template reads values.{missing}, which the rule does not provide; "
                f"add it to the rule's 'shows:' list"
            )
        if missing not in rule.spec.params:
            return f"template reads '{missing}', which the rule does not provide"
    return f"template reads an undefined value: {text}"


def _template_line(exc: BaseException, template: Template) -> int | None:
    """The template line an error happened on (blocks run outside Jinja's traceback rewrite)."""
    line = getattr(exc, "lineno", None)
    if line:
        return int(line)
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_globals.get("__jinja_template__") is template:
            line = template.get_corresponding_lineno(lineno)  # compiled code's line
        elif frame.f_code.co_filename == template.filename:
            line = lineno  # a frame Jinja rewrote (Template.render): the template's line
    return line


#: A typical value per unit, used to render every template once at check time.
#: One typical value per unit, shared with the sample-row trial of conditions.
_SAMPLES = TYPICAL


SAMPLE_SLOTS = [
    {
        "weekday": 1,
        "day_name": "Tuesday",
        "hour": 8,
        "early_engagement_rate": 0.061,
        "posts": 4,
        "vs_overall": 1.3,
    },
    {
        "weekday": 3,
        "day_name": "Thursday",
        "hour": 9,
        "early_engagement_rate": 0.055,
        "posts": 3,
        "vs_overall": 1.2,
    },
]


#: What a `trait` block reads besides a finding's context: the finding fired on
#: `count` of the `shown` posts, numbered in `runs`; `others` did not have it.
SAMPLE_TRAIT = {
    "count": 7,
    "shown": 10,
    "runs": [[2, 3], [5, 9]],
    "others": [[1, 1], [4, 4], [10, 10]],
}


def sample_finding_context(rule: Rule) -> dict[str, Any]:
    """A typical finding of `rule`: what every template is rendered against at check time."""
    catalogue = SCOPES[rule.spec.scope]
    values = {name: _SAMPLES[catalogue[name].unit] for name in rule.reads}
    account = {"id": "sample", "name": "Sample", "kind": "member", "followers": 800.0}
    if rule.spec.scope == "account":
        return finding_context(
            rule, values=values, params=dict(rule.spec.params), account=account, slots=SAMPLE_SLOTS
        )
    post = {
        "id": "sample",
        "number": 3,
        "title": "A sample post",
        "url": None,
        "published_at": "2026-01-05T09:00:00Z",
        "format": "text",
        "age_hours": 80.0,
    }
    return finding_context(
        rule, values=values, params=dict(rule.spec.params), post=post, account=account
    )


def finding_context(
    rule: Rule,
    *,
    values: dict[str, Any],
    params: dict[str, Any],
    account: dict[str, Any],
    post: dict[str, Any] | None = None,
    slots: list[dict[str, Any]] | None = None,
    sources: dict[str, str] | None = None,
) -> dict[str, Any]:
    """What a rule template may read. Post templates get `post`; account templates `slots`."""
    clean = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in values.items()}
    context: dict[str, Any] = {
        "rule": {
            "id": rule.id,
            "description": rule.spec.description,
            "severity": rule.spec.severity,
            "tags": list(rule.spec.tags),
        },
        "values": clean,
        "params": params,
        "sources": sources if sources is not None else dict.fromkeys(params, "default"),
        "account": account,
        # The zone the filters write times in (day, clock, moment): the account's.
        "zone": account.get("timezone") or "UTC",
    }
    if post is not None:
        context["post"] = post
    if slots is not None:
        context["slots"] = slots
    return context
