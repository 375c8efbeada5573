"""The words follow the rules: the legend quotes the threshold that applied, and
saves + shares per 1,000 is spelt out where a reader first meets it."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from bot.commands import handle
from bot.ingest.csvfile import parse_csv
from bot.pack import Pack, load_pack
from bot.store import Store

AT = datetime(2026, 3, 30, 12, tzinfo=UTC)
CSV = (
    "account,post,published_at,observed_at,impressions,members_reached,reactions,comments,reposts,followers\n"
    "acme,p1,2026-03-20T09:00:00Z,2026-03-25T09:00:00Z,4500,1000,150,5,3,800\n"
)


def test_the_legend_quotes_the_shipped_threshold_before_the_table(store: Store, pack: Pack):
    store.write(parse_csv(CSV, "posts.csv"))
    text = handle("last10 acme", store=store, pack=pack, at=AT).text
    lines = text.splitlines()
    legend = lines[1]  # under the title, before the table where S+S/1k first appears
    assert lines.index(legend) < lines.index("```")
    assert legend.startswith("_S+S/1k: saves, reposts and sends per 1,000 impressions")
    assert "(above 1:5 means the same people again and again)" in legend
    assert text.count("S+S/1k:") == 1


def test_a_lead_who_changes_max_ratio_sees_the_new_value_everywhere(
    store: Store, root: Path, tmp_path: Path
):
    shutil.copytree(root / "rules", tmp_path / "rules")
    shutil.copytree(root / "narratives", tmp_path / "narratives")
    rules = tmp_path / "rules" / "distribution.yaml"
    rules.write_text(
        rules.read_text(encoding="utf-8").replace("max_ratio: 5", "max_ratio: 4"), encoding="utf-8"
    )
    edited = load_pack(tmp_path / "rules", tmp_path / "narratives", "en")
    store.write(parse_csv(CSV, "posts.csv"))  # 4,500 from 1,000 people: 1:4.5
    text = handle("last10 acme", store=store, pack=edited, at=AT).text
    assert "(above 1:4 means the same people again and again)" in text
    assert "That is past 1:4" in text
    assert "1:5" not in text


def test_followers_in_the_header_and_in_findings_are_the_same_count_as_of_the_moment_asked(
    store: Store, pack: Pack
):
    # 800 followers when the post went out, 1,000 by the moment asked, 1,500 later on.
    store.write(
        parse_csv(
            "account,post,published_at,observed_at,impressions,members_reached,reactions,comments,reposts,followers\n"
            "acme,p1,2026-03-20T09:00:00Z,2026-03-20T10:00:00Z,900,600,30,2,1,800\n"
            "acme,p1,2026-03-20T09:00:00Z,2026-03-25T09:00:00Z,4500,2000,150,5,3,1000\n"
            "acme,p1,2026-03-20T09:00:00Z,2026-04-02T09:00:00Z,4600,2050,150,5,3,1500\n",
            "posts.csv",
        )
    )
    reply = handle("last10 acme", store=store, pack=pack, at=AT)
    title = reply.text.splitlines()[0]
    assert "1,000 followers" in title
    assert "4,500 impressions with 1,000 followers is 4.5 per follower" in reply.text
    assert "800 followers" not in reply.text
    assert "1,500" not in reply.text
    (post,) = reply.data["posts"]
    assert post["followers"] == 1000
