"""The one identity key of user and group names, and the mixed-script rule."""

from __future__ import annotations

import pytest

from wiki.access.identity import mixes_scripts
from wiki.access.identity import name_key


@pytest.mark.parametrize(
    "one, other",
    [
        ("strauß", "strauss"),  # casefold: ß is ss
        ("STRAUSS", "Strauß"),
        ("ſm", "sm"),  # the long s is an s (NFKC)
        ("ｓｍ", "sm"),  # full-width letters
        ("Ǆemal", "džemal"),  # a compatibility digraph is its two letters
        ("ǅemal", "DŽEMAL"),
        ("ﬁsh", "fish"),  # a ligature
        ("kova\u0301cs", "kovács"),  # decomposed (as macOS types it) or not
        (" ana ", "ANA"),
    ],
)
def test_names_that_are_the_same_share_a_key(one, other):
    assert name_key(one) == name_key(other)


@pytest.mark.parametrize(
    "one, other",
    [("kovács", "kovacs"), ("đorđe", "dorde"), ("раdmin", "padmin"), ("ana", "anna")],
)
def test_different_names_keep_different_keys(one, other):
    assert name_key(one) != name_key(other)


@pytest.mark.parametrize("name", ["раdmin", "аdmin", "admin\u03bf", "µser"])
def test_names_mixing_scripts_are_caught(name):
    assert mixes_scripts(name)


@pytest.mark.parametrize(
    "name", ["kovács", "Παπαδόπουλος", "đorđe", "Иванов", "maria.rossi-2", "山田たろう", "ｓｍ"]
)
def test_names_in_one_script_are_fine(name):
    assert not mixes_scripts(name)
