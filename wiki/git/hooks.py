"""The content repository's git hooks: `python -m wiki.git.hooks pre-receive`.

Installed into `<content>/hooks/` by `wiki init` and `wiki serve` (`prepare`). git runs the hook for
every push (over HTTP through the wiki, or over ssh); what it prints goes to
the pusher's terminal as `remote: ...` lines.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

HOOK = "pre-receive"
MARKER = "# installed by the wiki"


def prepare(git_dir: Path) -> None:
    """Make the repository a strict server: its git configuration (wiki/git/http.py) and
    the pre-receive hook. Run by `wiki init` and `wiki serve`; the app itself changes
    nothing in the repository, and refuses pushes while the hook is missing."""
    from .http import configure

    configure(git_dir)
    install(git_dir)


def installed(git_dir: Path) -> bool:
    """Whether the current hook is in place (pushes are refused without it)."""
    try:
        return (Path(git_dir) / "hooks" / HOOK).read_text() == _script()
    except OSError:
        return False


def _script() -> str:
    return (
        f"#!/bin/sh\n{MARKER}: checks every pushed commit (see wiki/git/pushcheck.py)\n"
        f"exec {shlex.quote(sys.executable)} -P -m wiki.git.hooks {HOOK}\n"
    )


def install(git_dir: Path) -> None:
    """Write the pre-receive hook (again, when the Python running the wiki moved)."""
    hook = Path(git_dir) / "hooks" / HOOK
    script = _script()
    try:
        if hook.read_text() == script:
            return
    except FileNotFoundError:
        pass
    hook.parent.mkdir(parents=True, exist_ok=True)
    tmp = hook.with_name(f".{HOOK}.{os.getpid()}")
    tmp.write_text(script)
    tmp.chmod(0o755)
    tmp.replace(hook)


def pre_receive(lines: list[str]) -> int:
    from .pushcheck import RULES_ENV
    from .pushcheck import PushRules
    from .pushcheck import check_push

    updates = [tuple(line.split()[:3]) for line in lines if line.strip()]
    rules = PushRules.from_env(os.environ.get(RULES_ENV))
    try:
        reasons = check_push(updates, rules)  # type: ignore[arg-type]
    except Exception as error:  # never accept a push that could not be checked
        # git's own words (paths, object names) are not for the pusher: the error's kind is
        # enough to report it to an administrator
        print(
            f"The wiki could not check this push ({type(error).__name__}). Please try "
            "again; if it happens again, tell an administrator.",
            file=sys.stderr,
        )
        return 1
    if reasons:
        print("The wiki refused this push:", file=sys.stderr)
        for reason in reasons:
            print(f"  {reason}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] != HOOK:
        print(f"usage: python -m wiki.git.hooks {HOOK}", file=sys.stderr)
        return 2
    return pre_receive(sys.stdin.read().splitlines())


if __name__ == "__main__":
    sys.exit(main(sys.argv))
