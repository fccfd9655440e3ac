"""How text becomes search terms: folding, stemming, word pairs, and the fields filtered on.

Shared by the schema (what is indexed) and the query builder (what is looked
for), so both sides always agree. No Flask, no Whoosh: PyStemmer's Snowball
stemmers only.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# ISO 639-1 code -> Snowball algorithm. Croatian and Bosnian use the Serbian
# stemmer and Slovak the Czech one (closely related, no Snowball stemmer of
# their own); Moldovan is Romanian. Languages without one are folded only.
STEMMERS = {
    "ar": "arabic",
    "hy": "armenian",
    "eu": "basque",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "nl": "dutch",
    "en": "english",
    "eo": "esperanto",
    "et": "estonian",
    "fi": "finnish",
    "fr": "french",
    "de": "german",
    "el": "greek",
    "hi": "hindi",
    "hu": "hungarian",
    "id": "indonesian",
    "ga": "irish",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "no": "norwegian",
    "nb": "norwegian",
    "nn": "norwegian",
    "fa": "persian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "mo": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "hr": "serbian",
    "bs": "serbian",
    "sk": "czech",
    "es": "spanish",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
ALGORITHMS = sorted(set(STEMMERS.values()))
FACETS = ("wg", "type", "country", "lang", "tags", "folder")
FILTER_FIELDS = ("wg", "type", "country", "lang", "tags", "folder", "author", "year", "region")
STEM_PREFIX_MIN = 6  # stems this long also match longer words (compounds: klaszter...)
# languages that write compounds as one word: a stem also matches the words it begins
COMPOUNDING = {
    "hungarian",
    "german",
    "dutch",
    "swedish",
    "danish",
    "norwegian",
    "finnish",
    "estonian",
    "greek",
}


@functools.lru_cache(maxsize=262_144)  # a wiki's vocabulary: most words repeat
def fold(text: str) -> str:
    """Case- and diacritic-insensitive form ("Gazdaság" -> "gazdasag", "ΠΟΛΙΤΙΚΉ" -> "πολιτικη")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def pair(a: str, b: str) -> str:
    """The `pairs` term of two folded words in a row."""
    return a + " " + b


def stem_field(algorithm: str) -> str:
    return "stem_" + algorithm


@functools.cache  # one stemmer per language
def _stemmer(algorithm: str):
    import Stemmer

    return Stemmer.Stemmer(algorithm)


def stem(algorithm: str, word: str) -> str:
    """The stem of a word as the stemmed field holds it (folded)."""
    return fold(_stemmer(algorithm).stemWord(word.lower()))


def words(text: str) -> list[str]:
    """The words of a text, as the index splits it."""
    return re.findall(r"\w+", text)
