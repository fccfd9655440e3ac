"""The interface in the partners' languages: Flask-Babel with the catalogs in
`wiki/translations/`, the language of a request (the user's choice, remembered in a
cookie and in the account; else the browser's Accept-Language; else
DEFAULT_UI_LANGUAGE), and dates, country and language names in that language.

Catalogs are compiled (`.po` to `.mo`) when the app starts if a `.mo` is missing or
older than its `.po`, so a fresh install needs no extra step.
"""

from __future__ import annotations

import datetime as _dt
import functools
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask import current_app
from flask import g
from flask import request
from flask_babel import Babel
from flask_babel import get_locale
from flask_babel import get_translations
from flask_babel import gettext

TRANSLATIONS = Path(__file__).parent / "translations"
COOKIE = "ui_lang"
# the partnership's languages: code (cookie, account, <html lang>) -> Babel locale
UI_LANGUAGES = {
    "en": "en",
    "hu": "hu",
    "de": "de",
    "el": "el",
    "it": "it",
    "ro": "ro",
    "bg": "bg",
    "sl": "sl",
    "hr": "hr",
    "sr": "sr_Latn",
    "sk": "sk",
    "sq": "sq",
}
COMPLETE = ("hu", "de", "el")  # the catalogs a test keeps complete


def ui_language() -> str:
    """The interface language of this request (a key of UI_LANGUAGES)."""
    found = g.get("ui_language")
    if found is None:
        found = g.ui_language = _choose()
    return found


def _choose() -> str:
    chosen = request.cookies.get(COOKIE, "")
    if chosen in UI_LANGUAGES:
        return chosen
    try:
        from flask_login import current_user

        account = getattr(current_user, "ui_language", "") or ""
    except Exception:  # outside a request with a user
        account = ""
    if account in UI_LANGUAGES:
        return account
    best = request.accept_languages.best_match(
        list(UI_LANGUAGES) + ["sr-Latn", "sr-RS"], default=None
    )
    if best:
        best = best.split("-")[0].lower()
        if best in UI_LANGUAGES:
            return best
    default = current_app.config.get("DEFAULT_UI_LANGUAGE", "en")
    return default if default in UI_LANGUAGES else "en"


@functools.lru_cache(maxsize=1)
def language_names() -> list[tuple[str, str]]:
    """(code, the language's own name) of every interface language, for the switcher."""
    return [(code, _own_name(code)) for code in UI_LANGUAGES]


def _own_name(code: str) -> str:
    locale = Locale.parse(UI_LANGUAGES[code])
    name = locale.get_display_name(locale) or code
    if code == "sr":
        name = "Srpski"
    return name[:1].upper() + name[1:]


def language_name(code: str) -> str:
    """A language's name in the interface language ("Magyar" or "Hungarian" for hu)."""
    code = (code or "").strip()
    if not code:
        return ""
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name(get_locale()) or code
    except Exception:
        return code


def language_name_own(code: str) -> str:
    """A language's name in itself ("Deutsch", "Ελληνικά"), for links to translations."""
    code = (code or "").strip()
    if code in UI_LANGUAGES:
        return _own_name(code)
    try:
        locale = Locale.parse(code.replace("-", "_"))
        name = locale.get_display_name(locale) or code
        return name[:1].upper() + name[1:]
    except Exception:
        return code


def facet_value(facet: str, value: str) -> str:
    """A search facet's value as the reader reads it: a language's or a country's name in
    the UI language ("Magyar" or "Hungarian" for hu), anything else as it is."""
    if facet == "lang":
        return language_name(value) or value
    if facet == "country":
        return country_name(value)
    return value


def ago(moment: _dt.datetime) -> str:
    """How long ago, in the UI language ("3 hours ago", "3 órája")."""
    from babel.dates import format_timedelta

    now = _dt.datetime.now(moment.tzinfo or _dt.UTC)
    locale = babel_locale()
    return format_timedelta(
        moment - now, add_direction=True, locale="en_GB" if locale == "en" else locale
    )


def country_name(name: str) -> str:
    """A country (stored by its English name, as records keep it) in the UI language."""
    code = _COUNTRY_CODES.get(name) or _FOLDED_CODES.get(name.casefold())
    if code is None:
        return name
    return get_locale().territories.get(code, name)


def babel_locale() -> str:
    """The Babel locale of the interface language ("hu", "sr_Latn")."""
    return UI_LANGUAGES[ui_language()]


def month_name(day: _dt.date) -> str:
    """A month and its year in the UI language: "May 2027", "2027. május"."""
    from babel.dates import format_skeleton

    locale = babel_locale()
    return format_skeleton("yMMMM", day, locale="en_GB" if locale == "en" else locale)


def short_month(day: _dt.date) -> str:
    """A month's short name in the UI language ("May", "máj.")."""
    from babel.dates import format_date

    return format_date(day, "LLL", locale=babel_locale())


def revision_time(moment: _dt.datetime) -> str:
    """When a revision was made, as it names the revision: "4 Dec 2026 07:12",
    "2026. dec. 4. 07:12" (the day in the UI language, the time on a 24-hour clock)."""
    from babel.dates import format_skeleton

    locale = babel_locale()
    day = format_skeleton("yMMMd", moment, locale="en_GB" if locale == "en" else locale)
    return f"{day} {moment:%H:%M}"


def compile_catalogs(folder: Path = TRANSLATIONS) -> int:
    """Compile every `.po` whose `.mo` is missing or older; returns how many were."""
    done = 0
    for po in folder.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source)
        try:
            with mo.open("wb") as target:
                write_mo(target, catalog, use_fuzzy=False)
        except OSError:
            continue  # a read-only install: the packaged .mo is used as it is
        done += 1
    return done


@functools.lru_cache(maxsize=32)
def catalog_for(code: str):
    """The catalog of a UI language outside any request (mail sent in the background,
    in each reader's language): an object with ugettext/ungettext."""
    from babel.support import NullTranslations
    from babel.support import Translations

    if code not in UI_LANGUAGES or code == "en":
        return NullTranslations()
    compile_catalogs()
    return Translations.load(str(TRANSLATIONS), [UI_LANGUAGES[code]])


def localized(error) -> str:
    """A WikiError's message in the reader's language (its values filled in after)."""
    return error.localized(_gettext, language=ui_language())


def js_texts() -> dict[str, str]:
    """The scripts' texts in the UI language (English text -> translation), handed to
    them in a data attribute of the page (no inline script: the CSP forbids it)."""
    if ui_language() == "en":
        return {}
    found = {key: gettext(key) for key in JS_TEXTS}
    return {key: text for key, text in found.items() if text != key}


def _translations():
    """This request's catalog, looked up once (Flask-Babel's lookup costs a few context
    reads per string, and a page shows fifty of them); None for English."""
    found = g.get("_catalog", False)
    if found is False:
        found = g._catalog = None if ui_language() == "en" else get_translations()
    return found


def _gettext(text: str) -> str:
    catalog = _translations()
    return text if catalog is None else catalog.ugettext(text)


def _ngettext(singular: str, plural: str, count: int) -> str:
    catalog = _translations()
    if catalog is None:
        return singular if count == 1 else plural
    return catalog.ungettext(singular, plural, count)


def init_app(app: Flask) -> None:
    compile_catalogs()
    Babel(
        app,
        locale_selector=lambda: UI_LANGUAGES[ui_language()],
        default_translation_directories=str(TRANSLATIONS),
    )
    # the templates' _() and ngettext() (newstyle: placeholders filled and escaped by
    # Jinja) through the per-request catalog
    app.jinja_env.install_gettext_callables(_gettext, _ngettext, newstyle=True)
    app.jinja_env.globals.update(
        ui_language=ui_language,
        ui_languages=language_names,
        language_name=language_name,
        language_name_own=language_name_own,
        country_name=country_name,
        babel_locale=babel_locale,
        month_name=month_name,
        short_month=short_month,
        js_texts=js_texts,
        facet_value=facet_value,
        ago=ago,
        revision_time=revision_time,
    )


_COUNTRY_CODES = {
    "Albania": "AL",
    "Austria": "AT",
    "Bulgaria": "BG",
    "Croatia": "HR",
    "Greece": "GR",
    "Hungary": "HU",
    "Italy": "IT",
    "Moldova": "MD",
    "Romania": "RO",
    "Serbia": "RS",
    "Slovakia": "SK",
    "Slovenia": "SI",
    "Belgium": "BE",
    "Bosnia and Herzegovina": "BA",
    "Cyprus": "CY",
    "Czech Republic": "CZ",
    "Denmark": "DK",
    "Estonia": "EE",
    "Finland": "FI",
    "France": "FR",
    "Germany": "DE",
    "Iceland": "IS",
    "Ireland": "IE",
    "Kosovo": "XK",
    "Latvia": "LV",
    "Liechtenstein": "LI",
    "Lithuania": "LT",
    "Luxembourg": "LU",
    "Malta": "MT",
    "Montenegro": "ME",
    "Netherlands": "NL",
    "North Macedonia": "MK",
    "Norway": "NO",
    "Poland": "PL",
    "Portugal": "PT",
    "Spain": "ES",
    "Sweden": "SE",
    "Switzerland": "CH",
    "Turkey": "TR",
    "Ukraine": "UA",
    "United Kingdom": "GB",
}


def N_(text: str) -> str:
    """Marks a text for the catalogs (pybabel's default keyword); translated where used."""
    return text


_FOLDED_CODES = {name.casefold(): code for name, code in _COUNTRY_CODES.items()}

# what the scripts in themes/default/static/ show (each looks its texts up by the English)
JS_TEXTS = (
    N_("The preview is not available right now."),
    N_("Pages to link to"),
    N_("Uploading %(name)s…"),
    N_("%(name)s uploaded."),
    N_("%(name)s uploaded as a new version."),
    N_("upload failed (%(status)s)"),
    N_("%(value)s (not in the list)"),
    N_("%(type)s: fill in the fields, or write them in the front matter of"),
    N_("the text"),
    N_("(the form only changes its lines)."),
    N_("2026-05-14 or 2026-05-14 09:30"),
    N_("Copied"),
    N_("Selected: press Ctrl+C to copy."),
    # the editor's toolbar, drafts and the new-page form
    N_("link text"),
    N_("Heading"),
    N_("bold text"),
    N_("italic text"),
    N_("code"),
    N_("Column 1"),
    N_("Column 2"),
    N_("Text"),
    N_("A draft from %(time)s was not saved."),
    N_("Restore"),
    N_("Discard"),
)
