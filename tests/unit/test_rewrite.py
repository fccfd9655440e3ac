"""Links to a renamed page are rewritten where they resolve to it, nowhere else."""

from wiki.pages.rewrite import rewrite_links

PAGES = {"Home", "WG4/Old", "WG4/Other", "WG2/Old", "Partners/Pannon", "Partners/ecoplus"}


def run(text, page, old="WG4/Old", new="WG4/New", fields=None):
    return rewrite_links(text, page, old, new, PAGES.__contains__, fields)


def test_wikilinks_absolute_relative_with_section_and_label():
    text, n = run("See [[WG4/Old]], [[Old|the old one]] and [[ Old#Costs ]].", "WG4/Other")
    assert text == "See [[WG4/New]], [[New|the old one]] and [[ New#Costs ]]." and n == 3
    text, n = run("[[Old]] here is WG2's own page.", "WG2/Page")
    assert n == 0 and text == "[[Old]] here is WG2's own page."  # resolves to WG2/Old
    text, n = run("[[Old]]", "WG4/Other", new="WG2/Moved")
    assert text == "[[WG2/Moved]]" and n == 1  # moved away: the full name


def test_code_is_left_alone_and_markdown_links_follow():
    source = "```\n[[WG4/Old]]\n```\n[text](Old.md) and [t](../WG4/Old.md#a)"
    text, n = run(source, "WG4/Other")
    assert text.startswith("```\n[[WG4/Old]]\n```\n") and "[text](New.md)" in text and n == 2
    text, n = run("[t](../WG4/Old.md#a)", "WG2/Page", new="WG4/New page")
    assert text == "[t](../WG4/New%20page.md#a)" and n == 1


def test_page_reference_fields_in_their_folder_form():
    fields = {"partner": "Partners", "participants": "Partners"}
    source = (
        "---\ntype: best-practice\npartner: Pannon\nparticipants: [ecoplus, Pannon]\n"
        "others:\n  - Pannon\nlist:\n  - x\n---\n# P\n"
    )
    text, n = run(
        source, "Best/P", old="Partners/Pannon", new="Partners/Pannon Network", fields=fields
    )
    assert "partner: Pannon Network\n" in text
    assert "participants: [ecoplus, Pannon Network]" in text
    assert "others:\n  - Pannon\n" in text  # not a page reference field
    assert n == 2
    text, n = run(
        "---\ntype: x\nparticipants:\n  - Pannon\n  - ecoplus\n---\n# P\n",
        "Best/P",
        old="Partners/Pannon",
        new="Partners/PBN",
        fields=fields,
    )
    assert "participants:\n  - PBN\n  - ecoplus\n" in text and n == 1
