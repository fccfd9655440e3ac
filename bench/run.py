"""Benchmarks of the wiki under gunicorn (2 workers) on a generated corpus.

    python bench/run.py [--pages 10000] [--commits 20000] [--hot 2000] [--fresh]

Generates the corpus once into bench/out/ (git-ignored), then measures over
HTTP on 127.0.0.1: page views (latency and throughput), saves, history of the
page with 2,000 revisions, recent changes, and cold start. Prints a Markdown
table and writes bench/out/results.json. Every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
PASSWORD = "bench-password-1"
sys.path.insert(0, str(HERE.parent))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """A tiny HTTP client with a cookie (gunicorn's sync workers close every connection)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = ""
        self.csrf = ""

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, bytes, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        hdrs = dict(headers or {})
        if self.cookie:
            hdrs["Cookie"] = self.cookie
        conn.request(method, urllib.parse.quote(path, safe="/?=&%-"), body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        set_cookie = resp.getheader("Set-Cookie")
        if set_cookie:
            self.cookie = set_cookie.split(";", 1)[0]
        conn.close()
        return resp.status, data, dict(resp.getheaders())

    def login(self, username: str, password: str) -> None:
        _, html, _ = self.request("GET", "/-/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', html).group(1).decode()
        body = urllib.parse.urlencode(
            {"username": username, "password": password, "csrf_token": token}
        ).encode()
        status, _, _ = self.request(
            "POST", "/-/login", body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert status == 302, status
        _, html, _ = self.request("GET", "/-/login")
        self.csrf = re.search(rb'name="csrf-token" content="([^"]+)"', html).group(1).decode()


def timed(fn, count: int, limit_s: float = 120.0) -> list[float]:
    """Milliseconds of each call, for at most `count` calls or `limit_s` seconds."""
    times = []
    deadline = time.time() + limit_s
    for _ in range(count):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
        if time.time() > deadline:
            break
    return times


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50_ms": round(pct(values, 50), 1),
        "p95_ms": round(pct(values, 95), 1),
        "mean_ms": round(statistics.mean(values), 1),
    }


def start_server(env: dict, port: int) -> tuple[subprocess.Popen, float]:
    """Start `wiki serve` and return it with the seconds until the first page answered."""
    started = time.perf_counter()
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
            status, _, _ = client.request("GET", "/Public/Hot page")
            if status == 200:
                return proc, time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.01)
    proc.kill()
    raise SystemExit("server did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


def worker_rss(master: int) -> list[int]:
    """Resident memory of the server's worker processes, MiB."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
        except (OSError, ValueError):
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(master):
            found.append(round(int(fields["VmRSS"].split()[0]) / 1024))
    return sorted(found)


def loose_objects(repo: Path) -> int:
    out = subprocess.run(
        ["git", "--git-dir", str(repo), "count-objects"], capture_output=True, text=True
    ).stdout
    return int(out.split()[0]) if out else -1


def throughput(
    port: int, paths: list[str], threads: int = 4, seconds: float = 10.0, cookie: str = ""
) -> float:
    count = [0]
    lock = threading.Lock()
    stop_at = time.time() + seconds

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        client = Client(port)
        client.cookie = cookie
        done = 0
        while time.time() < stop_at:
            status, _, _ = client.request("GET", "/" + rng.choice(paths))
            assert status == 200, status
            done += 1
        with lock:
            count[0] += done

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    begun = time.time()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return count[0] / (time.time() - begun)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--hot", type=int, default=2_000)
    parser.add_argument("--fresh", action="store_true", help="generate the corpus again")
    parser.add_argument("--small", action="store_true", help="pages of about 500 bytes")
    parser.add_argument(
        "--big-folders",
        type=int,
        default=0,
        help="folders of 5,000 pages (saves there are measured apart)",
    )
    parser.add_argument(
        "--large",
        action="store_true",
        help="the refactor's corpus: 40,000 small pages, 20,000 commits, "
        "two folders of 5,000 pages",
    )
    args = parser.parse_args()
    if args.large:
        args.pages, args.commits, args.small = 40_000, 20_000, True
        args.big_folders = max(args.big_folders, 2)
        args.hot = min(args.hot, 2_000)

    from bench.generate import big_folder
    from bench.generate import generate

    tag = f"{args.pages}p-{args.commits}c"
    if args.small:
        tag += "-small"
    if args.big_folders:
        tag += f"-{args.big_folders}big"
    corpus = OUT / f"corpus-{tag}"
    if args.fresh and corpus.exists():
        shutil.rmtree(corpus)
    if not corpus.exists():
        print(f"generating {corpus} ...", file=sys.stderr)
        generate(
            corpus,
            args.pages,
            args.commits,
            args.hot,
            small=args.small,
            big_folders=args.big_folders,
        )
    marker = corpus / "bench-generated-head"
    if not marker.exists():  # a corpus generated before the marker existed: its first 20k commits
        rev = subprocess.run(
            ["git", "--git-dir", str(corpus), "rev-list", "--reverse", "HEAD"],
            capture_output=True,
            text=True,
        ).stdout.split()
        marker.write_text(rev[args.commits - 1] + "\n")
    pristine_head = marker.read_text().strip()
    # every run starts from the generated history (earlier runs' saves are dropped)
    subprocess.run(
        ["git", "--git-dir", str(corpus), "update-ref", "refs/heads/main", pristine_head],
        check=True,
    )
    instance = OUT / f"instance-{tag}"
    shutil.rmtree(instance, ignore_errors=True)
    env = {
        **os.environ,
        "WIKI_INSTANCE": str(instance),
        "WIKI_CONTENT_DIR": str(corpus),
        "WIKI_SEARCH_INDEX_DIR": str(instance / "search_index"),
        "PYTHONPATH": str(HERE.parent),
    }
    shutil.rmtree(corpus / "wiki", ignore_errors=True)
    results: dict = {"pages": args.pages, "commits": args.commits, "hot_revisions": args.hot}

    subprocess.run(
        [
            sys.executable,
            "-m",
            "wiki",
            "user",
            "add",
            "bench",
            "--role",
            "editor",
            "--password-stdin",
        ],
        env=env,
        input=PASSWORD + "\n",
        text=True,
        check=True,
        capture_output=True,
    )
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "wiki", "reindex", "--no-search"],
        env=env,
        check=True,
        capture_output=True,
    )
    results["revision_table_build_s"] = round(time.perf_counter() - start, 2)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "wiki", "reindex", "--no-history"],
        env=env,
        check=True,
        capture_output=True,
    )
    results["search_index_build_s"] = round(time.perf_counter() - start, 2)

    port = free_port()
    proc, cold = start_server(env, port)
    results["cold_start_s"] = round(cold, 2)
    try:
        client = Client(port)
        names = json.loads(client.request("GET", "/-/api/v1/pages")[1])
        rng = random.Random(1)
        sample = [rng.choice(names) for _ in range(1000)]
        it = iter(sample)
        results["page_view"] = summary(timed(lambda: client.request("GET", "/" + next(it)), 1000))
        rng.shuffle(sample)
        it = iter(sample)
        results["page_view_warm"] = summary(
            timed(lambda: client.request("GET", "/" + next(it)), 1000)
        )
        hot_page = "Public/Hot page"
        results["page_view_hot"] = summary(
            timed(lambda: client.request("GET", "/" + hot_page), 300)
        )
        rss_phases = results["worker_rss_by_phase"] = {"page views": worker_rss(proc.pid)}
        results["throughput_pages_per_s"] = round(throughput(port, sample), 1)
        results["throughput_cold_pages_per_s"] = round(throughput(port, names, seconds=5), 1)
        rss_phases["throughput over all pages"] = worker_rss(proc.pid)
        results["history_first_page"] = summary(
            timed(lambda: client.request("GET", "/-/history/" + hot_page), 200)
        )
        results["history_api_2000"] = summary(
            timed(
                lambda: client.request("GET", f"/-/api/v1/pages/{hot_page}/history?limit=500"), 50
            )
        )
        results["recent_changes"] = summary(timed(lambda: client.request("GET", "/-/recent"), 200))
        results["atom_feed"] = summary(timed(lambda: client.request("GET", "/-/recent.atom"), 200))
        results["page_tree"] = summary(
            timed(lambda: client.request("GET", "/-/pages?folder=WG4"), 100)
        )
        index_sizes: list[int] = []

        def all_pages() -> None:
            index_sizes.append(len(client.request("GET", "/-/pages")[1]))

        results["all_pages_index"] = summary(timed(all_pages, 20))
        results["all_pages_index_kb"] = round(max(index_sizes) / 1024)
        linked = iter([rng.choice(names) for _ in range(200)])
        results["backlinks"] = summary(
            timed(lambda: client.request("GET", "/-/backlinks/" + next(linked)), 200)
        )
        rss_phases["history, tree, backlinks"] = worker_rss(proc.pid)
        results["health_throughput_per_s"] = round(throughput(port, ["-/health"], seconds=5), 1)
        results["throughput_vs_health"] = round(
            results["throughput_pages_per_s"] / results["health_throughput_per_s"], 2
        )

        client.login("bench", PASSWORD)
        counter = [0]
        save_names = [rng.choice(names) for _ in range(200)]

        def save() -> None:
            counter[0] += 1
            name = save_names[counter[0] % len(save_names)]
            base = json.loads(client.request("GET", "/-/health")[1])["head"]
            text = f"# Saved {counter[0]}\n\nBenchmark save number {counter[0]}.\n".encode()
            body = json.dumps(
                {"content": text.decode(), "message": f"bench {counter[0]}", "base_revision": base}
            ).encode()
            start = time.perf_counter()
            status, data, _ = client.request(
                "PUT",
                "/-/api/v1/pages/" + name,
                body,
                {"Content-Type": "application/json", "X-CSRF-Token": client.csrf},
            )
            save_times.append((time.perf_counter() - start) * 1000)
            assert status in (200, 201), (status, data[:200])

        results["throughput_signed_in_pages_per_s"] = round(
            throughput(port, sample, seconds=5, cookie=client.cookie), 1
        )
        rss_phases["signed-in throughput"] = worker_rss(proc.pid)
        save_times: list[float] = []
        for _ in range(200):
            save()
        results["save"] = summary(save_times)
        rss_phases["200 saves"] = worker_rss(proc.pid)
        if args.big_folders:
            folder = big_folder(0) + "/"
            save_names = [n for n in names if n.startswith(folder)][:200]
            save_times = []
            for _ in range(200):
                save()
            results["save_big_folder"] = summary(save_times)
        results["page_view_after_saves"] = summary(
            timed(lambda: client.request("GET", "/" + rng.choice(names)), 300)
        )
        results["worker_rss_mib"] = worker_rss(proc.pid)
        results["loose_objects_after_saves"] = loose_objects(corpus)
    finally:
        stop(proc)

    # cold start again, now with the revision table warm on disk (a restart)
    proc, cold2 = start_server(env, free_port())
    stop(proc)
    results["restart_s"] = round(cold2, 2)

    OUT.mkdir(exist_ok=True)
    (OUT / f"results-{tag}.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    print_table(results)


def print_table(r: dict) -> None:
    rows = [
        ("page view, first view of a random page (renders)", r["page_view"]),
        ("page view, those pages again (rendering cached)", r["page_view_warm"]),
        ("page view, one page over and over", r["page_view_hot"]),
        ("page view right after 200 saves", r["page_view_after_saves"]),
        ("save (commit) through the API", r["save"]),
        (f"history, first page ({r['hot_revisions']} revisions)", r["history_first_page"]),
        ("history API, 500 entries", r["history_api_2000"]),
        ("recent changes", r["recent_changes"]),
        ("Atom feed", r["atom_feed"]),
        ("page tree of a folder", r["page_tree"]),
        ("all pages index", r["all_pages_index"]),
        ("backlinks of a random page", r["backlinks"]),
    ]
    if "save_big_folder" in r:
        rows.append(("save in a folder of 5,000 pages", r["save_big_folder"]))
    print(f"\n{r['pages']} pages, {r['commits']} commits, gunicorn 2 workers\n")
    print("| measure | p50 ms | p95 ms | n |\n| --- | --- | --- | --- |")
    for label, s in rows:
        print(f"| {label} | {s['p50_ms']} | {s['p95_ms']} | {s['n']} |")
    print(
        f"\nthroughput: {r['throughput_pages_per_s']} pages/s over 1,000 viewed pages, "
        f"{r['throughput_cold_pages_per_s']} pages/s over all pages (mostly first views); "
        "4 client threads"
    )
    print(
        f"/-/health: {r['health_throughput_per_s']} requests/s; page views reach "
        f"{r['throughput_vs_health']:.0%} of it (readers without an account); signed in: "
        f"{r['throughput_signed_in_pages_per_s']} pages/s. "
        f"All pages index: {r['all_pages_index_kb']} KB"
    )
    print(
        "worker RSS by phase:"
        + "".join(f"\n  after {k}: {v} MiB" for k, v in r.get("worker_rss_by_phase", {}).items())
        + f"\nworker RSS after the bench: {r['worker_rss_mib']} MiB; loose objects after the "
        f"saves: {r['loose_objects_after_saves']}"
    )
    print(f"cold start to first page: {r['cold_start_s']} s; restart: {r['restart_s']} s")
    print(
        f"revision table built from git in {r['revision_table_build_s']} s; "
        f"search index in {r['search_index_build_s']} s"
    )


if __name__ == "__main__":
    main()
