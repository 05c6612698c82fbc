"""`referee init`: a new scheme repository, ready to validate, test, publish and verify.

The files come from `templates/` beside this module: one version, the rule
file it runs, one example dossier, a README, a CI workflow and a .gitignore
for private keys, with the scheme's name and the version's id filled in
(`{{scheme}}`, `{{version}}`, `{{referee_version}}`). The JSON Schemas are
copied from referee's own, so that the first line of each YAML file lets an
editor check it as it is typed, and so that the repository's locks name the
schemas it holds rather than whichever referee reads it.
"""

from __future__ import annotations

import re
from pathlib import Path

from engine import __version__
from engine.errors import Problem, UsageError
from engine.library import bundled_root
from engine.model.schemas import REFERENTIAL_SCHEMA, RULES_SCHEMA

TEMPLATES = Path(__file__).resolve().parent / "templates"
SCHEME_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")  # the referential schema's `slug`
VERSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # and its `id`


def scaffold(folder: Path, scheme: str, version: str) -> list[Path]:
    """Write the repository into `folder` (which may exist, but must not hold any of its files); returns the files written."""
    if not SCHEME_NAME.match(scheme):
        raise UsageError(f"{scheme!r} cannot name a scheme", [Problem("lower-case letters, digits and '-', starting with a letter or digit; give --scheme NAME")])
    if not VERSION_ID.match(version):
        raise UsageError(f"{version!r} cannot name a version", [Problem("letters, digits, '.', '_' and '-', starting with a letter or digit; e.g. --id 2026-01-01")])
    filled = {"scheme": scheme, "version": version, "referee_version": __version__}
    written = {
        f"referentials/{scheme}/{version}.yaml": "version.yaml",
        f"rules/{scheme}/{version}/eligibility.yaml": "rules.yaml",
        f"examples/{scheme}/eligible.yaml": "example.yaml",
        "README.md": "readme.md",
        ".github/workflows/referee.yml": "ci.yml",
        ".gitignore": "gitignore",
    }
    schemas = {f"referentials/{REFERENTIAL_SCHEMA}": bundled_root() / "referentials" / REFERENTIAL_SCHEMA, f"rules/{RULES_SCHEMA}": bundled_root() / "rules" / RULES_SCHEMA}
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is a file: name a folder")
    present = [name for name in [*written, *schemas] if (folder / name).exists()]
    if present:
        raise UsageError(f"{folder} holds files referee init would write", [Problem(f"{folder / name} exists") for name in present])
    texts = {name: _fill((TEMPLATES / template).read_text(encoding="utf-8"), filled) for name, template in written.items()}
    texts |= {name: source.read_text(encoding="utf-8") for name, source in schemas.items()}
    return [_write(folder / name, text) for name, text in sorted(texts.items())]


def _fill(text: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    return text


def _write(path: Path, text: str) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
