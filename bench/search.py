"""Search benchmarks: index size and build time, query latency, updates, catch-up.

    python bench/search.py [--sizes 5000 50000] [--queries 300]

For each corpus size: generate pages (one commit each, six languages), build
the revision table and the search index (timed, with its size on disk), serve
with gunicorn (2 workers) and time queries over HTTP on 127.0.0.1: one and two
words with facets, phrases, prefixes, suggestions. Then, in-process: the index
update after a save, and catching up with 1,000 commits made behind the
wiki's back (as a push would). Results go to bench/out/search-*.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.generate import LANGS  # noqa: E402
from bench.generate import generate  # noqa: E402
from bench.generate import vocabulary  # noqa: E402
from bench.generate import zipf_words  # noqa: E402
from bench.run import Client  # noqa: E402
from bench.run import free_port  # noqa: E402
from bench.run import stop  # noqa: E402
from bench.run import summary  # noqa: E402

OUT = HERE / "out"


def build(size: int, reuse: bool = False) -> tuple[Path, Path, dict]:
    corpus = OUT / f"zcorpus-{size}p"
    if not corpus.exists():
        generate(corpus, size, size, 0)
    head = (corpus / "bench-generated-head").read_text().strip()
    subprocess.run(
        ["git", "--git-dir", str(corpus), "update-ref", "refs/heads/main", head], check=True
    )
    instance = OUT / f"search-instance-{size}"
    if reuse and (instance / "search_index").is_dir():
        return corpus, instance, {"pages": size, "reused_index": True}
    shutil.rmtree(instance, ignore_errors=True)
    env = {
        **os.environ,
        "WIKI_INSTANCE": str(instance),
        "WIKI_CONTENT_DIR": str(corpus),
        "WIKI_SEARCH_INDEX_DIR": str(instance / "search_index"),
        "PYTHONPATH": str(HERE.parent),
    }
    os.environ.update(env)
    from wiki.app import create_app

    app = create_app()
    wiki = app.services.pages
    figures: dict = {"pages": size}
    start = time.perf_counter()
    wiki.storage.rebuild_revindex()
    figures["revision_table_s"] = round(time.perf_counter() - start, 1)
    start = time.perf_counter()
    packing_started: list[float] = []

    def packing(done: int, total: int) -> None:
        if not packing_started:
            packing_started.append(time.perf_counter())

    wiki.rebuild_index(packing=packing)
    end = time.perf_counter()
    figures["index_build_s"] = round(end - start, 1)
    figures["of_which_packs_s"] = round(end - packing_started[0], 1) if packing_started else 0
    figures["index_size_mib"] = round(wiki.index.size_bytes() / (1 << 20), 1)
    packs = sum(p.stat().st_size for p in wiki.index.root.glob("*.wikipack"))
    figures["of_which_packs_mib"] = round(packs / (1 << 20), 1)
    wiki.index.close()
    wiki.storage.close()
    return corpus, instance, figures


def query_word(rng: random.Random, lang: str | None = None) -> str:
    """A word people would search for: Zipf-distributed, skipping the 10 most common."""
    lang = lang or rng.choice(LANGS)
    words = vocabulary(lang)
    while True:
        word = zipf_words(lang, rng, 1)[0]
        if words.index(word) >= 10 and len(word) > 3:
            return word


def queries(rng: random.Random, count: int) -> dict[str, list[str]]:
    def two() -> str:
        lang = rng.choice(LANGS)
        return f"{query_word(rng, lang)} {query_word(rng, lang)}"

    def phrase() -> str:
        lang = rng.choice(LANGS)
        return '"' + " ".join(zipf_words(lang, rng, 2)) + '"'

    def common() -> str:
        """One of the ten most common words of a language: it matches most of its pages."""
        return rng.choice([w for w in vocabulary(rng.choice(LANGS))[:10] if len(w) > 3])

    return {
        "one word": [query_word(rng) for _ in range(count)],
        "two words": [two() for _ in range(count)],
        "two words + filter": [two() for _ in range(count)],
        "phrase": [phrase() for _ in range(count)],
        "prefix": [query_word(rng)[:4] + "*" for _ in range(count)],
        "suggest": [query_word(rng)[:3] for _ in range(count)],
        # drawn last, so that the queries above stay those of earlier runs
        "common word": [common() for _ in range(count)],
    }


def measure_http(instance: Path, corpus: Path, count: int) -> dict:
    env = {
        **os.environ,
        "WIKI_INSTANCE": str(instance),
        "WIKI_CONTENT_DIR": str(corpus),
        "WIKI_SEARCH_INDEX_DIR": str(instance / "search_index"),
    }
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "wiki", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = Client(port)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if client.request("GET", "/-/health")[0] == 200:
                break
        except OSError:
            time.sleep(0.05)
    results: dict = {}
    try:
        rng = random.Random(5)
        for label, qs in queries(rng, count).items():
            times = []
            totals = []
            for q in qs:
                if label == "suggest":
                    url = "/-/api/v1/suggest?q=" + q
                elif label == "two words + filter":
                    url = f"/-/api/v1/search?q={q}&wg=WG{rng.randint(1, 6)}&sort=date"
                else:
                    url = "/-/api/v1/search?q=" + q
                start = time.perf_counter()
                status, body, _ = client.request("GET", url)
                times.append((time.perf_counter() - start) * 1000)
                assert status == 200, (status, body[:200])
                if label != "suggest":
                    totals.append(json.loads(body)["total"])
            results[label] = summary(times)
            if totals:
                results[label]["median_hits"] = sorted(totals)[len(totals) // 2]
        # the HTML page with facets, as a person sees it
        times = []
        for q in queries(rng, count // 3)["two words"]:
            start = time.perf_counter()
            client.request("GET", "/-/search?q=" + q)
            times.append((time.perf_counter() - start) * 1000)
        results["search page (HTML)"] = summary(times)
    finally:
        stop(proc)
    return results


def measure_updates(instance: Path, corpus: Path) -> dict:
    os.environ.update(
        {
            "WIKI_INSTANCE": str(instance),
            "WIKI_CONTENT_DIR": str(corpus),
            "WIKI_SEARCH_INDEX_DIR": str(instance / "search_index"),
        }
    )
    from wiki.app import create_app
    from wiki.model import Author

    app = create_app()
    wiki = app.services.pages
    author = Author("Bench", "bench@example.org")
    names = sorted(wiki.page_names())
    rng = random.Random(9)
    run = f"{time.time():.0f}"  # every run changes the pages, also on a corpus measured before
    save_ms, index_ms = [], []
    for i in range(100):
        name = rng.choice(names)
        start = time.perf_counter()
        wiki.storage.write(
            name + ".md",
            f"# Edited {i}\n\nzanzibar{i} cluster policy {run}\n",
            author=author,
            message=f"edit {i}",
            base_revision=wiki.head(),
        )
        middle = time.perf_counter()
        wiki.sync_index()
        end = time.perf_counter()
        save_ms.append((middle - start) * 1000)
        index_ms.append((end - middle) * 1000)
    assert wiki.search("zanzibar99").total == 1
    figures = {"commit": summary(save_ms), "index_update_after_save": summary(index_ms)}
    # 1,000 commits behind the index's back (as a push), then one catch-up
    for i in range(1000):
        wiki.storage.write(
            rng.choice(names) + ".md",
            f"# Pushed {i}\n\npushedword{i} {run}\n",
            author=author,
            message=f"push {i}",
            base_revision=wiki.head(),
        )
    start = time.perf_counter()
    wiki.sync_index()
    figures["catch_up_1000_commits_s"] = round(time.perf_counter() - start, 2)
    assert wiki.search("pushedword999").total == 1
    wiki.index.close()
    wiki.storage.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 50000])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep an index built by an earlier run (with --no-updates)",
    )
    parser.add_argument(
        "--no-updates",
        action="store_true",
        help="skip the update measures (they add 1,100 commits to the corpus)",
    )
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    for size in args.sizes:
        print(f"== {size} pages", file=sys.stderr)
        corpus, instance, figures = build(size, args.reuse)
        print(json.dumps(figures), file=sys.stderr)
        figures["http"] = measure_http(instance, corpus, args.queries)
        print(json.dumps(figures["http"]), file=sys.stderr)
        if not args.no_updates:
            figures["updates"] = measure_updates(instance, corpus)
        (OUT / f"search-{size}.json").write_text(json.dumps(figures, indent=2))
        print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
