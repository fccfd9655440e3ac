"""Checking a record against its type, and showing its values readably.

Two kinds of findings: a value of the wrong kind or outside the allowed list is
an error (the save is refused with the field's label and line, on the web, the
API and a push); a missing required field or section only makes the record
incomplete (drafts must be saveable). Pure Python: no Flask, no git.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Any

from ..errors import N_
from ..pages import names
from . import moments
from .types import Field
from .types import RecordType

# the partnership's countries first; the others of Europe for study trips and events
COUNTRIES = (
    "Albania", "Austria", "Bulgaria", "Croatia", "Greece", "Hungary", "Italy", "Moldova",
    "Romania", "Serbia", "Slovakia", "Slovenia",
    "Belgium", "Bosnia and Herzegovina", "Cyprus", "Czech Republic", "Denmark", "Estonia",
    "Finland", "France", "Germany", "Iceland", "Ireland", "Kosovo", "Latvia", "Liechtenstein",
    "Lithuania", "Luxembourg", "Malta", "Montenegro", "Netherlands", "North Macedonia",
    "Norway", "Poland", "Portugal", "Spain", "Sweden", "Switzerland", "Turkey", "Ukraine",
    "United Kingdom",
)  # fmt: skip
# the six thematic working groups (their home pages, content/WG*/Home.md, say more)
WORKING_GROUPS = {
    "WG1": "WG1 Innovation and R&D-driven cluster development",
    "WG2": "WG2 Sustainability through cluster development (eco-innovation)",
    "WG3": "WG3 International cluster cooperation and networking",
    "WG4": "WG4 Improving the financial framework (cluster financing)",
    "WG5": "WG5 Clusters and regional specialisation (smart specialisation)",
    "WG6": "WG6 New skills and job creation",
}
LANGUAGES = {
    "en": "English", "it": "Italiano", "hu": "Magyar", "sl": "Slovenščina",
    "bg": "Български", "el": "Ελληνικά", "de": "Deutsch", "ro": "Română",
    "sk": "Slovenčina", "hr": "Hrvatski", "sq": "Shqip", "sr": "Srpski", "fr": "Français",
}  # fmt: skip
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_URL = re.compile(r"^https?://[^\s<>\"]+$", re.IGNORECASE)
_FOLDED_COUNTRIES = {c.casefold(): c for c in COUNTRIES}


@dataclass(frozen=True)
class Finding:
    field: str  # the field's name ("" for a section)
    label: str  # what the user reads
    message: str  # in English, values filled in
    line: int | None = None  # in the file, for errors in the front matter
    # the message as a template (marked N_ for the catalogs) and its values, so that the
    # web layer can show it in the reader's language; a problem is itself a template
    template: str = ""
    params: tuple = ()  # ((name, value), ...); a value may be a (template, params) pair

    def localized(self, gettext, label: str | None = None) -> str:
        """The message through `gettext`; `label`: the field's label in that language."""
        if not self.template:
            return self.message
        values = {
            name: _localized(value, gettext) if isinstance(value, tuple) else value
            for name, value in self.params
        }
        if label is not None and "label" in values:
            values["label"] = label
        try:
            return gettext(self.template) % values
        except (KeyError, TypeError, ValueError):
            return self.message


def _localized(problem: tuple, gettext) -> str:
    template, params = problem
    try:
        return gettext(template) % dict(params)
    except (KeyError, TypeError, ValueError):
        return template % dict(params)


def _finding(name, shown, template, line=None, /, **params) -> Finding:
    english = {k: (v[0] % dict(v[1]) if isinstance(v, tuple) else v) for k, v in params.items()}
    return Finding(name, shown, template % english, line, template, tuple(params.items()))


@dataclass(frozen=True)
class Check:
    errors: tuple[Finding, ...] = ()  # refuse the save
    missing: tuple[Finding, ...] = ()  # save, but the record is incomplete

    @property
    def incomplete(self) -> bool:
        return bool(self.missing)


def check(
    record_type: RecordType,
    meta: dict[str, Any],
    headings: list[str],
    raw_front_matter: str | None = None,
    *,
    language: str = "en",
) -> Check:
    """What is wrong with a record (its front matter `meta`, its body's `headings`)."""
    errors: list[Finding] = []
    missing: list[Finding] = []
    for item in record_type.fields:
        label = item.label(language)
        value = meta.get(item.name)
        if _empty(value):
            if item.required:
                missing.append(
                    _finding(item.name, label, N_("%(label)s is not filled in yet."), label=label)
                )
            continue
        problem = _problem(item, value)
        if problem is not None:
            line = _line_of(raw_front_matter, item.name)
            errors.append(
                _finding(
                    item.name,
                    label,
                    N_("%(label)s: %(problem)s"),
                    line,
                    label=label,
                    problem=problem,
                )
            )
    errors += _order_problems(record_type, meta, raw_front_matter, language, errors)
    present = {h.strip().casefold() for h in headings}
    for section in record_type.sections:
        if section.casefold() not in present:
            missing.append(
                _finding("", section, N_("The section '%(section)s' is missing."), section=section)
            )
    return Check(tuple(errors), tuple(missing))


def _order_problems(record_type, meta, raw, language, errors) -> list[Finding]:
    """An end before its start (a field with `not_before`), when both are readable."""
    wrong = {e.field for e in errors}
    found = []
    zone_name = str(meta.get("timezone") or moments.DEFAULT_ZONE)
    for item in record_type.fields:
        other = record_type.field(item.not_before) if item.not_before else None
        if other is None or item.name in wrong or other.name in wrong:
            continue
        if _empty(meta.get(item.name)) or _empty(meta.get(other.name)):
            continue
        try:
            start = moments.parse(meta[other.name], zone_name)
            end = moments.parse(meta[item.name], zone_name)
        except moments.MomentError:
            continue
        if moments.ends_before(start, end):
            label = item.label(language)
            found.append(
                _finding(
                    item.name,
                    label,
                    N_("%(label)s: it is before %(other)s (%(value)s)."),
                    _line_of(raw, item.name),
                    label=label,
                    other=other.label(language),
                    value=str(meta[other.name]),
                )
            )
    return found


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _problem(item: Field, value: Any) -> tuple[str, tuple] | None:
    """What is wrong with a value: (template, ((name, value), ...)), or None."""
    found = _problem_text(item, value)
    if found is None or isinstance(found, tuple):
        return found
    return found, ()


def _problem_text(item: Field, value: Any):
    kind = item.kind
    if kind == "multi":
        values = value if isinstance(value, list) else [value]
        wrong = [str(v) for v in values if str(v) not in item.values]
        if wrong:
            return N_("%(wrong)s is not one of: %(values)s."), (
                ("wrong", ", ".join(wrong)),
                ("values", ", ".join(item.values)),
            )
        return None
    if isinstance(value, (list, dict)) and kind not in ("page",):
        return N_("expected one value, not a list.")
    text = str(value).strip()
    if kind in ("text", "long-text"):
        return None
    if kind == "date":
        if isinstance(value, _dt.date):
            return None
        try:
            _dt.date.fromisoformat(text)
        except ValueError:
            return N_("'%(text)s' is not a date (write it as 2024-05-14)."), (("text", text),)
        return None
    if kind == "datetime":
        zone_name = moments.DEFAULT_ZONE  # a zone given in the record is checked itself
        try:
            moments.parse(value, zone_name)
        except moments.MomentError as problem:
            return problem.template, problem.params
        return None
    if kind == "timezone":
        return (
            None
            if moments.zone(text)
            else (N_("'%(text)s' is not a time zone (Europe/Budapest)."), (("text", text),))
        )
    if kind == "number":
        if isinstance(value, bool):
            return N_("'%(text)s' is not a number."), (("text", text),)
        try:
            float(text.replace(",", "."))
        except ValueError:
            return N_("'%(text)s' is not a number."), (("text", text),)
        return None
    if kind == "choice":
        return (
            None
            if text in item.values
            else (
                N_("'%(text)s' is not one of: %(values)s."),
                (("text", text), ("values", ", ".join(item.values))),
            )
        )
    if kind == "url":
        return (
            None
            if _URL.match(text)
            else (N_("'%(text)s' is not a web address (https://...)."), (("text", text),))
        )
    if kind == "email":
        return (
            None
            if _EMAIL.match(text)
            else (N_("'%(text)s' is not an e-mail address."), (("text", text),))
        )
    if kind == "country":
        return (
            None
            if text.casefold() in _FOLDED_COUNTRIES
            else (
                N_("'%(text)s' is not a country the wiki knows (for example Hungary)."),
                (("text", text),),
            )
        )
    if kind == "working-group":
        return (
            None
            if text.upper() in WORKING_GROUPS
            else (N_("'%(text)s' is not a working group (WG1 to WG6)."), (("text", text),))
        )
    if kind == "language":
        return (
            None
            if text.lower() in LANGUAGES
            else (
                N_("'%(text)s' is not a language code (for example hu, de, el)."),
                (("text", text),),
            )
        )
    if kind == "page":
        targets = value if isinstance(value, list) else [value]
        for target in targets:
            try:
                names.normalize(str(target).strip().strip("[]"))
            except Exception:
                return N_("'%(target)s' is not a page name."), (("target", str(target)),)
        return None
    return None


def _line_of(raw: str | None, key: str) -> int | None:
    """The file line of `key:` in the front matter (line 1 is the opening ---)."""
    if not raw:
        return None
    for i, line in enumerate(raw.split("\n")):
        if line.startswith(key + ":"):
            return i + 2
    return None


def display(item: Field, value: Any, *, language: str = "en") -> list[tuple[str, str | None]]:
    """A value as (text, page to link or None) parts: a country's name, a working group's
    title, a link for a page reference, a date as written."""
    values = value if isinstance(value, list) else [value]
    parts: list[tuple[str, str | None]] = []
    for one in values:
        if _empty(one):
            continue
        text = str(one).strip()
        if item.kind == "page":
            target = text.strip("[]")
            parts.append((target.rpartition("/")[2], target))
        elif item.kind == "working-group":
            code = text.upper()
            home = f"{code}/Home" if code in WORKING_GROUPS else None
            parts.append((WORKING_GROUPS.get(code, text), home))
        elif item.kind == "country":
            parts.append((_FOLDED_COUNTRIES.get(text.casefold(), text), None))
        elif item.kind == "language":
            parts.append((LANGUAGES.get(text.lower(), text), None))
        elif isinstance(one, _dt.date):
            parts.append((one.isoformat(), None))
        else:
            parts.append((text, None))
    return parts


def plain(value: Any) -> str:
    """A value as one line of text (tables, CSV)."""
    if isinstance(value, list):
        return "; ".join(plain(v) for v in value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    return "" if value is None else str(value).strip()


def problems_message(record_type: RecordType, errors, gettext=None, language="en") -> str:
    """The message of a refused save: the type, then each field's problem and line (in
    the reader's language through `gettext`, else English)."""
    if gettext is None:
        where = [f"{e.message}" + (f" (line {e.line})" if e.line else "") for e in errors]
        return f"This {record_type.title.lower()} cannot be saved: " + " ".join(where)
    where = []
    for e in errors:
        field = record_type.field(e.field) if e.field else None
        text = e.localized(gettext, field.label(language) if field is not None else None)
        where.append(text + (gettext(" (line %(line)s)") % {"line": e.line} if e.line else ""))
    head = gettext("This %(type)s cannot be saved:") % {"type": record_type.title.lower()}
    return head + " " + " ".join(where)
