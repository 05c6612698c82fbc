"""Reading YAML and JSON documents strictly.

YAML is loaded with the safe loader on libyaml (C); a key repeated in one mapping is an
error naming the file, the line and the key (PyYAML would silently keep the
last one); a key merged in (`<<: *base`) may be overridden, as YAML means.
JSON gets the same duplicate-key check. Dates written as YAML dates come back
as `datetime.date`; one that does not exist (2025-02-30) is an error at its line.

A problem found later, on the parsed data, knows its path but not its line: `locate`
composes the file again (only when there is a problem to place) and finds the line.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from engine.errors import DossierError, PathLike, Problem, RefereeError
from engine.model.limits import DEFAULT_LIMITS, FINITE_TYPES, Limits, check_values, check_yaml_nodes, non_finite, regular_file, too_large


class _StrictLoader(yaml.CSafeLoader):
    """The safe loader on libyaml's C parser (about ten times faster than PyYAML's own), refusing duplicate keys."""


class _WordingLoader(yaml.SafeLoader):
    """The same checks on PyYAML's pure-Python parser, used only to word an error: its messages say more
    (the undefined alias's name, "mapping values are not allowed here") than libyaml's.

    It is some three times slower than libyaml, so it words small files only; and its scanner's time grows
    with the square of the nesting of flow collections (`[[[…`: 500 levels take seconds), so it gives up
    at the depth limit's default, where libyaml's words stand."""

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:  # PyYAML names it so
        if self.flow_level >= DEFAULT_LIMITS.depth:
            raise _Unworded
        super().fetch_flow_collection_start(TokenClass)


class _Unworded(Exception):
    """The pure-Python parser gave up wording an error."""


_WORDED_CHARS = 256 * 1024  # the largest bundled referential is 150 KB; a dossier is a few


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
    """A parsed JSON document within the depth and size limits, with no lone surrogate, NaN nor infinity."""
    if _plain_json_within(document, limits):
        return document
    check_values(document, name, limits, error)
    _no_lone_surrogates(document, name, error)
    return _no_infinities(document, name, error)


def _plain_json_within(document: Any, limits: Limits) -> bool:
    """True for a document that passes all three checks of `checked`, told in one walk instead of three:
    what nearly every dossier is. Anything else is for those checks to find and word."""
    count = 0
    depth_limit, values_limit = limits.depth, limits.values
    surrogate = _SURROGATE.search
    stack = [(document, 1)]
    while stack:
        current, depth = stack.pop()
        count += 1
        if count > values_limit:
            return False
        kind = type(current)
        if kind is str:
            if not current.isascii() and surrogate(current):
                return False
        elif kind is dict:
            if depth > depth_limit:
                return False
            for key, value in current.items():
                if type(key) is not str or (not key.isascii() and surrogate(key)):
                    return False
                stack.append((value, depth + 1))
        elif kind is list:
            if depth > depth_limit:
                return False
            stack.extend([(value, depth + 1) for value in current])
        elif kind is float:
            if not math.isfinite(current):
                return False
        elif kind not in FINITE_TYPES:
            return False
    return True


_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_lone_surrogates(document: Any, name: str, error: type[RefereeError]) -> None:
    """JSON may escape half of a UTF-16 pair alone (`"\\ud800"`): such a text is not Unicode, and no digest or
    output can encode it as UTF-8. YAML needs no check: libyaml refuses the escape itself."""
    stack: list[tuple[Any, PathLike]] = [(document, ())]
    while stack:
        current, path = stack.pop()
        if isinstance(current, dict):
            for key, value in current.items():
                _unicode(key, path, name, error)  # the path stops short of a bad key: it is no text to print
                stack.append((value, (*path, key)))
        elif isinstance(current, list):
            stack.extend((value, (*path, index)) for index, value in enumerate(current))
        elif isinstance(current, str):
            _unicode(current, path, name, error)


def _unicode(text: str, path: PathLike, name: str, error: type[RefereeError]) -> None:
    if _SURROGATE.search(text):
        raise error(f"{name} holds {ascii(text[:40])}, a text with half of a UTF-16 surrogate pair: it is not Unicode",
                    [Problem("write the character itself, or both halves of its pair", path, name)])


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
    if len(text) > _WORDED_CHARS:
        return _problem(fast, name, error)
    try:
        yaml.load(text, Loader=_WordingLoader)  # noqa: S506 - strict subclass of SafeLoader
    except yaml.YAMLError as worded:
        fast = worded
    except (RecursionError, _Unworded):  # nested too deep for the pure-Python parser: libyaml's words it is
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
    """Read and parse one YAML or JSON file within the limits; any failure is `error` with the file named."""
    return parse_bytes(read_bytes(path, error, limits), str(path), error, limits)


def read_bytes(path: Path, error: type[RefereeError] = DossierError, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """A file's bytes as received (a batch that records its dossiers keeps them), within the limits.

    Only a regular file is read, and only if it is no larger than the limit: not a device that never
    ends (`/dev/zero`), a pipe or a folder.
    """
    regular_file(path, limits.document_bytes, "document_bytes", error)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise error(f"no such file: {path}") from None
    except IsADirectoryError:
        raise error(f"{path} is a directory, not a file") from None
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror}") from None


def parse_bytes(data: bytes, name: str, error: type[RefereeError] = DossierError, limits: Limits = DEFAULT_LIMITS) -> Any:
    """A file's bytes parsed: UTF-8 text, whatever its line endings, YAML or JSON as its name says (`parse_text`)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{name} is not UTF-8 text", [Problem(str(exc), file=name)]) from None
    if "\r" in text:  # as a file read as text reads it
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return parse_text(text, name, error, limits)


def locate(problems: Iterable[Problem], limits: Limits = DEFAULT_LIMITS, texts: Mapping[str, str] | None = None) -> tuple[Problem, ...]:
    """The problems, each with the line of its path in its file, where the file is YAML or JSON and holds the path.

    A path the file does not hold (a required field that is missing) gets the line of its nearest ancestor
    that the file holds, which is where it is to be written. Each file is composed once, and only here: the
    line costs nothing until a problem is shown. `texts`: files already in memory, by name (a request's
    body), read instead of the disk.
    """
    composed: dict[str, yaml.Node | None] = {}
    located = []
    for problem in problems:
        if problem.line is None and problem.file and problem.path:
            if problem.file not in composed:
                composed[problem.file] = _composed(problem.file, limits, (texts or {}).get(problem.file))
            root = composed[problem.file]
            line = _line(root, problem.path) if root is not None else None
            problem = replace(problem, line=line) if line is not None else problem
        located.append(problem)
    return tuple(located)


def _composed(file: str, limits: Limits, text: str | None = None) -> yaml.Node | None:
    """The node tree of a YAML or JSON file (JSON is YAML), read unless its text is given, or None when it
    cannot be read within the limits."""
    if Path(file).suffix.lower() not in (".yaml", ".yml", ".json"):
        return None
    try:
        if text is None:
            regular_file(Path(file), limits.document_bytes, "document_bytes", RefereeError)
            text = Path(file).read_text(encoding="utf-8")
        if "\n" not in text.rstrip("\n"):  # one line (a decision as written): a line number would say nothing
            return None
        loader = _StrictLoader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                check_yaml_nodes(node, file, limits, RefereeError)
            return node
        finally:
            loader.dispose()
    except (RefereeError, OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return None


def _line(node: yaml.Node, path: PathLike) -> int | None:
    """The line (from 1) of the key or item at `path`, or of its nearest ancestor below the root."""
    line = None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            pair = next((pair for pair in node.value if isinstance(pair[0], yaml.ScalarNode) and pair[0].value == str(part)), None)
            if pair is None:
                break
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line
