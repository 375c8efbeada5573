"""The terminal front door: a thin click layer over the library.

Library errors (NarratorError) become one clean message and exit code 1;
anything unexpected becomes a short apology with a reference, and a traceback
only when NARRATOR_DEBUG is set.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bot import __version__
from bot.errors import NarratorError

# Each command imports what it needs when it runs, so `narrator --help` never pays
# for pandas, pydantic or Jinja (tests/test_startup.py holds this).
if TYPE_CHECKING:
    from bot.config import Settings
    from bot.pack import Pack
    from bot.store import Store

F = TypeVar("F", bound=Callable[..., Any])

# numpy's OpenBLAS starts a thread per core as it is imported (~0.1 s of a command
# here); the bot multiplies no matrices, so one thread, unless the user chose.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

MAX_PROCESSES = 64


def _friendly(func: F) -> F:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except NarratorError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except Exception:
            import traceback
            import uuid

            ref = uuid.uuid4().hex[:8]
            click.echo(
                f"Sorry, something went wrong inside Insight Narrator (ref {ref}).", err=True
            )
            if _settings().debug:
                traceback.print_exc()
            else:
                click.echo("Set NARRATOR_DEBUG=1 to see the details.", err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def _settings() -> Settings:
    from bot.config import load_settings

    return load_settings()


def _pack(settings: Settings) -> Any:
    """The configured rule pack, its files named by the paths the settings give."""
    from bot.pack import load_pack

    return load_pack(settings.rules, settings.narratives, settings.locale, as_given=True)


def _store(settings: Settings, **options: Any) -> Store:
    """Open the store, saying where when this creates it: the default is a file in the
    current folder, easy to lose track of."""
    from bot.store import Store

    path = settings.db
    # An empty file is one SQLite takes over as a new database: said as well.
    new = not path.exists() or (path.is_file() and path.stat().st_size == 0)
    store = Store(path, **options)
    if new and path.exists():
        where = (
            "named by NARRATOR_DB"
            if os.environ.get("NARRATOR_DB")
            else "set NARRATOR_DB to keep it somewhere else"
        )
        click.echo(f"Created the store {path.resolve()} ({where}).", err=True)
    return store


def _invoked_as() -> str:
    """This program as the user can type it again: `narrator` when that is what runs,
    else the path they typed (`.venv/bin/narrator`)."""
    typed = sys.argv[0] if sys.argv and sys.argv[0] else "narrator"
    if Path(typed).name == "__main__.py":
        return "python -m bot"
    name = Path(typed).name
    if os.sep not in typed:
        return name
    found = shutil.which(name)
    if found and Path(found).resolve() == Path(typed).resolve():
        return name
    return shlex.quote(typed)


_FORMAT_HELP = {
    "text": "text: for reading in a terminal",
    "slack": "slack: the Slack message's mrkdwn, as Slack gets it",
    "json": "json: the data behind it",
}


def _format_option(*choices: str) -> Callable[[F], F]:
    """`--format`: terminal text by default; `slack` previews the mrkdwn Slack gets."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default="text",
        show_default=True,
        help="; ".join(_FORMAT_HELP[c] for c in choices) + ".",
    )


def _echo_reply_text(text: str, fmt: str) -> None:
    """A reply's words: the mrkdwn itself for `slack`, else drawn for a terminal (bold
    and colour on a TTY, plain text in a pipe), from the same rendered text."""
    if fmt == "slack":
        click.echo(text, nl=False)
        return
    from bot.terminal.render import show

    show(text)


def _zone(value: str, hint: str) -> str:
    """An IANA zone name, or a usage error that says what to write instead."""
    from bot.clock.schedule import ScheduleError, parse_zone
    from bot.config import zone_problem

    try:
        return parse_zone(value)
    except ScheduleError as exc:
        raise click.BadParameter(zone_problem(value, exc.suggestion), param_hint=hint) from None


def _moment(value: str | None) -> datetime:
    from bot.model import parse_moment

    if value is None:
        return datetime.now(UTC)
    try:
        return parse_moment(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--at") from None


@click.group(name="narrator", context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="narrator")
def cli() -> None:
    """Insight Narrator: LinkedIn post analytics in plain words, with the numbers.

    Settings come from the environment: NARRATOR_DB (default narrator.db in the
    current folder), NARRATOR_PACK (a folder made by `narrator init`; default: the
    rule pack installed with the package), or NARRATOR_RULES and NARRATOR_NARRATIVES;
    NARRATOR_LOCALE (en: the default language; `--lang` overrides it).
    """


def _lang_option(func: F) -> F:
    return click.option(
        "--lang",
        "lang",
        metavar="LANG",
        help="Answer in this language (a folder of narratives/: en, fr); "
        "default: NARRATOR_LOCALE, else en.",
    )(func)


def _speaking(pack: Pack, lang: str | None) -> Pack:
    """The pack answering in `--lang`, which must name a language narratives/ holds."""
    from bot.pack import language_of

    if lang is None:
        return pack
    chosen = language_of(lang, pack.languages)
    if chosen is None:
        raise click.BadParameter(
            f"no narratives in '{lang}'; the languages are {', '.join(pack.languages)}",
            param_hint="--lang",
        )
    return pack.speaking(chosen)


@cli.command()
@click.option("--at", "at", help="Evaluate as of this ISO time (default: the demo's export time).")
@_format_option("text", "slack")
@_lang_option
@_friendly
def demo(at: str | None, fmt: str, lang: str | None) -> None:
    """Rebuild the demo accounts in the store and print their last-10 narratives."""
    from bot.commands import handle
    from bot.demo import DEMO_NOW, demo_batch
    from bot.model import to_utc_text
    from bot.progress import steps

    settings = _settings()
    moment = _moment(at) if at else DEMO_NOW
    batch = demo_batch()
    texts = []
    # The bar (on a terminal, past a second) is gone before the first word is printed.
    with steps(2 + len(batch.accounts)) as progress:
        progress.step("Loading the rules")
        pack = _speaking(_pack(settings), lang)
        progress.advance()
        progress.step(f"Writing the demo accounts to {settings.db}")
        with _store(settings) as store:
            store.clear_account_data([a.id for a in batch.accounts])
            store.write(batch)
            progress.advance()
            for account in batch.accounts:
                progress.step(f"Reading {account.id}'s last 10 posts")
                reply = handle(f"last10 {account.id}", store=store, pack=pack, at=moment)
                texts.append(reply.text)
                progress.advance()
    for index, text in enumerate(texts):
        if index:
            click.echo("─" * 60)
        _echo_reply_text(text, fmt)
    click.echo(
        f"\n(Demo data in {settings.db.resolve()}, evaluated as of {to_utc_text(moment)}. "
        f'Try: {_invoked_as()} ask "last10 demo-page" --at {to_utc_text(moment)})',
        err=True,
    )


@cli.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--account",
    help="Whose export this is (a one-word id, created if new). Not for the interchange CSV.",
)
@click.option(
    "--kind",
    type=click.Choice(["member", "organization"]),
    help="The account's kind, if new (default: member for creator and single-post exports, "
    "organization for Page exports).",
)
@click.option(
    "--observed-at",
    "observed_at",
    help="When the export was taken (ISO time); default: the time written in the file.",
)
@click.option(
    "--tz",
    "zone",
    help="The account's time zone, e.g. Europe/Paris: its posting hours and weeks are read "
    "in it (default for a new account: NARRATOR_TIMEZONE, else UTC).",
)
@_friendly
def import_(
    files: tuple[Path, ...],
    account: str | None,
    kind: str | None,
    observed_at: str | None,
    zone: str | None,
) -> None:
    """Import LinkedIn export files or interchange CSVs; each file is all or nothing.

    The kind of each file is told from what is inside it (docs/data-format.md)."""
    from bot.importing import import_file
    from bot.progress import steps

    settings = _settings()
    moment = _moment(observed_at) if observed_at else None
    zone = _zone(zone, "--tz") if zone is not None else None
    failed: list[Path] = []
    with _store(settings) as store, steps(len(files)) as progress:
        for path in files:
            # Every file is read and reported on, whatever happened to the ones before.
            try:
                totals, summary = import_file(
                    store,
                    path,
                    account=account,
                    kind=kind,
                    observed_at=moment,
                    timezone=zone,
                    default_zone=settings.timezone,
                    on_step=progress.step,
                    waiting=_waiting_for(path, settings.db),
                )
            except NarratorError as exc:
                click.echo(str(exc), err=True)
                failed.append(path)
                continue
            finally:
                progress.advance()
            click.echo(_import_summary(path, totals, summary))
    if failed:
        if len(files) > 1:
            click.echo(
                f"{len(files) - len(failed)} of {len(files)} files imported. Nothing from "
                f"{', '.join(map(str, failed))} was written: fix the problems above and "
                "import {} again.".format("it" if len(failed) == 1 else "them"),
                err=True,
            )
        sys.exit(1)


def _import_summary(path: Path, batch: Any, summary: Any) -> str:
    """One paragraph: what the file was (its ImportTotals), what it added, and what the
    reader decided."""
    s, p = summary.snapshots, summary.posts
    parts = [
        f"{path}: {_counted(batch.accounts, 'account')}, "
        f"{_counted(batch.posts, 'post')} ({p.new:,} new, {p.changed:,} updated), "
        f"{_counted(batch.snapshots, 'snapshot')} "
        f"({s.new:,} new, {s.changed:,} changed, {s.unchanged:,} unchanged)"
    ]
    if batch.kind != "interchange CSV":
        parts[0] = f"{path} ({batch.kind}): " + parts[0].split(": ", 1)[1]
    extra = [
        (batch.days, "day of account figures", "days of account figures"),
        (batch.periods, "date-range total", "date-range totals"),
        (batch.demographics, "audience line", "audience lines"),
    ]
    for count, one, many in extra:
        if count:
            parts.append(f"{count:,} {one if count == 1 else many}")
    text = ", ".join(parts) + "."
    if batch.notes:
        text += " " + " ".join(batch.notes)
    if summary.nothing_changed:
        text += " Nothing new: the store already held all of it."
    return text


def _waiting_for(path: Path, db: Path) -> Callable[[], None]:
    def say() -> None:
        click.echo(f"{path}: waiting for another program to finish writing to {db}...", err=True)

    return say


def _counted(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


@cli.command()
@click.argument("command")
@_format_option("text", "slack", "json")
@click.option("--at", "at", help="Evaluate as of this ISO time (default: now).")
@_lang_option
@_friendly
def ask(command: str, fmt: str, at: str | None, lang: str | None) -> None:
    """Run a bot command, as Slack would, and print the reply.

    Example: narrator ask "last10 demo-creator" --lang fr
    """
    from bot.commands import handle

    settings = _settings()
    moment = _moment(at)
    pack = _speaking(_pack(settings), lang)
    with _store(settings) as store:
        reply = handle(command, store=store, pack=pack, at=moment)
    if fmt == "json":
        click.echo(json.dumps(reply.data, indent=2, ensure_ascii=False))
    else:
        _echo_reply_text(reply.text, fmt)
    if not reply.ok:
        sys.exit(1)


@cli.command()
@_friendly
def migrate() -> None:
    """Create or upgrade the store's schema."""

    settings = _settings()
    with _store(settings, migrate=False) as store:
        applied = store.migrate()
        version = store.schema_version()
    if applied:
        click.echo(
            f"{settings.db}: applied migrations {', '.join(map(str, applied))}; now at {version}"
        )
    else:
        click.echo(f"{settings.db}: schema is up to date (version {version})")


@cli.command()
@click.argument(
    "directory",
    required=False,
    default="narrator-pack",
    metavar="[DIR]",
    type=click.Path(path_type=Path),
)
@_friendly
def init(directory: Path) -> None:
    """Copy the shipped rule pack into DIR (default: narrator-pack) for a team to edit,
    and print the setting that points the bot at it."""
    from bot.shipped import FOLDERS, guide, shipped_pack

    source = shipped_pack()
    if directory.exists() and not directory.is_dir():
        _fail(f"{directory} is a file: name a folder to copy the rule pack into.")
    taken = [directory / name for name in FOLDERS if (directory / name).exists()]
    if taken:
        _fail(
            f"{taken[0]} already exists, and a team's edits are never overwritten: name "
            "another folder, or move this one aside first."
        )
    copied = []
    try:
        for name in FOLDERS:
            copied.append(directory / name)
            shutil.copytree(
                source / name,
                directory / name,
                ignore=shutil.ignore_patterns(".*", "__pycache__", "*.py[co]"),
            )
    except OSError as exc:
        for folder in copied:
            shutil.rmtree(folder, ignore_errors=True)
        _fail(f"could not copy the rule pack into {directory}: {exc.strerror or exc}.")
    rules_dir = directory / "rules"
    files = len(list(rules_dir.glob("*.yaml")))
    tests = len(list((rules_dir / "tests").glob("*.yaml")))
    templates = len(list((directory / "narratives").rglob("*.j2")))
    click.echo(
        f"Copied the rule pack into {directory}: {_counted(files, 'rule file')} with "
        f"{_counted(tests, 'test file')} in rules/, {_counted(templates, 'template')} in "
        f"narratives/ ({guide('rules.md')} says how to edit them)."
    )
    click.echo("Point the bot at it with this setting:\n")
    click.echo(f"    export NARRATOR_PACK={shlex.quote(str(directory.resolve()))}\n")
    click.echo(f"Check an edit with: {_invoked_as()} rules check {shlex.quote(str(directory))}")


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


@cli.group()
def rules() -> None:
    """Check, test and try out the rule files and templates."""


@rules.command()
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@_friendly
def check(directory: Path | None) -> None:
    """Load every rule file and template, and report every problem.

    DIR is a pack folder (holding rules/ and narratives/, as `narrator init` makes)
    or a folder of rule files; default: the configured pack."""
    from bot.packcheck import check_isolated

    settings = _settings()
    rules_dir, narratives = _pack_of(directory, settings)
    # In a child process under a time and memory budget: it runs what the lead wrote.
    checked = check_isolated(rules_dir, narratives, settings.locale, as_given=True)
    problems = checked.problems
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem{'s' if len(problems) > 1 else ''} found.", err=True)
        sys.exit(1)
    click.echo(f"{_counted(checked.rules, 'rule')} in {_counted(checked.files, 'file')}: all good.")


@rules.command(name="test")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@_friendly
def test_(directory: Path | None) -> None:
    """Run the rule unit tests in DIR/tests/*.yaml (default: the configured pack).

    DIR is a pack folder (holding rules/ and narratives/) or a folder of rule files."""
    from bot.pack import load_pack
    from bot.progress import steps
    from bot.rule_tests import rule_test_files, run_rule_tests

    settings = _settings()
    rules_dir, narratives = _pack_of(directory, settings)
    with steps(1 + len(rule_test_files(rules_dir))) as progress:
        progress.step("Loading the rules")
        pack = load_pack(rules_dir, narratives, settings.locale, as_given=True)

        def testing(name: str) -> None:
            progress.advance()
            progress.step(f"Testing {name}")

        report = run_rule_tests(rules_dir, pack, as_given=True, on_file=testing)
    for failure in report.failures:
        click.echo(str(failure))
    summary = (
        f"{_counted(report.tests, 'test')}, {_counted(report.expectations, 'expectation')} "
        f"in {_counted(report.files, 'file')}"
    )
    if report.failures:
        count = len(report.failures)
        click.echo(f"{summary}: {count} failed.", err=True)
        sys.exit(1)
    if report.tests == 0:
        click.echo(f"no rule tests found in {rules_dir / 'tests'}", err=True)
        sys.exit(1)
    click.echo(f"{summary}: all passed.")


def _pack_of(directory: Path | None, settings: Settings) -> tuple[Path, Path]:
    """The rules and templates `rules check DIR` and `rules test DIR` read: a pack
    folder's own, or a rules folder's with the narratives/ beside it; else the
    configured templates, and said so."""
    if directory is None:
        return settings.rules, settings.narratives
    if directory.is_file():
        folder = directory.parent
        if folder.name == "rules" and (folder.parent / "narratives").is_dir():
            folder = folder.parent
        command = click.get_current_context().info_name
        _fail(
            f"{directory} is a file: name its folder instead, as in "
            f"{_invoked_as()} rules {command} {shlex.quote(str(folder))}"
        )
    if not directory.is_dir():
        _fail(f"{directory}: no such folder; name a pack folder or a folder of rule files")
    rules_dir = directory / "rules" if (directory / "rules").is_dir() else directory
    if rules_dir.name in ("", ".", ".."):  # `rules check .` typed inside the folder
        beside = rules_dir.resolve().parent / "narratives"
    else:
        beside = rules_dir.parent / "narratives"
    if beside.is_dir():
        return rules_dir, beside
    click.echo(
        f"{rules_dir} has no narratives/ folder beside it: its rules are checked with the "
        f"configured templates in {settings.narratives}.",
        err=True,
    )
    return rules_dir, settings.narratives


@rules.command()
@click.argument("rule")
@click.option("--account", "account", required=True, help="The account to try the rule on.")
@click.option(
    "--last",
    "last",
    type=click.IntRange(min=1),
    default=None,
    help="How many recent posts (post rules, default 30) or weeks (account rules, default 12).",
)
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="NAME=VALUE",
    help="Try another value for a param, e.g. --set max_ratio=4 (repeatable).",
)
@click.option("--at", "at", help="As of this ISO time (default: now).")
@_format_option("text", "slack", "json")
@_friendly
def backtest(
    rule: str, account: str, last: int | None, settings: tuple[str, ...], at: str | None, fmt: str
) -> None:
    """How often RULE would have fired on an account's recent posts (or weeks), and how
    that changes with other param values."""
    from bot.commands.backtest import backtest as run_backtest
    from bot.progress import steps

    config = _settings()
    moment = _moment(at)
    with steps(2) as progress:
        progress.step("Loading the rules")
        pack = _pack(config)
        progress.advance()
        progress.step(f"Trying {rule} on {account}'s posts")
        with _store(config) as store:
            context, data = run_backtest(store, pack, rule, account, moment, last, list(settings))
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        _echo_reply_text(pack.narrator.render("messages/backtest.j2", **context), fmt)


@cli.command()
@click.option(
    "--port",
    type=click.IntRange(min=0, max=65535),
    default=None,
    help="HTTP port (default: $PORT, else 3000).",
)
@click.option("--host", default="0.0.0.0", show_default=True, help="Interface to listen on.")
@click.option(
    "--socket",
    "socket_mode",
    is_flag=True,
    help="Use Socket Mode (needs SLACK_APP_TOKEN) instead of HTTP.",
)
@click.option(
    "--processes",
    # Each is a whole Python with pandas (~100 MB): a typo must not fork thousands.
    type=click.IntRange(min=0, max=MAX_PROCESSES),
    default=0,
    show_default=True,
    help="Processes that compute replies (one per core is a good start, at most "
    f"{MAX_PROCESSES}); 0 computes them in threads of the serving process.",
)
@click.option(
    "--clock",
    "with_clock",
    is_flag=True,
    help="Also run the clock (weekly digests, check-ins) in this process, "
    "instead of a separate `narrator clock`.",
)
@_friendly
def serve(port: int | None, host: str, socket_mode: bool, processes: int, with_clock: bool) -> None:
    """Run the Slack bot: HTTP on /slack/events (and /healthz), or Socket Mode.

    Needs SLACK_BOT_TOKEN, and SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN
    (Socket Mode); see docs/slack-setup.md.
    """
    import logging

    from bot.config import load_slack_settings

    # The settings first: a missing or wrong one is said at once, before the second
    # of imports the bot itself needs.
    settings = _settings()
    slack = load_slack_settings("socket" if socket_mode else "http")
    from bot.slack.run import build, prepare_clock, serve_http, serve_socket

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    bot = build(settings, slack, processes=processes)
    start_clock = None
    if with_clock:
        try:
            start_clock = prepare_clock(bot, settings, slack)
        except BaseException:
            bot.stop.set()
            bot.services.close()
            raise
    if socket_mode:
        if start_clock is not None:
            start_clock()
        serve_socket(bot, slack)
    else:
        # Over HTTP the clock starts once the server is up: a SIGTERM that came before
        # uvicorn's signal handlers would end the process in the middle of a send.
        serve_http(bot, host, port if port is not None else slack.port, on_start=start_clock)


@cli.command()
@click.option("--once", is_flag=True, help="Run what is due now, then exit (for cron and tests).")
@click.option("--at", "at", help="With --once: run as of this ISO time instead of now.")
@_friendly
def clock(once: bool, at: str | None) -> None:
    """Run every timed job (weekly digests, first-hour check-ins): one process, a tick every 20 s.

    Needs SLACK_BOT_TOKEN (and SLACK_API_URL for anything but slack.com). Safe to run
    twice by accident: each digest is claimed in the store before it is sent."""
    import logging
    import signal
    import threading

    from bot.config import load_slack_settings

    if at is not None and not once:
        raise click.UsageError("--at needs --once: a running clock follows the real time")
    # The settings first: a missing or wrong one is said at once, before the imports.
    settings = _settings()
    slack = load_slack_settings("clock")
    from bot.clock.loop import run_forever, tick
    from bot.clock.runner import worker_id
    from bot.jobs import clockwork
    from bot.model import to_utc_text
    from bot.slack.services import FixedClock, utc_now

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if once:
        pack = _pack(settings)
        work = clockwork(settings, slack, lambda: pack)
        moment = FixedClock(_moment(at)) if at else utc_now
        with _store(settings) as store:
            report = tick(store, work.sources, moment, worker_id())
        for ran in report:
            click.echo(
                f"{ran.job} {ran.period} (due {to_utc_text(ran.due)}): {ran.outcome}"
                + (f" {ran.result}" if ran.result else "")
            )
        if not report:
            click.echo("nothing is scheduled")
        return
    from bot.reload import PackHolder

    holder = PackHolder(settings.rules, settings.narratives, settings.locale, utc_now)
    stop = threading.Event()
    holder.watch(2.0, stop)
    work = clockwork(settings, slack, holder.current)
    # Heroku and friends stop a process with SIGTERM: finish the job in hand, then go.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        run_forever(settings.db, work.sources, utc_now, stop)
    except KeyboardInterrupt:
        stop.set()
    finally:
        stop.set()
        holder.close()


@cli.group(invoke_without_command=True)
@click.option("--at", "at", help="As of this ISO time (default: now).")
@_format_option("text", "slack", "json")
@click.pass_context
@_friendly
def accounts(ctx: click.Context, at: str | None, fmt: str) -> None:
    """Accounts and where their data comes from (imported files or LinkedIn's API, with
    the last sync and the next); `accounts connect` ties one to LinkedIn."""
    if ctx.invoked_subcommand is not None:
        return
    from bot.commands import handle

    settings = _settings()
    pack = _pack(settings)
    with _store(settings) as store:
        reply = handle("accounts", store=store, pack=pack, at=_moment(at))
    if fmt == "json":
        click.echo(json.dumps(reply.data, indent=2, ensure_ascii=False))
    else:
        _echo_reply_text(reply.text, fmt)


@accounts.command(name="timezone")
@click.argument("account")
@click.argument("zone", required=False)
@_friendly
def accounts_timezone(account: str, zone: str | None) -> None:
    """Show ACCOUNT's time zone, or set it to ZONE (e.g. Europe/Paris): its posting hours,
    days and weeks are read in it."""
    settings = _settings()
    with _store(settings) as store:
        current = store.timezone(account)
        if current is None:
            raise click.BadParameter(
                f"there is no account '{account[:100]}'; {_invoked_as()} accounts lists them",
                param_hint="ACCOUNT",
            )
        if zone is None:
            click.echo(f"{account}: times in {current}.")
            return
        zone = _zone(zone, "ZONE")
        if zone == current:
            click.echo(f"{account}: times in {zone} already.")
            return
        store.set_timezone(account, zone)
    click.echo(f"{account}: times in {zone} from now on (it was {current}).")


@accounts.command(name="connect")
@click.argument("account")
@click.argument("urn")
@_friendly
def accounts_connect(account: str, urn: str) -> None:
    """Tie ACCOUNT to its LinkedIn identity (urn:li:person:... or urn:li:organization:...)."""
    import re

    if not re.fullmatch(r"urn:li:(person|organization):[A-Za-z0-9_-]{1,64}", urn):
        raise click.UsageError(
            f"'{urn[:80]}' is not a LinkedIn identity such as urn:li:person:zLqTygBP8S or "
            "urn:li:organization:2414183"
        )
    if not account or any(c.isspace() for c in account) or len(account) > 100:
        raise click.UsageError("ACCOUNT must be one word of at most 100 characters")
    settings = _settings()
    with _store(settings) as store:
        store.connect_linkedin(account, urn, datetime.now(UTC))
    click.echo(f"{account} is {urn}: {_invoked_as()} sync now reads its posts from LinkedIn.")


@cli.command()
@click.option("--account", "names", multiple=True, help="Sync only this account (repeatable).")
@click.option("--at", "at", help="Sync as of this ISO time (default: now).")
@_friendly
def sync(names: tuple[str, ...], at: str | None) -> None:
    """Read connected accounts' posts from LinkedIn's API, within the day's call budget.

    Tokens come from NARRATOR_LINKEDIN_TOKEN or the file NARRATOR_SECRETS names (with
    a refresh token where LinkedIn grants one, renewed with NARRATOR_LINKEDIN_CLIENT_ID
    and NARRATOR_LINKEDIN_CLIENT_SECRET); the API from NARRATOR_LINKEDIN_API_URL; the
    budget per token and UTC day from NARRATOR_LINKEDIN_DAILY_CALLS. A progress bar
    per account is drawn on a terminal."""
    from bot.linkedin.sync import sync_with_settings

    settings = _settings()
    moment = _moment(at)
    with _store(settings) as store:
        connected = [row[0] for row in store.linkedin_connections()]
        if not connected:
            raise click.UsageError(
                "no account is connected to LinkedIn yet: "
                f"{_invoked_as()} accounts connect ACCOUNT URN"
            )
        for name in names:
            _say_unsyncable(name, connected, store.account_ids())
        from bot.linkedin.bars import watch_sync

        with watch_sync() as bars:
            summary = sync_with_settings(store, settings, moment, names, bars)
    from bot.linkedin.report import account_line, paragraph

    failed = False
    for r in summary.results:
        click.echo(account_line(r))
        failed = failed or (r.error is not None and r.paused_until is None)
    click.echo(paragraph(summary))
    if failed:
        sys.exit(1)


def _say_unsyncable(name: str, connected: list[str], known: list[str]) -> None:
    """Refuse an --account that sync would pass over in silence."""
    if name in connected:
        return
    if name in known:
        raise click.UsageError(
            f"{name} is not connected to LinkedIn, so there is nothing to sync: "
            f"{_invoked_as()} accounts connect {name} URN"
        )
    import difflib

    close = difflib.get_close_matches(name, sorted({*connected, *known}), n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise click.UsageError(
        f"no account '{name[:100]}'{hint}; connected to LinkedIn: {', '.join(connected)}"
    )


@cli.group()
def digest() -> None:
    """Weekly digests in Slack channels: subscribe, list, turn off, preview."""


@digest.command(name="subscribe")
@click.option("--channel", required=True, help="The Slack channel id, e.g. C0123ABCD.")
@click.option(
    "--account",
    "accounts",
    multiple=True,
    help="An account to report on (repeatable; default: the accounts linked to the channel).",
)
@click.option(
    "--weekly",
    nargs=2,
    required=True,
    metavar="DAY HH:MM",
    help="The day (mon..sun) and local time, e.g. --weekly mon 09:00.",
)
@click.option("--tz", "zone", required=True, help="The time zone, e.g. Europe/Paris.")
@click.option(
    "--quiet",
    type=click.Choice(["digest", "line"]),
    default="digest",
    show_default=True,
    help="What a week with nothing worth saying gets: the digest anyway, or one line.",
)
@_friendly
def digest_subscribe(
    channel: str, accounts: tuple[str, ...], weekly: tuple[str, str], zone: str, quiet: str
) -> None:
    """Subscribe a channel to a weekly digest (replacing its subscription, if any)."""
    from bot.digest.commands import subscribe

    settings = _settings()
    pack = _pack(settings)
    with _store(settings) as store:
        reply = subscribe(
            store,
            pack,
            channel=channel,
            accounts=accounts,
            day=weekly[0],
            time=weekly[1],
            zone=zone,
            quiet=quiet,
            by="terminal",
            at=datetime.now(UTC),
        )
    _print_reply(reply)


@digest.command(name="list")
@_friendly
def digest_list() -> None:
    """List the subscribed channels, their next digest and how the last one went."""
    from bot.digest.commands import listing

    settings = _settings()
    pack = _pack(settings)
    with _store(settings) as store:
        _print_reply(listing(store, pack, at=datetime.now(UTC)))


@digest.command(name="off")
@click.option("--channel", required=True, help="The Slack channel id.")
@_friendly
def digest_off(channel: str) -> None:
    """Stop a channel's weekly digest."""
    from bot.digest.commands import unsubscribe

    settings = _settings()
    pack = _pack(settings)
    with _store(settings) as store:
        _print_reply(unsubscribe(store, pack, channel=channel))


@digest.command(name="preview")
@click.option("--channel", required=True, help="The Slack channel id.")
@click.option("--at", "at", help="As if sent at this ISO time (default: now).")
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the digest's chart to this PNG file.",
)
@_format_option("text", "slack", "json")
@_lang_option
@_friendly
def digest_preview(
    channel: str, at: str | None, chart: Path | None, fmt: str, lang: str | None
) -> None:
    """Print a channel's digest as it would be sent now (nothing is sent or remembered),
    in the channel's language unless --lang says another."""
    from bot.digest.commands import preview
    from bot.digest.send import chart_png

    settings = _settings()
    moment = _moment(at)
    pack = _pack(settings)
    with _store(settings) as store:
        pack = _speaking(pack.speaking(store.language(channel)), lang)
        shown = preview(store, pack, channel=channel, at=moment)
    if fmt == "json":
        click.echo(json.dumps(shown.reply.data, indent=2, ensure_ascii=False))
    else:
        _echo_reply_text(shown.reply.text, fmt)
    if not shown.reply.ok:
        sys.exit(1)
    if chart is not None and shown.digest is not None:
        made = chart_png(pack, shown.digest)
        if made is None:
            click.echo("No chart: no post of that week has impressions and reach.", err=True)
        else:
            chart.write_bytes(made[0])
            click.echo(f"Chart written to {chart}.", err=True)


def _print_reply(reply: Any) -> None:
    _echo_reply_text(reply.text, "text")
    if not reply.ok:
        sys.exit(1)


def main() -> None:
    cli(prog_name="narrator")
