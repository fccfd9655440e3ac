"""Files beside the pages: served with their space's rights, typed safely (nothing runs
in the wiki's origin), old versions and history, and the files API."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from tests.conftest import TEST_AUTHOR
from tests.conftest import AuthActions
from tests.conftest import make_app
from wiki.git.storage import Storage

CONTENT_TYPES = Path(__file__).resolve().parents[2] / "content" / "Types"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture
def files_app(tmp_path):
    storage = Storage.init(tmp_path / "content")
    storage.import_files(
        {
            "Home.md": b"# Home\n",
            "WG4/Home.md": b"# WG4\n\n![logo](logo.png) and [the plan](plan.pdf).\n",
            "WG4/logo.png": PNG,
            "WG4/plan.pdf": b"%PDF-1.4\n% a tiny pdf\n",
            "WG4/notes.txt": "Jegyzetek – notes\n".encode(),
            "Public/evil.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "Public/fake.png": b"<html><script>alert(document.cookie)</script></html>",
            "Public/page.html": b"<p>hi</p>",
            "Private/secret.pdf": b"%PDF-1.4\nsecret\n",
            "Private/Home.md": b"# Private\n",
        },
        author=TEST_AUTHOR,
        message="seed",
    )
    # small enough that the test client keeps request bodies in memory
    app = make_app(tmp_path, storage, MAX_FILE_BYTES=64 << 10)
    app.services.spaces.create_space("Private", actor="t", read="members", write="members")
    app.services.spaces.add_member("Private", "editor", actor="t")
    TOKENS["app"] = app
    yield app
    storage.close()


def as_user(app, user):
    client = app.test_client()
    if user:
        AuthActions(client).login(user, PASSWORD)
    return client


TOKENS: dict = {}


def basic(user="editor"):
    """A personal token (scripts use tokens; a POST with a password also needs the CSRF
    token, since browsers resend remembered passwords)."""
    app = TOKENS["app"]
    secret, _ = app.services.users.create_token(user, "test upload")
    return {"Authorization": f"Bearer {secret}"}


def test_images_pdfs_and_text_are_served_inline_with_their_type(files_app):
    client = as_user(files_app, None)
    r = client.get("/WG4/logo.png")
    assert r.status_code == 200 and r.mimetype == "image/png" and r.data == PNG
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" not in r.headers.get("Content-Disposition", "")
    assert client.get("/WG4/plan.pdf").mimetype == "application/pdf"
    text = client.get("/WG4/notes.txt")
    assert text.mimetype == "text/plain" and "Jegyzetek" in text.get_data(as_text=True)
    page = client.get("/WG4/Home").get_data(as_text=True)
    assert 'src="logo.png"' in page  # relative: /WG4/logo.png, as in a clone


@pytest.mark.parametrize("path", ["Public/evil.svg", "Public/fake.png", "Public/page.html"])
def test_markup_is_never_shown_inline_and_runs_nothing(files_app, path):
    r = as_user(files_app, None).get("/" + path)
    assert r.status_code == 200
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in r.headers["Content-Security-Policy"]
    assert r.mimetype != "image/png"  # HTML named .png is not sent as an image


def test_a_file_of_a_space_the_reader_may_not_read_is_the_same_404_as_a_missing_one(files_app):
    reader = as_user(files_app, "reader")
    reader.get("/Home")  # (shows the welcome message once)
    hidden = reader.get("/Private/secret.pdf")
    missing = reader.get("/Private/nothing.pdf")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_data(as_text=True) == missing.get_data(as_text=True)
    assert as_user(files_app, "editor").get("/Private/secret.pdf").status_code == 200
    assert reader.get("/-/api/v1/files/Private/secret.pdf").status_code == 404


def test_versions_history_etag_and_ranges(files_app):
    client = as_user(files_app, "editor")
    first = files_app.services.pages.head()
    r = client.post(
        "/-/api/v1/files/WG4/notes.txt",
        headers=basic(),
        data={"file": (io.BytesIO(b"second version\n"), "notes.txt")},
    )
    assert r.status_code == 200 and r.get_json()["changed"]
    assert client.get("/WG4/notes.txt").data == b"second version\n"
    assert "Jegyzetek" in client.get(f"/WG4/notes.txt?rev={first}").get_data(as_text=True)
    history = client.get("/-/files/history/WG4/notes.txt").get_data(as_text=True)
    assert history.count("<tr>") == 3 and f"rev={first}" in history  # header + 2 versions
    etag = client.get("/WG4/logo.png").headers["ETag"]
    assert client.get("/WG4/logo.png", headers={"If-None-Match": etag}).status_code == 304
    part = client.get("/WG4/plan.pdf", headers={"Range": "bytes=0-3"})
    assert part.status_code == 206 and part.data == b"%PDF"


def test_the_files_api_uploads_reads_and_deletes_with_page_rights(files_app):
    client = files_app.test_client()
    r = client.post(
        "/-/api/v1/files/WG4/chart.png",
        headers=basic(),
        data={"file": (io.BytesIO(PNG), "chart.png")},
    )
    assert r.status_code == 201 and r.get_json()["path"] == "WG4/chart.png"
    assert client.get("/-/api/v1/files/WG4/chart.png", headers=basic()).data == PNG
    big = io.BytesIO(b"x" * ((64 << 10) + 1))
    r = client.post("/-/api/v1/files/WG4/big.bin", headers=basic(), data={"file": (big, "b")})
    assert r.status_code == 413 and "64 KB" in r.get_json()["error"]
    r = client.post(
        "/-/api/v1/files/WG4/x.md", headers=basic(), data={"file": (io.BytesIO(b"# x"), "x.md")}
    )
    assert r.status_code == 400
    r = client.post(
        "/-/api/v1/files/Private/x.png",
        headers=basic("editor2"),
        data={"file": (io.BytesIO(PNG), "x.png")},
    )
    assert r.status_code in (403, 404)
    assert (
        client.post(
            "/-/api/v1/files/WG4/y.png", data={"file": (io.BytesIO(PNG), "y.png")}
        ).status_code
        == 401
    )
    r = client.delete("/-/api/v1/files/WG4/chart.png", headers=basic())
    assert r.status_code == 200 and r.get_json()["deleted"]
    assert client.get("/WG4/chart.png").status_code == 404


def test_an_upload_may_be_larger_than_a_page_form(tmp_path):
    """The app refuses request bodies much larger than a page; the files API alone takes
    up to MAX_FILE_BYTES."""
    storage = Storage.init(tmp_path / "content")
    storage.import_files({"Home.md": b"# Home\n"}, author=TEST_AUTHOR, message="seed")
    app = make_app(tmp_path, storage, MAX_PAGE_BYTES=4096, MAX_FILE_BYTES=300 << 10)
    TOKENS["app"] = app
    data = PNG + b"\0" * (100 << 10)
    client = app.test_client()
    r = client.post(
        "/-/api/v1/files/big.png", headers=basic(), data={"file": (io.BytesIO(data), "big.png")}
    )
    assert r.status_code == 201
    assert client.get("/big.png").data == data
    AuthActions(client).login("editor", PASSWORD)
    form = AuthActions(client).post("/-/edit/Home", {"content": "x" * (100 << 10)})
    assert form.status_code == 413
    storage.close()


def test_the_files_panel_lists_uploads_renames_and_deletes_beside_the_page(files_app):
    editor = as_user(files_app, "editor")
    page = editor.get("/WG4/Home").get_data(as_text=True)
    start = page.index('class="files-panel"')
    panel = page[start : page.index("</details>", start)]
    assert "logo.png" in panel and "plan.pdf" in panel and "notes.txt" in panel
    assert "secret.pdf" not in panel and "evil.svg" not in panel  # only this folder's files
    actions = AuthActions(editor)
    r = actions.post(
        "/-/files/upload",
        {"folder": "WG4", "next": "/WG4/Home", "file": (io.BytesIO(PNG), "photo.png")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302 and r.headers["Location"] == "/WG4/Home"
    assert editor.get("/WG4/photo.png").data == PNG
    r = actions.post(
        "/-/files/rename/WG4/photo.png", {"new_name": "team photo.png", "next": "/WG4/Home"}
    )
    assert r.status_code == 302 and editor.get("/WG4/team%20photo.png").status_code == 200
    assert editor.get("/WG4/photo.png").status_code == 404
    r = actions.post("/-/files/delete/WG4/team photo.png", {"next": "/WG4/Home"})
    assert r.status_code == 302 and editor.get("/WG4/team%20photo.png").status_code == 404
    history = editor.get("/-/files/history/WG4/team photo.png").get_data(as_text=True)
    assert "Delete WG4/team photo.png" in history
    # a reader sees the list, not the buttons, and cannot post them
    reader = as_user(files_app, "reader")
    listed = reader.get("/WG4/Home").get_data(as_text=True)
    assert "logo.png" in listed and "Upload" not in listed
    refused = AuthActions(reader).post("/-/files/delete/WG4/logo.png", {"next": "/"})
    assert refused.status_code == 403 and editor.get("/WG4/logo.png").status_code == 200


def test_the_library_lists_the_files_each_reader_may_read(files_app):
    editor = as_user(files_app, "editor").get("/-/library").get_data(as_text=True)
    assert "secret.pdf" in editor and "logo.png" in editor and "Home.md" not in editor
    reader = as_user(files_app, "reader").get("/-/library").get_data(as_text=True)
    assert "secret.pdf" not in reader and "plan.pdf" in reader
    pdfs = as_user(files_app, "editor").get("/-/library?type=pdf&space=WG4").get_data(as_text=True)
    assert "plan.pdf" in pdfs and "secret.pdf" not in pdfs and "logo.png" not in pdfs
    # each file with the pages that show or link to it
    row = pdfs[pdfs.index("plan.pdf") :].split("</tr>")[0]
    assert 'href="/WG4/Home">WG4/Home</a>' in row


def test_images_on_pages_get_their_width_and_height(files_app):
    html = as_user(files_app, None).get("/WG4/Home").get_data(as_text=True)
    assert '<img src="logo.png" width="1" height="1"' in html


def test_a_private_wiki_serves_no_file_record_or_library_to_an_outsider(tmp_path):
    """READ_ACCESS=registered: a reader without an account gets no file, no collection,
    no CSV, no library entry and no search hit inside a file."""
    storage = Storage.init(tmp_path / "content")
    storage.import_files(
        {
            "Home.md": b"# Home\n",
            "WG4/logo.png": PNG,
            "Best practices/X.md": b"---\ntype: best-practice\ncountry: Hungary\n---\n# X\n",
            **{f"Types/{p.name}": p.read_bytes() for p in CONTENT_TYPES.glob("*.md")},
        },
        author=TEST_AUTHOR,
        message="seed",
    )
    app = make_app(tmp_path, storage, READ_ACCESS="registered")
    outsider = app.test_client()
    for url in (
        "/WG4/logo.png",
        "/-/types/best-practice?format=csv",
        "/-/library",
        "/-/api/v1/files/WG4/logo.png",
        "/-/matrix",
    ):
        r = outsider.get(url)
        assert r.status_code in (302, 401, 404), url
        assert PNG not in r.data and b"Hungary" not in r.data, url
    member = as_user(app, "reader")
    assert member.get("/WG4/logo.png").data == PNG
    assert "Hungary" in member.get("/-/types/best-practice?format=csv").get_data(as_text=True)
    storage.close()


def _png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 160)).save(out, "PNG")
    return out.getvalue()


def test_a_large_image_is_shown_as_a_downscaled_preview(files_app, tmp_path):
    from PIL import Image

    storage = files_app.services.storage
    storage.write_bytes("WG4/photo.png", _png(2400, 1200), author=TEST_AUTHOR, message="photo")
    storage.write_bytes("Private/wide.png", _png(2000, 100), author=TEST_AUTHOR, message="p")
    storage.write(
        "WG4/Trip.md",
        "# Trip\n\n![the visit](photo.png) ![logo](logo.png)\n",
        author=TEST_AUTHOR,
        message="trip",
    )
    files_app.services.pages._committed()
    html = as_user(files_app, None).get("/WG4/Trip").get_data(as_text=True)
    # the page shows the preview, with the image's own size so that nothing jumps
    assert '<img src="photo.png?preview=1" width="2400" height="1200"' in html
    assert '<img src="logo.png" width="1" height="1"' in html  # a small image as it is
    preview = as_user(files_app, None).get("/WG4/photo.png?preview=1")
    assert preview.status_code == 200 and preview.mimetype == "image/webp"
    assert preview.headers["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(preview.data)) as image:
        assert image.size == (1600, 800)
    assert len(preview.data) < len(as_user(files_app, None).get("/WG4/photo.png").data)
    # made once, kept by the blob: the second answer is the same bytes, revalidated by ETag
    again = as_user(files_app, None).get(
        "/WG4/photo.png?preview=1", headers={"If-None-Match": preview.headers["ETag"]}
    )
    assert again.status_code == 304
    # the file itself, in full
    with Image.open(io.BytesIO(as_user(files_app, None).get("/WG4/photo.png").data)) as full:
        assert full.size == (2400, 1200)
    # a preview takes the file's read gate
    assert as_user(files_app, "reader").get("/Private/wide.png?preview=1").status_code == 404
    assert as_user(files_app, "editor").get("/Private/wide.png?preview=1").status_code == 200


def test_a_file_that_only_claims_to_be_an_image_gets_no_preview(files_app):
    answer = as_user(files_app, None).get("/Public/fake.png?preview=1")
    assert answer.status_code == 200 and answer.mimetype != "image/webp"
    assert "attachment" in answer.headers["Content-Disposition"]  # the download, not a page


def test_the_library_filters_by_working_group_and_language(files_app):
    storage = files_app.services.storage
    storage.write(
        "WG4/Home.md",
        "---\nwg: WG4\nlang: en\n---\n# WG4\n\n![logo](logo.png)\n",
        author=TEST_AUTHOR,
        message="wg",
        base_revision=storage.head(),
    )
    storage.write(
        "Public/Results.md",
        "---\nwg: WG2\n---\n# Results\n\n[the study](../WG4/plan.pdf) [a page](page.html)\n",
        author=TEST_AUTHOR,
        message="results",
    )
    files_app.services.pages._committed()
    files_app.services.pages.follow_now() if hasattr(
        files_app.services.pages, "follow_now"
    ) else None
    editor = as_user(files_app, "editor")
    wg4 = editor.get("/-/library?wg=WG4").get_data(as_text=True)
    assert "plan.pdf" in wg4 and "logo.png" in wg4 and "page.html" not in wg4
    # a file belongs to the working groups of the pages that link to it too
    wg2 = editor.get("/-/library?wg=WG2").get_data(as_text=True)
    assert "plan.pdf" in wg2 and "page.html" in wg2 and "logo.png" not in wg2
    english = editor.get("/-/library?lang=en").get_data(as_text=True)
    assert "plan.pdf" in english and "page.html" not in english
    # the panel offers the page's language for new files
    panel = editor.get("/WG4/Home").get_data(as_text=True)
    assert '<option value="en" selected>' in panel


def test_only_real_images_are_decoded_for_previews(files_app):
    from wiki.files.previews import downscale

    ppm = b"P6\n2000 10\n255\n" + b"\x80" * (2000 * 10 * 3)
    storage = files_app.services.storage
    storage.write_bytes("Public/notes.txt", ppm, author=TEST_AUTHOR, message="ppm as text")
    storage.write_bytes(
        "Public/photo.png", b"%!PS-Adobe-3.0 EPSF-3.0\n", author=TEST_AUTHOR, message="eps"
    )
    files_app.services.pages._committed()
    client = as_user(files_app, None)
    assert client.get("/Public/notes.txt?preview=1").mimetype != "image/webp"
    assert client.get("/Public/photo.png?preview=1").mimetype != "image/webp"
    from PIL import UnidentifiedImageError

    with pytest.raises(UnidentifiedImageError):
        downscale(ppm, 1600)  # the child's decoders are PNG, JPEG, WebP and GIF only


def test_the_library_names_no_working_group_of_a_page_the_reader_may_not_read(files_app):
    storage = files_app.services.storage
    storage.write(
        "Private/Zeus.md",
        "---\nwg: [Project Zeus merger]\n---\n# Zeus\n\n[r](../WG4/plan.pdf)\n",
        author=TEST_AUTHOR,
        message="private",
    )
    files_app.services.pages._committed()
    assert "Zeus" not in as_user(files_app, "reader").get("/-/library").get_data(as_text=True)
    assert "Zeus" in as_user(files_app, "editor").get("/-/library").get_data(as_text=True)


def test_a_language_trailer_in_a_message_is_the_wikis_to_write(files_app):
    client = files_app.test_client()
    r = client.post(
        "/-/api/v1/files/WG4/a.txt",
        headers=basic(),
        data={"file": (io.BytesIO(b"words"), "a.txt"), "message": "hello\nLanguage: zz"},
    )
    assert r.status_code == 201
    last = files_app.services.storage.last_change("WG4/a.txt")
    assert "Language: zz" not in last.message
    r = client.post(
        "/-/api/v1/files/WG4/b.txt",
        headers=basic(),
        data={"file": (io.BytesIO(b"Worte"), "b.txt"), "lang": "hu", "message": "Language: xx"},
    )
    assert files_app.services.storage.last_change("WG4/b.txt").message.endswith("Language: hu")
    # a rename keeps the language given at upload
    editor = as_user(files_app, "editor")
    AuthActions(editor).post("/-/files/rename/WG4/b.txt", {"new_name": "c.txt", "next": "/"})
    library = editor.get("/-/library?lang=hu").get_data(as_text=True)
    assert "c.txt" in library
