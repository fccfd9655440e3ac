"""The interface catalogs: every string the code and the templates show is in the
Hungarian, German and Greek catalogs, translated; every catalog compiles; `wiki i18n
status` reports them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner

from wiki.cli import main
from wiki.i18n import COMPLETE
from wiki.i18n import TRANSLATIONS
from wiki.i18n import UI_LANGUAGES

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[str]:
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as source:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(source) if m.id}


@pytest.mark.parametrize("code", COMPLETE)
def test_every_string_of_the_code_is_translated(extracted, code):
    po = TRANSLATIONS / UI_LANGUAGES[code] / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as source:
        catalog = read_po(source)
    translated = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in catalog
        if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    missing = sorted(extracted - translated)
    assert missing == [], f"{code}: {len(missing)} strings are not translated, e.g. {missing[:5]}"


def test_every_catalog_compiles_with_its_placeholders_intact():
    for code, locale in UI_LANGUAGES.items():
        if code == "en":
            continue
        po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        assert po.exists(), f"no catalog for {code}"
        with po.open("rb") as source:
            catalog = read_po(source)
        problems = [
            (m.id, errors) for m in catalog for errors in [list(m.check(catalog))] if errors
        ]
        assert problems == [], f"{code}: {problems[:3]}"


def test_wiki_i18n_status_reports_each_catalog():
    result = CliRunner().invoke(main, ["i18n", "status"])
    assert result.exit_code == 0
    for code in ("hu", "de", "el", "it", "sq"):
        assert code in result.output
    assert "100.0 %" in result.output
