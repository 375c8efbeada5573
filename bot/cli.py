"""The terminal front door: a thin click layer over the library.

Library errors (NarratorError) become one clean message and exit code 1;
anything unexpected becomes a short apology with a reference, and a traceback
only when NARRATOR_DEBUG is set.
"""

from __future__ import annotations

import json
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

F = TypeVar("F", bound=Callable[..., Any])

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

    Settings come from the environment: NARRATOR_DB (default narrator.db),
    NARRATOR_RULES (rules/), NARRATOR_NARRATIVES (narratives/).
    """


@cli.command()
@click.option("--at", "at", help="Evaluate as of this ISO time (default: the demo's export time).")
@_friendly
def demo(at: str | None) -> None:
    """Rebuild the demo accounts in the store and print their last-10 narratives."""
    from bot.commands import handle
    from bot.demo import DEMO_NOW, demo_batch
    from bot.model import to_utc_text
    from bot.pack import load_pack
    from bot.store import Store

    settings = _settings()
    moment = _moment(at) if at else DEMO_NOW
    pack = load_pack(settings.rules, settings.narratives, settings.locale)
    batch = demo_batch()
    with Store(settings.db) as store:
        store.clear_account_data([a.id for a in batch.accounts])
        store.write(batch)
        for index, account in enumerate(batch.accounts):
            if index:
                click.echo("─" * 60)
            reply = handle(f"last10 {account.id}", store=store, pack=pack, at=moment)
            click.echo(reply.text, nl=False)
    click.echo(
        f"\n(Demo data in {settings.db}, evaluated as of {to_utc_text(moment)}. "
        f'Try: narrator ask "last10 demo-page" --at {to_utc_text(moment)})',
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
@_friendly
def import_(
    files: tuple[Path, ...], account: str | None, kind: str | None, observed_at: str | None
) -> None:
    """Import LinkedIn export files or interchange CSVs; each file is all or nothing.

    The kind of each file is told from what is inside it (docs/data-format.md)."""
    from bot.importing import import_file
    from bot.progress import steps
    from bot.store import Store

    settings = _settings()
    moment = _moment(observed_at) if observed_at else None
    failed: list[Path] = []
    with Store(settings.db) as store, steps(len(files)) as progress:
        for path in files:
            # Every file is read and reported on, whatever happened to the ones before.
            try:
                totals, summary = import_file(
                    store,
                    path,
                    account=account,
                    kind=kind,
                    observed_at=moment,
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
        f"{_counted(batch.posts, 'post')} ({p.new} new, {p.changed} updated), "
        f"{_counted(batch.snapshots, 'snapshot')} "
        f"({s.new} new, {s.changed} changed, {s.unchanged} unchanged)"
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
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: the Slack message; json: the data behind it.",
)
@click.option("--at", "at", help="Evaluate as of this ISO time (default: now).")
@_friendly
def ask(command: str, fmt: str, at: str | None) -> None:
    """Run a bot command, as Slack would, and print the reply.

    Example: narrator ask "last10 demo-creator"
    """
    from bot.commands import handle
    from bot.pack import load_pack
    from bot.store import Store

    settings = _settings()
    moment = _moment(at)
    pack = load_pack(settings.rules, settings.narratives, settings.locale)
    with Store(settings.db) as store:
        reply = handle(command, store=store, pack=pack, at=moment)
    if fmt == "json":
        click.echo(json.dumps(reply.data, indent=2, ensure_ascii=False))
    else:
        click.echo(reply.text, nl=False)
    if not reply.ok:
        sys.exit(1)


@cli.command()
@_friendly
def migrate() -> None:
    """Create or upgrade the store's schema."""
    from bot.store import Store

    settings = _settings()
    with Store(settings.db, migrate=False) as store:
        applied = store.migrate()
        version = store.schema_version()
    if applied:
        click.echo(
            f"{settings.db}: applied migrations {', '.join(map(str, applied))}; now at {version}"
        )
    else:
        click.echo(f"{settings.db}: schema is up to date (version {version})")


@cli.group()
def rules() -> None:
    """Check, test and try out the rule files and templates."""


@rules.command()
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@_friendly
def check(directory: Path | None) -> None:
    """Load every rule file and template, and report every problem."""
    from bot.packcheck import check_isolated

    settings = _settings()
    rules_dir = directory or settings.rules
    # In a child process under a time and memory budget: it runs what the lead wrote.
    checked = check_isolated(rules_dir, settings.narratives, settings.locale)
    problems = checked.problems
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem{'s' if len(problems) > 1 else ''} found.", err=True)
        sys.exit(1)
    click.echo(f"{checked.rules} rules in {checked.files} files: all good.")


@rules.command(name="test")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@_friendly
def test_(directory: Path | None) -> None:
    """Run the rule unit tests in DIR/tests/*.yaml (default: NARRATOR_RULES)."""
    from bot.pack import load_pack
    from bot.rule_tests import run_rule_tests

    settings = _settings()
    rules_dir = directory or settings.rules
    pack = load_pack(rules_dir, settings.narratives, settings.locale)
    report = run_rule_tests(rules_dir, pack)
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
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@_friendly
def backtest(
    rule: str, account: str, last: int | None, settings: tuple[str, ...], at: str | None, fmt: str
) -> None:
    """How often RULE would have fired on an account's recent posts (or weeks), and how
    that changes with other param values."""
    from bot.commands.backtest import backtest as run_backtest
    from bot.pack import load_pack
    from bot.store import Store

    config = _settings()
    moment = _moment(at)
    pack = load_pack(config.rules, config.narratives, config.locale)
    with Store(config.db) as store:
        context, data = run_backtest(store, pack, rule, account, moment, last, list(settings))
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo(pack.narrator.render("messages/backtest.j2", **context), nl=False)


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
    from bot.slack.run import build, serve_http, serve_socket, start_clock

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = _settings()
    slack = load_slack_settings("socket" if socket_mode else "http")
    bot = build(settings, slack, processes=processes)
    if with_clock:
        try:
            start_clock(bot, settings, slack)
        except BaseException:
            bot.stop.set()
            bot.services.close()
            raise
    if socket_mode:
        serve_socket(bot, slack)
    else:
        serve_http(bot, host, port if port is not None else slack.port)


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

    from bot.clock.loop import run_forever, tick
    from bot.clock.runner import worker_id
    from bot.config import load_slack_settings
    from bot.jobs import clockwork
    from bot.model import to_utc_text
    from bot.pack import load_pack
    from bot.slack.services import FixedClock, utc_now
    from bot.store import Store

    if at is not None and not once:
        raise click.UsageError("--at needs --once: a running clock follows the real time")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = _settings()
    slack = load_slack_settings("clock")
    if once:
        pack = load_pack(settings.rules, settings.narratives, settings.locale)
        work = clockwork(settings, slack, lambda: pack)
        moment = FixedClock(_moment(at)) if at else utc_now
        with Store(settings.db) as store:
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
@click.pass_context
@_friendly
def accounts(ctx: click.Context, at: str | None) -> None:
    """Accounts and where their data comes from (imported files or LinkedIn's API, with
    the last sync and the next); `accounts connect` ties one to LinkedIn."""
    if ctx.invoked_subcommand is not None:
        return
    from bot.commands import handle
    from bot.pack import load_pack
    from bot.store import Store

    settings = _settings()
    pack = load_pack(settings.rules, settings.narratives, settings.locale)
    with Store(settings.db) as store:
        reply = handle("accounts", store=store, pack=pack, at=_moment(at))
    click.echo(reply.text, nl=False)


@accounts.command(name="connect")
@click.argument("account")
@click.argument("urn")
@_friendly
def accounts_connect(account: str, urn: str) -> None:
    """Tie ACCOUNT to its LinkedIn identity (urn:li:person:... or urn:li:organization:...)."""
    import re

    from bot.store import Store

    if not re.fullmatch(r"urn:li:(person|organization):[A-Za-z0-9_-]{1,64}", urn):
        raise click.UsageError(
            f"'{urn[:80]}' is not a LinkedIn identity such as urn:li:person:zLqTygBP8S or "
            "urn:li:organization:2414183"
        )
    if not account or any(c.isspace() for c in account) or len(account) > 100:
        raise click.UsageError("ACCOUNT must be one word of at most 100 characters")
    settings = _settings()
    with Store(settings.db) as store:
        store.connect_linkedin(account, urn, datetime.now(UTC))
    click.echo(f"{account} is {urn}; `narrator sync` now reads its posts from LinkedIn.")


@cli.command()
@click.option("--account", "names", multiple=True, help="Sync only this account (repeatable).")
@click.option("--at", "at", help="Sync as of this ISO time (default: now).")
@_friendly
def sync(names: tuple[str, ...], at: str | None) -> None:
    """Read connected accounts' posts from LinkedIn's API, within the day's call budget.

    Tokens come from NARRATOR_LINKEDIN_TOKEN or the file NARRATOR_SECRETS names; the
    API from NARRATOR_LINKEDIN_API_URL; the budget per token and UTC day from
    NARRATOR_LINKEDIN_DAILY_CALLS."""
    from bot.linkedin.sync import sync_with_settings
    from bot.store import Store

    settings = _settings()
    moment = _moment(at)
    with Store(settings.db) as store:
        if not store.linkedin_connections():
            raise click.UsageError(
                "no account is connected to LinkedIn yet: narrator accounts connect ACCOUNT URN"
            )
        summary = sync_with_settings(store, settings, moment, names)
    failed = False
    for r in summary.results:
        line = (
            f"{r.account}: {_counted(r.calls, 'call')}, {_counted(r.posts_new, 'new post')}, "
            f"{_counted(r.snapshots, 'snapshot')} added"
        )
        if r.skipped:
            line += "; skipped: " + "; ".join(r.skipped)
        if r.error:
            line += f". Stopped: {r.error}"
            failed = True
        click.echo(line + ".")
    click.echo(
        f"{_counted(summary.calls, 'call')} used; the budget is "
        f"{settings.linkedin_daily_calls:,} per token and UTC day."
    )
    if failed:
        sys.exit(1)


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
    from bot.pack import load_pack
    from bot.store import Store

    settings = _settings()
    pack = load_pack(settings.rules, settings.narratives, settings.locale)
    with Store(settings.db) as store:
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
    from bot.pack import load_pack
    from bot.store import Store

    settings = _settings()
    pack = load_pack(settings.rules, settings.narratives, settings.locale)
    with Store(settings.db) as store:
        _print_reply(listing(store, pack, at=datetime.now(UTC)))


@digest.command(name="off")
@click.option("--channel", required=True, help="The Slack channel id.")
@_friendly
def digest_off(channel: str) -> None:
    """Stop a channel's weekly digest."""
    from bot.digest.commands import unsubscribe
    from bot.pack import load_pack
    from bot.store import Store

    settings = _settings()
    pack = load_pack(settings.rules, settings.narratives, settings.locale)
    with Store(settings.db) as store:
        _print_reply(unsubscribe(store, pack, channel=channel))


@digest.command(name="preview")
@click.option("--channel", required=True, help="The Slack channel id.")
@click.option("--at", "at", help="As if sent at this ISO time (default: now).")
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the digest's chart to this PNG file.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@_friendly
def digest_preview(channel: str, at: str | None, chart: Path | None, fmt: str) -> None:
    """Print a channel's digest as it would be sent now (nothing is sent or remembered)."""
    from bot.digest.commands import preview
    from bot.digest.send import chart_png
    from bot.pack import load_pack
    from bot.store import Store

    settings = _settings()
    moment = _moment(at)
    pack = load_pack(settings.rules, settings.narratives, settings.locale)
    with Store(settings.db) as store:
        shown = preview(store, pack, channel=channel, at=moment)
    if fmt == "json":
        click.echo(json.dumps(shown.reply.data, indent=2, ensure_ascii=False))
    else:
        click.echo(shown.reply.text, nl=False)
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
    click.echo(reply.text, nl=False)
    if not reply.ok:
        sys.exit(1)


def main() -> None:
    cli(prog_name="narrator")
