"""Where referentials and rules live: `referentials/<scheme>/<id>.yaml`, `rules/<scheme>/`."""

from __future__ import annotations

from pathlib import Path

from engine.errors import Problem, UsageError
from engine.model.referential import ReferentialVersion, load_referential


class Store:
    """A project tree holding `referentials/` and `rules/`; versions are loaded once."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.referentials_dir = self.root / "referentials"
        self.rules_dir = self.root / "rules"
        self._versions: dict[str, list[ReferentialVersion]] = {}

    def schemes(self) -> list[str]:
        if not self.referentials_dir.is_dir():
            return []
        return sorted(p.name for p in self.referentials_dir.iterdir() if p.is_dir() and any(p.glob("*.yaml")))

    def versions(self, scheme: str) -> list[ReferentialVersion]:
        """Every version of `scheme`, oldest in force first."""
        if scheme not in self._versions:
            if scheme not in self.schemes():
                raise UsageError(
                    f"unknown scheme {scheme!r}",
                    [Problem(f"known schemes: {', '.join(self.schemes()) or 'none'} (in {self.referentials_dir})")],
                )
            loaded = [load_referential(p, self.referentials_dir) for p in sorted((self.referentials_dir / scheme).glob("*.yaml"))]
            self._versions[scheme] = sorted(loaded, key=lambda v: (v.in_force_from, v.id))
        return self._versions[scheme]

    def rule_file(self, scheme: str, name: str) -> Path:
        return self.rules_dir / scheme / name
