"""Generate a benchmark content repository with `git fast-import`.

Default: 10,000 pages in several languages with front matter, tables, lists and
wikilinks between pages, written by 20,000 commits from a dozen authors; one
page ("Public/Hot page") has 2,000 revisions.

    python bench/generate.py OUT_DIR [--pages N] [--commits N] [--hot N]
                             [--small] [--big-folders N]

With --small, pages average about 500 bytes (a heading, two sentences, one
link); with --big-folders N, N folders (`WG1/Archive`, ...) hold 5,000 pages
each. When there are fewer commits than pages plus edits, pages are created
several to a commit: half the commits create, half edit.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

WORDS = {
    "en": "cluster policy innovation region smart specialisation financing guarantee fund "
    "network cooperation partner study trip benchmark practice transfer skills jobs "
    "research development enterprise programme strategy impact foresight analysis "
    "sustainability eco-innovation internationalisation members support growth".split(),
    "hu": "klaszter politika innováció régió intelligens szakosodás finanszírozás garancia "
    "alap hálózat együttműködés partner tanulmányút gyakorlat átadás készségek "
    "munkahely kutatás fejlesztés vállalkozás program stratégia hatás elemzés".split(),
    "de": "Cluster Politik Innovation Region intelligente Spezialisierung Finanzierung "
    "Garantie Fonds Netzwerk Zusammenarbeit Partner Studienreise Praxis Transfer "
    "Fähigkeiten Arbeitsplätze Forschung Entwicklung Unternehmen Programm Strategie "
    "Maßnahmen Förderung Wachstum".split(),
    "el": "συστάδα πολιτική καινοτομία περιφέρεια έξυπνη εξειδίκευση χρηματοδότηση εγγύηση "
    "ταμείο δίκτυο συνεργασία εταίρος μελέτη πρακτική μεταφορά δεξιότητες θέσεις "
    "έρευνα ανάπτυξη επιχείρηση πρόγραμμα στρατηγική".split(),
    "it": "distretto politica innovazione regione specializzazione intelligente finanziamento "
    "garanzia fondo rete cooperazione partner viaggio studio pratica trasferimento "
    "competenze lavoro ricerca sviluppo impresa programma strategia".split(),
    "ro": "cluster politică inovare regiune specializare inteligentă finanțare garanție "
    "fond rețea cooperare partener vizită studiu practică transfer competențe "
    "locuri muncă cercetare dezvoltare întreprindere program strategie".split(),
}
LANGS = list(WORDS)
VOCABULARY_SIZE = 6000  # words per language, used with Zipf frequencies as in real text


def vocabulary(lang: str, size: int = VOCABULARY_SIZE, seed: int = 11) -> list[str]:
    """The domain words first, then made-up words built from their syllables."""
    rng = random.Random(f"{seed}-{lang}")
    base = WORDS[lang]
    pieces = sorted({w[i : i + 3] for w in base for i in range(0, max(1, len(w) - 2), 2)})
    words = list(dict.fromkeys(base))
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(pieces) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def zipf_weights(n: int, s: float = 1.07) -> list[float]:
    """Cumulative Zipf weights for ranks 1..n."""
    total, out = 0.0, []
    for rank in range(1, n + 1):
        total += 1.0 / rank**s
        out.append(total)
    return out


_VOCAB: dict[str, tuple[list[str], list[float]]] = {}


def zipf_words(lang: str, rng: random.Random, k: int) -> list[str]:
    if lang not in _VOCAB:
        words = vocabulary(lang)
        _VOCAB[lang] = (words, zipf_weights(len(words)))
    words, cum = _VOCAB[lang]
    return rng.choices(words, cum_weights=cum, k=k)


FOLDERS = ["WG1", "WG2", "WG3", "WG4", "WG5", "WG6", "Public", "Training"]
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
TYPES = ["best-practice", "policy-note", "study-trip", "swot", "event", "institution"]
AUTHORS = [
    ("Maria Rossi", "maria@example.org"),
    ("Kovács Anna", "anna@example.org"),
    ("Jana Novak", "jana@example.org"),
    ("Georgios Papadakis", "georgios@example.org"),
    ("Ivan Petrov", "ivan@example.org"),
    ("Lena Huber", "lena@example.org"),
    ("Andrei Popescu", "andrei@example.org"),
    ("Zuzana Kováčová", "zuzana@example.org"),
    ("Marko Horvat", "marko@example.org"),
    ("Elira Hoxha", "elira@example.org"),
    ("Nikola Jovanović", "nikola@example.org"),
    ("Ion Rusu", "ion@example.org"),
]


BIG_FOLDER_PAGES = 5000


def big_folder(index: int) -> str:
    return f"{FOLDERS[index % len(FOLDERS)]}/Archive{'' if index < len(FOLDERS) else index}"


def page_names(count: int, rng: random.Random, big_folders: int = 0) -> list[str]:
    names = ["Public/Hot page"]
    seen = set(names)
    while len(names) < count:
        lang = rng.choice(LANGS)
        words = rng.sample(WORDS[lang], 3)
        slot = (len(names) - 1) // BIG_FOLDER_PAGES
        folder = big_folder(slot) if slot < big_folders else rng.choice(FOLDERS)
        name = f"{folder}/{' '.join(words).capitalize()} {len(names)}"
        if name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


def page_text(
    name: str, names: list[str], rng: random.Random, revision: int, small: bool = False
) -> str:
    lang = rng.choice(LANGS)
    words = WORDS[lang]

    def sentence(n: int) -> str:
        return " ".join(zipf_words(lang, rng, n)).capitalize() + "."

    if small:  # about 500 bytes
        return "\n".join(
            [
                "---",
                f"lang: {lang}",
                f"type: {rng.choice(TYPES)}",
                f"country: {rng.choice(COUNTRIES)}",
                "---",
                f"# {name.rsplit('/', 1)[1]}",
                "",
                " ".join(sentence(rng.randint(8, 14)) for _ in range(3)),
                "",
                f"See also [[{rng.choice(names)}]]. Revision {revision}.",
                "",
            ]
        )

    links = " ".join(f"[[{rng.choice(names)}]]" for _ in range(3))
    parts = [
        "---",
        f"title: {name.rsplit('/', 1)[1]}",
        f"lang: {lang}",
        f"type: {rng.choice(TYPES)}",
        f"wg: {name.split('/')[0]}",
        f"country: {rng.choice(COUNTRIES)}",
        f"tags: [{', '.join(rng.sample(words, 2))}]",
        "---",
        f"# {name.rsplit('/', 1)[1]}",
        "",
        " ".join(sentence(rng.randint(8, 16)) for _ in range(5)),
        "",
        "## " + sentence(3)[:-1],
        "",
        *[f"- {sentence(rng.randint(5, 10))}" for _ in range(5)],
        "",
        f"See also {links}.",
        "",
        "| Indicator | Value |",
        "| --- | --- |",
        *[f"| {rng.choice(words)} | {rng.randint(1, 999)} |" for _ in range(4)],
        "",
        "## " + sentence(2)[:-1],
        "",
        " ".join(sentence(rng.randint(8, 16)) for _ in range(12)),
        "",
        f"Revision {revision}.",
        "",
    ]
    return "\n".join(parts)


def generate(
    out: Path,
    pages: int,
    commits: int,
    hot: int,
    seed: int = 7,
    *,
    small: bool = False,
    big_folders: int = 0,
) -> None:
    rng = random.Random(seed)
    final, out = out, out.with_name(out.name + ".partial")  # renamed when complete
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(out)], check=True)
    names = page_names(pages, rng, big_folders)
    started = time.time()
    proc = subprocess.Popen(
        ["git", "--git-dir", str(out), "fast-import", "--quiet"], stdin=subprocess.PIPE
    )
    assert proc.stdin is not None
    ts = 1_336_000_000  # May 2012
    if commits >= pages + hot + 1:
        creating, edits = pages, commits - pages
    else:  # several pages to a commit: half the commits create, half edit
        edits = max(hot + 1, commits // 2)
        creating = commits - edits
    if creating < 1 or edits < hot:
        raise SystemExit("--commits must be at least --hot + 2")
    per_commit = -(-pages // creating)
    plan = [names[i : i + per_commit] for i in range(0, pages, per_commit)]
    creations = len(plan)
    other = [[rng.choice(names[1:])] for _ in range(edits - hot)]
    edit_plan = other + [[names[0]]] * hot
    rng.shuffle(edit_plan)
    plan += edit_plan
    revision = 0
    for i, batch in enumerate(plan, start=1):
        author, email = AUTHORS[rng.randrange(len(AUTHORS))]
        ts += rng.randint(60, 3000)
        revision += 1
        what = batch[0] if len(batch) == 1 else f"{len(batch)} pages"
        message = f"{'Create' if i <= creations else 'Update'} {what}".encode()
        parts = [
            b"commit refs/heads/main\n",
            b"author %s <%s> %d +0000\n" % (author.encode(), email.encode(), ts),
            b"committer %s <%s> %d +0000\n" % (author.encode(), email.encode(), ts),
            b"data %d\n%s\n" % (len(message), message),
        ]
        for name in batch:
            text = page_text(name, names, rng, revision, small).encode()
            path = (name + ".md").encode()
            parts += [
                b'M 100644 inline "%s"\n' % path.replace(b"\\", b"\\\\").replace(b'"', b'\\"'),
                b"data %d\n%s\n" % (len(text), text),
            ]
        parts.append(b"\n")
        proc.stdin.write(b"".join(parts))
        if i % 2000 == 0:
            print(f"  {i}/{len(plan)} commits", file=sys.stderr)
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "--git-dir", str(out), "gc", "-q"], check=True)
    head = subprocess.run(
        ["git", "--git-dir", str(out), "rev-parse", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (out / "bench-generated-head").write_text(head + "\n")  # runs reset to it
    out.rename(final)
    print(
        f"generated {pages} pages and {len(plan)} commits in {time.time() - started:.1f} s",
        file=sys.stderr,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--hot", type=int, default=2_000)
    parser.add_argument("--small", action="store_true", help="pages of about 500 bytes")
    parser.add_argument("--big-folders", type=int, default=0, help="folders of 5,000 pages")
    args = parser.parse_args()
    generate(
        args.out, args.pages, args.commits, args.hot, small=args.small, big_folders=args.big_folders
    )


if __name__ == "__main__":
    main()
