"""Reading YAML and JSON documents strictly.

YAML is loaded with the safe loader on libyaml (C); a key repeated in one mapping is an
error naming the file, the line and the key (PyYAML would silently keep the
last one); a key merged in (`<<: *base`) may be overridden, as YAML means.
JSON gets the same duplicate-key check. Dates written as YAML dates come back
as `datetime.date`; one that does not exist (2025-02-30) is an error at its line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from engine.errors import DossierError, Problem, RefereeError
from engine.model.limits import DEFAULT_LIMITS, Limits, check_values, check_yaml_nodes, non_finite, regular_file, too_large


class _StrictLoader(yaml.CSafeLoader):
    """The safe loader on libyaml's C parser (about ten times faster than PyYAML's own), refusing duplicate keys."""


class _WordingLoader(yaml.SafeLoader):
    """The same checks on PyYAML's pure-Python parser, used only to word an error: its messages say more
    (the undefined alias's name, "mapping values are not allowed here") than libyaml's."""


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    written = sum(key.tag != _MERGE_TAG for key, _ in node.value)
    loader.flatten_mapping(node)  # merged pairs first, then the ones written here
    merged = len(node.value) - written
    mapping: dict[Any, Any] = {}
    written_keys: set[Any] = set()
    for index, (key_node, value_node) in enumerate(node.value):
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, f"unhashable key {key!r}", key_node.start_mark
            ) from None
        if index >= merged:
            if key in written_keys:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"duplicate key {key!r}",
                    key_node.start_mark,
                )
            written_keys.add(key)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


def _construct_timestamp(loader: _StrictLoader, node: yaml.ScalarNode) -> Any:
    """A YAML date, or an error at its line when it does not exist (PyYAML raises a bare ValueError)."""
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"{node.value} is not a date that exists ({exc}); a date is written YYYY-MM-DD", node.start_mark
        ) from None


for _loader in (_StrictLoader, _WordingLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    """`object_pairs_hook` for json.loads: a key written twice in one object is an error."""
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def parse_text(text: str, name: str, error: type[RefereeError], limits: Limits = DEFAULT_LIMITS) -> Any:
    """Parse YAML or JSON text (JSON is YAML, but its errors read better as JSON), within the limits.

    The size, the depth and the number of values (YAML aliases expanded, without expanding them) are
    checked before any value is built; NaN and the infinities are refused wherever they stand.
    """
    if len(text) > limits.document_bytes:
        raise too_large(name, len(text.encode("utf-8")), limits.document_bytes, "document_bytes", error)
    if name.endswith(".json"):
        return checked(_json(text, name, error, limits), name, error, limits)
    return _no_infinities(_yaml(text, name, error, limits), name, error)


def checked(document: Any, name: str, error: type[RefereeError], limits: Limits) -> Any:
    """A parsed JSON document within the depth and size limits, with no NaN nor infinity."""
    check_values(document, name, limits, error)
    return _no_infinities(document, name, error)


def _no_infinities(document: Any, name: str, error: type[RefereeError]) -> Any:
    for path, value in non_finite(document):
        raise error(f"{name} holds {value!r}, which is not a number a rule can compute with", [Problem("write a finite number", path, name)])
    return document


def _json(text: str, name: str, error: type[RefereeError], limits: Limits) -> Any:
    try:
        return json.loads(text, object_pairs_hook=reject_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise error(f"{name} is not valid JSON", [Problem(exc.msg, file=name, line=exc.lineno)]) from None
    except RecursionError:  # deeper than Python's own stack: beyond any limit
        raise error(f"{name} nests mappings and lists deeper than the limit depth of {limits.depth}", [Problem("refused", (), name)]) from None
    except ValueError as exc:  # a duplicate key: the hook knows no position, the YAML reader does
        raise error(f"{name} is not valid JSON", [Problem(str(exc), file=name, line=_duplicate_line(text))]) from None


def _yaml(text: str, name: str, error: type[RefereeError], limits: Limits) -> Any:
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()  # composed by libyaml, which bounds nesting to 1,000 itself
        if node is None:
            return None
        check_yaml_nodes(node, name, limits, error)
        return loader.construct_document(node)
    except yaml.YAMLError as fast:
        raise _yaml_error(text, name, error, fast) from None
    except RecursionError:  # composed deeper than Python's own stack: beyond any limit
        raise error(f"{name} nests mappings and lists deeper than the limit depth of {limits.depth}", [Problem("refused", (), name)]) from None
    finally:
        loader.dispose()


def _yaml_error(text: str, name: str, error: type[RefereeError], fast: yaml.YAMLError) -> RefereeError:
    """The error of a YAML text that libyaml refused, worded by the pure-Python parser when it agrees."""
    try:
        yaml.load(text, Loader=_WordingLoader)  # noqa: S506 - strict subclass of SafeLoader
    except yaml.YAMLError as worded:
        fast = worded
    except RecursionError:  # nested too deep for the pure-Python parser: libyaml's words it is
        pass
    return _problem(fast, name, error)


def _problem(exc: yaml.YAMLError, name: str, error: type[RefereeError]) -> RefereeError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or str(exc)
        if exc.context and "duplicate" not in problem:
            problem = f"{exc.context}: {problem}"
        return error(f"{name} is not valid YAML", [Problem(problem, file=name, line=line)])
    return error(f"{name} is not valid YAML", [Problem(str(exc), file=name)])


def _duplicate_line(text: str) -> int | None:
    """The line of a JSON document's repeated key, read as YAML (JSON is YAML); None if YAML cannot say."""
    try:
        yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - strict subclass of CSafeLoader
    except yaml.MarkedYAMLError as exc:
        if exc.problem and exc.problem.startswith("duplicate key") and exc.problem_mark:
            return exc.problem_mark.line + 1
    except (yaml.YAMLError, ValueError):
        pass
    return None


def load_document(path: Path, error: type[RefereeError] = DossierError, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Read and parse one YAML or JSON file within the limits; any failure is `error` with the file named.

    Only a regular file is read, and only if it is no larger than the limit: not a device that never
    ends (`/dev/zero`), a pipe or a folder.
    """
    regular_file(path, limits.document_bytes, "document_bytes", error)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"no such file: {path}") from None
    except IsADirectoryError:
        raise error(f"{path} is a directory, not a file") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path} is not UTF-8 text", [Problem(str(exc), file=str(path))]) from None
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror}") from None
    return parse_text(text, str(path), error, limits)
