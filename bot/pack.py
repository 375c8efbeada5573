"""The rule pack: rules/*.yaml and the narratives that speak for them, loaded together."""

from __future__ import annotations

import math
import os
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from jinja2 import Template, TemplateError, TemplateNotFound, TemplateSyntaxError, UndefinedError
from jinja2.debug import get_template_locals

from bot.errors import Problem, RuleError
from bot.limits import MAX_RULES, survey
from bot.metrics.catalogue import SCOPES
from bot.narrate.diagnose import (
    attribute_column,
    did_you_mean,
    missing_attribute,
    unknown_name,
)
from bot.narrate.env import TemplateRefusedError
from bot.narrate.limits import NESTED, TemplateLimitError
from bot.narrate.render import Narrator
from bot.narrate.samples import SAMPLES
from bot.rules.loader import Rule, RuleSet, load_rules
from bot.rules.trial import TYPICAL, check_rule_conditions


@dataclass(frozen=True)
class Pack:
    """Rules and the narratives that speak for them. `narrator` speaks the language
    this pack answers in; `narrators` holds every language of narratives/."""

    ruleset: RuleSet
    narrator: Narrator
    narrators: Mapping[str, Narrator] = field(default_factory=dict)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self.narrators)) or (self.narrator.locale,)

    def speaking(self, locale: str | None) -> Pack:
        """This pack answering in `locale` (a Slack locale such as "fr-FR" reads as
        "fr"); a language narratives/ does not hold keeps the current one."""
        chosen = language_of(locale, self.languages)
        if chosen is None or chosen == self.narrator.locale:
            return self
        return replace(self, narrator=self.narrators[chosen])


def language_of(locale: str | None, languages: Sequence[str]) -> str | None:
    """The language of `languages` that `locale` names ("fr", "fr-FR", "fr_CA"), or None."""
    if not locale:
        return None
    wanted = locale.replace("-", "_").strip()
    if wanted in languages:
        return wanted
    base = wanted.split("_", 1)[0].lower()
    return base if base in languages else None


def language_folders(narratives: Path) -> list[str]:
    """The languages narratives/ holds: one folder each (en, fr, ...)."""
    try:
        return sorted(
            p.name for p in narratives.iterdir() if p.is_dir() and not p.name.startswith(".")
        )
    except OSError:
        return []


def load_pack(
    rules_dir: Path, narratives: Path, locale: str = "en", *, as_given: bool = False
) -> Pack:
    """Load and check rules and templates; raise RuleError listing every problem.

    A pack identical to one that passed every check before (same files, same code:
    `bot.packcache`) is loaded without running the checks again."""
    from bot import packcache

    folder, name = packcache.locate(rules_dir, narratives, locale)
    if packcache.checked(folder, name):
        pack, problems = check_pack(rules_dir, narratives, locale, render=False, as_given=as_given)
        if not problems:
            return pack
    pack, problems = check_pack(rules_dir, narratives, locale, as_given=as_given)
    if not problems:
        packcache.remember(folder, name)
    if problems:
        count = len(problems)
        raise RuleError(
            problems, summary=f"{count} problem{'s' if count > 1 else ''} in the rule pack"
        )
    return pack


def check_pack(
    rules_dir: Path,
    narratives: Path,
    locale: str = "en",
    *,
    render: bool = True,
    as_given: bool = False,
) -> tuple[Pack, list[Problem]]:
    """Load everything and collect every problem, rendering each template once
    (`render=False`: load only, for a copy already checked in a child process).

    Files are named from each folder's name down (`rules/x.yaml`, as the bot tells a
    lead in Slack, whichever copy it checked), or with `as_given` by the paths given,
    as the user typed them in a terminal (`../team-pack/rules/x.yaml`)."""
    refused = sorted(
        refused_files(rules_dir, as_given) + refused_files(narratives, as_given),
        key=lambda p: p.file,
    )
    ruleset, problems = load_rules(rules_dir, display_root=None if as_given else rules_dir.parent)
    languages = [name for name in language_folders(narratives) if _known_language(name)]
    narrators = {name: Narrator(narratives, name) for name in languages}
    narrator = narrators.get(locale) or Narrator(narratives, locale)
    pack = Pack(ruleset, narrator, narrators)
    if len(ruleset.rules) > MAX_RULES or not render:
        return pack, _unique(refused + problems)
    shown = narratives if as_given else Path(narratives.name)
    more = _check_templates(ruleset, narrator, narratives, locale, shown)
    if (narratives / locale).is_dir():
        parity = _check_languages(narratives, shown)
        for name, other in narrators.items():
            if name != locale:
                more += _check_narrator(ruleset, other, narratives, shown)
        more = parity + [p for p in more if not _said_missing(p, parity)]
    return pack, _unique(refused + problems + more)


def _said_missing(problem: Problem, parity: list[Problem]) -> bool:
    """Whether `problem` says a template is missing that a language check already named."""
    if "is missing" not in problem.message and "does not exist" not in problem.message:
        return False
    return any(p.file == problem.file or p.file in problem.message for p in parity)


def _known_language(name: str) -> bool:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(name)
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return True


def _check_languages(narratives: Path, shown: Path) -> list[Problem]:
    """Every language folder holds the same templates: one line per template that
    one language has and another lacks, and one per folder Babel cannot name."""
    problems: list[Problem] = []
    folders = language_folders(narratives)
    held: dict[str, set[str]] = {}
    for name in folders:
        if not _known_language(name):
            problems.append(
                Problem(
                    str(shown / name),
                    None,
                    None,
                    f"'{name}' is not a language code (en, fr, de, pt_BR...); "
                    "rename the folder or move it out of the narratives folder",
                )
            )
            continue
        root = narratives / name
        held[name] = {
            p.relative_to(root).as_posix() for p in survey(root).files if p.suffix == ".j2"
        }
    every = sorted(set().union(*held.values())) if held else []
    for name, names in sorted(held.items()):
        for template in every:
            if template not in names:
                has = next(other for other in sorted(held) if template in held[other])
                problems.append(
                    Problem(
                        _template_path(shown, name, template),
                        None,
                        None,
                        f"missing: {narratives.name}/{has} has this template and "
                        f"{narratives.name}/{name} does not; copy it from "
                        f"{narratives.name}/{has} and translate it",
                    )
                )
    return problems


def refused_files(folder: Path, as_given: bool = False) -> list[Problem]:
    """Every file of a pack folder that may not be read (a link out of it, a pipe, a
    file too large), named from the folder down (or by the path given), whether or not
    anything reads it."""
    shown = folder if as_given else Path(folder.name)
    return [
        Problem(
            str(shown / path.relative_to(folder)) if path != folder else str(shown),
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
    ruleset: RuleSet, narrator: Narrator, narratives: Path, locale: str, shown: Path
) -> list[Problem]:
    problems: list[Problem] = []
    if not (narratives / locale).is_dir():
        languages = language_folders(narratives)
        problems.append(
            Problem(
                _relative(str(narratives / locale), narratives, shown),
                None,
                None,
                f"no templates in language '{locale}' (there are: "
                f"{', '.join(languages) or 'none'}); copy narratives/en to "
                f"narratives/{locale} and translate it, or set NARRATOR_LOCALE to one of those",
            )
        )
        return problems
    for rule in ruleset.rules:
        problems.extend(check_rule_conditions(rule))
    return problems + _check_narrator(ruleset, narrator, narratives, shown)


def _check_narrator(
    ruleset: RuleSet, narrator: Narrator, narratives: Path, shown: Path
) -> list[Problem]:
    """Render one language's rule templates against sample findings, and its layouts
    and messages against their sample contexts."""
    problems: list[Problem] = []
    for rule in ruleset.rules:
        problems.extend(_check_rule_template(rule, narrator, narratives, shown))
    problems.extend(_check_layouts(narrator, narratives, shown))
    return problems


def _check_layouts(narrator: Narrator, narratives: Path, shown: Path) -> list[Problem]:
    """Render every layout and message template against its sample contexts, unless
    the same templates passed before (`bot.packcache`: only a clean check is kept)."""
    from bot import packcache
    from bot.config import cache_folder

    folder = cache_folder()
    name = packcache.layouts_key(narratives, narrator.locale) if folder else None
    if packcache.checked(folder, name):
        return []
    problems = _render_layouts(narrator, narratives, shown)
    if not problems:
        packcache.remember(folder, name)
    return problems


def _render_layouts(narrator: Narrator, narratives: Path, shown: Path) -> list[Problem]:
    problems: list[Problem] = []
    for name, contexts in SAMPLES.items():
        display = _template_path(shown, narrator.locale, name)
        try:
            template = narrator.env.get_template(name)
        except TemplateRefusedError as exc:
            problems.append(_refused(exc, narrator, shown))
            continue
        except TemplateNotFound as exc:
            missing = exc.name if exc.name != name else None
            what = f"includes {missing}, which does not exist" if missing else "is missing"
            problems.append(Problem(display, None, None, f"template {what}"))
            continue
        except TemplateSyntaxError as exc:
            column, message = _syntax(exc, narrator)
            problems.append(
                Problem(
                    (exc.filename and _relative(exc.filename, narratives, shown)) or display,
                    exc.lineno,
                    column,
                    message,
                )
            )
            continue
        for context in contexts:
            try:
                narrator.render(name, **context)
            except Exception as exc:  # whatever a lead's template raises is its problem
                place = _place(exc, template, narratives, shown, display)
                if isinstance(exc, TemplateSyntaxError):  # a partial, compiled when pulled in
                    column, message = _syntax(exc, narrator)
                    problems.append(Problem(place.file, place.line, column, message))
                    break
                line = place.line
                said = unknown_name(exc, narrator.env, place.source, line, place.names(context))
                if said is not None:
                    line, column, message = said.line, said.column, said.message
                elif isinstance(exc, UndefinedError):
                    column = _attribute_column(exc, place.source, line)
                    message = f"template reads an undefined value: {exc}"
                else:
                    column, message = None, f"template fails: {_detail(exc)}"
                problems.append(Problem(place.file, line, column, message))
                break
    return problems


def _refused(exc: TemplateRefusedError, narrator: Narrator, shown: Path) -> Problem:
    """A template that may not be read, named as the survey of the files names it."""
    return Problem(_template_path(shown, narrator.locale, exc.name), None, None, exc.reason)


def _relative(filename: str, narratives: Path, shown: Path) -> str:
    """A file of the narratives folder named from `shown` down (the loader names
    templates by normalized paths: `a/../b` is `b`)."""
    path = Path(os.path.normpath(filename))
    try:
        return str(shown / path.relative_to(os.path.normpath(narratives)))
    except ValueError:
        return filename


def _template_path(shown: Path, locale: str, name: str) -> str:
    """How a template is named in messages: from the narratives folder down, the folder
    named as `shown`."""
    return str(shown / locale / name)


def _check_rule_template(
    rule: Rule, narrator: Narrator, narratives: Path, shown: Path
) -> list[Problem]:
    name = f"rules/{rule.spec.template_name}.j2"
    display = _template_path(shown, narrator.locale, name)
    try:
        template = narrator.env.get_template(name)
    except TemplateRefusedError as exc:
        return [_refused(exc, narrator, shown)]
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
        column, message = _syntax(exc, narrator)
        return [Problem(display, exc.lineno, column, message, rule=rule.id)]
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
    seen: set[Problem] = set()
    for context in (full, sparse):
        for block in ("finding", "next", "trait"):
            column = None
            # A mistake in a partial the template pulls in is the partial's, whichever
            # rule's template pulls it in: named without the rule (and so once), unless
            # what went wrong is what this rule gives the partial to read.
            about_rule = False
            try:
                narrator.block(name, block, **context, trait=SAMPLE_TRAIT)
            except TemplateSyntaxError as exc:  # a partial, compiled when first pulled in
                place = _place(exc, template, narratives, shown, display)
                line = place.line
                column, message = _syntax(exc, narrator)
            except UndefinedError as exc:
                place = _place(exc, template, narratives, shown, display)
                line, column, message, about_rule = _undefined_message(
                    exc, rule, place, narrator, [*context, "trait"]
                )
            except TemplateLimitError as exc:
                # Over its budget: one problem, and no more renders spent finding others.
                place = _place(exc, template, narratives, shown, display)
                problems.append(
                    Problem(
                        place.file,
                        place.line,
                        None,
                        f"template fails: {exc}",
                        rule=rule.id if place.own else None,
                    )
                )
                return problems
            except Exception as exc:  # whatever a lead's template raises is its problem
                place = _place(exc, template, narratives, shown, display)
                line = place.line
                said = unknown_name(exc, narrator.env, place.source, line, place.names(()))
                if said is not None:
                    line, column, message = said.line, said.column, said.message
                else:
                    message = f"template fails: {_detail(exc)}"
                    if context is sparse:
                        message = f"template fails when a value it shows is missing: {_detail(exc)}"
                        about_rule = True
            else:
                continue
            problem = Problem(
                place.file,
                line,
                column,
                message,
                rule=rule.id if place.own or about_rule else None,
            )
            if problem not in seen:
                seen.add(problem)
                problems.append(problem)
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


def _undefined_message(
    exc: UndefinedError,
    rule: Rule,
    place: _Place,
    narrator: Narrator,
    names: list[str],
) -> tuple[int | None, int | None, str, bool]:
    """What a rule template (or a partial it pulls in) read that is not there, where,
    the name meant, and whether the rule is to blame (a metric it does not show)."""
    line = place.line
    said = unknown_name(exc, narrator.env, place.source, line, place.names(names))
    if said is not None:
        return said.line, said.column, said.message, False
    column = _attribute_column(exc, place.source, line)
    missing = missing_attribute(exc)
    if missing is not None:
        metrics = SCOPES[rule.spec.scope]
        if missing in metrics:
            return (
                line,
                column,
                (
                    f"template reads values.{missing}, which the rule does not provide; "
                    f"add it to the rule's 'shows:' list"
                ),
                True,
            )
        # In a partial, the name meant is the partial's, not any one rule's.
        if missing not in rule.spec.params and place.own:
            hint = did_you_mean(missing, [*rule.reads, *rule.spec.params])
            return (
                line,
                column,
                (f"template reads '{missing}', which the rule does not provide{hint}"),
                False,
            )
    return line, column, f"template reads an undefined value: {exc}", False


def _attribute_column(exc: BaseException, source: str, line: int | None) -> int | None:
    """The column of the attribute an UndefinedError says is missing, on `line`."""
    missing = missing_attribute(exc)
    if missing is None:
        return None
    lines = source.splitlines()
    return attribute_column(lines[line - 1] if line and 0 < line <= len(lines) else None, missing)


def _syntax(exc: TemplateSyntaxError, narrator: Narrator) -> tuple[int | None, str]:
    """A template syntax error's column and words: an unknown filter or test named,
    with the one meant; anything else as Jinja says it."""
    said = unknown_name(exc, narrator.env, exc.source or "", exc.lineno)
    if said is not None and said.line == exc.lineno:
        return said.column, said.message
    if said is not None:
        return None, said.message
    return None, f"template syntax error: {exc.message}"


def _source(filename: str | None) -> str:
    """A template's source, or nothing if it cannot be read again."""
    if filename is None:
        return ""
    try:
        return Path(filename).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


@dataclass(frozen=True)
class _Place:
    """Where a template error is: the file as messages name it (the template checked,
    or a partial it includes or imports), the line, the file's source, whether it is
    the template checked (`own`), and the names the template could read there."""

    file: str
    line: int | None
    source: str
    own: bool
    visible: tuple[str, ...] = ()

    def names(self, given: Iterable[str]) -> list[str]:
        """The names a did-you-mean picks from: those `given` to the template checked,
        or, in a partial, those it could read where it failed (what its includer had,
        or a macro's arguments): the same whichever template pulled it in."""
        return list(given) if self.own else list(self.visible)


def _place(
    exc: BaseException, template: Template, narratives: Path, shown: Path, display: str
) -> _Place:
    """The place of an error raised rendering `template` (named `display`)."""
    filename, line, visible = _template_place(exc, template)
    if filename is None or filename == template.filename:
        return _Place(display, line, _source(template.filename), True)
    if isinstance(exc, TemplateSyntaxError) and exc.source is not None:
        source = exc.source
    else:
        source = _source(filename)
    return _Place(_relative(filename, narratives, shown), line, source, False, visible)


def _template_place(
    exc: BaseException, template: Template
) -> tuple[str | None, int | None, tuple[str, ...]]:
    """The template file and line an error happened on, and the names the template
    could read there: the innermost template frame of the traceback, a partial's when
    the error is in a partial `template` includes or imports. Blocks run outside
    Jinja's traceback rewrite: their compiled code's lines are mapped back. A syntax
    error names its file itself (a partial is compiled when first pulled in); an
    include loop is placed in `template`, where it starts."""
    if isinstance(exc, TemplateSyntaxError) and exc.lineno:
        return exc.filename or template.filename, exc.lineno, ()
    line = getattr(exc, "lineno", None)
    if line:
        return template.filename, int(line), ()
    own = isinstance(exc, TemplateLimitError) and exc.message == NESTED
    filename, visible = template.filename, None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        compiled = frame.f_globals.get("__jinja_template__")
        if compiled is not None:  # compiled code: its line mapped back
            found, at = compiled.filename, compiled.get_corresponding_lineno(lineno)
        elif "__jinja_exception__" in frame.f_globals:
            found, at = frame.f_code.co_filename, lineno  # Jinja rewrote it: a template line
        else:
            continue
        if not own or found == template.filename:
            filename, line, visible = found, at, frame
    names: tuple[str, ...] = ()
    if visible is not None:
        known = visible.f_locals
        if visible.f_globals.get("__jinja_template__") is not None:
            known = get_template_locals(known)  # l_1_name and the context, as named
        names = tuple(name for name in known if isinstance(name, str))
    return filename, line, names


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
