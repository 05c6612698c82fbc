"""The bounds on what referee reads, checked at the edge: before any digest, validation or rule sees a document.

Every file referee reads could be hostile or broken: a dossier of a gigabyte,
lists nested a thousand deep, a 481-byte YAML alias bomb that expands to
billions of values, a FEC that never ends (`/dev/zero`). Each bound below has
a default, can be changed (`referee --limit NAME=VALUE`, `Library.open(root,
limits=…)`), and its error names the file and the limit (docs/limits.md).
"""

from __future__ import annotations

import math
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml

from engine.errors import PathLike, Problem, RefereeError, UsageError
from engine.model.canonical import SCALAR_TYPES

FINITE_TYPES = SCALAR_TYPES - {float}
"""The scalars that cannot be NaN nor an infinity."""

MIB = 2**20


@dataclass(frozen=True)
class Limits:
    document_bytes: int = 64 * MIB  # a dossier, a referential version, a rule file, a decision file
    depth: int = 64  # mappings and lists within one another, in a document
    values: int = 5_000_000  # values in a document, its YAML aliases expanded (an alias bomb has billions)
    ledger_bytes: int = 4096 * MIB  # a FEC named by a dossier
    csv_bytes: int = 256 * MIB  # a table imported from CSV
    expression_chars: int = 4_000  # the source of one CEL expression
    expression_depth: int = 64  # levels of one expression's tree: operators, calls and lists within one another

    def with_settings(self, settings: Mapping[str, str]) -> Limits:
        """These limits, some of them changed by name (`depth=100`, `ledger_bytes=8GiB`)."""
        known = {f.name for f in fields(self)}
        changes: dict[str, int] = {}
        for name, text in settings.items():
            if name not in known:
                raise UsageError(f"unknown limit {name!r}", [Problem(f"limits: {', '.join(sorted(known))} (docs/limits.md)")])
            changes[name] = _size(name, text)
        return replace(self, **changes)


DEFAULT_LIMITS = Limits()

_SIZE = re.compile(r"^\s*(\d+)\s*([kmg])?(i)?b?\s*$", re.IGNORECASE)


def _size(name: str, text: str) -> int:
    """A count, or a size with a unit: 100, 500k, 4GB (powers of 1000), 64MiB (powers of 1024)."""
    match = _SIZE.match(text)
    value = 0
    if match:
        power = " kmg".index(match.group(2).lower()) if match.group(2) else 0
        value = int(match.group(1)) * (1024 if match.group(3) else 1000) ** power
    if value <= 0:
        raise UsageError(f"limit {name}: {text!r} is not a positive count or size (e.g. 100, 500k, 4GB, 64MiB)")
    return value


def regular_file(path: Path, limit: int, name: str, error: type[RefereeError]) -> None:
    """A file that may be read: it exists, it is a regular file (not a folder, a device that never ends
    such as /dev/zero, a pipe or a socket), and it is no larger than the limit `name`."""
    try:
        status = path.stat()
    except FileNotFoundError:
        raise error(f"no such file: {path}") from None
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(status.st_mode):
        raise error(f"{path} is a directory, not a file")
    if not stat.S_ISREG(status.st_mode):
        raise error(f"{path} is not a regular file (a device, a pipe or a socket): it is not read", [Problem("refused", (), str(path))])
    if status.st_size > limit:
        raise too_large(str(path), status.st_size, limit, name, error)


def too_large(file: str, size: int, limit: int, name: str, error: type[RefereeError]) -> RefereeError:
    return error(
        f"{file} is too large: {size:,} bytes, more than the limit {name} of {limit:,}",
        [Problem(f"raise it with --limit {name}=SIZE if this file is meant to be read", (), file)],
    )


def check_yaml_nodes(node: yaml.Node, file: str, limits: Limits, error: type[RefereeError]) -> None:
    """The depth and the number of values of a composed YAML document, its aliases expanded, without expanding them."""
    if not _plain_tree_within(node, limits):
        _check_expanded(node, file, limits, error)


def _plain_tree_within(node: yaml.Node, limits: Limits) -> bool:
    """True for a document that uses no alias and is within the limits: what nearly every file is, told in one walk.

    Anything else (an alias, a node too deep, too many values) is for `_check_expanded` to weigh and word.
    """
    seen: set[int] = set()
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        key = id(current)
        if key in seen or depth > limits.depth:
            return False
        seen.add(key)
        if len(seen) > limits.values:
            return False
        value = current.value
        kind = type(current)
        if kind is yaml.MappingNode:
            for pair in value:
                stack.append((pair[0], depth + 1))
                stack.append((pair[1], depth + 1))
        elif kind is yaml.SequenceNode:
            stack.extend([(child, depth + 1) for child in value])
    return True


def _check_expanded(node: yaml.Node, file: str, limits: Limits, error: type[RefereeError]) -> None:
    expanded: dict[int, int] = {}  # id(node) -> values it holds once expanded
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, int, bool]] = [(node, 1, False)]
    while stack:
        current, depth, done = stack.pop()
        key = id(current)
        if done:
            on_path.discard(key)
            expanded[key] = 1 + sum(expanded[id(child)] for child in _children(current))
            if expanded[key] > limits.values:
                raise _too_many(file, limits, error, current)
            continue
        if key in expanded:
            continue
        if key in on_path:
            raise error(f"{file}: a value contains itself (a YAML alias to one of its own ancestors)", [Problem("refused", (), file, _line(current))])
        if depth > limits.depth:
            raise _too_deep(file, limits, error, _line(current))
        on_path.add(key)
        stack.append((current, depth, True))
        stack.extend((child, depth + 1, False) for child in _children(current))


def _children(node: yaml.Node) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        yield from node.value
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield key
            yield value


def _line(node: yaml.Node) -> int | None:
    return node.start_mark.line + 1 if node.start_mark is not None else None


def check_values(value: Any, file: str, limits: Limits, error: type[RefereeError]) -> None:
    """The depth and the number of values of a parsed document (JSON: a tree, nothing shared)."""
    count = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        count += 1
        if count > limits.values:
            raise _too_many(file, limits, error)
        if isinstance(current, (dict, list)):
            if depth > limits.depth:
                raise _too_deep(file, limits, error)
            stack.extend((child, depth + 1) for child in (current.values() if isinstance(current, dict) else current))


def _too_deep(file: str, limits: Limits, error: type[RefereeError], line: int | None = None) -> RefereeError:
    return error(
        f"{file} nests mappings and lists deeper than the limit depth of {limits.depth}",
        [Problem("raise it with --limit depth=N if this nesting is meant", (), file, line)],
    )


def _too_many(file: str, limits: Limits, error: type[RefereeError], node: yaml.Node | None = None) -> RefereeError:
    return error(
        f"{file} holds more than {limits.values:,} values once its aliases are expanded (the limit values)",
        [Problem("a YAML alias repeated within aliases (an alias bomb) expands beyond any real document", (), file, _line(node) if node else None)],
    )


def non_finite(value: Any, prefix: PathLike = ()) -> Iterator[tuple[PathLike, float]]:
    """Where a document holds NaN or an infinity: no rule may compute with them, no decision may hold them."""
    if type(value) in FINITE_TYPES:  # most values a rule concludes: a text, a count, a yes or no
        return
    stack: list[tuple[Any, PathLike]] = [(value, prefix)]
    while stack:
        current, path = stack.pop()
        if isinstance(current, float):
            if not math.isfinite(current):
                yield path, current
        elif isinstance(current, dict):
            stack.extend((v, (*path, str(k))) for k, v in current.items())
        elif isinstance(current, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(current))
