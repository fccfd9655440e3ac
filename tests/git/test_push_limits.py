"""A push is limited by what it unpacks to, not only by the bytes sent."""

from __future__ import annotations

import pytest

from tests.git.conftest import git
from tests.served import serve

pytestmark = pytest.mark.slow
LIMIT = 300_000


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    served = serve(
        tmp_path_factory.mktemp("limits"),
        {"maria": "WG4"},
        env={"WIKI_GIT_MAX_UNPACKED_BYTES": str(LIMIT)},
    )
    yield served
    served.stop()


def clone(served, tmp_path):
    target = tmp_path / "clone"
    git("clone", served.url("maria"), str(target), cwd=tmp_path)
    git("config", "user.name", "Maria Rossi", cwd=target)
    git("config", "user.email", "maria@example.org", cwd=target)
    return target


def test_a_push_that_unpacks_to_more_than_the_limit_is_refused(limited, tmp_path):
    repo = clone(limited, tmp_path)
    before = git("rev-parse", "origin/main", cwd=repo).stdout
    for i in range(3):  # 3 x 150 KB of one repeated line: a pack of a few KB
        (repo / "WG4" / f"Big {i}.md").write_text(f"# Big {i}\n\n" + "same words\n" * 15_000)
    git("add", "-A", cwd=repo)
    git("commit", "-m", "large", cwd=repo)
    r = git("push", "origin", "main", cwd=repo, check=False)
    assert r.returncode != 0
    assert "This push unpacks to 0.5 MiB, more than the 0.3 MiB the wiki accepts" in r.stderr
    git("fetch", cwd=repo)
    assert git("rev-parse", "origin/main", cwd=repo).stdout == before


def test_a_push_under_the_limit_lands(limited, tmp_path):
    repo = clone(limited, tmp_path)
    (repo / "WG4" / "Small.md").write_text("# Small\n\nA few words.\n")
    git("add", "-A", cwd=repo)
    git("commit", "-m", "small", cwd=repo)
    git("push", "origin", "main", cwd=repo)
