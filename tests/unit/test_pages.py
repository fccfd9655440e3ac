import pytest

from tests.conftest import TEST_AUTHOR
from wiki.errors import EditConflict
from wiki.errors import InvalidContent
from wiki.errors import InvalidPageName
from wiki.errors import PageNotFound
from wiki.pages.linkindex import LinkIndex
from wiki.pages.render import Renderer
from wiki.pages.service import Wiki


@pytest.fixture
def wiki(content_repo):
    return Wiki(content_repo, Renderer(), max_page_bytes=10_000)


def test_page_has_title_meta_and_last_change(wiki):
    page = wiki.page("WG4/Home")
    assert page.title == "WG4 Financing"
    assert page.meta["wg"] == "WG4"
    assert page.last_change.author.name == TEST_AUTHOR.name


def test_missing_links_follow_new_pages(wiki):
    assert "missing" in str(wiki.page("Home").rendered.html)
    wiki.save_page(
        "Missing page", "# Here now\n", author=TEST_AUTHOR, message="", base_revision=None
    )
    assert "wikilink missing" not in str(wiki.page("Home").rendered.html)


def test_save_rejects_case_clashes_and_bad_front_matter(wiki):
    with pytest.raises(InvalidPageName) as err:
        wiki.save_page("wg4/Other", "x\n", author=TEST_AUTHOR, message="", base_revision=None)
    assert "letter case" in err.value.message
    with pytest.raises(InvalidContent) as err:
        wiki.save_page(
            "New", "---\ntitle: [\n---\n", author=TEST_AUTHOR, message="", base_revision=None
        )
    assert "line 2" in err.value.message
    with pytest.raises(InvalidContent):
        wiki.save_page("Big", "x" * 20_000, author=TEST_AUTHOR, message="", base_revision=None)
    with pytest.raises(InvalidContent):
        wiki.save_page("Empty", "  \n", author=TEST_AUTHOR, message="", base_revision=None)


def test_default_messages(wiki):
    wiki.save_page("Fresh", "a\n", author=TEST_AUTHOR, message="", base_revision=None)
    wiki.save_page("Fresh", "b\n", author=TEST_AUTHOR, message=" ", base_revision=wiki.head())
    assert [r.message for r in wiki.history("Fresh")] == ["Update Fresh", "Create Fresh"]


def test_rename_and_the_old_name_leads_to_the_new(wiki):
    new = wiki.rename_page("WG4/Guarantees", "WG4/Guarantee funds", author=TEST_AUTHOR)
    assert new == "WG4/Guarantee funds"
    assert not wiki.exists("WG4/Guarantees")
    assert wiki.renamed_to("WG4/Guarantees") == "WG4/Guarantee funds"
    wiki.rename_page("WG4/Guarantee funds", "Archive/Guarantees", author=TEST_AUTHOR)
    assert wiki.renamed_to("WG4/Guarantees") == "Archive/Guarantees"  # follows the chain
    with pytest.raises(InvalidPageName):
        wiki.rename_page("Archive/Guarantees", "Home", author=TEST_AUTHOR)


def test_restore_makes_a_new_revision(wiki):
    first = wiki.history("Home")[0].id
    wiki.save_page("Home", "changed\n", author=TEST_AUTHOR, message="", base_revision=wiki.head())
    result = wiki.restore_page("Home", first, author=TEST_AUTHOR)
    assert wiki.source("Home").startswith("# Home")
    assert len(wiki.history("Home")) == 3
    assert "Restore" in result.revision.message


def test_restore_a_deleted_and_a_renamed_page(wiki):
    wiki.delete_page("WG4/Guarantees", author=TEST_AUTHOR)
    old = wiki.history("WG4/Guarantees")[1].id
    wiki.restore_page("WG4/Guarantees", old, author=TEST_AUTHOR)
    assert wiki.exists("WG4/Guarantees")
    wiki.rename_page("WG4/Guarantees", "WG4/Moved", author=TEST_AUTHOR)
    wiki.save_page(
        "WG4/Moved", "new text\n", author=TEST_AUTHOR, message="", base_revision=wiki.head()
    )
    seed = wiki.history("WG4/Moved")[-1].id
    wiki.restore_page("WG4/Moved", seed, author=TEST_AUTHOR)  # from before the rename
    assert wiki.source("WG4/Moved").startswith("# Guarantees")


def test_diff_follows_renames(wiki):
    seed = wiki.history("WG4/Guarantees")[0].id
    wiki.rename_page("WG4/Guarantees", "Moved", author=TEST_AUTHOR)
    old, new, _, _ = wiki.diff("Moved", seed, wiki.head())
    assert old == new and old.startswith("# Guarantees")


def test_backlinks(wiki):
    assert wiki.backlinks("WG4/Home") == ["Home", "WG4/Guarantees"]
    assert wiki.backlinks("WG4/Guarantees") == []


@pytest.fixture()
def linked(content_repo, tmp_path):
    links = LinkIndex(tmp_path / "links.sqlite")
    wiki = Wiki(content_repo, Renderer(), links=links)
    wiki.rebuild_links()
    yield wiki
    links.close()


def test_backlinks_come_from_the_link_table_kept_at_each_commit(linked, monkeypatch):
    assert linked.links.head() == linked.head()
    assert linked.backlinks("WG4/Home") == ["Home", "WG4/Guarantees"]

    def no_grep(*args, **kwargs):
        raise AssertionError("the link table should answer")

    monkeypatch.setattr(linked, "_backlinks_by_grep", no_grep)
    linked.save_page(
        "Notes",
        "See [[WG4/Guarantees]] and [[Nowhere]].\n",
        author=TEST_AUTHOR,
        message="",
        base_revision=None,
    )
    assert linked.links.head() == linked.head()  # the save brought the table along
    assert linked.backlinks("WG4/Guarantees") == ["Notes"]
    assert linked.backlinks("Nowhere") == ["Notes"]
    linked.save_page(
        "Notes", "No links any more.\n", author=TEST_AUTHOR, message="", base_revision=linked.head()
    )
    assert linked.backlinks("WG4/Guarantees") == []
    linked.save_page(
        "Notes", "[[WG4/Guarantees]]\n", author=TEST_AUTHOR, message="", base_revision=linked.head()
    )
    linked.rename_page("Notes", "Archive/Notes", author=TEST_AUTHOR)
    assert linked.backlinks("WG4/Guarantees") == ["Archive/Notes"]
    linked.delete_page("Archive/Notes", author=TEST_AUTHOR)
    assert linked.backlinks("WG4/Guarantees") == []


def test_the_link_table_catches_up_with_commits_made_elsewhere(linked, content_repo):
    other = Wiki(content_repo, Renderer())  # no link table: a push, another tool
    other.save_page(
        "Pushed", "[[WG4/Guarantees]]\n", author=TEST_AUTHOR, message="", base_revision=None
    )
    assert linked.links.head() != linked.head()
    assert linked.backlinks("WG4/Guarantees") == ["Pushed"]
    assert linked.links.head() == linked.head()


def test_without_its_table_backlinks_are_searched_and_the_table_built(content_repo, tmp_path):
    links = LinkIndex(tmp_path / "links.sqlite")
    wiki = Wiki(content_repo, Renderer(), links=links)
    assert wiki.backlinks("WG4/Home") == ["Home", "WG4/Guarantees"]  # answered by a search
    wiki._links_thread.join(10)
    assert links.head() == wiki.head()
    assert links.sources("WG4/Home") and set(links.sources("WG4/Home")) == {
        "Home",
        "WG4/Guarantees",
    }
    links.close()


def test_tree_and_sections(wiki):
    tree = wiki.tree()
    assert set(tree.children) == {"Home", "WG4"}
    assert tree.children["WG4"].count() == 2
    assert wiki.sections() == [("WG4", "WG4 Financing")]


def test_conflict_from_the_domain(wiki):
    base = wiki.head()
    wiki.save_page("Home", "theirs\n", author=TEST_AUTHOR, message="", base_revision=base)
    with pytest.raises(EditConflict):
        wiki.save_page("Home", "mine\n", author=TEST_AUTHOR, message="", base_revision=base)


def test_missing_page(wiki):
    with pytest.raises(PageNotFound):
        wiki.page("Nope")


def _shape(node):
    return (node.name, node.is_page, {k: _shape(v) for k, v in node.children.items()})


def test_incremental_tree_matches_a_fresh_one(wiki, content_repo):
    wiki.tree()  # built once, then only patched
    wiki.save_page("A/B/C", "x\n", author=TEST_AUTHOR, message="", base_revision=None)
    wiki.save_page("A/B", "x\n", author=TEST_AUTHOR, message="", base_revision=None)
    wiki.rename_page("WG4/Guarantees", "A/B/D", author=TEST_AUTHOR)
    wiki.delete_page("A/B/C", author=TEST_AUTHOR)
    old_tree = wiki.tree()
    wiki.delete_page("WG4/Home", author=TEST_AUTHOR)
    fresh = Wiki(content_repo, Renderer())
    assert _shape(wiki.tree()) == _shape(fresh.tree())
    assert "WG4" not in wiki.tree().children
    assert "WG4" in old_tree.children  # the previous tree was not changed in place
    assert wiki.page_names() == fresh.page_names() == {"Home", "A/B", "A/B/D"}


def test_rendered_pages_are_stored_for_other_workers(content_repo, tmp_path):
    from wiki.pages.rendercache import RenderCache

    store = RenderCache(tmp_path / "render.sqlite")
    first = Wiki(content_repo, Renderer(), render_store=store)
    html = first.page("Home").rendered.html
    calls = []

    class CountingRenderer(Renderer):
        def render(self, *args, **kwargs):
            calls.append(1)
            return super().render(*args, **kwargs)

    second = Wiki(content_repo, CountingRenderer(), render_store=store)
    assert second.page("Home").rendered.html == html
    assert calls == []  # read from the store, not rendered again
    # creating the page a link pointed at invalidates the stored rendering
    second.save_page(
        "Missing page", "# now here\n", author=TEST_AUTHOR, message="", base_revision=None
    )
    assert "wikilink missing" not in str(second.page("Home").rendered.html)
    assert calls == [1]


def test_case_clashes_found_in_the_tree_agree_with_the_rule_on_every_name():
    """The catalogue walks the folder tree for a new name's case clashes (not every page);
    it must answer what the rule over all names answers, `ignore` (a rename) included."""
    import random

    from wiki.pages import names as page_names
    from wiki.pages.catalog import Catalog
    from wiki.pages.catalog import _tree_with

    rng = random.Random(7)
    parts = ["WG4", "wg4", "Home", "home", "A", "a", "Notes", "NOTES", "x"]
    for _ in range(200):
        existing = {
            "/".join(rng.choice(parts) for _ in range(rng.randint(1, 3)))
            for _ in range(rng.randint(1, 8))
        }
        catalog = Catalog()
        tree = _tree_with(catalog_root(), sorted(existing), ())
        catalog.state = lambda tree=tree: type("S", (), {"tree": tree})()
        for _ in range(10):
            name = "/".join(rng.choice(parts) for _ in range(rng.randint(1, 3)))
            ignore = rng.choice([None, *sorted(existing)])
            expected = page_names.case_clash(name, existing, ignore=ignore)
            found = catalog.case_clash(name, ignore=ignore)
            assert (found is None) == (expected is None), (name, existing, ignore)


def catalog_root():
    from wiki.pages.catalog import TreeNode

    return TreeNode("", "")


def test_the_case_index_of_folders_follows_added_and_removed_pages():
    import random

    from wiki.pages.catalog import TreeNode
    from wiki.pages.catalog import _tree_with

    def nodes(node):
        yield node
        for child in node.children.values():
            yield from nodes(child)

    rng = random.Random(3)
    parts = ["WG4", "wg4", "Home", "home", "A", "a", "x"]
    for _ in range(100):
        pages = {"/".join(rng.choice(parts) for _ in range(rng.randint(1, 3))) for _ in range(9)}
        old = _tree_with(TreeNode("", ""), sorted(pages), ())
        for node in nodes(old):
            node.folded_children()  # computed, then carried over by the next tree
        removed = rng.sample(sorted(pages), 3)
        added = ["/".join(rng.choice(parts) for _ in range(rng.randint(1, 3))) for _ in range(3)]
        added = [a for a in added if a not in pages]
        new = _tree_with(old, added, removed)
        for node in nodes(new):
            fresh = {}
            for part in node.children:
                fresh.setdefault(part.casefold(), set()).add(part)
            assert {k: set(v) for k, v in node.folded_children().items()} == fresh
