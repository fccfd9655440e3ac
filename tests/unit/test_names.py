import pytest

from wiki.errors import InvalidPageName
from wiki.pages.service import names


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Home", "Home"),
        ("  WG4/Cluster  financing ", "WG4/Cluster financing"),
        ("/WG4//", "WG4"),
        ("Klaszterfinanszírozás – őszi ülés", "Klaszterfinanszírozás – őszi ülés"),
        ("Straße", "Straße"),
        ("Ελληνικά/Πολιτική", "Ελληνικά/Πολιτική"),
        ("Cafe\u0301", "Café"),  # decomposed input becomes NFC
    ],
)
def test_valid_names_are_normalized(raw, expected):
    assert names.normalize(raw) == expected
    assert names.to_path(raw) == expected + ".md"


@pytest.mark.parametrize(
    "bad, fragment",
    [
        ("", "empty"),
        ("a//b", "empty folder"),
        ("../etc/passwd", "'..'"),
        ("WG4/../x", "'..'"),
        ("a:b", "cannot contain"),
        ('say "hi"', "cannot contain"),
        ("what?", "cannot contain"),
        ("star*", "cannot contain"),
        ("back\\slash", "cannot contain"),
        ("pipe|x", "cannot contain"),
        ("<tag>", "cannot contain"),
        ("CON", "reserved device"),
        ("nul.txt", "reserved device"),
        ("WG4/com1", "reserved device"),
        ("LPT9", "reserved device"),
        ("ends with dot.", "end with a dot"),
        ("-dash", "start with '-'"),
        (".hidden", "start with '.'"),
        ("x/.git/config", "start with '.'"),
        ("tab\there", "control"),
        ("zero\u200bwidth", "invisible"),
        ("x" * 201, "too long"),
        ("ő" * 61, "too long"),
    ],
)
def test_names_that_break_clones_are_refused(bad, fragment):
    with pytest.raises(InvalidPageName) as err:
        names.normalize(bad)
    assert fragment in err.value.message


def test_case_clash_finds_pages_and_folders():
    existing = {"WG4/Home", "Partnership"}
    assert names.case_clash("partnership", existing) == "Partnership"
    assert names.case_clash("wg4/New", existing) == "WG4"
    assert names.case_clash("WG4/New", existing) is None
    assert names.case_clash("Partnership", existing) is None


def test_path_and_name_round_trip():
    assert names.to_name("WG4/Home.md") == "WG4/Home"
    assert names.folder("WG4/Sub/Page") == "WG4/Sub"
    assert names.leaf("WG4/Sub/Page") == "Page"
    assert names.is_page_path("WG4/Home.md")
    assert not names.is_page_path(".hidden/x.md")
    assert not names.is_page_path("picture.png")
