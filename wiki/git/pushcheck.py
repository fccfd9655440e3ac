"""Checks of a `git push` before git accepts it (run by the repository's pre-receive hook).

A push is refused, with one line per reason, when it updates anything but the
main branch, deletes it, is not a fast-forward, or when one of its new commits
touches a path the pusher may not write, a name the web would refuse (case
clashes, Windows-reserved names, '..', '.git', hidden files, non-NFC names), a
symbolic link, a submodule, a file over the size limit, or a page that is not
UTF-8 or whose front matter does not parse. No Flask imports: the hook runs in
its own process, with the rules handed over in the environment.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from dataclasses import field

from ..access.policy import Access
from ..access.policy import Who
from ..errors import InvalidContent
from ..errors import InvalidPageName
from ..pages import frontmatter
from ..pages import names
from ..records import validate as record_checks
from ..records.types import TYPES_FOLDER
from ..records.types import parse_type
from ..records.validate import problems_message
from .parse import ZERO
from .parse import parse_raw_diff
from .runner import Git

MAIN = "refs/heads/main"
RULES_ENV = "WIKI_PUSH_RULES"
SYMLINK, SUBMODULE = "120000", "160000"
MAX_REASONS = 30


@dataclass
class PushRules:
    """Who pushes and under which rules; `access` None means no permission checks
    (a push by someone with shell access to the server)."""

    who: Who = field(default_factory=Who)
    access: Access | None = None
    max_page_bytes: int = 1 << 20
    max_file_bytes: int = 20 << 20
    max_unpacked_bytes: int = 1 << 30
    other_branches: bool = False

    def to_env(self) -> str:
        return json.dumps(
            {
                "user": self.who.username,
                "role": self.who.role,
                "read_only": self.who.read_only,
                "ambiguous": self.who.ambiguous,
                "access": self.access.to_dict() if self.access is not None else None,
                "max_page_bytes": self.max_page_bytes,
                "max_file_bytes": self.max_file_bytes,
                "max_unpacked_bytes": self.max_unpacked_bytes,
                "other_branches": self.other_branches,
            }
        )

    @classmethod
    def from_env(cls, raw: str | None) -> PushRules:
        if not raw:
            return cls()
        data = json.loads(raw)
        access = data.get("access")
        return cls(
            who=Who(
                data.get("user", ""),
                data.get("role", "anonymous"),
                read_only=bool(data.get("read_only")),
                ambiguous=bool(data.get("ambiguous")),
            ),
            access=Access.from_dict(access) if access is not None else None,
            max_page_bytes=int(data.get("max_page_bytes", 1 << 20)),
            max_file_bytes=int(data.get("max_file_bytes", 20 << 20)),
            max_unpacked_bytes=int(data.get("max_unpacked_bytes", 1 << 30)),
            other_branches=bool(data.get("other_branches", False)),
        )


def check_push(
    updates: list[tuple[str, str, str]], rules: PushRules, git: Git | None = None
) -> list[str]:
    """Every reason to refuse these ref updates ((old, new, ref) as git gives them)."""
    git = git or Git()
    reasons: list[str] = []
    unpacked = _unpacked_size(git, [new for _, new, _ in updates if new != ZERO])
    if unpacked > rules.max_unpacked_bytes:
        # checked first: what follows would read those objects
        return [
            f"This push unpacks to {_size(unpacked)}, more than the "
            f"{_size(rules.max_unpacked_bytes)} the wiki accepts in one push."
        ]
    for old, new, ref in updates:
        if ref != MAIN and not (rules.other_branches and ref.startswith("refs/heads/")):
            reasons.append(f"{ref}: only the main branch can be pushed to (push to 'main').")
            continue
        if new == ZERO:
            reasons.append(f"{ref}: a branch of the wiki cannot be deleted.")
            continue
        if old != ZERO and not git.ok("merge-base", "--is-ancestor", old, new):
            reasons.append(
                f"{ref}: not a fast-forward (someone changed the wiki meanwhile, or history "
                "was rewritten). Run 'git pull --rebase' and push again."
            )
            continue
        reasons.extend(_check_commits(git, old, new, rules))
    return reasons[:MAX_REASONS]


def _unpacked_size(git: Git, tips: list[str]) -> int:
    """The bytes of every object the push brings that the repository did not have (the
    compressed pack may be a thousandth of it)."""
    if not tips:
        return 0
    objects = git.out("rev-list", "--objects", *tips, "--not", "--all")
    names = b"\n".join(line.split(b" ", 1)[0] for line in objects.splitlines() if line)
    if not names:
        return 0
    sizes = git.out("cat-file", "--batch-check=%(objectsize)", input=names + b"\n")
    return sum(int(n) for n in sizes.split() if n.isdigit())


def _size(count: int) -> str:
    return f"{count / (1 << 30):.1f} GiB" if count >= 1 << 30 else f"{count / (1 << 20):.1f} MiB"


def _check_commits(git: Git, old: str, new: str, rules: PushRules) -> list[str]:
    """The reasons to refuse moving a branch from `old` to `new`.

    Judged by what lands, not by what commits claim: the change from `old` to `new`
    path by path, every new commit's own changes, and every new merge, which may not
    drop a change one of its sides made to a page the pusher may not write (a merge
    can revert, delete or restore pages without changing them itself: its author
    picks the parents and the resulting tree).
    """
    listing = git.out("rev-list", "--reverse", "--parents", new, "--not", "--all").decode()
    commits = [(line.split()[0], line.split()[1:]) for line in listing.splitlines() if line]
    reasons: list[str] = []
    rights: dict[str, str] = {}  # path -> the first reason it may not be written
    added: set[str] = set()
    blobs: dict[str, tuple[str, str, str]] = {}  # path -> (mode, sha, commit), newest wins
    has_history = bool(git.out("for-each-ref", "--count=1", "refs/").strip())
    for commit, parents in commits:
        if not parents and has_history:
            reasons.append(
                f"{commit[:8]}: a commit without parents starts a history unrelated to the "
                "wiki's; it cannot be pushed. Clone the wiki and commit on top of it."
            )
            continue
        per_parent = [_diff(git, parent, commit) for parent in parents] or [
            _diff(git, None, commit)
        ]
        for path, (mode, sha) in _own_changes(per_parent).items():
            if sha == ZERO:
                blobs.pop(path, None)
            else:
                blobs[path] = (mode, sha, commit)
                added.add(path)
            reasons.extend(_check_path(path, mode, commit, rules))
            _check_right(rights, path, commit, rules, "changes")
        if len(parents) > 1:
            _check_merge(git, commit, parents, per_parent, rules, rights)
    landed = parse_raw_diff(
        git.out(
            "diff-tree", "-r", "-z", "--no-renames", old if old != ZERO else EMPTY_TREE, new
        ).decode("utf-8", "surrogateescape")
    )
    for path in landed:
        _check_right(rights, path, new, rules, "would change")
    reasons.extend(rights.values())
    reasons.extend(_check_blobs(git, blobs, rules, new))
    if added:
        reasons.extend(_case_clashes(git, new, added))
    # one reason per path is enough
    seen, unique = set(), []
    for reason in reasons:
        if reason not in seen:
            seen.add(reason)
            unique.append(reason)
    return unique


EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's well-known empty tree


def _diff(git: Git, old: str | None, new: str) -> dict[str, tuple[str, str]]:
    """Paths that differ between two commits (None: the empty tree), with the new mode and
    blob (ZERO for a deletion)."""
    out = git.out("diff-tree", "-r", "-z", "--no-renames", old or EMPTY_TREE, new)
    raw = parse_raw_diff(out.decode("utf-8", "surrogateescape"))
    return {p: v or ("000000", ZERO) for p, v in raw.items()}


def _own_changes(per_parent: list[dict[str, tuple[str, str]]]) -> dict[str, tuple[str, str]]:
    """What a commit changed itself: the paths where it differs from every parent."""
    common = set(per_parent[0])
    for changes in per_parent[1:]:
        common &= set(changes)
    return {p: per_parent[0][p] for p in common}


def _check_merge(
    git: Git,
    commit: str,
    parents: list[str],
    per_parent: list[dict[str, tuple[str, str]]],
    rules: PushRules,
    rights: dict[str, str],
) -> None:
    """A merge must keep, in every page the pusher may not write, what each side changed
    since their common ancestor: taking the other side's older version there would revert,
    delete or restore that page."""
    if rules.access is None:
        return
    found = git.run("merge-base", "--octopus", *parents).stdout.decode().split()
    base = found[0] if found else None
    for parent, differs in zip(parents, per_parent, strict=True):
        side_changed = _diff(git, base, parent)
        for path in side_changed.keys() & differs.keys():
            if not _may_write(rules, path):
                rights.setdefault(
                    path,
                    _refusal(
                        rules,
                        path,
                        commit,
                        "this merge drops a change its parent "
                        f"{parent[:8]} made to it (a revert, deletion or restoration); merge so "
                        "that it keeps both sides' changes (git pull, then push again)",
                    ),
                )


def _may_write(rules: PushRules, path: str) -> bool:
    if rules.access is None:
        return True
    target = names.to_name(path) if path.endswith(names.SUFFIX) else path
    return rules.access.may_write(rules.who, target)


def _refusal(rules: PushRules, path: str, commit: str, what: str) -> str:
    target = names.to_name(path) if path.endswith(names.SUFFIX) else path
    space = rules.access.space_of(target) if rules.access is not None else None
    where = f"the space {space.name}" if space else "pages outside the spaces"
    shown = path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return f"{commit[:8]} {shown}: {rules.who.username or 'you'} may not write in {where}: {what}."


def _check_right(
    rights: dict[str, str], path: str, commit: str, rules: PushRules, verb: str
) -> None:
    if path not in rights and not _may_write(rules, path):
        rights[path] = _refusal(rules, path, commit, f"this push {verb} it")


def _check_path(path: str, mode: str, commit: str, rules: PushRules) -> list[str]:
    short = commit[:8]
    shown = path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    reasons = []
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return [f"{short} {shown}: the name is not UTF-8."]
    if unicodedata.normalize("NFC", path) != path:
        reasons.append(
            f"{short} {shown}: the name is not in NFC form (on macOS, set "
            "'git config core.precomposeunicode true' and commit again)."
        )
    try:
        names.validate(path)
    except InvalidPageName as problem:
        reasons.append(f"{short} {shown}: {problem.message}")
    if mode == SYMLINK:
        reasons.append(f"{short} {shown}: symbolic links are not accepted.")
    elif mode == SUBMODULE:
        reasons.append(f"{short} {shown}: submodules are not accepted.")
    return reasons


def _check_blobs(
    git: Git, blobs: dict[str, tuple[str, str, str]], rules: PushRules, tip: str
) -> list[str]:
    """Sizes of every new file, and the text and front matter of every new page."""
    if not blobs:
        return []
    items = [
        (p, sha, commit)
        for p, (mode, sha, commit) in blobs.items()
        if mode not in (SYMLINK, SUBMODULE)
    ]
    sizes = (
        git.out(
            "cat-file",
            "--batch-check=%(objectsize)",
            input="".join(f"{sha}\n" for _, sha, _ in items).encode(),
        )
        .decode()
        .split()
    )
    reasons = []
    pages = []
    record_types = None  # read when a pushed page names a type
    for (path, sha, commit), size in zip(items, sizes, strict=True):
        is_page = path.endswith(names.SUFFIX)
        limit = rules.max_page_bytes if is_page else rules.max_file_bytes
        if int(size) > limit:
            reasons.append(
                f"{commit[:8]} {path}: too large ({int(size) // 1024} KiB; at most "
                f"{limit // 1024} KiB)."
            )
        elif is_page:
            pages.append((path, sha, commit))
    contents = _read_blobs(git, [sha for _, sha, _ in pages])
    for path, sha, commit in pages:
        data = contents[sha]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            reasons.append(f"{commit[:8]} {path}: a page must be UTF-8 text.")
            continue
        if "\x00" in text:
            reasons.append(f"{commit[:8]} {path}: a page cannot contain NUL characters.")
            continue
        text = text.replace("\r\n", "\n")
        try:
            meta = frontmatter.parse(text, strict=True).meta
        except InvalidContent as problem:
            reasons.append(f"{commit[:8]} {path}: {problem.message}")
            continue
        if isinstance(meta.get("type"), str):
            if record_types is None:
                record_types = _record_types(git, tip)
            record_type = record_types.get(meta["type"])
            errors = (
                record_checks.check(record_type, meta, [], frontmatter.split(text)[0]).errors
                if record_type is not None
                else ()
            )
            if errors:
                reasons.append(f"{commit[:8]} {path}: {problems_message(record_type, errors)}")
    return reasons


def _record_types(git: Git, tip: str) -> dict:
    """The record types the pushed tip declares (its pages in Types/), by id."""
    proc = git.run("ls-tree", "-z", tip, "--", TYPES_FOLDER + "/")
    found: dict = {}
    if proc.returncode != 0:
        return found
    entries = []
    for record in proc.stdout.decode("utf-8", "surrogateescape").split("\0"):
        meta_part, _, path = record.partition("\t")
        fields = meta_part.split()
        if len(fields) == 3 and fields[1] == "blob" and path.endswith(names.SUFFIX):
            entries.append((path, fields[2]))
    contents = _read_blobs(git, [sha for _, sha in entries])
    for path, sha in sorted(entries):
        parsed = parse_type(names.to_name(path), contents[sha].decode("utf-8", "replace"))
        if parsed is not None and parsed.id not in found:
            found[parsed.id] = parsed
    return found


def _read_blobs(git: Git, shas: list[str]) -> dict[str, bytes]:
    """Several blobs through one `git cat-file --batch`."""
    if not shas:
        return {}
    out = git.out("cat-file", "--batch", input="".join(f"{sha}\n" for sha in shas).encode())
    result, pos = {}, 0
    for sha in shas:
        end = out.index(b"\n", pos)
        size = int(out[pos:end].split()[2])
        result[sha] = out[end + 1 : end + 1 + size]
        pos = end + 1 + size + 1
    return result


def _case_clashes(git: Git, new: str, added: set[str]) -> list[str]:
    """Paths that differ only by letter case from another path (or folder) at `new`."""
    listing = git.out("ls-tree", "-r", "-z", "--name-only", new).split(b"\0")
    variants: dict[str, set[str]] = {}
    for raw in listing:
        if not raw:
            continue
        parts = raw.decode("utf-8", "surrogateescape").split("/")
        for i in range(1, len(parts) + 1):
            prefix = "/".join(parts[:i])
            variants.setdefault(prefix.casefold(), set()).add(prefix)
    reasons = []
    for path in sorted(added):
        parts = path.split("/")
        for i in range(1, len(parts) + 1):
            prefix = "/".join(parts[:i])
            others = variants.get(prefix.casefold(), set()) - {prefix}
            if others:
                reasons.append(
                    f"{path}: '{prefix}' differs only by letter case from "
                    f"'{min(others)}'; both cannot exist in a clone on Windows "
                    "or macOS."
                )
                break
    return reasons
