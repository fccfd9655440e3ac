"""The starter spaces and groups (content/.spaces.yaml), created once per database.

`Seeding` is a part of `SpaceStore` (wiki/access/spaces.py). No Flask imports.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from pathlib import Path

import yaml

from ..errors import N_
from ..errors import SpaceError
from .groups import group_names
from .identity import name_key


class Seeding:
    def is_seeded(self) -> bool:
        row = self._db().execute("SELECT 1 FROM access_meta WHERE key = 'seeded'").fetchone()
        return row is not None

    def seed(self, config: dict, *, actor: str) -> int:
        """Create the spaces and groups of a starter configuration, once per database.

        `config` is {"groups": {name: title}, "spaces": {name: {title, description,
        read, write, members: [user or "@group"]}}} (as in content/.spaces.yaml).
        Returns how many spaces were created (0 when seeded before).
        """
        if self.is_seeded():
            return 0
        created = 0
        for group, title in (config.get("groups") or {}).items():
            if name_key(group) not in group_names(self._db()):
                self.create_group(group, actor=actor, title=str(title or ""))
        for name, spec in (config.get("spaces") or {}).items():
            spec = spec or {}
            if name.casefold() in self.access().spaces:
                continue
            self.create_space(
                name,
                actor=actor,
                title=str(spec.get("title") or ""),
                description=str(spec.get("description") or ""),
                read=str(spec.get("read") or "members"),
                write=str(spec.get("write") or "members"),
            )
            created += 1
            for member in spec.get("members") or []:
                kind = "group" if str(member).startswith("@") else "user"
                try:
                    self.add_member(name, str(member), actor=actor, kind=kind)
                except SpaceError:
                    pass  # a user that does not exist yet: add them later
        self._db().execute(
            "INSERT OR IGNORE INTO access_meta (key, value) VALUES ('seeded', ?)",
            (datetime.now(UTC).isoformat(),),
        )
        return created


def load_seed(path: Path) -> dict:
    """The starter space configuration from a YAML file ({} when there is none)."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, yaml.YAMLError) as error:
        raise SpaceError(
            N_("Cannot read the space configuration %(path)s: %(error)s"), path=path, error=error
        ) from None
    if not isinstance(data, dict):
        raise SpaceError(N_("The space configuration %(path)s must be a mapping."), path=path)
    return data
