"""Search queries: the syntax people write, and the index query it means.

Words, "phrases", OR, -word / NOT, prefix*, field:value. A malformed query never
fails: what cannot be read as syntax is read as words. A word looks in the
title, the folded text and the stemmed field of every language the wiki has
pages in (or the one filtered on); several words also rank higher as a phrase.

No Flask imports, no Whoosh imports.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from dataclasses import dataclass
from typing import Protocol

from .matching import NOTHING
from .matching import And
from .matching import AndMaybe
from .matching import AndNot
from .matching import Every
from .matching import Or
from .matching import Phrase
from .matching import Term
from .terms import ALGORITHMS
from .terms import COMPOUNDING
from .terms import FILTER_FIELDS
from .terms import STEM_PREFIX_MIN
from .terms import STEMMERS
from .terms import fold
from .terms import pair
from .terms import stem
from .terms import stem_field
from .terms import words

FIELDS = {
    "title",
    "tag",
    "tags",
    "wg",
    "type",
    "lang",
    "country",
    "author",
    "year",
    "region",
    "folder",
}
MAX_PREFIX_TERMS = 64  # a prefix expands into at most this many terms per field
PREFIX_SCORED = 16  # of which the most frequent rank the matches (all of them match)
TITLE_BOOST = 5.0  # a word in the title counts this many times a word in the text
_TOKEN = re.compile(r'(-?)(?:(\w+):)?(?:"([^"]*)"|(\S+))')


@dataclass
class Clause:
    kind: str  # "word", "phrase", "prefix", "field", "or"
    value: str = ""
    field: str = ""
    negated: bool = False
    children: list[Clause] = dataclasses.field(default_factory=list)

    def words(self) -> list[str]:
        """The words a snippet should highlight for this clause."""
        if self.kind == "or":
            return [w for c in self.children for w in c.words()]
        if self.kind == "field" and self.field != "title":
            return []
        return re.findall(r"\w+", self.value)


def parse_query(text: str) -> list[Clause]:
    """Read a query into clauses (all must match, except inside OR groups)."""
    text = (text or "").strip()[:500]
    if text.count('"') % 2:
        text = text.replace('"', " ")  # an unbalanced quote: read the words plainly
    clauses: list[Clause] = []
    pending_or = False
    negate_next = False
    for m in _TOKEN.finditer(text):
        minus, fieldname, quoted, bare = m.groups()
        if quoted is None and bare in ("OR", "|") and not fieldname:
            pending_or = bool(clauses)
            continue
        if quoted is None and bare == "NOT" and not fieldname:
            negate_next = True
            continue
        if quoted is None and bare in ("AND", "&&") and not fieldname:
            continue
        clause = _clause(fieldname, quoted, bare)
        if clause is None:
            continue
        clause.negated = bool(minus) or negate_next
        negate_next = False
        if pending_or and clauses and not clause.negated and not clauses[-1].negated:
            previous = clauses.pop()
            group = previous if previous.kind == "or" else Clause("or", children=[previous])
            group.children.append(clause)
            clauses.append(group)
        else:
            clauses.append(clause)
        pending_or = False
    return clauses


def _clause(fieldname: str | None, quoted: str | None, bare: str | None) -> Clause | None:
    if fieldname and fieldname.lower() in FIELDS:
        value = (quoted if quoted is not None else bare or "").strip()
        if not value:
            return None
        name = fieldname.lower()
        return Clause("field", value=value, field="tag" if name == "tags" else name)
    if fieldname:  # "http:" or an unknown field: the whole thing is words
        bare = fieldname + " " + (quoted if quoted is not None else bare or "")
        quoted = None
    if quoted is not None:
        return Clause("phrase", value=quoted) if re.search(r"\w", quoted) else None
    assert bare is not None
    if bare.endswith("*") and len(re.findall(r"\w", bare)) >= 2 and re.fullmatch(r"\w+\*", bare):
        return Clause("prefix", value=bare[:-1])
    if not re.search(r"\w", bare):
        return None
    return Clause("word", value=" ".join(re.findall(r"\w+", bare)))


# -- what a query means ------------------------------------------------------------


class Vocabulary(Protocol):
    """What building a query needs to know of the index (matching.Snapshot has it)."""

    common: frozenset[str]  # the words whose pairs are indexed as one term

    def has_field(self, fieldname: str) -> bool: ...
    def expand(self, fieldname: str, prefix: str, limit: int) -> list[str]: ...


def build_query(clauses: list[Clause], vocabulary: Vocabulary, lang: str | None):
    """The query (see matching.py) of these clauses, in every language the index has or
    in `lang` only (None: nothing to look for)."""
    if lang in STEMMERS:
        algorithms = [STEMMERS[lang]]
    else:  # only the languages the wiki has pages in
        algorithms = [a for a in ALGORITHMS if vocabulary.has_field(stem_field(a))]
    must, must_not = [], []
    for clause in clauses:
        q = _clause_query(clause, vocabulary, algorithms)
        if q is not None:
            (must_not if clause.negated else must).append(q)
    if not must:
        return AndNot(Every(), Or(tuple(must_not))) if must_not else None
    core = And(tuple(must)) if len(must) > 1 else must[0]
    # an exact phrase of all the words ranks above the same words scattered
    plain = [w for c in clauses if not c.negated and c.kind == "word" for w in c.words()]
    if len(plain) > 1:
        core = AndMaybe(core, phrase_query([fold(w) for w in plain], vocabulary.common, boost=3.0))
    if must_not:
        core = AndNot(core, Or(tuple(must_not)))
    return core


def _clause_query(clause: Clause, vocabulary: Vocabulary, algorithms: list[str]):
    if clause.kind == "or":
        parts = [_clause_query(c, vocabulary, algorithms) for c in clause.children]
        parts = [p for p in parts if p is not None]
        return Or(tuple(parts)) if parts else None
    if clause.kind == "field":
        name = {"tag": "tags"}.get(clause.field, clause.field)
        if name in ("title", "author"):
            boost = TITLE_BOOST if name == "title" else 1.0
            terms = tuple(Term(name, fold(w), boost) for w in words(clause.value))
            return And(terms) if terms else None
        if name in FILTER_FIELDS:
            return Term(name, clause.value.lower(), 0.0)
        return None
    if clause.kind == "phrase":
        folded = [fold(w) for w in words(clause.value)]
        if not folded:
            return None
        if len(folded) == 1:
            return _word_query(folded[0], clause.value, vocabulary, algorithms)
        return phrase_query(folded, vocabulary.common)
    if clause.kind == "prefix":
        start = fold(clause.value)
        if not start:
            return None
        terms = []
        for fieldname, boost in (("title", TITLE_BOOST), ("body", 1.0), ("name_folded", 2.0)):
            expanded = vocabulary.expand(fieldname, start, MAX_PREFIX_TERMS)
            terms += [
                Term(fieldname, t, boost if i < PREFIX_SCORED else 0.0)
                for i, t in enumerate(expanded)
            ]
        return Or(tuple(terms)) if terms else NOTHING
    found = words(clause.value)
    if not found:
        return None
    parts = [_word_query(fold(w), w, vocabulary, algorithms) for w in found]
    return And(tuple(parts)) if len(parts) > 1 else parts[0]


def _word_query(folded: str, original: str, vocabulary: Vocabulary, algorithms: list[str]):
    # The title and the folded body hold every exact word (headings and the
    # page name are part of them); each language's stem field adds the other forms.
    options = [Term("title", folded, TITLE_BOOST), Term("body", folded)]
    for algorithm in algorithms:
        fieldname = stem_field(algorithm)
        stemmed = stem(algorithm, original)
        options.append(Term(fieldname, stemmed, 0.8))
        if algorithm in COMPOUNDING and len(stemmed) >= STEM_PREFIX_MIN:
            # compounds: "klaszter" also finds "klaszterfinanszírozás"
            options += [
                Term(fieldname, t, 0.3)
                for t in vocabulary.expand(fieldname, stemmed, 4)
                if t != stemmed
            ]
    return Or(tuple(options))


def filter_query(fieldname: str, value: str):
    """The query of one facet filter (it decides what matches, and adds nothing to scores)."""
    if fieldname == "author":
        return And(tuple(Term("author", fold(w), 0.0) for w in words(value)))
    return Term(fieldname, value.lower(), 0.0)


def phrase_query(folded: list[str], common: frozenset[str], boost: float = 1.0):
    """Pages with the words in this order. Two common words in a row are one `pairs`
    term; otherwise positions are checked (in the title, the headings and the body),
    only in the pages that have every word (or every pair)."""
    pairs = tuple(Term("pairs", pair(a, b), boost) for a, b in itertools.pairwise(folded))
    if len(folded) == 2 and folded[0] in common and folded[1] in common:
        return pairs[0]
    words = tuple(folded)
    phrase = Or(
        (
            Phrase("body", words, boost),
            Phrase("title", words, boost * TITLE_BOOST),
            Phrase("headings", words, boost * 2),
        )
    )
    if all(w in common for w in folded):
        return And((*pairs, phrase))
    return phrase
