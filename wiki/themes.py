"""The active theme: Jinja template search path and static files.

Search path: themes/<active> -> the parents named in its theme.toml -> themes/default.
A `default:` prefix lets a theme extend a default template it overrides.
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

from flask import Flask
from flask import abort
from flask import send_from_directory
from jinja2 import ChoiceLoader
from jinja2 import FileSystemLoader
from jinja2 import PrefixLoader

from .errors import N_
from .errors import ConfigError


def theme_chain(themes_dir: Path, name: str) -> list[Path]:
    """The theme folders to search, most specific first."""
    chain: list[Path] = []
    seen = set()
    current: str | None = name
    while current and current not in seen:
        seen.add(current)
        folder = themes_dir / current
        if not folder.is_dir():
            raise ConfigError(
                N_("Theme '%(current)s' not found in %(themes_dir)s."),
                current=current,
                themes_dir=themes_dir,
            )
        chain.append(folder)
        meta = folder / "theme.toml"
        current = None
        if meta.is_file():
            current = tomllib.loads(meta.read_text("utf-8")).get("extends")
    default = themes_dir / "default"
    if default not in chain:
        chain.append(default)
    return chain


def init_app(app: Flask) -> None:
    chain = theme_chain(Path(app.config["THEMES_DIR"]), app.config["THEME"])
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader([str(p / "templates") for p in chain]),
            PrefixLoader(
                {"default": FileSystemLoader(str(chain[-1] / "templates"))}, delimiter=":"
            ),
        ]
    )
    static_dirs = [p / "static" for p in chain if (p / "static").is_dir()]
    versions: dict[str, str] = {}

    def static_version(filename: str) -> str:
        if filename not in versions:
            for folder in static_dirs:
                f = folder / filename
                if f.is_file():
                    versions[filename] = hashlib.sha256(f.read_bytes()).hexdigest()[:10]
                    break
            else:
                versions[filename] = "0"
        return versions[filename]

    @app.get("/-/static/<path:filename>")
    def static(filename: str):
        for folder in static_dirs:
            if (folder / filename).is_file():
                # send_from_directory refuses paths that leave the folder
                return send_from_directory(folder, filename, max_age=31536000)
        abort(404)

    # browsers, feed readers and phones ask the site root for its icons, whatever the
    # pages link: the theme's icon files answer there too (a day's caching: no version)
    def root_icon(filename: str):
        def serve():
            for folder in static_dirs:
                if (folder / filename).is_file():
                    return send_from_directory(folder, filename, max_age=86400)
            abort(404)

        return serve

    for icon in ROOT_ICONS:
        app.add_url_rule(
            "/" + icon, "icon_" + icon.replace(".", "_").replace("-", "_"), root_icon(icon)
        )

    app.jinja_env.globals["static_version"] = static_version


ROOT_ICONS = ("favicon.ico", "apple-touch-icon.png")
