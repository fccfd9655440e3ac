"""What the web hands the push hook: who pushes, under which rules, survives the trip."""

from __future__ import annotations

import pytest

from wiki.access.policy import Access
from wiki.access.policy import Space
from wiki.access.policy import Who
from wiki.git.pushcheck import PushRules


@pytest.mark.parametrize(
    "who",
    [
        Who("maria", "editor", read_only=True),
        Who("strauss", "reader", ambiguous=True),
        Who("maria", "editor"),
    ],
)
def test_who_survives_the_trip_to_the_hook(who):
    wg4 = Space(
        "WG4",
        "WG4",
        "",
        "registered",
        "members",
        frozenset({"maria", "strauss"}),
        frozenset(),
        (("user", "maria"), ("user", "strauss")),
    )
    rules = PushRules.from_env(PushRules(who=who, access=Access([wg4])).to_env())
    assert rules.who == who
    # the hook decides as the web does: a read token or a shared name writes nothing there
    expected = not (who.read_only or who.ambiguous)
    assert rules.access.may_write(rules.who, "WG4/Page") is expected
