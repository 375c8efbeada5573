"""Access tokens, from the environment or a secrets file; never logged or stored.

`NARRATOR_SECRETS` names a file of `account = token` lines (`#` starts a comment);
`NARRATOR_LINKEDIN_TOKEN` serves an account the file does not name (the usual
set-up for a team with one account). Messages name the setting, never the token.
"""

from __future__ import annotations

import stat
from pathlib import Path

from bot.errors import ConfigError

MAX_SECRETS_BYTES = 64 * 1024


def read_secrets(path: Path) -> dict[str, str]:
    try:
        info = path.stat()
    except OSError:
        raise ConfigError(f"NARRATOR_SECRETS: {path} does not exist") from None
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_SECRETS_BYTES:
        raise ConfigError(f"NARRATOR_SECRETS: {path} must be a file of at most 64 KB")
    tokens: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        account, sep, token = (part.strip() for part in text.partition("="))
        if not sep or not account or not token:
            # The line may hold a token: say where, never what.
            raise ConfigError(
                f"NARRATOR_SECRETS: {path}:{number}: write 'account = token' (the line is "
                "not shown, as it may hold a token)"
            )
        tokens[account] = token
    return tokens


def token_for(account: str, env_token: str | None, secrets: dict[str, str]) -> str:
    token = secrets.get(account) or env_token
    if not token:
        raise ConfigError(
            f"no LinkedIn access token for account {account}: put 'account = token' in the "
            "file NARRATOR_SECRETS names, or set NARRATOR_LINKEDIN_TOKEN (one account)"
        )
    return token
