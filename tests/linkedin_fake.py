"""A small fake of LinkedIn's REST API on 127.0.0.1, speaking its documented endpoints
and JSON shapes, with failures a test can script (429, 401, a sunset version, 5xx).

It checks the headers every versioned call must carry and records each request
(path, raw query, headers) so tests can assert what the client sent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

TOKEN = "li-test-token-0123456789"
SERVED_VERSIONS = {"202605", "202606", "202611"}


@dataclass
class Failure:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeLinkedIn:
    #: post URN -> metric -> TOTAL count (DAILY answers spread it over `daily_days`).
    post_metrics: dict[str, dict[str, int]] = field(default_factory=dict)
    #: "object" (before 202605) or "string" (202605 on): how metricType is written.
    metric_shape: str = "string"
    followers: int = 961
    org_followers: int = 219145
    org_posts: list[dict[str, Any]] = field(default_factory=list)
    #: The Page's own days: "YYYY-MM-DD" -> ShareStatisticsData fields (impressionCount,
    #: uniqueImpressionsCount, likeCount, commentCount, shareCount, clickCount).
    org_days: dict[str, dict[str, int]] = field(default_factory=dict)
    #: "YYYY-MM-DD" -> (organicFollowerGain, paidFollowerGain).
    org_gains: dict[str, tuple[int, int]] = field(default_factory=dict)
    comments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: Answers to give before the real one, in order (one per request).
    failures: list[Failure] = field(default_factory=list)
    #: Answers to give at given request numbers (0-based), e.g. to stop a sync halfway.
    at_request: dict[int, Failure] = field(default_factory=dict)
    #: Page with `paging.links` (True) or with start/count only (False).
    link_paging: bool = True
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    #: Told the number (0-based) of each request as it arrives, before it is answered.
    on_request: Any = None
    #: Access tokens the API accepts.
    tokens: set[str] = field(default_factory=lambda: {TOKEN})
    #: Refresh token -> the access token a refresh mints (and the API then accepts).
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    client_id: str = "app-client-id"
    client_secret: str = "app-client-secret-0123"
    #: The forms POSTed to /oauth/v2/accessToken, as received.
    refreshes: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # -- the endpoints --

    def answer(self, path: str, raw_query: str, headers: dict[str, str]) -> tuple[int, Any, dict]:
        with self.lock:
            self.requests.append((path, raw_query, headers))
            if self.on_request is not None:
                self.on_request(len(self.requests) - 1)
            scripted = self.at_request.get(len(self.requests) - 1)
            if scripted is not None:
                return scripted.status, scripted.body, scripted.headers
            if self.failures:
                failure = self.failures.pop(0)
                return failure.status, failure.body, failure.headers
        if headers.get("authorization", "").removeprefix("Bearer ") not in self.tokens:
            return (
                401,
                {"message": "Invalid access token", "serviceErrorCode": 65600, "status": 401},
                {},
            )
        if headers.get("x-restli-protocol-version") != "2.0.0":
            return 400, {"message": "X-Restli-Protocol-Version is required", "status": 400}, {}
        version = headers.get("linkedin-version", "")
        if version not in SERVED_VERSIONS:
            return 400, {"message": f"Requested version {version} is not active", "status": 400}, {}
        params = dict(parse_qsl(raw_query, keep_blank_values=True))
        if path == "/rest/memberCreatorPostAnalytics":
            return 200, self._post_analytics(raw_query, params), {}
        if path == "/rest/memberFollowersCount":
            return (
                200,
                {
                    "paging": {"start": 0, "count": 10, "links": [], "total": 1},
                    "elements": [{"memberFollowersCount": self.followers}],
                },
                {},
            )
        if path.startswith("/rest/networkSizes/"):
            return 200, {"firstDegreeSize": self.org_followers}, {}
        if path == "/rest/organizationalEntityShareStatistics":
            if "timeIntervals=" in raw_query:
                return 200, self._time_bound(raw_query, self._share_day), {}
            return 200, self._share_statistics(raw_query), {}
        if path == "/rest/organizationalEntityFollowerStatistics":
            if "timeIntervals=" not in raw_query:
                return 200, {"paging": {"count": 10, "start": 0}, "elements": []}, {}
            return 200, self._time_bound(raw_query, self._follower_day), {}
        if path == "/rest/posts":
            return 200, self._page(self.org_posts, params, "/rest/posts", raw_query), {}
        if path.startswith("/rest/socialActions/") and path.endswith("/comments"):
            post = unquote(path[len("/rest/socialActions/") : -len("/comments")])
            return 200, self._page(self.comments.get(post, []), params, path, raw_query), {}
        return 404, {"message": f"no such resource {path}", "status": 404}, {}

    def token(self, form: dict[str, str]) -> tuple[int, Any, dict]:
        """LinkedIn's OAuth token endpoint, refresh_token grant only (documented shape:
        access_token, expires_in, refresh_token, refresh_token_expires_in)."""
        with self.lock:
            self.refreshes.append(form)
        if form.get("grant_type") != "refresh_token":
            return 400, {"error": "unsupported_grant_type", "error_description": "x"}, {}
        if (form.get("client_id"), form.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return 401, {"error": "invalid_client", "error_description": "Client auth failed"}, {}
        minted = self.refresh_tokens.get(form.get("refresh_token", ""))
        if minted is None:
            return (
                400,
                {
                    "error": "invalid_grant",
                    "error_description": f"refresh token {form.get('refresh_token')} expired",
                },
                {},
            )
        self.tokens.add(minted)
        return (
            200,
            {
                "access_token": minted,
                "expires_in": 5184000,
                "refresh_token": form["refresh_token"],
                "refresh_token_expires_in": 31536000,
                "scope": "r_member_postAnalytics",
            },
            {},
        )

    def _time_bound(self, raw_query: str, element: Any) -> dict[str, Any]:
        """A time-bound statistics answer: one element per DAY bucket in the
        `timeIntervals=(timeRange:(start:MS,end:MS),timeGranularityType:DAY)` range that
        has figures (LinkedIn leaves out days without activity)."""
        import re
        from datetime import UTC, datetime

        found = re.search(
            r"timeIntervals=\(timeRange:\(start:(\d+),end:(\d+)\),timeGranularityType:DAY\)",
            raw_query,
        )
        if found is None:
            return {"status": 400, "message": "bad timeIntervals"}
        start, end = int(found.group(1)), int(found.group(2))
        elements = []
        for ms in range(start, end, 86_400_000):
            day = datetime.fromtimestamp(ms / 1000, tz=UTC).date().isoformat()
            body = element(day)
            if body is not None:
                span = {"timeRange": {"start": ms, "end": ms + 86_400_000}}
                elements.append(
                    {**span, **body, "organizationalEntity": "urn:li:organization:2414183"}
                )
        return {"paging": {"count": 10, "start": 0}, "elements": elements}

    def _share_day(self, day: str) -> dict[str, Any] | None:
        figures = self.org_days.get(day)
        return None if figures is None else {"totalShareStatistics": dict(figures)}

    def _follower_day(self, day: str) -> dict[str, Any] | None:
        gains = self.org_gains.get(day)
        if gains is None:
            return None
        return {"followerGains": {"organicFollowerGain": gains[0], "paidFollowerGain": gains[1]}}

    def _metric(self, name: str) -> Any:
        if self.metric_shape == "object":
            return {
                "com.linkedin.adsexternalapi.memberanalytics.v1.CreatorPostAnalyticsMetricTypeV1": name
            }
        return name

    def _post_analytics(self, raw_query: str, params: dict[str, str]) -> dict[str, Any]:
        # entity=(share:urn%3Ali%3Ashare%3A1): the union, its URN percent-encoded.
        entity = params.get("entity", "")
        urn = entity[entity.find(":") + 1 : -1] if entity.startswith("(") else ""
        metric = params.get("queryType", "")
        total = self.post_metrics.get(urn, {}).get(metric)
        elements = []
        if total is not None:
            member = "share" if ":share:" in urn else "ugc"
            elements.append(
                {"count": total, "metricType": self._metric(metric), "targetEntity": {member: urn}}
            )
        return {"paging": {"count": 10, "start": 0, "links": []}, "elements": elements}

    def _share_statistics(self, raw_query: str) -> dict[str, Any]:
        elements = []
        for kind in ("shares", "ugcPosts"):
            marker = f"{kind}=List("
            if marker in raw_query:
                listed = raw_query.split(marker, 1)[1].split(")", 1)[0]
                for item in listed.split(","):
                    urn = unquote(item)
                    counts = self.post_metrics.get(urn)
                    if counts:
                        elements.append(
                            {
                                "organizationalEntity": "urn:li:organization:2414183",
                                ("share" if kind == "shares" else "ugcPost"): urn,
                                "totalShareStatistics": {
                                    "impressionCount": counts.get("IMPRESSION", 0),
                                    "uniqueImpressionsCount": counts.get("MEMBERS_REACHED", 0),
                                    "likeCount": counts.get("REACTION", 0),
                                    "commentCount": counts.get("COMMENT", 0),
                                    "shareCount": counts.get("RESHARE", 0),
                                    "clickCount": counts.get("LINK_CLICKS", 0),
                                },
                            }
                        )
        return {"paging": {"count": 10, "start": 0}, "elements": elements}

    def _page(
        self, items: list[dict[str, Any]], params: dict[str, str], path: str, raw_query: str
    ) -> dict[str, Any]:
        start, count = int(params.get("start", 0)), int(params.get("count", 10))
        page = items[start : start + count]
        links = []
        if self.link_paging and start + count < len(items):
            rest = "&".join(
                p for p in raw_query.split("&") if not p.startswith(("start=", "count="))
            )
            links.append(
                {
                    "rel": "next",
                    "type": "application/json",
                    "href": f"{path}?{rest}&start={start + count}&count={count}",
                }
            )
        paging: dict[str, Any] = {"start": start, "count": count, "links": links}
        if not self.link_paging:
            paging["total"] = len(items)
        return {"paging": paging, "elements": page}


@contextmanager
def serve(fake: FakeLinkedIn) -> Iterator[str]:
    """Serve `fake` on 127.0.0.1; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, body, extra = fake.answer(parts.path, parts.query, headers)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            length = min(int(self.headers.get("Content-Length", 0) or 0), 64 * 1024)
            form = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
            if parts.path == "/oauth/v2/accessToken":
                status, body, _ = fake.token(form)
            else:
                status, body = 404, {"message": "no such resource"}
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
