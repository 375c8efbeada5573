"""Renewing an expired access token with a refresh token, where LinkedIn grants them.

LinkedIn gives programmatic refresh tokens to approved partner apps: an access token
lives 60 days, its refresh token a year. A refresh is a form POST to
`/oauth/v2/accessToken` (grant_type=refresh_token, the refresh token, the app's
client id and secret) on `NARRATOR_LINKEDIN_OAUTH_URL`, answered with
`{"access_token": ..., "expires_in": ...}`. The new access token is kept in memory
only (for the clock, the process's life), never written anywhere; an error names
the settings and what to do, never a token or LinkedIn's own description of it.
"""

from __future__ import annotations

import re
import threading

import httpx

from bot.linkedin.client import Unauthorized, tls_context
from bot.store.linkedin import token_key

#: Access tokens minted by refreshes in this process, by the refresh token's hash.
_MINTED: dict[str, str] = {}
_LOCK = threading.Lock()

SIGN_IN_AGAIN = (
    "sign in to LinkedIn again (Developer Portal → your app → Auth → OAuth 2.0 tools) and "
    "put the new tokens in the file NARRATOR_SECRETS names ('account = access_token "
    "refresh_token') or in NARRATOR_LINKEDIN_TOKEN and NARRATOR_LINKEDIN_REFRESH_TOKEN"
)


def minted(refresh_token: str) -> str | None:
    """An access token this process already got with `refresh_token`, if any."""
    with _LOCK:
        return _MINTED.get(token_key(refresh_token))


def forget(refresh_token: str) -> None:
    with _LOCK:
        _MINTED.pop(token_key(refresh_token), None)


def refresh(
    oauth_url: str,
    refresh_token: str,
    client_id: str | None,
    client_secret: str | None,
    *,
    timeout: float = 30.0,
) -> str:
    """A new access token for `refresh_token`, or `Unauthorized` saying what to do."""
    if not client_id or not client_secret:
        raise Unauthorized(
            "the access token has expired and renewing it with the refresh token needs "
            "the LinkedIn app's credentials: set NARRATOR_LINKEDIN_CLIENT_ID and "
            "NARRATOR_LINKEDIN_CLIENT_SECRET (Developer Portal → your app → Auth)"
        )
    try:
        response = httpx.post(
            f"{oauth_url.rstrip('/')}/oauth/v2/accessToken",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": client_id,
                "client_secret": client_secret,
            },
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=timeout,
            verify=tls_context(),
        )
    except httpx.TransportError as exc:
        raise Unauthorized(
            f"the access token has expired and LinkedIn's OAuth endpoint did not answer "
            f"({type(exc).__name__}); check NARRATOR_LINKEDIN_OAUTH_URL and the network, "
            "then sync again"
        ) from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    token = body.get("access_token")
    if response.status_code != 200 or not isinstance(token, str) or not 0 < len(token) <= 2000:
        # LinkedIn's error code (invalid_grant, invalid_client) is safe to show; its
        # description is not repeated, in case it quotes what was sent.
        code = str(body.get("error", ""))
        code = code if re.fullmatch(r"[a-z_]{1,40}", code) else ""
        why = f"{response.status_code}{': ' + code if code else ''}"
        if code == "invalid_client":
            raise Unauthorized(
                f"LinkedIn refused the app's credentials when renewing the access token "
                f"({why}); check NARRATOR_LINKEDIN_CLIENT_ID and NARRATOR_LINKEDIN_CLIENT_SECRET"
            )
        raise Unauthorized(
            f"the access token has expired and LinkedIn refused to renew it with the refresh "
            f"token ({why}: refresh tokens last a year and can be revoked); {SIGN_IN_AGAIN}"
        )
    with _LOCK:
        _MINTED[token_key(refresh_token)] = token
    return token
