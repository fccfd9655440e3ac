"""Search query syntax: words, "phrases", OR, -word / NOT, prefix*, field:value.

A malformed query never fails: what cannot be read as syntax is read as words.
No Flask imports, no Whoosh imports.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

FIELDS = {"title", "tag", "tags", "wg", "type", "lang", "country", "author", "year", "region",
          "folder"}
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
