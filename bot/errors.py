"""The exception tree of Insight Narrator.

Every error a user can cause derives from `NarratorError` and carries a message
written for that user: where the problem is and how to fix it. Front doors (the
CLI, Slack) show `str(error)` and never a traceback.

    NarratorError
    ├── ConfigError          a setting is missing or malformed
    ├── ImportFileError      an import file has problems (all of them, located)
    ├── StoreError           the database is unusable (e.g. newer schema)
    │   └── StoreBusy        another program kept the write lock too long
    ├── RuleError            rule files or templates have problems (all of them, located)
    ├── ExpressionError      one condition failed to compile (column, did-you-mean)
    └── CommandError         a command asked for something that cannot be done
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class NarratorError(Exception):
    """Base class: an error whose message is meant for the user."""


class ConfigError(NarratorError):
    """A setting is missing or malformed."""


class StoreError(NarratorError):
    """The database cannot be used as it is."""


class StoreBusy(StoreError):
    """Another program held the database's write lock for longer than a write waits;
    nothing was written, and trying again later will do."""


@dataclass(frozen=True)
class Problem:
    """One located problem in a user-edited or user-supplied file."""

    file: str
    line: int | None
    column: str | int | None
    message: str
    rule: str | None = None
    #: The sheet of a workbook: then the place reads `file: SHEET: row N: column: problem`.
    sheet: str | None = None
    #: The account named by the override the problem is in, if it is in one: Slack
    #: shows the problem in full only to who may see that account.
    account: str | None = None

    def __str__(self) -> str:
        if self.sheet is not None:
            parts = [self.file, self.sheet]
            if self.line is not None:
                parts.append(f"row {self.line}")
            if self.column is not None:
                parts.append(f"column {self.column}")
            return ": ".join([*parts, self.message])
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if isinstance(self.column, int):
                where += f":{self.column}"
        parts = [where]
        if isinstance(self.column, str):
            parts.append(self.column)
        if self.rule is not None:
            parts.append(f'rule "{self.rule}"')
        parts.append(self.message)
        return ": ".join(parts)


class ProblemsError(NarratorError):
    """Several located problems, reported together."""

    def __init__(self, problems: Sequence[Problem], summary: str = "") -> None:
        self.problems = tuple(problems)
        self.summary = summary
        lines = [str(p) for p in self.problems]
        if summary:
            lines.append(summary)
        super().__init__("\n".join(lines))

    def __reduce__(self) -> tuple[type[ProblemsError], tuple[tuple[Problem, ...], str]]:
        # Rebuilt from its problems (not its text) when sent between processes.
        return type(self), (self.problems, self.summary)


class ImportFileError(ProblemsError):
    """An import file has problems; nothing was written.

    All of them are kept in `problems`; its text shows the first SHOWN, then how many
    more there are: a file where every one of 400,000 rows is wrong would otherwise
    print 400,000 lines, and the first fifty say what to fix."""

    SHOWN = 50

    def __init__(self, problems: Sequence[Problem], summary: str = "") -> None:
        super().__init__(problems, summary)
        if len(self.problems) > self.SHOWN:
            more = len(self.problems) - self.SHOWN
            lines = [str(p) for p in self.problems[: self.SHOWN]]
            lines.append(f"... and {more:,} more problem{'s' if more != 1 else ''} like these")
            if summary:
                lines.append(summary)
            self.args = ("\n".join(lines),)


class RuleError(ProblemsError):
    """Rule files or templates have problems; the rule set was not loaded."""


class ExpressionError(NarratorError):
    """A condition could not be compiled.

    `column` is 1-based within the expression text, so the loader can add it to
    the column where the expression starts in the YAML file.
    """

    def __init__(self, message: str, column: int = 1) -> None:
        self.message = message
        self.column = column
        super().__init__(message)


class CommandError(NarratorError):
    """A command cannot be carried out; the message says why and what to do."""
