"""`wiki i18n status`: how complete each interface catalog is (`make i18n-update` brings
the catalogs up to the strings of the code, for translators). No Flask app is built."""

from __future__ import annotations

import click
from babel.messages.pofile import read_po

from ..i18n import COMPLETE
from ..i18n import TRANSLATIONS
from ..i18n import UI_LANGUAGES


def completeness() -> dict[str, tuple[int, int, list[str]]]:
    """Per catalog: (translated, total, the untranslated msgids)."""
    found = {}
    for code, locale in UI_LANGUAGES.items():
        if code == "en":
            continue
        po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        if not po.exists():
            found[code] = (0, 0, [])
            continue
        with po.open("rb") as source:
            catalog = read_po(source)
        messages = [m for m in catalog if m.id]
        missing = [
            m.id if isinstance(m.id, str) else m.id[0]
            for m in messages
            if m.fuzzy or not (all(m.string) if isinstance(m.string, tuple) else m.string)
        ]
        found[code] = (len(messages) - len(missing), len(messages), missing)
    return found


@click.group()
def i18n() -> None:
    """The interface's translations (wiki/translations)."""


@i18n.command()
@click.option("--missing", is_flag=True, help="List the untranslated strings too.")
def status(missing: bool) -> None:
    """How complete each catalog is (hu, de and el are kept complete)."""
    for code, (done, total, left) in completeness().items():
        share = f"{100 * done / total:5.1f} %" if total else "  no catalog"
        mark = " (kept complete)" if code in COMPLETE else ""
        click.echo(f"{code:3} {UI_LANGUAGES[code]:8} {done:5}/{total:<5} {share}{mark}")
        if missing:
            for msgid in left:
                click.echo(f"      - {msgid}")
