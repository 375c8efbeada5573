"""Every language of narratives/ says the same things: the same templates, each
citing the same values, and `rules check` names a template one language lacks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from jinja2 import Environment, nodes

from bot.cli import cli
from bot.demo import DEMO_NOW
from bot.digest.send import digest_for, digest_text
from bot.model import to_utc_text
from bot.pack import check_pack, language_of, load_pack
from bot.store import Store
from tests.conftest import ROOT, check_golden

NARRATIVES = ROOT / "narratives"
LANGUAGES = sorted(p.name for p in NARRATIVES.iterdir() if p.is_dir())
OTHERS = [lang for lang in LANGUAGES if lang != "en"]


def _templates(lang: str) -> set[str]:
    root = NARRATIVES / lang
    return {p.relative_to(root).as_posix() for p in root.rglob("*.j2")}


def _path(node: nodes.Node) -> list[str] | None:
    """`values.impressions` as ["values", "impressions"]; None for anything else."""
    if isinstance(node, nodes.Name):
        return [node.name]
    if isinstance(node, nodes.Getattr):
        base = _path(node.node)
        return None if base is None else [*base, node.attr]
    return None


_GLOBALS = {"range", "namespace", "loop", "locale", "dict", "cycler", "joiner", "caller"}


def cited(source: str) -> set[str]:
    """The values a template reads from its context, as dotted paths. A name the
    template binds itself reads as what it was bound to: `{% for s in slots %}` makes
    `s.hour` read as `slots[].hour`, `{% set w = part.week %}` makes `w.posts` read
    as `part.week.posts`; macro arguments and imported names are the template's own."""
    tree = Environment(extensions=["jinja2.ext.do"]).parse(source)
    aliases: dict[str, list[str] | None] = {}
    for loop in tree.find_all(nodes.For):
        for target in _names(loop.target):
            base = _path(loop.iter)
            if isinstance(loop.target, nodes.Name) and base is not None:
                aliases[target.name] = [*base[:-1], base[-1] + "[]"]
            else:
                aliases[target.name] = None
    for assign in tree.find_all(nodes.Assign):
        for target in _names(assign.target):
            aliases[target.name] = _path(assign.node)
    for macro in tree.find_all(nodes.Macro):
        for arg in macro.args:
            aliases[arg.name] = None
    for imported in tree.find_all(nodes.FromImport):
        for name in imported.names:
            aliases[name if isinstance(name, str) else name[-1]] = None
    found: set[str] = set()
    inner = {id(node.node) for node in tree.find_all(nodes.Getattr)}
    for node in [*tree.find_all(nodes.Getattr), *tree.find_all(nodes.Name)]:
        if id(node) in inner or (isinstance(node, nodes.Name) and node.ctx != "load"):
            continue
        path = _resolve(_path(node), aliases)
        if path is not None:
            found.add(".".join(path))
    return found


def _names(target: nodes.Node) -> list[nodes.Name]:
    """The names a target binds: itself, or those of a tuple."""
    return [target] if isinstance(target, nodes.Name) else list(target.find_all(nodes.Name))


def _resolve(path: list[str] | None, aliases: dict[str, list[str] | None]) -> list[str] | None:
    for _ in range(10):
        if path is None or path[0] in _GLOBALS:
            return None
        if path[0] not in aliases:
            return path
        base = aliases[path[0]]
        path = None if base is None else [*base, *path[1:]]
    return None


def test_the_citation_reader_follows_loops_and_sets():
    source = (
        "{% set w = part.week %}{{ w.posts|num }}{% for s in slots %}{{ s.hour }}{% endfor %}"
        '{% from "x.j2" import numbers %}{{ numbers(trait.others) }}{{ values.a if b }}'
    )
    assert cited(source) == {
        "part.week",
        "part.week.posts",
        "slots",
        "slots[].hour",
        "trait.others",
        "values.a",
        "b",
    }


def test_every_language_holds_every_english_template():
    assert OTHERS, "narratives/ should hold at least one language besides English"
    english = _templates("en")
    for lang in OTHERS:
        assert _templates(lang) == english, lang


@pytest.mark.parametrize("lang", OTHERS)
@pytest.mark.parametrize("name", sorted(_templates("en")))
def test_each_translation_cites_the_values_its_english_twin_cites(lang, name):
    english = (NARRATIVES / "en" / name).read_text(encoding="utf-8")
    other = (NARRATIVES / lang / name).read_text(encoding="utf-8")
    assert cited(other) == cited(english)
    # Slack builds messages block by block: the blocks must be the same too.
    env = Environment()
    blocks = {b.name for b in env.parse(english).find_all(nodes.Block)}
    assert {b.name for b in env.parse(other).find_all(nodes.Block)} == blocks


def test_rules_check_names_a_template_one_language_lacks(tmp_path: Path):
    narratives = tmp_path / "narratives"
    shutil.copytree(NARRATIVES, narratives)
    (narratives / "fr" / "messages" / "busy.j2").unlink()
    (narratives / "en" / "messages" / "only-english-left.j2").write_text("x\n")
    _, problems = check_pack(ROOT / "rules", narratives, "en")
    lines = [str(p) for p in problems]
    assert lines == [
        "narratives/fr/messages/busy.j2: missing: narratives/en has this template and "
        "narratives/fr does not; copy it from narratives/en and translate it",
        "narratives/fr/messages/only-english-left.j2: missing: narratives/en has this "
        "template and narratives/fr does not; copy it from narratives/en and translate it",
    ]


def test_rules_check_renders_every_language(tmp_path: Path):
    narratives = tmp_path / "narratives"
    shutil.copytree(NARRATIVES, narratives)
    (narratives / "fr" / "messages" / "usage.j2").write_text("{{ usage.nope.deeper }}\n")
    _, problems = check_pack(ROOT / "rules", narratives, "en")
    assert [p.file for p in problems] == ["narratives/fr/messages/usage.j2"]
    assert "undefined" in problems[0].message


def test_a_folder_that_is_no_language_is_named(tmp_path: Path):
    narratives = tmp_path / "narratives"
    shutil.copytree(NARRATIVES, narratives)
    (narratives / "drafts").mkdir()
    _, problems = check_pack(ROOT / "rules", narratives, "en")
    assert [str(p) for p in problems] == [
        "narratives/drafts: 'drafts' is not a language code (en, fr, de, pt_BR...); "
        "rename the folder or move it out of the narratives folder"
    ]


def test_the_pack_speaks_every_language_and_falls_back_to_its_own(pack):
    assert set(pack.languages) == set(LANGUAGES)
    assert pack.speaking("fr").narrator.locale == "fr"
    assert pack.speaking("fr-FR").narrator.locale == "fr"
    assert pack.speaking("de-DE") is pack
    assert pack.speaking(None) is pack
    assert language_of("fr_CA", ("en", "fr")) == "fr"
    french = load_pack(ROOT / "rules", NARRATIVES, "fr")
    assert french.narrator.locale == "fr"
    assert french.speaking("en").narrator.locale == "en"


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("NARRATOR_DB", str(tmp_path / "cli.db"))
    monkeypatch.setenv("NARRATOR_RULES", str(ROOT / "rules"))
    monkeypatch.setenv("NARRATOR_NARRATIVES", str(NARRATIVES))
    monkeypatch.delenv("NARRATOR_LOCALE", raising=False)
    return CliRunner()


def test_the_french_demo_reply_is_golden(runner: CliRunner, monkeypatch: pytest.MonkeyPatch):
    assert runner.invoke(cli, ["demo"]).exit_code == 0
    at = to_utc_text(DEMO_NOW)
    ask = ["ask", "last10 demo-creator", "--at", at]
    french = runner.invoke(cli, [*ask, "--lang", "fr", "--format", "slack"])
    assert french.exit_code == 0, french.output
    check_golden("ask-last10-demo-creator-fr.txt", french.stdout)
    # The terminal's reading of the same reply: the same French words, no Slack markup.
    text = runner.invoke(cli, [*ask, "--lang", "fr"])
    assert text.exit_code == 0, text.output
    check_golden("ask-last10-demo-creator-fr-terminal.txt", text.stdout)
    english = runner.invoke(cli, [*ask, "--format", "slack"])
    assert english.stdout.startswith("*Demo Creator: the last 10 posts*")
    # NARRATOR_LOCALE says the same as --lang; --lang wins over it.
    monkeypatch.setenv("NARRATOR_LOCALE", "fr")
    assert runner.invoke(cli, [*ask, "--format", "slack"]).stdout == french.stdout
    again = runner.invoke(cli, [*ask, "--lang", "en", "--format", "slack"])
    assert again.stdout == english.stdout


def test_a_language_without_narratives_is_refused_with_the_choices(runner: CliRunner):
    result = runner.invoke(cli, ["ask", "help", "--lang", "de"])
    assert result.exit_code == 2
    assert "Invalid value for --lang: no narratives in 'de'; the languages are en, fr" in (
        result.output
    )


def test_the_french_digest_is_golden(demo_store, pack):
    from tests.test_digest import SENT, sub

    french = pack.speaking("fr")
    digest = digest_for(demo_store, french, sub(), SENT)
    check_golden("digest-demo-fr.txt", digest_text(french, digest, sub()))


def test_a_digest_preview_speaks_the_channels_language(runner: CliRunner, tmp_path: Path):
    assert runner.invoke(cli, ["demo"]).exit_code == 0
    subscribe = ["digest", "subscribe", "--channel", "C0PARIS", "--account", "demo-creator"]
    subscribe += ["--weekly", "mon", "09:00", "--tz", "Europe/Paris"]
    assert runner.invoke(cli, subscribe).exit_code == 0
    with Store(tmp_path / "cli.db") as store:
        store.set_language("C0PARIS", "fr", by="U0ADMIN", at=DEMO_NOW)
    preview = ["digest", "preview", "--channel", "C0PARIS", "--at", "2026-11-23T08:00:00Z"]
    preview += ["--format", "slack"]
    french = runner.invoke(cli, preview)
    assert french.exit_code == 0, french.output
    assert french.stdout.startswith("*Récapitulatif de la semaine : du 16 nov. au 22 nov. 2026*")
    english = runner.invoke(cli, [*preview, "--lang", "en"])
    assert english.stdout.startswith("*Weekly digest: 16 Nov to 22 Nov 2026*")
