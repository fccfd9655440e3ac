"""Posting packs: what is written is read back, damaged files are refused."""

import pytest

from wiki.search.postings import Pack
from wiki.search.postings import PackWriter
from wiki.search.postings import bits_from_ids
from wiki.search.postings import idf
from wiki.search.postings import impact


def write(tmp_path, doc_count=100, positions_wide=False):
    writer = PackWriter(tmp_path / "MAIN_x.wikipack", doc_count)
    writer.start_field("body", positional=True, max_position=1 << 16 if positions_wide else 0)
    writer.add_term(
        b"alpha", [1, 5, 99], [10, 200, 255], [[0, 7], [3], [70000 if positions_wide else 9]]
    )
    writer.add_term(b"beta", list(range(0, 100, 2)), [1] * 50, [[1]] * 50)  # dense: a bitset
    writer.start_field("tags", positional=False)
    writer.add_term(b"a\0b", [3], [255])  # a term with the separator in it
    writer.add_term(b"z", [4, 8], [255, 255])
    writer.add_facet("wg", "WG4", [1, 2, 3])
    writer.set_newest([5, 1, 99], [30.0, 20.0, 10.0])
    return writer.finish()


@pytest.mark.parametrize("wide", [False, True])
def test_what_is_written_is_read_back(tmp_path, wide):
    pack = Pack(write(tmp_path, positions_wide=wide))
    assert pack.doc_count == 100
    postings = pack.postings("body", b"alpha")
    assert list(postings.ids) == [1, 5, 99] and list(postings.impacts) == [10, 200, 255]
    ids, tfs, positions = pack.positions("body", b"alpha")
    assert list(ids) == [1, 5, 99] and list(tfs) == [2, 1, 1]
    assert list(positions) == [0, 7, 3, 70000 if wide else 9]
    assert pack.bits("body", b"alpha") == bits_from_ids([1, 5, 99], 100)
    assert pack.bits("body", b"beta") == bits_from_ids(range(0, 100, 2), 100)
    assert pack.doc_frequency("body", b"beta") == 50
    assert pack.doc_frequency("body", b"gamma") == 0 and pack.postings("body", b"gamma") is None
    assert pack.bits("nofield", b"alpha") == 0
    assert pack.positions("tags", b"z") is None  # not a phrase field
    assert list(pack.postings("tags", b"a\0b").ids) == [3]
    assert [t for t, _df in pack.terms_from("body", b"")] == [b"alpha", b"beta"]
    assert list(pack.terms_from("body", b"be")) == [(b"beta", 50)]
    assert pack.facets() == {("wg", "WG4"): bits_from_ids([1, 2, 3], 100)}
    assert pack.newest() == [(30.0, 5), (20.0, 1), (10.0, 99)]
    assert pack.has_field("tags") and not pack.has_field("title")


def test_positions_beyond_two_bytes_need_the_wide_pack(tmp_path):
    writer = PackWriter(tmp_path / "p.wikipack", 10)
    writer.start_field("body", positional=True)
    with pytest.raises(OverflowError):
        writer.add_term(b"x", [1], [1], [[70000]])
    writer.abort()
    assert list(tmp_path.iterdir()) == []  # nothing half-written is left


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:20],
        lambda data: b"garbage" + data[7:],
        lambda data: data[:-20] + bytes(20),
        lambda data: b"",
    ],
)
def test_a_damaged_pack_is_refused(tmp_path, damage):
    path = write(tmp_path)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ValueError):
        Pack(path)


def test_bm25_parts():
    # more occurrences count for more, with diminishing returns; long documents less
    assert impact(1, 100, 100) < impact(3, 100, 100) < impact(30, 100, 100) <= 255
    assert impact(2, 400, 100) < impact(2, 100, 100)
    assert 1 <= impact(1, 10_000, 10) and impact(1, 0, 0) >= 1
    assert idf(1, 1000) > idf(100, 1000) > idf(1000, 1000) >= 0
