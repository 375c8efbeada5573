"""Issue #13's "done when", through last10 as a team sees it: posts read hourly for
their first six hours, then twice a day with a reading missed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.commands import handle
from bot.commands.last10 import TRAIT_MIN_POSTS, TRAIT_SHARE
from bot.ingest.csvfile import parse_csv
from bot.pack import Pack
from bot.store import Store

AT = datetime(2026, 3, 10, 9, tzinfo=UTC)
HEADER = (
    "account,post,published_at,observed_at,impressions,members_reached,"
    "reactions,comments,reposts,saves,followers\n"
)
#: Hourly for six hours, then twice a day; the reading at hour 36 was missed.
HOURS = (1, 2, 3, 4, 5, 6, 12, 24, 48, 60, 72, 84)


def rows(account: str, post: str, published: datetime, readings, *, saves=None) -> list[str]:
    """CSV rows for (hour, impressions, reach) readings; reactions at 4% of impressions, no reposts."""
    out = []
    for i, (hour, impressions, reach) in enumerate(readings):
        kept = "" if saves is None else str(round(saves * (i + 1) / len(readings)))
        moment = (published + timedelta(hours=hour)).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append(
            f"{account},{post},{published:%Y-%m-%dT%H:%M:%SZ},{moment},{impressions},{reach},"
            f"{impressions // 25},2,0,{kept},5000"
        )
    return out


def curve(cumulative: list[int], reach_share: float = 0.6) -> list[tuple[int, int, int]]:
    return [(h, c, int(c * reach_share)) for h, c in zip(HOURS, cumulative, strict=True)]


PUBLISHED = AT - timedelta(hours=96)
CURVES = {
    # 500 impressions in hour 2, then little: the peak and first-day share are proven.
    "one-wave": [300, 800, 1000, 1100, 1150, 1180, 1230, 1260, 1280, 1285, 1290, 1292],
    # 10 an hour on day one, 20 on day two, 40 on day three.
    "slow-build": [10, 20, 30, 40, 50, 60, 120, 240, 720, 1200, 1680, 2160],
    # 50 an hour for six hours, then 4,800 between hour 6 and 12.
    "late-spike": [50, 100, 150, 200, 250, 300, 5100, 5600, 5900, 6000, 6050, 6080],
    # Hour 4 gained 400, but hours 7 to 12 gained 1,000 between them: either may hold the peak.
    "open": [100, 300, 600, 1000, 1350, 1650, 2650, 2700, 2750, 2760, 2770, 2775],
}


def test_curve_diagnoses_from_realistic_readings(store: Store, pack: Pack):
    lines = [
        row
        for name, cumulative in CURVES.items()
        for row in rows(name, name, PUBLISHED, curve(cumulative))
    ]
    store.write(parse_csv(HEADER + "\n".join(lines) + "\n", "posts.csv"))
    said = {name: handle(f"last10 {name}", store=store, pack=pack, at=AT).text for name in CURVES}
    assert "*One wave.* Impressions peaked in hour 2 and 98%" in said["one-wave"]
    assert "*Slow build.* 57% of its first three days' impressions" in said["slow-build"]
    assert "*Late spike.* Impressions peaked in hour 7 to 12, past hour 4" in said["late-spike"]
    assert "*One wave.*" not in said["late-spike"]
    # Not decided, and the reply names the one reading that would decide it.
    assert "*One wave.*" not in said["open"]
    assert "*Late spike.*" not in said["open"]
    assert "#1 needs one more between hour 6 and 12" in said["open"]


def test_a_post_recycled_since_its_first_hours_is_flagged_at_hour_50(store: Store, pack: Pack):
    published = AT - timedelta(hours=50)
    readings = [
        (1, 100, 80),
        (2, 200, 150),
        (3, 280, 170),
        (4, 350, 180),
        (5, 410, 185),
        (6, 460, 190),
        (13, 600, 195),
        (25, 750, 200),  # hour 37 missed
        (50, 1000, 210),
    ]
    store.write(
        parse_csv(HEADER + "\n".join(rows("acme", "p1", published, readings)) + "\n", "x.csv")
    )
    text = handle("last10 acme", store=store, pack=pack, at=AT).text
    assert "*Recycled, not expanding.* From hour 2 to hour 50, impressions grew 5.0×" in text
    assert "members reached grew only 1.4×" in text


def test_the_articles_10k_against_20k_comparison_is_narrated(store: Store, pack: Pack):
    def shape(final: int) -> list[tuple[int, int, int]]:
        share = (0.1, 0.25, 0.38, 0.48, 0.55, 0.6, 0.72, 0.83, 0.92, 0.96, 0.99, 1.0)
        return [
            (h, round(final * s), round(final * s * 0.7)) for h, s in zip(HOURS, share, strict=True)
        ]

    lines = rows("acme", "ten-k", AT - timedelta(hours=96), shape(10000), saves=50)
    lines += rows("acme", "twenty-k", AT - timedelta(hours=120), shape(20000), saves=30)
    store.write(parse_csv(HEADER + "\n".join(lines) + "\n", "posts.csv"))
    text = handle("last10 acme", store=store, pack=pack, at=AT).text
    assert (
        "*Fewer views, more kept.* #1 drew 10,000 impressions and 50 saves, reposts and sends "
        "(5.0 per 1,000 impressions); #2 drew 20,000 impressions but 30 (1.5 per 1,000). "
        "Judged on what people kept, #1 did 3.3× better with fewer views"
    ) in text


def test_the_demo_repeats_no_finding_under_most_posts_and_pends_in_two_lines(
    demo_store: Store, pack: Pack
):
    from bot.demo import DEMO_NOW

    for account in ("demo-creator", "demo-page"):
        reply = handle(f"last10 {account}", store=demo_store, pack=pack, at=DEMO_NOW)
        shown = len(reply.context["posts"])
        under: dict[str, int] = {}
        for group in reply.context["standouts"]:
            for finding in group["findings"]:
                under[finding["rule"]] = under.get(finding["rule"], 0) + 1
        for rule, count in under.items():
            assert count < TRAIT_MIN_POSTS or count <= TRAIT_SHARE * shown, (account, rule)
        pending = [
            line
            for line in reply.text.splitlines()
            if line.startswith(("_Not enough to go on", "_Too early", "_#"))
        ]
        assert len(pending) <= 2, pending
