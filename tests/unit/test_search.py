"""The search engine on a real temporary repository and a real Whoosh index."""

import os
import subprocess
import time

import pytest
import Stemmer

from tests.conftest import TEST_AUTHOR
from wiki.git.storage import Storage
from wiki.model import Author
from wiki.pages.render import Renderer
from wiki.pages.service import Wiki
from wiki.search import SearchIndex
from wiki.search.schema import stemming_analyzer
from wiki.search.snippets import snippet
from wiki.search.terms import ALGORITHMS
from wiki.search.terms import STEMMERS
from wiki.search.terms import fold

PAGES = {
    "WG4/Klaszter.md": "---\nlang: hu\nwg: WG4\ntype: policy-note\ncountry: Hungary\n"
    "tags: [finanszírozás]\n---\n# A klaszter\n\nA klaszter szerepe a gazdaság fejlesztésében.\n",
    "WG4/Klaszterfinanszírozási program.md": "---\nlang: hu\nwg: WG4\ntype: best-practice\n"
    "country: Hungary\n---\n# Program\n\nA klaszterfinanszírozási program eredményei.\n",
    "WG5/Cluster.md": "---\nlang: de\nwg: WG5\ntype: policy-note\ncountry: Austria\n---\n"
    "# Förderung\n\nDer Cluster und seine Maßnahmen in Niederösterreich.\n",
    "WG3/Πολιτική.md": "---\nlang: el\nwg: WG3\ncountry: Greece\n---\n# Πολιτική\n\n"
    "Η πολιτική συνεργασίας των συστάδων.\n",
    "WG1/Policy.md": "---\nwg: WG1\ntype: policy-note\ncountry: Italy\ntags: [innovation]\n---\n"
    "# Innovation policy\n\nThe regional innovation policy of Marche.\n",
    "WG1/Scattered.md": "---\nwg: WG1\ntype: swot\ncountry: Italy\n---\n# Notes\n\n"
    "Smart people write about specialisation of regions in many notes.\n",
    "WG1/Phrase.md": "---\nwg: WG1\ntype: swot\ncountry: Slovenia\n---\n# Strategy\n\n"
    "The smart specialisation strategy of the region.\n",
    "WG2/Mentions toolbox.md": "# Eco\n\nWe used the study trip toolbox for our visit.\n",
    "Learning/Study trip toolbox.md": "# Study trip toolbox\n\nOne structure for every report.\n",
    "Romanian.md": "---\nlang: ro\n---\n# Politici\n\nPoliticile de inovare ale regiunii.\n",
    "Italian.md": "---\nlang: it\n---\n# Politiche\n\nLe politiche regionali per i distretti.\n",
    "Serbian.md": "---\nlang: sr\n---\n# Politika\n\nRazvojne politike klastera u regionu.\n",
}


@pytest.fixture
def wiki(tmp_path):
    storage = Storage.init(tmp_path / "content")
    storage.import_files(
        {k: v.encode() for k, v in PAGES.items()}, author=TEST_AUTHOR, message="seed"
    )
    wiki = Wiki(storage, Renderer(), index=SearchIndex(tmp_path / "index"))
    wiki.rebuild_index()
    yield wiki
    storage.close()
    wiki.index.close()


def names(results):
    return [h.name for h in results.hits]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("klaszterek", {"WG4/Klaszter", "WG4/Klaszterfinanszírozási program"}),
        ("Clustern", {"WG5/Cluster"}),
        ("πολιτικές", {"WG3/Πολιτική"}),
        ("ΠΟΛΙΤΙΚΗ", {"WG3/Πολιτική"}),
        ("policies", {"WG1/Policy"}),
        ("gazdasag", {"WG4/Klaszter"}),
        ("GAZDASÁG", {"WG4/Klaszter"}),
        ("massnahmen", {"WG5/Cluster"}),  # ß folds to ss
        ("Maßnahme", {"WG5/Cluster"}),
        ("politicile", {"Romanian"}),
        ("politiche", {"Italian"}),
        ("politika", {"Serbian"}),
    ],
)
def test_inflected_and_folded_forms(wiki, query, expected):
    found = set(names(wiki.search(query)))
    assert expected <= found, (query, found)


def test_every_language_is_stemmed_in_its_own_field(tmp_path):
    """For every Snowball language, the analyzer gives PyStemmer's stem, folded."""
    samples = {
        "english": "policies",
        "german": "Clustern",
        "hungarian": "klaszterek",
        "italian": "politiche",
        "romanian": "politicile",
        "greek": "πολιτικές",
        "serbian": "politike",
        "french": "politiques",
        "spanish": "políticas",
        "portuguese": "políticas",
        "russian": "политики",
        "czech": "politiky",
        "polish": "polityki",
        "dutch": "beleidsmakers",
        "swedish": "politiken",
        "finnish": "politiikat",
        "turkish": "politikalar",
    }
    for algorithm in ALGORITHMS:
        word = samples.get(algorithm, "clusters")
        tokens = [t.text for t in stemming_analyzer(algorithm)(word)]
        expected = fold(Stemmer.Stemmer(algorithm).stemWord(word.lower()))
        assert tokens == [expected], algorithm
    assert {STEMMERS[c] for c in ("en", "de", "hu", "it", "ro", "el", "sr")} <= set(ALGORITHMS)


def test_queries_match_pages_in_every_language_unless_filtered(wiki):
    assert {"WG1/Policy", "Romanian", "Italian"} <= set(
        names(wiki.search("policy OR politiche OR politicile"))
    )
    only_hu = wiki.search("klaszter", filters={"lang": "hu"})
    assert set(names(only_hu)) == {"WG4/Klaszter", "WG4/Klaszterfinanszírozási program"}
    assert wiki.search("klaszter", filters={"lang": "de"}).total == 0


@pytest.mark.parametrize(
    "query, must, must_not",
    [
        ('"smart specialisation"', {"WG1/Phrase"}, {"WG1/Scattered"}),
        ("smart specialisation", {"WG1/Phrase", "WG1/Scattered"}, set()),
        ("innovation OR toolbox", {"WG1/Policy", "Learning/Study trip toolbox"}, set()),
        ("toolbox -eco", {"Learning/Study trip toolbox"}, {"WG2/Mentions toolbox"}),
        ("toolbox NOT eco", {"Learning/Study trip toolbox"}, {"WG2/Mentions toolbox"}),
        ("special*", {"WG1/Phrase", "WG1/Scattered"}, set()),
        ("wg:WG1", {"WG1/Policy", "WG1/Phrase"}, {"WG4/Klaszter"}),
        ("type:swot", {"WG1/Phrase", "WG1/Scattered"}, {"WG1/Policy"}),
        ("country:Hungary", {"WG4/Klaszter"}, {"WG1/Policy"}),
        ("lang:el", {"WG3/Πολιτική"}, {"WG1/Policy"}),
        ("tag:innovation", {"WG1/Policy"}, {"WG1/Phrase"}),
        ("title:toolbox", {"Learning/Study trip toolbox"}, {"WG2/Mentions toolbox"}),
        ("author:test", {"WG1/Policy"}, set()),
        ('smart "unbalanced', set(), set()),
        ("((( ]]] :: ***", set(), set()),
        ("unknownfield:x policy", set(), set()),
    ],
)
def test_query_syntax(wiki, query, must, must_not):
    found = set(names(wiki.search(query)))
    assert must <= found, (query, found)
    assert not (must_not & found), (query, found)


JUDGED = [
    # (query, the page that must rank first)
    ("toolbox", "Learning/Study trip toolbox"),  # title match above a body mention
    ("smart specialisation", "WG1/Phrase"),  # the exact phrase above scattered words
    ("innovation policy", "WG1/Policy"),
    ("klaszter", "WG4/Klaszter"),
]


@pytest.mark.parametrize("query, first", JUDGED)
def test_ranking_on_a_judged_query_set(wiki, query, first):
    assert names(wiki.search(query))[0] == first


def test_facets_filters_sort_and_pages(wiki):
    results = wiki.search("policy OR klaszter OR toolbox OR specialisation")
    assert results.facets["wg"]["WG1"] == 3
    assert results.facets["country"]["Hungary"] == 2
    assert results.facets["folder"]["WG4"] == 2
    filtered = wiki.search(
        "policy OR klaszter OR toolbox OR specialisation", filters={"wg": "WG1", "type": "swot"}
    )
    assert set(names(filtered)) == {"WG1/Phrase", "WG1/Scattered"}
    assert filtered.facets["wg"] == {"WG1": 2}
    all_pages = wiki.search("", filters={"folder": "WG1"})
    assert all_pages.total == 3
    second = wiki.search("", filters={"folder": "WG1"}, page=2)
    assert second.total == 3 and second.hits == []


def test_sort_by_date(wiki):
    wiki.save_page(
        "WG1/Scattered",
        "# Notes\n\nSmart and fresh.\n",
        author=TEST_AUTHOR,
        message="",
        base_revision=wiki.head(),
    )
    newest = wiki.search("smart", sort="date")
    assert names(newest)[0] == "WG1/Scattered"


def test_snippets_highlight_and_escape(wiki):
    hit = wiki.search("visit").hits[0]
    assert str(hit.snippet) == "We used the study trip toolbox for our <mark>visit</mark>."
    s = str(snippet("a <script>x</script> cluster", ["cluster"]))
    assert "<script>" not in s and "&lt;script&gt;" in s and "<mark>cluster</mark>" in s
    # a phrase: the excerpt is where its words stand together, not the first word alone
    text = "Smarter regions " + "filler " * 60 + "the smart specialisation strategy"
    s = str(snippet(text, ["smart", "specialisation"], phrases=[["smart", "specialisation"]]))
    assert "<mark>smart</mark> <mark>specialisation</mark> strategy" in s
    assert not s.startswith("<mark>Smarter")


def test_did_you_mean_and_empty(wiki):
    results = wiki.search("specialsation")
    assert results.total == 0 and results.suggestion == "specialisation"
    assert wiki.search("qqqqqqqq").suggestion is None


def test_suggestions(wiki):
    assert ("Learning/Study trip toolbox", "Study trip toolbox") in wiki.suggest("stud")
    assert [n for n, _ in wiki.suggest("study tool")] == ["Learning/Study trip toolbox"]
    assert wiki.suggest("") == []


def test_saves_renames_and_deletes_update_the_index_at_once(wiki):
    wiki.save_page(
        "WG6/Skills",
        "# Skills\n\nApprenticeships in clusters.\n",
        author=TEST_AUTHOR,
        message="",
        base_revision=None,
    )
    assert names(wiki.search("apprenticeships")) == ["WG6/Skills"]
    assert wiki.index.head() == wiki.head()
    wiki.rename_page("WG6/Skills", "WG6/Jobs and skills", author=TEST_AUTHOR)
    assert names(wiki.search("apprenticeships")) == ["WG6/Jobs and skills"]
    wiki.delete_page("WG6/Jobs and skills", author=TEST_AUTHOR)
    assert wiki.search("apprenticeships").total == 0


def test_commits_made_elsewhere_are_indexed_before_the_next_search(wiki, tmp_path):
    work = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(wiki.storage.root), str(work)], check=True)
    (work / "WG2" / "Pushed.md").parent.mkdir(exist_ok=True)
    (work / "WG2" / "Pushed.md").write_text("# Pushed\n\nCircular economy pilots.\n")
    (work / "WG1" / "Policy.md").unlink()
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Git User",
        "GIT_AUTHOR_EMAIL": "g@x",
        "GIT_COMMITTER_NAME": "Git User",
        "GIT_COMMITTER_EMAIL": "g@x",
    }
    subprocess.run(["git", "-C", str(work), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(work), "commit", "-qm", "offline"], check=True, env=env)
    subprocess.run(["git", "-C", str(work), "push", "-q", "origin", "main"], check=True)
    found = wiki.search("circular")
    assert names(found) == ["WG2/Pushed"]
    assert wiki.search("marche").total == 0
    assert wiki.index.head() == wiki.head()


# Whoosh leaves the file of a corrupt table of contents open when it refuses it.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_missing_or_corrupt_index_is_rebuilt_in_the_background(wiki):
    import shutil

    wiki.index.close()
    shutil.rmtree(wiki.index.root)
    first = wiki.search("toolbox")
    assert first.rebuilding and first.total == 0
    deadline = time.time() + 30
    while wiki.is_index_rebuilding() and time.time() < deadline:
        time.sleep(0.05)
    assert "Learning/Study trip toolbox" in names(wiki.search("toolbox"))
    # a corrupt index: its files are garbage
    wiki.index.close()
    for f in wiki.index.root.glob("*.seg"):
        f.write_bytes(b"garbage")
    for f in wiki.index.root.glob("_MAIN_*.toc"):
        f.write_bytes(b"garbage")
    assert wiki.search("toolbox").rebuilding
    deadline = time.time() + 30
    while wiki.is_index_rebuilding() and time.time() < deadline:
        time.sleep(0.05)
    assert "Learning/Study trip toolbox" in names(wiki.search("toolbox"))


def test_two_processes_share_one_index(wiki, tmp_path):
    """A second Wiki (another worker) sees saves made by the first, and can save too."""
    other = Wiki(Storage(wiki.storage.root), Renderer(), index=SearchIndex(wiki.index.root))
    wiki.save_page("A", "# A\n\nzebra\n", author=TEST_AUTHOR, message="", base_revision=None)
    assert names(other.search("zebra")) == ["A"]
    other.save_page(
        "B", "# B\n\nzebra too\n", author=Author("O", "o@x"), message="", base_revision=None
    )
    assert set(names(wiki.search("zebra"))) == {"A", "B"}
    other.storage.close()
    other.index.close()


def test_a_restriction_hides_pages_from_hits_facets_suggestions_and_spelling(wiki):
    hide = wiki.index.hide_spaces(["wg4"])
    results = wiki.search("klaszter OR policy", restrict=hide)
    assert not any(n.startswith("WG4/") for n in names(results))
    assert "WG4" not in results.facets["folder"] and "Hungary" not in results.facets["country"]
    assert wiki.suggest("klasz", restrict=hide) == []
    assert wiki.suggest("klasz") != []
    # "klaszterx" would be corrected to a word that only hidden pages contain
    assert wiki.search("klaszterx").suggestion is not None
    assert wiki.search("klaszterx", restrict=hide).suggestion is None


def to_whoosh(q):
    """The same query in Whoosh's own query language, to check our matching against."""
    from whoosh import query as Q

    from wiki.search import matching as M

    if isinstance(q, M.Term):
        return Q.Term(q.field, q.text)
    if isinstance(q, M.Phrase):
        return Q.Phrase(q.field, list(q.words))
    if isinstance(q, M.And):
        return Q.And([to_whoosh(p) for p in q.parts])
    if isinstance(q, M.Or):
        return Q.Or([to_whoosh(p) for p in q.parts]) if q.parts else Q.NullQuery
    if isinstance(q, M.AndNot):
        return Q.AndNot(to_whoosh(q.positive), to_whoosh(q.negative))
    if isinstance(q, M.AndMaybe):
        return to_whoosh(q.required)
    assert isinstance(q, M.Every)
    return Q.Every()


@pytest.mark.parametrize(
    "text",
    [
        "policy",
        "klaszter OR toolbox",
        "policy -smart",
        "NOT policy",
        "polic*",
        '"smart specialisation"',
        "wg:WG1",
        "title:policy",
        "cluster policy",
        "lang:hu klaszter",
        "zzzz",
        "policy OR klaszter OR toolbox OR specialisation",
        '"the smart specialisation"',
        '"specialisation strategy of"',
        "special* -smart",
    ],
)
def test_match_counts_agree_with_whoosh_itself(wiki, text):
    """Our bitset and position matching counts exactly what Whoosh's own matchers
    find, also after saves (deleted documents in old segments)."""
    from wiki.search.query import build_query
    from wiki.search.query import parse_query

    for round_ in range(3):
        ix = wiki.index._open()
        with ix.searcher() as searcher:
            snapshot = wiki.index._snapshot(searcher)
            q = build_query(parse_query(text), snapshot, None)
            expected = 0 if q is None else len(set(searcher.docs_for_query(to_whoosh(q))))
        assert wiki.search(text).total == expected, (text, round_)
        wiki.save_page(
            "WG1/Policy",
            f"# Policy\n\nSmart policy, round {round_}.\n",
            author=TEST_AUTHOR,
            message="",
            base_revision=wiki.head(),
        )


def test_newest_first_across_several_segments(wiki):
    for name in ("WG1/First fresh", "WG2/Second fresh", "WG3/Third fresh"):
        wiki.save_page(
            name,
            f"# {name}\n\nfreshness report\n",
            author=TEST_AUTHOR,
            message="",
            base_revision=wiki.head(),
        )
    newest = wiki.search("freshness", sort="date")
    assert names(newest) == ["WG3/Third fresh", "WG2/Second fresh", "WG1/First fresh"]
    assert wiki.search("freshness", filters={"folder": "WG2"}, sort="date").total == 1


def test_title_matches_rank_above_pages_that_repeat_the_word(wiki):
    files = {f"Many/Title {i} harbour.md": f"# Harbour {i}\n\nquay\n" for i in range(12)}
    files.update(
        {f"Many/Body {i}.md": f"# Body {i}\n\nharbour harbour harbour {i}\n" for i in range(6)}
    )
    wiki.storage.import_files(
        {k: v.encode() for k, v in files.items()}, author=TEST_AUTHOR, message="many"
    )
    wiki.sync_index()
    quick = wiki.search("harbour")
    assert quick.total == 18
    # title matches first, though the others say it three times; then by score
    assert all(h.name.startswith("Many/Title") for h in quick.hits)
    assert [h.score for h in quick.hits] == sorted((h.score for h in quick.hits), reverse=True)
    second = wiki.search("harbour", page=2)
    assert {h.name for h in second.hits} | set(names(quick)) == {f[:-3] for f in files}


AGREEMENT_QUERIES = [
    "policy",
    "klaszter",
    "smart specialisation",
    '"smart specialisation"',
    "polic*",
    "toolbox -eco",
    "wg:WG1",
    "innovation OR toolbox",
    "politika",
    '"study trip toolbox"',
    "lang:hu",
    "title:toolbox",
]


def _answers(wiki):
    out = {}
    for text in AGREEMENT_QUERIES:
        results = wiki.search(text)
        out[text] = (results.total, [(h.name, h.score) for h in results.hits], results.facets)
    out["newest"] = names(wiki.search("policy OR smart", sort="date"))
    out["suggest"] = wiki.suggest("stu")
    return out


def test_packs_and_whoosh_itself_give_the_same_answers(wiki):
    """Every segment of the fixture has a posting pack; without them, the same
    segments are read through Whoosh: hits, order, scores, facets all agree."""
    packs = list(wiki.index.root.glob("*.wikipack"))
    assert packs
    with_packs = _answers(wiki)
    wiki.index.close()
    for pack in packs:
        pack.unlink()
    without = _answers(wiki)
    assert not list(wiki.index.root.glob("*.wikipack"))  # 12 pages: too few to pack
    assert with_packs == without


def test_a_damaged_pack_is_not_used_and_is_written_again(wiki, monkeypatch, caplog):
    import wiki.search as search_module

    monkeypatch.setattr(search_module, "PACK_MIN_DOCS", 1)
    expected = _answers(wiki)
    wiki.index.close()
    (pack,) = wiki.index.root.glob("*.wikipack")
    pack.write_bytes(b"WIKIPACK" + bytes(100))
    assert _answers(wiki) == expected
    assert "unusable" in caplog.text
    from wiki.search.postings import Pack

    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            assert Pack(pack).doc_count == len(PAGES)
            break
        except ValueError:
            time.sleep(0.05)
    assert Pack(pack).doc_count == len(PAGES)  # written again in the background


def test_new_and_merged_segments_get_packs_and_retired_ones_lose_them(wiki, monkeypatch):
    import wiki.search as search_module

    monkeypatch.setattr(search_module, "PACK_MIN_DOCS", 5)
    files = {f"Push/Page {i}.md": f"# Page {i}\n\nharbour logistics {i}\n" for i in range(6)}
    wiki.storage.import_files(
        {k: v.encode() for k, v in files.items()}, author=TEST_AUTHOR, message="a push of six pages"
    )
    wiki.sync_index()  # one new segment of six pages, and its pack
    deadline = time.time() + 30
    while time.time() < deadline and len(list(wiki.index.root.glob("*.wikipack"))) < 2:
        time.sleep(0.05)
    assert len(list(wiki.index.root.glob("*.wikipack"))) == 2
    for i in range(8):  # small segments, until they are merged in the background
        wiki.save_page(
            f"Push/Page {i}",
            f"# Page {i}\n\nharbour edit {i}\n",
            author=TEST_AUTHOR,
            message="",
            base_revision=wiki.head(),
        )
    ix = wiki.index._open()
    deadline = time.time() + 30
    while time.time() < deadline and (
        len(ix._segments()) > 6 or wiki.index._merging.locked() or wiki.index._packing.locked()
    ):
        time.sleep(0.05)
    segments = {s.segment_id(): s.doc_count_all() for s in ix._segments()}
    assert len(segments) <= 6  # merged
    packed = {p.name.removesuffix(".wikipack") for p in wiki.index.root.glob("*.wikipack")}
    # every segment large enough has its pack; the packs of merged segments are gone
    assert packed == {k for k, n in segments.items() if n >= 5}
    assert wiki.search("harbour").total == 8 and wiki.search("edit").total == 8


def test_rewritten_history_rebuilds_the_index_and_leaves_no_files_behind(wiki):
    before = wiki.head()
    wiki.save_page(
        "WG6/Later",
        "# Later\n\nephemeral words\n",
        author=TEST_AUTHOR,
        message="",
        base_revision=before,
    )
    assert wiki.search("ephemeral").total == 1
    # the branch is moved back behind the wiki's back (as a force push would)
    subprocess.run(
        ["git", "--git-dir", str(wiki.storage.git_dir), "update-ref", "refs/heads/main", before],
        check=True,
    )
    for _ in range(5):  # every search until the rebuild is in: none may start a writer
        wiki.search("ephemeral")
    deadline = time.time() + 30
    while time.time() < deadline and (wiki.is_index_rebuilding() or wiki.index.head() != before):
        time.sleep(0.05)
    assert wiki.search("ephemeral").total == 0
    assert wiki.index.head() == before
    leftovers = [
        p.name for p in wiki.index.root.iterdir() if p.suffix in (".pst", ".trm", ".col", ".tmp")
    ]
    assert leftovers == []


def test_a_hit_with_the_words_together_shows_them_together(wiki):
    text = "# Mixed\n\nSmart people first. " + "filler " * 80 + "Then smart specialisation.\n"
    wiki.save_page("WG1/Mixed", text, author=TEST_AUTHOR, message="", base_revision=wiki.head())
    hits = {h.name: str(h.snippet) for h in wiki.search("smart specialisation").hits}
    assert "<mark>smart</mark> <mark>specialisation</mark>" in hits["WG1/Mixed"]
    # scattered words: the first of them, as before
    assert hits["WG1/Scattered"].startswith("<mark>Smart</mark> people")


@pytest.mark.slow
def test_an_index_built_by_two_processes_answers_as_one_built_by_one(tmp_path, monkeypatch):
    """`wiki reindex` builds large indexes with one process per core, into one segment
    each: every search must rank, count and facet exactly as with one process."""
    import wiki.search as search_package

    monkeypatch.setattr(search_package, "PARALLEL_MIN_PAGES", 1)
    many = dict(PAGES)
    for i in range(60):  # enough for a batch in each process
        many[f"WG{i % 6 + 1}/Note {i}.md"] = (
            f"---\nwg: WG{i % 6 + 1}\ncountry: {['Italy', 'Greece', 'Austria'][i % 3]}\n---\n"
            f"# Note {i}\n\nCluster policy note {i} on {'innovation ' * (i % 5 + 1)}and smart "
            f"specialisation{' of clusters' * (i % 3)}.\n"
        )
    storage = Storage.init(tmp_path / "content")
    storage.import_files({k: v.encode() for k, v in many.items()}, author=TEST_AUTHOR, message="s")
    answers = []
    for procs in (1, 2):
        index = SearchIndex(tmp_path / f"index{procs}")
        wiki = Wiki(storage, Renderer(), index=index)
        wiki.rebuild_index(procs=procs)
        segments = len(list((tmp_path / f"index{procs}").glob("*.seg")))
        assert segments == procs
        answer = []
        for query in ("cluster", "innovation policy", "klaszter", "smart", "note 7"):
            first = wiki.search(query)
            hits = [
                (h.name, round(h.score, 6))
                for p in range(1, first.pages + 1)
                for h in wiki.search(query, page=p).hits
            ]
            # equal scores may come in either order: compare by score, then name
            answer.append((first.total, first.facets, sorted(hits, key=lambda h: (-h[1], h[0]))))
        answers.append(answer)
        index.close()
    storage.close()
    assert answers[0] == answers[1]
