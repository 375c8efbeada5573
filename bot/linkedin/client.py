"""An HTTP client for LinkedIn's versioned REST API, with LinkedIn's errors and limits.

Every call sends `LinkedIn-Version` and `X-Restli-Protocol-Version: 2.0.0` (and
`X-RestLi-Method: FINDER` for `q=` finders), reaches LinkedIn through a base URL
that tests point at a fake server, and turns LinkedIn's answers into:

- `RateLimited` on 429: `retry_after` seconds when LinkedIn says (`Retry-After`),
  else until the next UTC midnight, when daily limits reset;
- `Unauthorized` on 401 (an expired or revoked token), `VersionSunset` on a 400
  that names the version: both stop the account, never the whole sync;
- 5xx and network errors retried with exponential backoff and jitter, then
  `LinkedInUnavailable`.

The access token is sent in a header and appears in no message, log line or
exception: errors name the endpoint, never the URL's token or the headers.
"""

from __future__ import annotations

import functools
import random
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bot.linkedin.restli import query

#: A version LinkedIn serves today (monthly versions are sunset about a year later).
DEFAULT_VERSION = "202611"
#: Retries of a 5xx or a dropped connection before giving up on a call.
RETRIES = 4
#: A Retry-After up to this many seconds is waited out within the call.
SHORT_WAIT = 60.0
#: Pages read from one finder at most: a runaway `next` link cannot loop for ever.
MAX_PAGES = 200


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The certificate check httpx makes by default (its CA bundle, SSL_CERT_FILE and
    SSL_CERT_DIR honoured), built once per process: loading the CA bundle takes about
    0.1 s, and the clock makes a client for every sync, every 15 minutes."""
    return httpx.create_ssl_context()


class LinkedInError(Exception):
    """A call LinkedIn refused or could not answer; the message is for the user."""


class RateLimited(LinkedInError):
    def __init__(self, message: str, retry_after: float, daily: bool) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.daily = daily


class Unauthorized(LinkedInError):
    """The token is missing, expired or revoked."""


class VersionSunset(LinkedInError):
    """The LinkedIn-Version sent is no longer served."""


class LinkedInUnavailable(LinkedInError):
    """5xx or network errors outlasted the retries."""


@dataclass
class CallCount:
    """Calls made, for the budget and the sync's summary."""

    calls: int = 0
    by_endpoint: dict[str, int] = field(default_factory=dict)

    def add(self, endpoint: str) -> None:
        self.calls += 1
        self.by_endpoint[endpoint] = self.by_endpoint.get(endpoint, 0) + 1


class LinkedInClient:
    """Calls `base_url`/rest/... with `token`; `sleep`, `jitter` and `now` are injected
    so retries can be tested without waiting."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        refresher: Callable[[], str] | None = None,
        version: str = DEFAULT_VERSION,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=timeout, verify=tls_context()
        )
        self._token = token
        # Called once, on the first 401 (or before the first call without a token): a
        # new access token from a refresh token, or Unauthorized saying what to do.
        self._refresher = refresher
        self.refreshed = False
        self.version = version
        self._sleep, self._jitter, self._now = sleep, jitter, now
        self.count = CallCount()
        #: Told of each call made (the progress bars).
        self.on_call: Callable[[], None] | None = None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> LinkedInClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> dict[str, Any]:
        """One GET of `/rest/...`; params are Rest.li-encoded already (see restli.py). An
        expired token is renewed once with the refresh token, where there is one, and
        the call made again."""
        if self._token is None:
            self._renew(None)
        try:
            return self._get(path, params)
        except Unauthorized as refused:
            if self._refresher is None or self.refreshed:
                raise
            self._renew(refused)
            return self._get(path, params)

    def _renew(self, refused: Unauthorized | None) -> None:
        if self._refresher is None or self.refreshed:
            raise refused or Unauthorized(
                "no LinkedIn access token: set NARRATOR_LINKEDIN_TOKEN or put 'account = "
                "token' in the file NARRATOR_SECRETS names"
            )
        self.refreshed = True
        self._token = self._refresher()

    def _get(self, path: str, params: Mapping[str, str | int] | None) -> dict[str, Any]:
        endpoint = path.split("?")[0].rsplit("/", 1)[-1] if "/" in path else path
        url = path if not params else f"{path}?{query(params)}"
        headers = {
            "Authorization": f"Bearer {self._token}",
            "LinkedIn-Version": self.version,
            "X-Restli-Protocol-Version": "2.0.0",
        }
        if params and "q" in params:
            headers["X-RestLi-Method"] = "FINDER"
        for attempt in range(RETRIES + 1):
            self.count.add(endpoint)
            if self.on_call is not None:
                self.on_call()
            try:
                response = self._http.get(url, headers=headers)
            except httpx.TransportError as exc:
                if attempt == RETRIES:
                    raise LinkedInUnavailable(
                        f"LinkedIn did not answer {endpoint} ({type(exc).__name__}) after "
                        f"{RETRIES + 1} tries; check NARRATOR_LINKEDIN_API_URL and the network"
                    ) from None
                self._backoff(attempt)
                continue
            if response.status_code >= 500:
                if attempt == RETRIES:
                    raise LinkedInUnavailable(
                        f"LinkedIn answered {response.status_code} to {endpoint} "
                        f"{RETRIES + 1} times; try the sync again later"
                    )
                self._backoff(attempt)
                continue
            try:
                return self._answer(endpoint, response)
            except RateLimited as limited:
                # A short wait LinkedIn asks for is waited out here; a long one (a daily
                # limit) stops the caller, who comes back after it resets.
                if limited.retry_after > SHORT_WAIT or attempt == RETRIES:
                    raise
                self._sleep(limited.retry_after)
        raise AssertionError("unreachable")

    def paged(
        self, path: str, params: Mapping[str, str | int], *, count: int = 100
    ) -> Iterator[dict[str, Any]]:
        """Every element of a finder, page by page: follows `paging.links` rel=next when
        LinkedIn gives it, else `start`/`count` until a short or empty page."""
        start = int(params.get("start", 0))
        next_url: str | None = None
        followed: set[str] = set()
        for _ in range(MAX_PAGES):
            if next_url is not None:
                body = self.get(next_url)
            else:
                body = self.get(path, {**params, "start": start, "count": count})
            elements = body.get("elements") or []
            yield from elements
            if not elements:
                return
            paging = body.get("paging") or {}
            links = [link for link in paging.get("links") or [] if link.get("rel") == "next"]
            href = links[0].get("href") if links else None
            # Only a path on the API itself, never another host (it would get the token),
            # and never the same page twice.
            if isinstance(href, str) and href.startswith("/rest/") and href not in followed:
                followed.add(href)
                next_url = href
                continue
            total = paging.get("total")
            start += len(elements)
            if not elements or len(elements) < count or (isinstance(total, int) and start >= total):
                return
            next_url = None
        raise LinkedInError(f"{path} kept giving pages past {MAX_PAGES}; stopped reading it")

    def _backoff(self, attempt: int) -> None:
        # 1, 2, 4, 8 s, each stretched by up to half again so many clients spread out.
        self._sleep((2**attempt) * (1.0 + 0.5 * self._jitter()))

    def _answer(self, endpoint: str, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        status = response.status_code
        message = str(body.get("message", ""))[:300]
        if status == 429:
            daily = "DAY" in message.upper()
            header = response.headers.get("Retry-After", "")
            if header.strip().isdigit():
                wait = float(header.strip())
            else:
                now = self._now().astimezone(UTC)
                midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
                wait, daily = (midnight - now).total_seconds(), True
            raise RateLimited(
                f"LinkedIn's rate limit for {endpoint} is reached"
                + (" for today" if daily else "")
                + f"; it resets in {_duration(wait)}",
                retry_after=wait,
                daily=daily,
            )
        if status == 401:
            raise Unauthorized(
                "LinkedIn refused the access token (401: expired or revoked); sign in to "
                "LinkedIn again and put the new token in NARRATOR_LINKEDIN_TOKEN or the "
                "secrets file named by NARRATOR_SECRETS (where LinkedIn grants refresh "
                "tokens, put the refresh token after it, 'account = access_token "
                "refresh_token', with NARRATOR_LINKEDIN_CLIENT_ID and "
                "NARRATOR_LINKEDIN_CLIENT_SECRET, and the sync renews it)"
            )
        if status == 400 and ("version" in message.lower() or "sunset" in message.lower()):
            raise VersionSunset(
                f"LinkedIn no longer serves API version {self.version} ({message}); set "
                "NARRATOR_LINKEDIN_VERSION to a recent month such as "
                f"{DEFAULT_VERSION}"
            )
        if status == 403:
            raise LinkedInError(
                f"LinkedIn refused {endpoint} (403: the app lacks the permission for it"
                + (f": {message}" if message else "")
                + ")"
            )
        if status >= 400:
            raise LinkedInError(
                f"LinkedIn refused {endpoint} ({status}" + (f": {message}" if message else "") + ")"
            )
        return body


def _duration(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    if minutes < 90:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{minutes / 60:.1f} hours"
