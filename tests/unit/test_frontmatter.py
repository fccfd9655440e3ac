"""Front matter: ordinary YAML parses; nothing in it can make the parser expand or recurse."""

from __future__ import annotations

import time

import pytest

from wiki.errors import InvalidContent
from wiki.pages.service import frontmatter

BOMB = (
    "---\n"
    "title: Bomb\n"
    "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
    "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
    "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
    "---\n"
    "# Bomb\n"
)


def test_ordinary_front_matter_still_parses():
    doc = frontmatter.parse(
        "---\ntitle: Hello\ntags: [a, b]\ndate: 2024-05-01\nnested:\n  k: [1, {x: y}]\n"
        "empty:\n---\n# Body\n"
    )
    assert doc.meta == {
        "title": "Hello",
        "tags": ["a", "b"],
        "date": "2024-05-01",
        "nested": {"k": [1, {"x": "y"}]},
        "empty": None,
    }
    assert doc.body == "# Body\n" and doc.body_line == 9


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("---\ntitle: x\nfoo: &a bar\n---\n", 3),  # an anchor alone
        ("---\ntitle: x\nfoo: *a\n---\n", 3),  # an alias alone
        ("---\nbase: &b {k: v}\nother:\n  <<: *b\n---\n", 2),  # a merge key
        ("---\nlist:\n  - &x one\n  - *x\n---\n", 3),
        (BOMB, 3),
    ],
)
def test_anchors_and_aliases_are_refused_naming_the_line(text, line):
    with pytest.raises(InvalidContent) as caught:
        frontmatter.parse(text)
    assert caught.value.status == 400
    assert caught.value.message == (
        f"Front matter line {line}: anchors and aliases (&name, *name) are not allowed."
    )


def test_the_alias_bomb_is_refused_at_once_and_shown_as_text_when_not_strict():
    started = time.monotonic()
    with pytest.raises(InvalidContent):
        frontmatter.parse(BOMB)
    doc = frontmatter.parse(BOMB, strict=False)
    assert time.monotonic() - started < 1
    assert doc.meta == {} and doc.body == BOMB


def test_nesting_is_bounded():
    ok = "---\nx: " + "[" * frontmatter.MAX_DEPTH + "1" + "]" * frontmatter.MAX_DEPTH + "\n---\n"
    assert frontmatter.parse(ok).meta["x"]
    deep = "---\nx: " + "[" * 1000 + "1" + "]" * 1000 + "\n---\n"
    with pytest.raises(InvalidContent) as caught:
        frontmatter.parse(deep)
    assert caught.value.message == (
        f"Front matter line 2: lists and mappings may be nested at most "
        f"{frontmatter.MAX_DEPTH} deep."
    )
    assert frontmatter.parse(deep, strict=False).meta == {}


def test_the_number_of_items_is_bounded():
    ok = "---\nx: [" + ", ".join(["1"] * (frontmatter.MAX_ITEMS - 3)) + "]\n---\n"
    assert len(frontmatter.parse(ok).meta["x"]) == frontmatter.MAX_ITEMS - 3
    many = "---\ntitle: x\nx:\n" + "  - 1\n" * frontmatter.MAX_ITEMS + "---\n"
    with pytest.raises(InvalidContent) as caught:
        frontmatter.parse(many)
    assert caught.value.message == (
        # values counted: the mapping, "title", "x", "x", the list, then its items: item
        # MAX_ITEMS - 4, on line 3 + MAX_ITEMS - 4, is one too many
        f"Front matter line {frontmatter.MAX_ITEMS - 1}: the front matter may hold at most "
        f"{frontmatter.MAX_ITEMS:,} values."
    )


def test_syntax_errors_still_name_their_line():
    with pytest.raises(InvalidContent) as caught:
        frontmatter.parse("---\ntitle: ok\ntags: [unclosed\n---\n")
    assert "line" in caught.value.message and "front matter" in caught.value.message
