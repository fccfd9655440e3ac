"""Words inside files find them: PDF and DOCX text is indexed (read in a limited child
process), labelled with the kind and size, and only for readers of the file's space."""

from __future__ import annotations

import io

import pytest

from tests.conftest import PASSWORD
from tests.conftest import TEST_AUTHOR
from tests.conftest import AuthActions
from tests.conftest import make_app
from wiki.files.extract import text_of
from wiki.git.storage import Storage


def pdf_with(words: str, padding: bytes = b"") -> bytes:
    """A one-page PDF whose text is `words` (ASCII), written by hand; `padding` is kept
    as an unused stream (bench/files.py makes a 10 MB PDF so)."""
    stream = f"BT /F1 18 Tf 72 720 Td ({words}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    if padding:
        objects.append(b"<< /Length %d >>\nstream\n" % len(padding) + padding + b"\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def docx_with(*paragraphs: str) -> bytes:
    from docx import Document

    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_text_is_read_from_pdf_and_docx_and_a_broken_file_gives_none():
    assert "zygomorphic" in text_of("a.pdf", pdf_with("a zygomorphic cluster fund"))
    text = text_of("b.docx", docx_with("Kunststoffcluster Niederösterreich", "συστάδες"))
    assert "Kunststoffcluster" in text and "συστάδες" in text
    assert text_of("c.pdf", b"%PDF-1.4 not really a pdf") in (None, "")


@pytest.fixture
def app_with_files(tmp_path):
    storage = Storage.init(tmp_path / "content")
    storage.import_files(
        {
            "Home.md": b"# Home\n",
            "WG4/plan.pdf": pdf_with("zygomorphic guarantee scheme"),
            "Private/minutes.docx": docx_with("quarantined minutes of the board"),
        },
        author=TEST_AUTHOR,
        message="seed",
    )
    app = make_app(tmp_path, storage)
    app.services.spaces.create_space("Private", actor="t", read="members", write="members")
    app.services.spaces.add_member("Private", "editor", actor="t")
    yield app
    storage.close()


def test_a_word_inside_a_file_finds_it_labelled_and_only_for_its_readers(app_with_files):
    editor = app_with_files.test_client()
    AuthActions(editor).login("editor", PASSWORD)
    found = editor.get("/-/api/v1/search?q=zygomorphic").get_json()
    assert [r["name"] for r in found["results"]] == ["WG4/plan.pdf"]
    assert found["results"][0]["meta"]["file"].startswith("PDF · ")
    page = editor.get("/-/search?q=zygomorphic").get_data(as_text=True)
    assert 'href="/WG4/plan.pdf"' in page and "PDF · " in page
    assert [
        r["name"] for r in editor.get("/-/api/v1/search?q=quarantined").get_json()["results"]
    ] == ["Private/minutes.docx"]
    reader = app_with_files.test_client()
    AuthActions(reader).login("reader", PASSWORD)
    assert reader.get("/-/api/v1/search?q=quarantined").get_json()["total"] == 0


def test_an_uploaded_file_is_found_by_its_words_and_forgotten_when_deleted(app_with_files):
    client = app_with_files.test_client()
    secret, _ = app_with_files.services.users.create_token("editor", "t")
    auth = {"Authorization": f"Bearer {secret}"}
    r = client.post(
        "/-/api/v1/files/WG4/study.docx",
        headers=auth,
        data={"file": (io.BytesIO(docx_with("the xylophonic benchmark")), "study.docx")},
    )
    assert r.status_code == 201
    hits = client.get("/-/api/v1/search?q=xylophonic", headers=auth).get_json()["results"]
    assert [h["name"] for h in hits] == ["WG4/study.docx"]
    client.delete("/-/api/v1/files/WG4/study.docx", headers=auth)
    assert client.get("/-/api/v1/search?q=xylophonic", headers=auth).get_json()["total"] == 0


def test_a_files_words_are_stemmed_in_its_spaces_language(tmp_path):
    """A PDF in a space whose home page says `lang: hu` is stemmed as Hungarian: an
    inflected word finds it (as it finds a Hungarian page)."""
    storage = Storage.init(tmp_path / "content")
    storage.import_files(
        {
            "Home.md": b"# Home\n",
            "Magyar/Home.md": b"---\nlang: hu\n---\n# Magyar\n",
            "Magyar/jelentes.pdf": pdf_with("a klaszterek finanszirozasa"),
        },
        author=TEST_AUTHOR,
        message="seed",
    )
    app = make_app(tmp_path, storage)
    client = app.test_client()
    hits = client.get("/-/api/v1/search?q=klaszter").get_json()["results"]
    assert [h["name"] for h in hits] == ["Magyar/jelentes.pdf"]
    assert hits[0]["meta"]["lang"] == "hu"
    storage.close()


def test_a_language_given_at_upload_is_the_files_language(app_with_files):
    """A German study uploaded into an English space with `lang=de` is stemmed as German
    (an inflected word finds it), filed under German in the library, and keeps that
    language when a new version comes without one; an unknown code is refused."""
    client = app_with_files.test_client()
    secret, _ = app_with_files.services.users.create_token("editor", "t")
    auth = {"Authorization": f"Bearer {secret}"}

    def upload(words: str, **form):
        return client.post(
            "/-/api/v1/files/WG4/studie.pdf",
            headers=auth,
            data={"file": (io.BytesIO(pdf_with(words)), "studie.pdf"), **form},
        )

    assert upload("Die Clusterinitiative im Donauraum", lang="de").status_code == 201
    hits = client.get("/-/api/v1/search?q=Clusterinitiativen", headers=auth).get_json()
    assert [h["name"] for h in hits["results"]] == ["WG4/studie.pdf"]
    assert hits["results"][0]["meta"]["lang"] == "de"
    # the language travels with the file in git: a trailer of its commit
    last = app_with_files.services.storage.last_change("WG4/studie.pdf")
    assert "Language: de" in last.message
    # a new version without a language keeps the German
    assert upload("Die Clusterinitiative in Mitteleuropa").status_code == 200
    hits = client.get("/-/api/v1/search?q=Clusterinitiativen", headers=auth).get_json()
    assert [h["name"] for h in hits["results"]] == ["WG4/studie.pdf"]
    library = client.get("/-/library?lang=de", headers=auth).get_data(as_text=True)
    assert "studie.pdf" in library and "plan.pdf" not in library and "Deutsch" in library
    # an unknown code is refused with the reason, and nothing is stored
    before = app_with_files.services.storage.head()
    refused = upload("Westbalkan", lang="xx-evil")
    assert refused.status_code == 400 and "language" in refused.get_json()["error"]
    assert app_with_files.services.storage.head() == before
