"""Collections of typed records at scale: 10,000 best-practice records, in-process.

Measures a filtered collection page (`/-/types/best-practice?wg=WG4`), the same page
sorted by a field, the CSV of every record, the JSON of a filter, and the first
collection after a cold start (the page table built from the pages). Results go to
bench/out/results-records-<n>.json; figures belong in bench/README.md.

    .venv/bin/python bench/records.py [--records 10000]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE.parent))

COUNTRIES = [
    "Italy",
    "Hungary",
    "Slovenia",
    "Bulgaria",
    "Greece",
    "Austria",
    "Romania",
    "Slovakia",
    "Croatia",
    "Albania",
    "Serbia",
    "Moldova",
]
STATES = ["draft", "in review", "approved"]


def record(i: int, rng: random.Random) -> str:
    return (
        f"---\ntype: best-practice\ncountry: {rng.choice(COUNTRIES)}\n"
        f"partner: Partner {i % 23}\nwg: WG{rng.randint(1, 6)}\nactivity: Activity {i}\n"
        f"results: Results of practice {i}, with {rng.randint(5, 90)} firms.\n"
        f"review_state: {rng.choice(STATES)}\n---\n# Practice {i}\n\n## Summary\n\n"
        f"Practice {i} in short.\n\n## How it works\n\nSteps of practice {i}.\n"
    )


def timed(fn, n: int) -> dict:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "n": n,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(n * 0.95) - 1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    args = parser.parse_args()
    from wiki.app import create_app
    from wiki.git.storage import Storage
    from wiki.model import Author

    root = OUT / f"records-{args.records}"
    shutil.rmtree(root, ignore_errors=True)
    rng = random.Random(7)
    files = {f"Types/{p.name}": p.read_bytes() for p in (HERE.parent / "content/Types").glob("*")}
    for i in range(args.records):
        files[f"Best practices/Practice {i}.md"] = record(i, rng).encode()
    storage = Storage.init(root / "content")
    storage.import_files(files, author=Author("Bench", "bench@localhost"), message="records")
    storage.close()
    app = create_app(
        {
            "CONTENT_DIR": str(root / "content"),
            "SECRET_KEY": "bench",
            "SEARCH_INDEX_DIR": str(root / "index"),
            "INSTANCE_PATH": str(root),
        }
    )
    client = app.test_client()
    results: dict = {"records": args.records}
    started = time.perf_counter()
    assert client.get("/-/types/best-practice?wg=WG4").status_code == 200
    results["first_collection_s"] = round(time.perf_counter() - started, 2)  # table built
    results["filtered"] = timed(lambda: client.get("/-/types/best-practice?wg=WG4"), 30)
    results["filtered_sorted"] = timed(
        lambda: client.get("/-/types/best-practice?country=Greece&sort=-review_state"), 30
    )
    results["csv_all"] = timed(lambda: client.get("/-/types/best-practice?format=csv"), 5)
    results["json_filtered"] = timed(
        lambda: client.get("/-/types/best-practice?wg=WG2&format=json"), 10
    )
    app.close()
    OUT.mkdir(exist_ok=True)
    (OUT / f"results-records-{args.records}.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
