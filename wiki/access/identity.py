"""When two user or group names are the same person or group: one key for every comparison.

Accounts, memberships, groups, the login throttle and pushes all compare names
through `name_key()`, so that no two places can disagree about who someone is
(SQLite's NOCASE folds ASCII only, `str.casefold()` alone leaves compatibility
letters apart: `strauß`/`strauss`, `ſm`/`sm` and `ｓｍ`/`sm` are one name here).
NFKC does not unify look-alike letters of different scripts (Cyrillic `а` and
Latin `a`), so new names may not mix scripts. No Flask imports.
"""

from __future__ import annotations

import unicodedata

# Scripts that are written together in one name (Japanese mixes kana with kanji,
# Korean hangul with hanja): they count as one script.
_SCRIPT_FAMILIES = {
    "CJK": "HAN",
    "HIRAGANA": "HAN",
    "KATAKANA": "HAN",
    "KATAKANA-HIRAGANA": "HAN",
    "IDEOGRAPHIC": "HAN",
    "HANGUL": "HAN",
    "BOPOMOFO": "HAN",
}


def name_key(name: str) -> str:
    """The identity of a user or group name: NFKC, casefold, NFKC (NFKC_Casefold in effect)."""
    folded = unicodedata.normalize("NFKC", name.strip()).casefold()
    return unicodedata.normalize("NFKC", folded)


def scripts(name: str) -> set[str]:
    """The writing systems of the letters of `name` (after NFKC), such as {"LATIN"}."""
    found = set()
    for char in unicodedata.normalize("NFKC", name):
        if not unicodedata.category(char).startswith("L"):
            continue  # digits, marks and punctuation belong to no script of their own
        word = unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]
        found.add(_SCRIPT_FAMILIES.get(word, word))
    return found


def mixes_scripts(name: str) -> bool:
    """Whether `name` has letters of more than one script (`раdmin` with Cyrillic р, а)."""
    return len(scripts(name)) > 1
