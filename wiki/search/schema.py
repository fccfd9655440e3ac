"""What the search index holds: analyzers, the Whoosh schema, and the fields of a page.

Every page is indexed in a diacritic- and case-folded field (exact words,
phrases, prefixes, title suggestions) and in the stemmed field of its own
language (Snowball stemmers from PyStemmer), so "klaszterek" finds "klaszter",
"Clustern" finds "Cluster" and "ΠΟΛΙΤΙΚΕΣ" finds "πολιτική".

Imports whoosh (as only the search package may). No Flask imports.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from whoosh import columns
from whoosh import fields
from whoosh.analysis import Filter
from whoosh.analysis import LowercaseFilter
from whoosh.analysis import PyStemmerFilter
from whoosh.analysis import RegexTokenizer

from ..pages import names
from .terms import ALGORITHMS
from .terms import FACETS
from .terms import FILTER_FIELDS
from .terms import STEMMERS
from .terms import fold
from .terms import stem_field

SCHEMA_VERSION = 7


class FoldFilter(Filter):
    """Whoosh filter applying `fold` (module-level so the schema pickles)."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = fold(token.text)
            yield token


COMMON_WORDS = 300  # the most frequent words, whose neighbouring pairs are indexed


class PairFilter(Filter):
    """Two common words in a row as one term ("of the", "cluster policy"), in the
    manner of Lucene's common grams: a phrase of frequent words is then one term
    lookup instead of a walk over the positions of thousands of documents, while
    phrases with a rarer word stay cheap through that word's short posting list.
    The list of common words is part of the schema (chosen at each rebuild)."""

    def __init__(self, common: Iterable[str] = ()) -> None:
        self.common = frozenset(common)

    def __eq__(self, other) -> bool:
        return isinstance(other, PairFilter) and other.common == self.common

    def __call__(self, tokens):
        common = self.common
        previous = None
        for token in tokens:
            text = token.text
            if previous is not None and text in common:
                token.text = previous + " " + text
                yield token
            previous = text if text in common else None


_WORD = r"\w+"


def folded_analyzer():
    return RegexTokenizer(_WORD) | LowercaseFilter() | FoldFilter()


def pair_analyzer(common: Iterable[str] = ()):
    return folded_analyzer() | PairFilter(common)


def stemming_analyzer(algorithm: str):
    return RegexTokenizer(_WORD) | LowercaseFilter() | PyStemmerFilter(algorithm) | FoldFilter()


def make_schema(common: Iterable[str] = ()) -> fields.Schema:
    schema = fields.Schema(
        name=fields.ID(stored=True, unique=True),
        name_folded=fields.TEXT(analyzer=folded_analyzer(), field_boost=2.0),
        title=fields.TEXT(analyzer=folded_analyzer(), stored=True, field_boost=5.0),
        # titles and names only: a small vocabulary that prefixes expand in quickly
        suggest=fields.TEXT(analyzer=folded_analyzer(), phrase=False),
        headings=fields.TEXT(analyzer=folded_analyzer(), field_boost=2.0),
        body=fields.TEXT(analyzer=folded_analyzer()),
        # word pairs of the title, headings and body: phrases without positions
        pairs=fields.TEXT(analyzer=pair_analyzer(common), phrase=False),
        content=fields.STORED(),
        meta=fields.STORED(),
        facets=fields.COLUMN(columns.VarBytesColumn()),
        modified=fields.DATETIME(stored=True, sortable=True),
        # the first segment of the name, casefolded: what read permissions go by
        space=fields.ID(),
        author=fields.TEXT(analyzer=folded_analyzer(), stored=True),
        **{
            f: fields.KEYWORD(lowercase=True, commas=True, scorable=False)
            for f in FILTER_FIELDS
            if f != "author"
        },
    )
    for algorithm in ALGORITHMS:
        schema.add(
            stem_field(algorithm), fields.TEXT(analyzer=stemming_analyzer(algorithm), phrase=False)
        )
    return schema


@dataclass(frozen=True)
class PageDoc:
    """What the index needs to know about a page."""

    name: str
    title: str
    text: str  # the body as plain words
    headings: list[str]
    meta: dict
    author: str
    modified: datetime
    language: str


def common_words(docs: list[PageDoc], limit: int = COMMON_WORDS) -> list[str]:
    """The words found in most of these documents (folded), most frequent first."""
    tokenize = folded_analyzer()
    frequency: Counter = Counter()
    for doc in docs:
        frequency.update({t.text for t in tokenize(doc.title + "\n" + doc.text)})
    return [w for w, n in frequency.most_common(limit) if n > 1]


def document_fields(doc: PageDoc, default_language: str) -> dict:
    """The Whoosh fields of a page."""
    meta = doc.meta
    # the page's own `lang`, else its folder's or the one read from its words (pages
    # layer), else the wiki's default
    lang = (doc.language or str(meta.get("lang") or "") or default_language).strip().lower()
    values = {
        "wg": _values(meta.get("wg")),
        "type": _values(meta.get("type")),
        "country": _values(meta.get("country")),
        "region": _values(meta.get("region")),
        "lang": [lang],
        "tags": _values(meta.get("tags")),
        "folder": [doc.name.split("/", 1)[0]] if "/" in doc.name else [],
        "year": _values(meta.get("year")),
        "author": [doc.author] if doc.author else [],
    }
    result = {
        "name": doc.name,
        "name_folded": doc.name.replace("/", " "),
        "space": names.space_key(doc.name),
        "title": doc.title,
        "suggest": doc.title + " " + doc.name.replace("/", " "),
        "headings": " ".join(doc.headings),
        "body": doc.text,
        "pairs": "\n".join([doc.title, *doc.headings, doc.text]),
        "content": doc.text[:20_000],
        "meta": {
            **{k: v for k, v in meta.items() if isinstance(v, str | int | float | list)},
            "lang": lang,  # as the page said, or as its folder or its words tell
        },
        "modified": doc.modified.replace(tzinfo=None),
        "facets": json.dumps(
            {k: v for k, v in values.items() if k in FACETS}, ensure_ascii=False
        ).encode("utf-8"),
    }
    for key, vals in values.items():
        result[key] = ",".join(v.replace(",", " ") for v in vals)
    result["author"] = doc.author
    # words only in the front matter (tags, type, region) are found by a plain search too,
    # stemmed in the page's language like the rest
    front = " ".join(
        [*values["tags"], *values["type"], *values["region"]]
        + ([str(meta["title"])] if isinstance(meta.get("title"), str) else [])
    )
    if front:
        result["body"] = doc.text + "\n" + front
        result["pairs"] = result["pairs"] + "\n" + front
    algorithm = STEMMERS.get(lang.split("-")[0])
    if algorithm:
        result[stem_field(algorithm)] = " ".join([doc.title, *doc.headings, doc.text, front])
    return result


def _values(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    text = str(value).strip()
    return [v.strip() for v in text.split(",") if v.strip()] if text else []
