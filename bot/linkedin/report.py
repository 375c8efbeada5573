"""What a sync says when it ends: a line per account, then one paragraph for the whole
run (posts new and updated, snapshots added, calls used of the budget, what was
skipped and why). Plain text, for the terminal and the clock's log."""

from __future__ import annotations

from bot.linkedin.sync import AccountResult, SyncSummary
from bot.model import to_utc_text


def counted(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def when(moment) -> str:  # type: ignore[no-untyped-def]
    text = to_utc_text(moment)
    return f"{text[:10]} {text[11:16]} UTC"


def account_line(r: AccountResult) -> str:
    if r.paused_until is not None and r.error is None:
        return (
            f"{r.account}: paused until {when(r.paused_until)} by LinkedIn's call limit; "
            "not called."
        )
    line = (
        f"{r.account}: {counted(r.calls, 'call')}, {counted(r.posts_new, 'new post')}, "
        f"{counted(r.snapshots, 'snapshot')} added"
    )
    if r.days:
        line += f", {counted(r.days, 'day')} of the account's own figures"
    if r.skipped:
        line += "; skipped: " + "; ".join(r.skipped)
    if r.paused_until is not None:
        line += f". Paused until {when(r.paused_until)}: {r.error}"
    elif r.error:
        line += f". Stopped: {r.error}"
    return line + "."


def paragraph(summary: SyncSummary) -> str:
    """The run in one paragraph."""
    results = summary.results
    new = sum(r.posts_new for r in results)
    snapshots = sum(r.snapshots for r in results)
    text = (
        f"Synced {counted(len(results), 'account')}: {counted(new, 'new post')}, "
        f"{counted(snapshots, 'post')} updated with {counted(snapshots, 'snapshot')}, "
        f"{counted(summary.calls, 'call')} used of a budget of {summary.budget:,} per token "
        "and UTC day."
    )
    skipped = [f"{r.account}, {'; '.join(r.skipped)}" for r in results if r.skipped]
    paused = [
        f"{r.account} until {when(r.paused_until)}" for r in results if r.paused_until is not None
    ]
    stopped = [r.account for r in results if r.error and r.paused_until is None]
    if skipped:
        text += " Skipped for " + "; for ".join(skipped) + "."
    if paused:
        text += " Paused by LinkedIn's call limit: " + ", ".join(paused) + "."
    if stopped:
        text += " Stopped, see above: " + ", ".join(stopped) + "."
    return text
