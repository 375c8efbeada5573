"""Access tokens (and refresh tokens, where LinkedIn grants them), from the environment
or a secrets file; never logged, shown or stored.

`NARRATOR_SECRETS` names a file of `account = access_token [refresh_token]` lines
(`#` starts a comment; `-` for an access token not yet minted, when only a refresh
token is at hand); `NARRATOR_LINKEDIN_TOKEN` (and `NARRATOR_LINKEDIN_REFRESH_TOKEN`)
serve an account the file does not name (the usual set-up for a team with one
account). Messages name the setting, never the token.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ConfigError

MAX_SECRETS_BYTES = 64 * 1024
MAX_TOKEN_CHARS = 2_000


@dataclass(frozen=True)
class Credentials:
    access: str | None
    refresh: str | None = None

    def __repr__(self) -> str:  # never the tokens themselves, even in a traceback
        return (
            f"Credentials(access={'set' if self.access else None}, "
            f"refresh={'set' if self.refresh else None})"
        )

    @property
    def key(self) -> str:
        """What the day's calls are counted under (hashed by the store): the token as
        configured, so a refreshed one keeps the same count."""
        return self.access or self.refresh or ""


def _where(path: Path, number: int) -> str:
    return f"NARRATOR_SECRETS: {path}:{number}"


def read_credentials(path: Path) -> dict[str, Credentials]:
    try:
        info = path.stat()
    except OSError:
        raise ConfigError(f"NARRATOR_SECRETS: {path} does not exist") from None
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_SECRETS_BYTES:
        raise ConfigError(f"NARRATOR_SECRETS: {path} must be a file of at most 64 KB")
    found: dict[str, Credentials] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        account, sep, rest = (part.strip() for part in text.partition("="))
        tokens = rest.split()
        if not sep or not account or not 1 <= len(tokens) <= 2:
            # The line may hold a token: say where, never what.
            raise ConfigError(
                f"{_where(path, number)}: write 'account = access_token' or 'account = "
                "access_token refresh_token' (the line is not shown, as it may hold a token)"
            )
        if any(len(t) > MAX_TOKEN_CHARS for t in tokens):
            raise ConfigError(
                f"{_where(path, number)}: a token longer than {MAX_TOKEN_CHARS:,} characters "
                "is not one LinkedIn issued (the line is not shown)"
            )
        access = None if tokens[0] == "-" else tokens[0]
        refresh = tokens[1] if len(tokens) == 2 else None
        if access is None and refresh is None:
            raise ConfigError(
                f"{_where(path, number)}: '-' stands for an access token still to be minted "
                "from a refresh token: put the refresh token after it"
            )
        found[account] = Credentials(access, refresh)
    return found


def read_secrets(path: Path) -> dict[str, str]:
    """account -> access token, of the accounts the file gives one."""
    return {a: c.access for a, c in read_credentials(path).items() if c.access}


def credentials_for(
    account: str,
    env_token: str | None,
    secrets: dict[str, Credentials],
    env_refresh: str | None = None,
) -> Credentials:
    found = secrets.get(account)
    if found is not None:
        return found
    if env_token or env_refresh:
        return Credentials(env_token, env_refresh)
    raise ConfigError(
        f"no LinkedIn access token for account {account}: put 'account = token' in the file "
        "NARRATOR_SECRETS names, or set NARRATOR_LINKEDIN_TOKEN (one account); a token "
        "comes from LinkedIn's Developer Portal (your app → Auth → OAuth 2.0 tools)"
    )


def token_for(account: str, env_token: str | None, secrets: dict[str, str]) -> str:
    token = secrets.get(account) or env_token
    if not token:
        raise ConfigError(
            f"no LinkedIn access token for account {account}: put 'account = token' in the "
            "file NARRATOR_SECRETS names, or set NARRATOR_LINKEDIN_TOKEN (one account)"
        )
    return token
