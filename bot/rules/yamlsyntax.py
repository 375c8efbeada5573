"""YAML syntax errors in plain words: what is wrong, on which line, and the fix.

ruamel.yaml reports what its scanner or parser expected ("mapping values are not
allowed here", "expected <block end>, but found '<block mapping start>'"), often
a line after the mistake. A marketing lead editing a rule file needs the line
they got wrong, that line quoted, and what to write instead. `explain` reads the
parser's error together with the text and names the usual mistakes: a tab, an
indent that lines up with nothing, a missing colon or the space after it, an
unclosed quote or bracket, a colon inside a value, a value starting with a
character YAML reserves. Anything else is still located, in plain words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

#: How much of a line a message quotes.
QUOTED = 80

_KEY = re.compile(r"^(\s*)(- +)?([^\s#:'\"\[\]{}][^:#]*?):(\s|$)")
#: A key as rule files write them: a word, maybe with _ or -.
_IDENTIFIER = re.compile(r"[A-Za-z_][\w-]*")


@dataclass(frozen=True)
class Syntax:
    """A syntax error, explained: 1-based line and column, and the message."""

    line: int | None
    column: int | None
    message: str


def explain(exc: Any, text: str) -> Syntax:
    """Plain words for ruamel's MarkedYAMLError `exc` raised on `text`."""
    lines = text.splitlines()
    problem = str(exc.problem or "")
    context = str(exc.context or "")
    pmark, cmark = exc.problem_mark, exc.context_mark
    pline = pmark.line + 1 if pmark is not None else None
    pcol = pmark.column + 1 if pmark is not None else None
    upto = pline if pline is not None else len(lines)

    tab = _first_tab(lines, upto)
    if tab is not None:
        number, column = tab
        return Syntax(
            number,
            column,
            f"the line starts with a tab: {_quote(lines[number - 1])}; YAML indents with "
            "spaces only: replace the tab with spaces, lined up with the lines around it",
        )
    if "quoted scalar" in context and cmark is not None:
        return _unclosed_quote(lines, cmark.line + 1, cmark.column + 1)
    quote = _unclosed_quote_before(lines, upto)
    if quote is not None:
        return quote
    if ("flow sequence" in context or "flow mapping" in context) and cmark is not None:
        opened = "[" if "sequence" in context else "{"
        closing = "]" if opened == "[" else "}"
        number = cmark.line + 1
        return Syntax(
            number,
            cmark.column + 1,
            f"the {opened} opened here is not closed: {_quote(lines[number - 1])}; "
            f"close it with {closing} on the same line",
        )
    if "could not find expected ':'" in problem and cmark is not None:
        return _missing_colon(lines, cmark.line + 1, cmark.column + 1)
    if pline is not None and "mapping values are not allowed" in problem:
        return _mapping_value(lines, pline, pcol or 1)
    if pline is not None and "<scalar>" in problem and _after_quote(lines[pline - 1], pcol):
        return Syntax(
            pline,
            pcol,
            f"there is more after the closing quote: {_quote(lines[pline - 1])}; put "
            "everything inside the quotes, or remove what follows them",
        )
    if pline is not None and "expected <block end>" in problem:
        return _block_end(lines, pline, pcol or 1)
    found = re.search(r"found character '(.+)' that cannot start any token", problem)
    if found and pline is not None:
        char = found.group(1)
        if char == "\\t":
            return Syntax(
                pline,
                pcol,
                f"a tab is not allowed here: {_quote(lines[pline - 1])}; use spaces",
            )
        return Syntax(
            pline,
            pcol,
            f"a value cannot start with {char}: {_quote(lines[pline - 1])}; "
            "put the whole value in quotes",
        )
    alias = re.search(r"found undefined alias '(.+)'", problem)
    if "alias" in context or alias:
        return Syntax(
            pline,
            pcol,
            f"a value starting with * names an alias, and there is no such alias: "
            f"{_quote(lines[pline - 1]) if pline else ''}; put the whole value in quotes",
        )
    if pline is not None and pline <= len(lines):
        keyless = _key_without_colon(lines, pline)
        if keyless is not None:
            return _missing_colon(lines, *keyless)
        return Syntax(
            pline,
            pcol,
            f"this line cannot be read as YAML: {_quote(lines[pline - 1])}; check its "
            "indentation, colons and quotes against the lines just above it",
        )
    opened = _unclosed_bracket(lines)
    if opened is not None:
        number, column = opened
        char = lines[number - 1][column - 1]
        return Syntax(
            number,
            column,
            f"the {char} opened here is not closed: {_quote(lines[number - 1])}; close it "
            f"with {']' if char == '[' else '}'} on the same line",
        )
    return Syntax(
        pline,
        pcol,
        "the file ends in the middle of a value; check that every quote and bracket is closed",
    )


def _unclosed_bracket(lines: list[str]) -> tuple[int, int] | None:
    """The first [ or { never closed (outside quotes and comments), if any."""
    stack: list[tuple[int, int]] = []
    for number, line in enumerate(lines, start=1):
        quote = ""
        for index, char in enumerate(line):
            if quote:
                quote = "" if char == quote else quote
            elif char in "'\"":
                quote = char
            elif char == "#" and (index == 0 or line[index - 1] == " "):
                break
            elif char in "[{":
                stack.append((number, index + 1))
            elif char in "]}" and stack:
                stack.pop()
    return stack[0] if stack else None


def duplicate_key(text: str, line: int | None, key: str, first: int | None) -> str:
    """The message for a key given twice in one mapping."""
    lines = text.splitlines()
    shown = f": {_quote(lines[line - 1])}" if line and line <= len(lines) else ""
    where = f" (first on line {first})" if first else ""
    return (
        f"key '{key}' appears twice in the same mapping{where}{shown}; keep one, "
        "or indent it if it belongs to the line above"
    )


def _quote(line: str) -> str:
    shown = line.strip()
    if len(shown) > QUOTED:
        shown = shown[: QUOTED - 1] + "…"
    return f'"{shown}"'


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _meaningful(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _first_tab(lines: list[str], upto: int) -> tuple[int, int] | None:
    """The first line up to `upto` with a tab in its indentation."""
    for number, line in enumerate(lines[:upto], start=1):
        lead = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in lead:
            return number, lead.index("\t") + 1
    return None


def _unclosed_quote(lines: list[str], number: int, column: int) -> Syntax:
    line = lines[number - 1] if number <= len(lines) else ""
    mark = line[column - 1] if 0 < column <= len(line) else '"'
    return Syntax(
        number,
        column,
        f"the quote opened here is never closed: {_quote(line)}; add the closing {mark} "
        "at the end of the value",
    )


def _unclosed_quote_before(lines: list[str], upto: int) -> Syntax | None:
    """A value opened with a quote that runs on over the next lines' keys: a quote
    left open (a quoted value may span lines, but not swallow keys)."""
    for number, line in enumerate(lines[:upto], start=1):
        found = _KEY.match(line)
        start = found.end() if found else None
        if start is None and line.lstrip().startswith("- "):
            start = line.index("- ") + 2
        if start is None:
            continue
        rest = line[start:].lstrip()
        if not rest or rest[0] not in "'\"":
            continue
        mark = rest[0]
        body = rest[1:].replace("''", "") if mark == "'" else re.sub(r"\\.", "", rest[1:])
        if mark in body:
            continue  # closed on its own line
        # Open too long when a key line comes before (or on) the line that closes it.
        for later in lines[number:upto]:
            if _KEY.match(later):
                return _unclosed_quote(lines, number, len(line) - len(rest) + 1)
            if mark in later:
                break
    return None


def _after_quote(line: str, column: int | None) -> bool:
    """Whether `column` is after a quoted value that closed earlier on `line`."""
    found = _KEY.match(line)
    start = found.end() if found else len(line) - len(line.lstrip(" -"))
    rest = line[start:].lstrip()
    if not rest or rest[0] not in "'\"" or column is None:
        return False
    opened = len(line) - len(rest)
    closed = line.find(rest[0], opened + 1)
    return 0 <= closed < column - 1


def _missing_colon(lines: list[str], number: int, column: int) -> Syntax:
    line = lines[number - 1] if number <= len(lines) else ""
    body = line.strip()
    dash = ""
    if body.startswith("- "):
        dash, body = "- ", body[2:].lstrip()
    squeezed = re.match(r"^([A-Za-z_][\w-]*):(\S.*)$", body)
    if squeezed:
        fixed = f"{dash}{squeezed.group(1)}: {squeezed.group(2)}"
        return Syntax(
            number,
            column,
            f'a colon needs a space after it: {_quote(line)}; write "{fixed}"',
        )
    words = re.match(r"^([A-Za-z_][\w-]*)\s+(.+)$", body)
    if words:
        fix = f'write "{dash}{words.group(1)}: {words.group(2)}"'
    elif re.fullmatch(r"[A-Za-z_][\w-]*", body):
        fix = f'write "{dash}{body}:"'
    else:
        fix = "write the key, a colon and a space, then the value"
    return Syntax(number, column, f"a colon is missing after the key: {_quote(line)}; {fix}")


def _previous(lines: list[str], number: int) -> int | None:
    """The line number of the meaningful line before `number`."""
    for before in range(number - 1, 0, -1):
        if _meaningful(lines[before - 1]):
            return before
    return None


def _key_without_colon(lines: list[str], number: int) -> tuple[int, int] | None:
    """The line and column of a key written without its colon just above the key
    on line `number`, if there is one.

    The first key of a mapping (under `key:`, after `- `, or at the top of the
    file) written without its colon reads as the start of a plain value, and a
    plain value runs on over the next lines: it takes in the next line's key, and
    the parser stops at that key's colon (or, after a comment, at that key), a
    line after the mistake."""
    line = lines[number - 1]
    found = _KEY.match(line)
    before = _previous(lines, number)
    if found is None or before is None or not _IDENTIFIER.fullmatch(found.group(3).strip()):
        return None
    above = lines[before - 1]
    lead = len(above) - len(above.lstrip(" "))
    dash = re.match(r"- +", above[lead:])
    at = lead + (dash.end() if dash else 0)  # where the key without its colon starts
    body = re.sub(r"\s+#.*$", "", above[at:]).rstrip()
    word = _IDENTIFIER.match(body)
    if _KEY.match(above) or word is None or body[word.end() : word.end() + 1] not in " :":
        return None
    if dash is None and not _opens(lines, _previous(lines, before), lead):
        return None
    # The next line's key lines up with it or, under a key alone, is indented more.
    alone = word.end() == len(body)
    if _indent(line) == at or (alone and _indent(line) > at):
        return before, at + 1
    return None


def _opens(lines: list[str], number: int | None, indent: int) -> bool:
    """Whether line `number` leaves its value to the lines below it, such as one
    indented by `indent`: a key with nothing after its colon (but a comment) or a
    lone dash, indented less; or no line at all (the top of the file)."""
    if number is None:
        return True
    line = lines[number - 1]
    found = _KEY.match(line)
    if found is not None:
        rest = line[found.end() :].strip()
        opens = not rest or rest.startswith("#")
    else:
        opens = line.strip() == "-"
    return opens and _indent(line) < indent


def _key_before_bracket(line: str) -> int | None:
    """The column of a key written without its colon before a value in brackets
    ("post {impressions: 10}", "shows [a, b]"), if `line` holds one."""
    found = re.match(r"^( *(?:- +)?)[A-Za-z_][\w-]* +[\[{]", line)
    return len(found.group(1)) + 1 if found else None


def _mapping_value(lines: list[str], number: int, column: int) -> Syntax:
    line = lines[number - 1]
    before = _previous(lines, number)
    if before is not None:
        above = lines[before - 1]
        opens = above.rstrip().endswith(":") or above.strip().startswith("- ")
        if _indent(line) > _indent(above) and not opens and _KEY.match(above):
            return _indented(lines, number, above, before)
    found = _KEY.match(line)
    if found is not None and found.start(4) == column:
        keyless = _key_without_colon(lines, number)
        if keyless is not None:
            return _missing_colon(lines, *keyless)
    bracketed = _key_before_bracket(line)
    if bracketed is not None:
        return _missing_colon(lines, number, bracketed)
    key = found.group(3).strip() if found else None
    if found is not None and key is not None:
        value = line[found.end() :].strip()
        return Syntax(
            number,
            column,
            f"the value has a colon and a space in it: {_quote(line)}; put the whole value "
            f"in quotes: \"{key}: '{value}'\"",
        )
    return Syntax(
        number,
        column,
        f"a colon here reads as a new key: {_quote(line)}; indent the line like its "
        "neighbours, or put the value in quotes",
    )


def _block_end(lines: list[str], number: int, column: int) -> Syntax:
    line = lines[number - 1]
    keyless = _key_without_colon(lines, number)
    if keyless is not None:  # a comment ended the value the key without its colon began
        return _missing_colon(lines, *keyless)
    bracketed = _key_before_bracket(line)
    if bracketed is not None:
        return _missing_colon(lines, number, bracketed)
    before = _previous(lines, number)
    if before is None:
        return Syntax(number, column, f"this line cannot start the file: {_quote(line)}")
    # The sibling it should line up with: the nearest line above of the same kind
    # (a list item with list items, a key with keys) indented close to it.
    dash = line.lstrip().startswith("- ")
    siblings = [
        n
        for n in range(before, 0, -1)
        if _meaningful(lines[n - 1]) and lines[n - 1].lstrip().startswith("- ") == dash
    ]
    if siblings:
        target = min(siblings, key=lambda n: (abs(_indent(lines[n - 1]) - _indent(line)), -n))
        if _indent(lines[target - 1]) != _indent(line):
            return _indented(lines, number, lines[target - 1], target)
    return Syntax(
        number,
        column,
        f"this line does not line up with the lines above it: {_quote(line)}; indent it "
        "exactly like the other keys of the same rule",
    )


def _indented(lines: list[str], number: int, above: str, at: int) -> Syntax:
    line = lines[number - 1]
    spaces, wanted = _indent(line), _indent(above)
    how = "more" if spaces > wanted else "less"
    return Syntax(
        number,
        1,
        f"the line is indented by {_spaces(spaces)}, {how} than line {at} "
        f"({_spaces(wanted)}): {_quote(line)}; indent it by {_spaces(wanted)}, like "
        f"{_quote(above)}",
    )


def _spaces(count: int) -> str:
    return f"{count} space{'s' if count != 1 else ''}"
