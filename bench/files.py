"""Uploads: a 10 MB PDF through the files API, in-process, and the time until a word
inside it is found by search (the follower indexes it after the upload answered).

    .venv/bin/python bench/files.py [--megabytes 10]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE.parent))


def big_pdf(megabytes: int, words: str) -> bytes:
    """A PDF with one page of text and a large stream of incompressible bytes."""
    from tests.app.test_file_search import pdf_with

    return pdf_with(words, padding=os.urandom(megabytes << 20))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=int, default=10)
    args = parser.parse_args()
    from wiki.app import create_app
    from wiki.git.storage import Storage
    from wiki.model import Author

    root = OUT / "files"
    shutil.rmtree(root, ignore_errors=True)
    storage = Storage.init(root / "content")
    storage.import_files({"Home.md": b"# Home\n"}, author=Author("B", "b@x"), message="s")
    storage.close()
    app = create_app(
        {
            "CONTENT_DIR": str(root / "content"),
            "SECRET_KEY": "bench",
            "SEARCH_INDEX_DIR": str(root / "index"),
            "INSTANCE_PATH": str(root),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    app.services.pages.rebuild_index()
    app.services.users.add("bench", "a-long-password", role="editor")
    secret, _ = app.services.users.create_token("bench", "bench")
    auth = {"Authorization": f"Bearer {secret}"}
    client = app.test_client()
    data = big_pdf(args.megabytes, "the zygomorphic benchmark report")
    started = time.perf_counter()
    response = client.post(
        "/-/api/v1/files/Public/report.pdf",
        headers=auth,
        data={"file": (io.BytesIO(data), "report.pdf")},
    )
    upload_s = time.perf_counter() - started
    assert response.status_code == 201, response.data
    found_s = None
    while time.perf_counter() - started < 60:
        hits = client.get("/-/api/v1/search?q=zygomorphic", headers=auth).get_json()
        if hits["total"]:
            found_s = time.perf_counter() - started
            break
        time.sleep(0.2)
    app.close()
    results = {
        "megabytes": round(len(data) / (1 << 20), 1),
        "upload_s": round(upload_s, 2),
        "searchable_after_s": round(found_s, 2) if found_s else None,
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "results-files.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
