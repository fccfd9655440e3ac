"""What the search index holds: analyzers, the Whoosh schema, and the fields of a page.

Every page is indexed in a diacritic- and case-folded field (exact words,
phrases, prefixes, title suggestions) and in the stemmed field of its own
language (Snowball stemmers from PyStemmer), so "klaszterek" finds "klaszter",
"Clustern" finds "Cluster" and "ΠΟΛΙΤΙΚΕΣ" finds "πολιτική".

Part of the search layer (with search.py and searchsegments.py, the only
modules that import whoosh). No Flask imports.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
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

SCHEMA_VERSION = 5
# ISO 639-1 code -> Snowball algorithm. Croatian and Bosnian use the Serbian
# stemmer and Slovak the Czech one (closely related, no Snowball stemmer of
# their own); Moldovan is Romanian. Languages without one are folded only.
STEMMERS = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech",
    "da": "danish", "nl": "dutch", "en": "english", "eo": "esperanto", "et": "estonian",
    "fi": "finnish", "fr": "french", "de": "german", "el": "greek", "hi": "hindi",
    "hu": "hungarian", "id": "indonesian", "ga": "irish", "it": "italian", "lt": "lithuanian",
    "ne": "nepali", "no": "norwegian", "nb": "norwegian", "nn": "norwegian", "fa": "persian",
    "pl": "polish", "pt": "portuguese", "ro": "romanian", "mo": "romanian", "ru": "russian",
    "sr": "serbian", "hr": "serbian", "bs": "serbian", "sk": "czech", "es": "spanish",
    "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}
ALGORITHMS = sorted(set(STEMMERS.values()))
FACETS = ("wg", "type", "country", "lang", "tags", "folder")
FILTER_FIELDS = ("wg", "type", "country", "lang", "tags", "folder", "author", "year", "region")
STEM_PREFIX_MIN = 6  # stems this long also match longer words (compounds: klaszter...)
# languages that write compounds as one word: a stem also matches the words it begins
COMPOUNDING = {"hungarian", "german", "dutch", "swedish", "danish", "norwegian", "finnish",
               "estonian", "greek"}


@functools.lru_cache(maxsize=262_144)  # a wiki's vocabulary: most words repeat
def fold(text: str) -> str:
    """Case- and diacritic-insensitive form ("Gazdaság" -> "gazdasag", "ΠΟΛΙΤΙΚΉ" -> "πολιτικη")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class FoldFilter(Filter):
    """Whoosh filter applying `fold` (module-level so the schema pickles)."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = fold(token.text)
            yield token


COMMON_WORDS = 300  # the most frequent words, whose neighbouring pairs are indexed
COMMON_SAMPLE = 3000  # documents read to find them when the index is rebuilt


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


def pair(a: str, b: str) -> str:
    """The `pairs` term of two folded words in a row."""
    return a + " " + b


def stemming_analyzer(algorithm: str):
    return RegexTokenizer(_WORD) | LowercaseFilter() | PyStemmerFilter(algorithm) | FoldFilter()


def stem_field(algorithm: str) -> str:
    return "stem_" + algorithm


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
        **{f: fields.KEYWORD(lowercase=True, commas=True, scorable=False)
           for f in FILTER_FIELDS if f != "author"},
    )
    for algorithm in ALGORITHMS:
        schema.add(stem_field(algorithm), fields.TEXT(analyzer=stemming_analyzer(algorithm),
                                                      phrase=False))
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
    lang = (str(meta.get("lang") or "") or default_language).strip().lower()
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
        "space": doc.name.split("/", 1)[0].casefold(),
        "title": doc.title,
        "suggest": doc.title + " " + doc.name.replace("/", " "),
        "headings": " ".join(doc.headings),
        "body": doc.text,
        "pairs": "\n".join([doc.title, *doc.headings, doc.text]),
        "content": doc.text[:20_000],
        "meta": {k: v for k, v in meta.items() if isinstance(v, str | int | float | list)},
        "modified": doc.modified.replace(tzinfo=None),
        "facets": json.dumps({k: v for k, v in values.items() if k in FACETS},
                             ensure_ascii=False).encode("utf-8"),
    }
    for key, vals in values.items():
        result[key] = ",".join(v.replace(",", " ") for v in vals)
    result["author"] = doc.author
    algorithm = STEMMERS.get(lang.split("-")[0])
    if algorithm:
        result[stem_field(algorithm)] = " ".join([doc.title, *doc.headings, doc.text])
    return result


_STEMMERS: dict[str, object] = {}


def stem(algorithm: str, word: str) -> str:
    """The stem of a word as the stemmed field holds it (folded)."""
    stemmer = _STEMMERS.get(algorithm)
    if stemmer is None:
        import Stemmer

        stemmer = _STEMMERS[algorithm] = Stemmer.Stemmer(algorithm)
    return fold(stemmer.stemWord(word.lower()))


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def _values(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    text = str(value).strip()
    return [v.strip() for v in text.split(",") if v.strip()] if text else []
