import re

import pytest

from wiki.errors import InvalidContent
from wiki.pages.render import Renderer
from wiki.pages.render import slugify

EXISTING = {"Home", "WG4/Home", "WG4/Sibling", "WG2/Overview", "Partnership"}


@pytest.fixture(scope="module")
def renderer():
    return Renderer()


def render(renderer, text, name="WG4/Page"):
    return renderer.render(text, name=name, exists=lambda n: n in EXISTING)


def test_markdown_features(renderer):
    text = (
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~\n\n- [x] done\n- [ ] open\n\n"
        "Term\n: Definition\n\nA note.[^1]\n\n[^1]: The footnote.\n\nhttps://ec.europa.eu\n\n"
        "```python\ndef f():\n    return 1\n```\n"
    )
    html = str(render(renderer, text).html)
    assert "<table>" in html and "<td>1</td>" in html
    assert "<del>gone</del>" in html
    assert 'type="checkbox"' in html and "checked" in html
    assert "<dt>Term</dt>" in html and "<dd>Definition</dd>" in html
    assert 'class="footnotes"' in html and "The footnote." in html
    assert '<a href="https://ec.europa.eu"' in html
    assert 'class="highlight"' in html and '<span class="k">def</span>' in html


def test_headings_get_ids_and_a_toc(renderer):
    result = render(renderer, "# Title\n\n## Első lépés\n\n## Πολιτική\n\n## Πολιτική\n")
    assert [h.id for h in result.toc] == [
        "user-content-title",
        "user-content-első-lépés",
        "user-content-πολιτική",
        "user-content-πολιτική-2",
    ]
    assert 'id="user-content-első-lépés"' in str(result.html)
    assert result.title == "Title"
    assert "<h1" not in str(result.html)  # shown by the page header instead


def test_wikilinks(renderer):
    html = str(
        render(
            renderer,
            "[[Home]] [[Partnership|the partners]] [[Home#Some Section]] "
            "[[Missing page]] [[Sibling]] [[#Local]]",
        ).html
    )
    assert '<a class="wikilink" href="/Home" rel="noopener noreferrer">Home</a>' in html
    assert 'href="/Partnership"' in html and ">the partners</a>" in html
    assert 'href="/Home#some-section"' in html
    assert 'class="wikilink missing" href="/-/edit/Missing%20page"' in html
    assert 'href="/WG4/Sibling"' in html  # relative to the page's own folder
    assert 'href="#user-content-local"' in html  # where the prefixed heading id is


def test_wikilink_label_inside_a_table(renderer):
    html = str(render(renderer, "| a | b |\n|---|---|\n| [[Home|start]] | x |\n").html)
    assert '<td><a class="wikilink" href="/Home"' in html and ">start</a></td>" in html


def test_links_are_collected(renderer):
    result = render(renderer, "[[Home]] [x](../WG2/Overview.md) [[Nope]]")
    assert result.links == ["Home", "WG2/Overview", "Nope"]


def test_relative_md_links_work_in_the_wiki(renderer):
    html = str(
        render(
            renderer,
            "[o](../WG2/Overview.md#part) [s](Sibling.md) "
            "[m](Missing%20one.md) [ext](https://x.org/a.md)",
        ).html
    )
    assert 'href="/WG2/Overview#part"' in html
    assert 'href="/WG4/Sibling"' in html
    assert 'href="/-/edit/WG4/Missing%20one"' in html
    assert 'href="https://x.org/a.md"' in html


def test_front_matter_is_metadata_not_text(renderer):
    result = render(
        renderer, "---\ntitle: Guarantees\nlang: hu\ntags: [a, b]\ndate: 2013-05-14\n---\nBody\n"
    )
    assert result.title == "Guarantees"
    assert result.meta == {
        "title": "Guarantees",
        "lang": "hu",
        "tags": ["a", "b"],
        "date": "2013-05-14",
    }
    assert "lang:" not in str(result.html) and "Body" in str(result.html)


def test_invalid_front_matter_names_the_line(renderer):
    with pytest.raises(InvalidContent) as err:
        renderer.render("---\ntitle: ok\ntags: [unclosed\n---\nbody\n", strict=True)
    assert "line" in err.value.message
    with pytest.raises(InvalidContent):
        renderer.render("---\n- just\n- a list\n---\n", strict=True)
    # not strict (pages that arrived by git push): shown, never an error
    assert "body" in str(renderer.render("---\ntags: [unclosed\n---\nbody\n").html)


HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="java\u200bscript:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    "[x](vbscript:msgbox(1))",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
    '<iframe src="https://evil"></iframe>',
    '<object data="x"></object><embed src="x">',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="position:fixed;top:0">overlay</p>',
    "<style>body{display:none}</style>",
    '<form action="https://evil"><button>go</button></form>',
    '<a href="x" onclick="alert(1)">x</a>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<base href="https://evil/">',
    '<meta http-equiv="refresh" content="0;url=https://evil">',
    "[[javascript:alert(1)]]",
    "<details open ontoggle=alert(1)>",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_markdown_is_neutralized(renderer, hostile):
    html = str(renderer.render(hostile).html).lower()
    for bad in (
        "<script",
        "onerror",
        "onload",
        "onclick",
        "ontoggle",
        "<iframe",
        "<object",
        "<embed",
        "style=",
        "<style",
        "<form",
        "<base",
        "<meta",
        "xlink",
    ):
        assert bad not in html, (bad, html)
    for url in re.findall(r'(?:href|src)="([^"]*)"', html):
        squeezed = re.sub(r"[\s\x00-\x1f\u200b-\u200f]", "", url)
        assert not re.match(r"(javascript|vbscript|data):", squeezed), html


def test_slugify():
    assert slugify("Hello, World!") == "hello-world"
    assert slugify("  Maßnahmen im Überblick ") == "maßnahmen-im-überblick"


def test_page_html_cannot_pose_as_the_wiki(renderer):
    html = str(
        render(
            renderer,
            '<div class="flash success" id="preview">Saved.</div>\n\n'
            '<p class="notice muted wikilink" id="q">x</p>\n',
        ).html
    )
    assert "flash" not in html and "success" not in html and "notice" not in html
    assert 'id="preview"' not in html and 'id="user-content-preview"' in html
    assert 'id="q"' not in html and 'class="wikilink"' in html  # the renderer's own class


def test_the_renderers_own_classes_and_links_survive(renderer):
    text = "## Sec\n\n- [x] done\n\nx[^1] [up](#sec)\n\n[^1]: note\n\n```python\nx = 1\n```\n"
    html = str(render(renderer, text).html)
    for cls in ("task-list-item", "footnote-ref", "footnotes", "highlight", "language-python"):
        assert cls in html, cls
    assert 'href="#user-content-sec"' in html and 'id="user-content-sec"' in html
    assert 'href="#user-content-fn-1"' in html and 'id="user-content-fn-1"' in html
