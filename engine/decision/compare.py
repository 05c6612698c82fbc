"""Where two decisions first differ: what a batch's check against the reference runtime and a replay report.

Decisions are compared as their JSON, in the decision's own order (docs/decision.md):
the first top-level key whose values differ, and within it the first differing
place, down to a value. In the trail, the place is named by the entry's id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any

from engine.errors import format_path
from engine.model.canonical import canonical_json

MISSING: Any = object()


@dataclass(frozen=True)
class Difference:
    path: tuple[str | int, ...]  # of the first differing value, from the decision's top
    entry: str | None  # the id of the trail entry it lies in
    first: Any  # the value in the first decision (MISSING when it has none)
    second: Any

    @property
    def where(self) -> str:
        """`trail entry 'd2'`, or the top-level key: `'outcome'`."""
        return f"trail entry {self.entry!r}" if self.entry is not None else repr(self.path[0])

    @property
    def place(self) -> str:
        """The differing value's path within the entry or the key, e.g. `$.because`; empty when it is the whole."""
        inner = self.path[2:] if self.entry is not None else self.path[1:]
        return format_path(inner) if inner else ""


def first_difference(first: Mapping[str, Any], second: Mapping[str, Any]) -> Difference | None:
    """The first place where two decisions differ, or None when they are the same (whatever their key order)."""
    path = _first(first, second, ())
    if path is None:
        return None
    entry = None
    if len(path) >= 2 and path[0] == "trail":
        mine, theirs = _at(first, path[:2]), _at(second, path[:2])
        named = mine if isinstance(mine, Mapping) else theirs
        entry = str(named.get("id")) if isinstance(named, Mapping) else f"#{path[1]}"
    return Difference(path, entry, _at(first, path), _at(second, path))


def _first(a: Any, b: Any, path: tuple[str | int, ...]) -> tuple[str | int, ...] | None:
    if a is not MISSING and b is not MISSING and canonical_json(a) == canonical_json(b):
        return None
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in dict.fromkeys([*a, *b]):
            found = _first(a.get(key, MISSING), b.get(key, MISSING), (*path, key))
            if found is not None:
                return found
    if isinstance(a, list) and isinstance(b, list):
        for index, (x, y) in enumerate(zip_longest(a, b, fillvalue=MISSING)):
            found = _first(x, y, (*path, index))
            if found is not None:
                return found
    return path


def _at(value: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        held = part in value if isinstance(value, Mapping) else isinstance(value, list) and isinstance(part, int) and part < len(value)
        if not held:
            return MISSING
        value = value[part]
    return value
