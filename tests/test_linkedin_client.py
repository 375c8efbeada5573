"""The LinkedIn client against a fake LinkedIn on 127.0.0.1: headers, Rest.li encoding,
both response shapes, paging, and every failure LinkedIn documents."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.linkedin import parse, restli
from bot.linkedin.client import (
    LinkedInClient,
    LinkedInUnavailable,
    RateLimited,
    Unauthorized,
    VersionSunset,
)
from tests.linkedin_fake import TOKEN, Failure, FakeLinkedIn, serve

SHARE = "urn:li:share:7325786486870552578"
UGC = "urn:li:ugcPost:5678000000000000000"


def client(url: str, token: str = TOKEN, **options: object) -> LinkedInClient:
    slept: list[float] = []
    made = LinkedInClient(url, token, sleep=slept.append, jitter=lambda: 0.0, **options)  # type: ignore[arg-type]
    made.slept = slept  # type: ignore[attr-defined]
    return made


def analytics(linkedin: LinkedInClient, urn: str, metric: str) -> dict:
    return linkedin.get(
        "/rest/memberCreatorPostAnalytics",
        {"q": "entity", "entity": restli.entity(urn), "queryType": metric, "aggregation": "TOTAL"},
    )


def test_restli_encodes_urns_but_not_its_own_syntax():
    assert restli.entity(SHARE) == "(share:urn%3Ali%3Ashare%3A7325786486870552578)"
    assert restli.entity(UGC) == "(ugc:urn%3Ali%3AugcPost%3A5678000000000000000)"
    assert restli.restli_list([SHARE, "urn:li:share:2"]) == (
        "List(urn%3Ali%3Ashare%3A7325786486870552578,urn%3Ali%3Ashare%3A2)"
    )
    assert restli.date_range(date(2025, 5, 1), date(2025, 5, 31)) == (
        "(start:(year:2025,month:5,day:1),end:(year:2025,month:5,day:31))"
    )
    with pytest.raises(ValueError, match="not a share or ugcPost URN"):
        restli.entity("urn:li:activity:7204703086211198976")


@pytest.mark.parametrize("shape", ["string", "object"])
def test_both_metric_type_shapes_are_read(shape: str):
    fake = FakeLinkedIn(post_metrics={SHARE: {"IMPRESSION": 1204}}, metric_shape=shape)
    with serve(fake) as url, client(url) as linkedin:
        values = parse.post_analytics(analytics(linkedin, SHARE, "IMPRESSION"))
        empty = parse.post_analytics(analytics(linkedin, SHARE, "POST_SAVE"))
    assert values == [parse.MetricValue("IMPRESSION", 1204)]
    assert empty == []  # no data, not zero


def test_every_call_carries_the_version_protocol_and_finder_headers():
    fake = FakeLinkedIn(post_metrics={SHARE: {"REACTION": 7}})
    with serve(fake) as url, client(url, version="202606") as linkedin:
        analytics(linkedin, SHARE, "REACTION")
    path, query, headers = fake.requests[0]
    assert path == "/rest/memberCreatorPostAnalytics"
    assert "entity=(share:urn%3Ali%3Ashare%3A7325786486870552578)" in query
    assert headers["linkedin-version"] == "202606"
    assert headers["x-restli-protocol-version"] == "2.0.0"
    assert headers["x-restli-method"] == "FINDER"
    assert headers["authorization"] == f"Bearer {TOKEN}"


def test_share_statistics_in_batches_with_restli_lists():
    fake = FakeLinkedIn(post_metrics={SHARE: {"IMPRESSION": 5287, "MEMBERS_REACHED": 3100}})
    with serve(fake) as url, client(url) as linkedin:
        body = linkedin.get(
            "/rest/organizationalEntityShareStatistics",
            {
                "q": "organizationalEntity",
                "organizationalEntity": restli.urn("urn:li:organization:2414183"),
                "shares": restli.restli_list([SHARE]),
            },
        )
    (stats,) = parse.share_statistics(body)
    assert stats.post == SHARE
    assert (stats.counts["impressions"], stats.counts["members_reached"]) == (5287, 3100)
    assert "shares=List(urn%3Ali%3Ashare%3A7325786486870552578)" in fake.requests[0][1]


@pytest.mark.parametrize("links", [True, False], ids=["paging.links", "start-count"])
def test_paging_reads_every_element_once(links: bool):
    posts = [
        {"id": f"urn:li:share:{i}", "lifecycleState": "PUBLISHED", "publishedAt": 1719830000000}
        for i in range(23)
    ]
    fake = FakeLinkedIn(org_posts=posts, link_paging=links)
    with serve(fake) as url, client(url) as linkedin:
        read = list(
            linkedin.paged(
                "/rest/posts",
                {"q": "author", "author": restli.urn("urn:li:organization:53510973")},
                count=10,
            )
        )
    assert [p["id"] for p in read] == [p["id"] for p in posts]
    assert len(fake.requests) == 3


def test_a_429_with_retry_after_says_how_long():
    fake = FakeLinkedIn(failures=[Failure(429, {"status": 429}, {"Retry-After": "120"})])
    with serve(fake) as url, client(url) as linkedin, pytest.raises(RateLimited) as caught:
        analytics(linkedin, SHARE, "IMPRESSION")
    assert caught.value.retry_after == 120
    assert str(caught.value) == (
        "LinkedIn's rate limit for memberCreatorPostAnalytics is reached; it resets in 2 minutes"
    )


def test_a_short_retry_after_is_waited_out_within_the_call():
    fake = FakeLinkedIn(
        post_metrics={SHARE: {"IMPRESSION": 10}},
        failures=[Failure(429, {"status": 429}, {"Retry-After": "7"})],
    )
    with serve(fake) as url, client(url) as linkedin:
        values = parse.post_analytics(analytics(linkedin, SHARE, "IMPRESSION"))
        assert linkedin.slept == [7.0]  # type: ignore[attr-defined]
    assert values == [parse.MetricValue("IMPRESSION", 10)]


def test_a_daily_429_without_retry_after_waits_until_utc_midnight():
    body = {
        "status": 429,
        "serviceErrorCode": 101,
        "code": "TOO_MANY_REQUESTS",
        "message": "Resource level throttle APPLICATION_AND_MEMBER DAY limit for calls to "
        "this resource is reached.",
    }
    now = datetime(2026, 12, 2, 21, 30, tzinfo=UTC)
    fake = FakeLinkedIn(failures=[Failure(429, body)])
    with (
        serve(fake) as url,
        client(url, now=lambda: now) as linkedin,
        pytest.raises(RateLimited) as caught,
    ):
        analytics(linkedin, SHARE, "IMPRESSION")
    assert (caught.value.retry_after, caught.value.daily) == (2.5 * 3600, True)
    assert str(caught.value).endswith("is reached for today; it resets in 2.5 hours")


def test_an_expired_token_says_what_to_do_and_never_shows_the_token():
    fake = FakeLinkedIn()
    with (
        serve(fake) as url,
        client(url, token="li-expired-secret-token") as linkedin,
        pytest.raises(Unauthorized) as caught,
    ):
        analytics(linkedin, SHARE, "IMPRESSION")
    assert "NARRATOR_LINKEDIN_TOKEN" in str(caught.value)
    assert "li-expired-secret-token" not in str(caught.value)


def test_a_sunset_version_is_named_with_the_setting():
    fake = FakeLinkedIn()
    with (
        serve(fake) as url,
        client(url, version="202401") as linkedin,
        pytest.raises(VersionSunset, match="no longer serves API version 202401"),
    ):
        analytics(linkedin, SHARE, "IMPRESSION")


def test_a_burst_of_5xx_is_retried_with_backoff_then_answered():
    burst = [Failure(503, {"status": 503}) for _ in range(3)]
    fake = FakeLinkedIn(post_metrics={SHARE: {"IMPRESSION": 10}}, failures=burst)
    with serve(fake) as url, client(url) as linkedin:
        values = parse.post_analytics(analytics(linkedin, SHARE, "IMPRESSION"))
        assert linkedin.slept == [1.0, 2.0, 4.0]  # type: ignore[attr-defined]
        assert linkedin.count.calls == 4
    assert values == [parse.MetricValue("IMPRESSION", 10)]


def test_5xx_past_the_retries_is_one_clear_error():
    fake = FakeLinkedIn(failures=[Failure(500, {}) for _ in range(10)])
    with (
        serve(fake) as url,
        client(url) as linkedin,
        pytest.raises(
            LinkedInUnavailable, match="answered 500 to memberCreatorPostAnalytics 5 times"
        ),
    ):
        analytics(linkedin, SHARE, "IMPRESSION")


def test_comments_count_the_authors_own_replies_apart():
    author = "urn:li:person:zLqTygBP8S"
    comments = [
        {"actor": "urn:li:person:other1", "message": {"text": "Great"}},
        {"actor": author, "message": {"text": "Thanks!"}},
        {"actor": "urn:li:person:other2", "message": {"text": "Agreed"}},
    ]
    fake = FakeLinkedIn(comments={SHARE: comments})
    with serve(fake) as url, client(url) as linkedin:
        elements = list(
            linkedin.paged(f"/rest/socialActions/{restli.urn(SHARE)}/comments", {}, count=2)
        )
    assert parse.comment_counts(elements, author) == (3, 1)


def test_a_next_link_to_another_host_is_never_followed():
    """The token goes with every call: a next link off the API would have carried it."""
    fake = FakeLinkedIn()
    body = {
        "paging": {"links": [{"rel": "next", "href": "https://evil.example/steal?start=10"}]},
        "elements": [{"id": "urn:li:share:1", "lifecycleState": "PUBLISHED"}] * 10,
    }
    fake.failures = [Failure(200, body)]
    with serve(fake) as url, client(url) as linkedin:
        read = list(linkedin.paged("/rest/posts", {"q": "author"}, count=10))
    # The foreign link is ignored; paging goes on by start/count, on the API.
    assert len(read) == 10
    assert all(path.startswith("/rest/") for path, *_ in fake.requests)


def test_an_empty_page_with_a_next_link_ends_the_paging():
    fake = FakeLinkedIn()
    empty = {
        "paging": {"links": [{"rel": "next", "href": "/rest/posts?q=author&start=10"}]},
        "elements": [],
    }
    fake.failures = [Failure(200, empty) for _ in range(5)]
    with serve(fake) as url, client(url) as linkedin:
        assert list(linkedin.paged("/rest/posts", {"q": "author"}, count=10)) == []
    assert len(fake.requests) == 1
