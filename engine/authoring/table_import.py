"""A table supplied as CSV, imported as the next version of a referential.

Standards bodies publish new releases of their tables (factor bases, cost
grids) as CSV exports. The latest version of the scheme (or a named one)
serves as template: the new version keeps its sources, decisions and other
sections, replaces the rows of one table with the CSV's, types each cell as
the template's values of that column are typed, and logs what changed row by
row. The produced text is loaded back and checked as `referee validate` checks
a stored version, so that an import never yields an invalid referential.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import math
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from engine.authoring.checks import check_version
from engine.errors import DossierError, Problem, RefereeError, ReferentialError, UsageError
from engine.library import Library
from engine.model.canonical import to_plain
from engine.model.dates import parse_date
from engine.model.limits import DEFAULT_LIMITS, Limits, regular_file
from engine.model.referential import ReferentialVersion
from engine.selection.chain import check_chain
from engine.selection.versions import version_by_id

SCHEMA_COMMENT = "# yaml-language-server: $schema=../referential.schema.json\n"
FOLD_WIDTH = 90  # longer texts are written folded (`>-`), wrapped near this width, as hand-written versions are
NUMBER, DATE, BOOLEAN, TEXT = "number", "date", "boolean", "text"
_ISO_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d+)?|[.,]\d+)([eE][+-]?\d+)?$")


class TableImportError(RefereeError):
    """The CSV cannot become the table: every problem names the file, the line and the column."""

    headline = "invalid table"


# --- typing cells -------------------------------------------------------------------------------------------


def column_kind(values: list[Any]) -> str:
    """What the template's non-null values of one column are, so that the CSV's cells are typed alike."""
    present = [v for v in values if v is not None]
    if not present:
        return TEXT
    if all(isinstance(v, bool) for v in present):
        return BOOLEAN
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return NUMBER
    if all(_is_date(v) for v in present):
        return DATE
    return TEXT


def _is_date(value: Any) -> bool:
    try:
        parse_date(value)
    except ValueError:
        return False
    return True


def typed(cell: str, kind: str) -> Any:
    """A cell's value: null when empty, true/false as booleans, numbers and dates where the template has them.

    Dates stay ISO strings, as hand-written versions quote them. A cell that does not fit its
    column's kind raises ValueError, saying why.
    """
    text = cell.strip()
    if not text:
        return None
    if kind == NUMBER:
        return _number(text)
    if kind == DATE or _ISO_SHAPE.match(text):  # a date anywhere must exist, even where the template has none
        return parse_date(text).isoformat()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if kind == BOOLEAN:
        raise ValueError(f"{text!r} is not true or false")
    return text


def _number(text: str) -> int | float:
    if not _NUMBER.match(text):
        raise ValueError(f"{text!r} is not a number (decimal point or comma, no thousands separator)")
    if re.search(r"[.,eE]", text):
        number = float(text.replace(",", "."))
        if not math.isfinite(number):
            raise ValueError(f"{text!r} is beyond any number a rule can compute with")
        return number
    return int(text)


# --- reading the CSV ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvRecords:
    """The CSV's header and its non-blank records, each with the line it starts on (the header is line 1)."""

    file: str
    header: list[str]
    records: list[tuple[int, list[str]]]

    def problem(self, line: int, message: str) -> Problem:
        return Problem(message, file=self.file, line=line)


def read_csv(path: Path, limits: Limits = DEFAULT_LIMITS) -> CsvRecords:
    """UTF-8 with or without BOM; the separator (`,` or `;`) is the one the header uses most."""
    file = str(path)
    regular_file(path, limits.csv_bytes, "csv_bytes", TableImportError)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise TableImportError(f"no such file: {file}") from None
    except UnicodeDecodeError as exc:
        raise TableImportError(f"{file} is not UTF-8 text", [Problem(str(exc), file=file)]) from None
    except OSError as exc:
        raise TableImportError(f"cannot read {file}: {exc.strerror}") from None
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";" if first.count(";") > first.count(",") else ",")
    try:
        header = [name.strip() for name in next(reader, [])]
        records = []
        line = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                records.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise TableImportError(f"{file} is not valid CSV", [Problem(str(exc), file=file, line=reader.line_num)]) from None
    if not any(header):
        raise TableImportError(f"{file} has no header", [Problem("the first line must name the columns", file=file, line=1)])
    return CsvRecords(file, header, records)


# --- rows from the CSV --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableShape:
    """What the template says of the table: its key column, its fields in order, and the kind of each field."""

    key: str
    fields: list[str]
    kinds: dict[str, str]

    @classmethod
    def of(cls, table: Mapping[str, Any], what: str) -> TableShape:
        rows = table["rows"].values()
        if not all(isinstance(row, dict) for row in rows):
            raise UsageError(f"the rows of {what} are not records: a CSV cannot give them")
        fields = list(dict.fromkeys(name for row in rows for name in row))
        return cls(table["key"], fields, {f: column_kind([row.get(f) for row in rows]) for f in fields})


def header_problems(data: CsvRecords, shape: TableShape, allow_new_columns: bool) -> list[Problem]:
    """The header must name the key and every field of the template's rows, once each, and nothing else unless allowed."""
    problems = []
    repeated = sorted({name for name in data.header if data.header.count(name) > 1})
    if repeated:
        problems.append(data.problem(1, f"columns named more than once: {', '.join(repeated)}"))
    if shape.key not in data.header:
        problems.append(data.problem(1, f"no column {shape.key!r}: the table's key ({shape.key}) names each row"))
    missing = [f for f in shape.fields if f not in data.header]
    if missing:
        problems.append(data.problem(1, f"columns missing: {', '.join(missing)} (the template's rows have them)"))
    extra = [name for name in data.header if name != shape.key and name not in shape.fields]
    if extra and not allow_new_columns:
        problems.append(data.problem(1, f"columns not in the template: {', '.join(extra)} (--allow-new-columns adds them)"))
    return problems


def read_rows(data: CsvRecords, shape: TableShape) -> tuple[dict[str, dict[str, Any]], list[Problem]]:
    """Each record as a row, keyed by its key column, fields in the template's order; all problems at once."""
    columns = [name for name in shape.fields if name in data.header]
    columns += [name for name in data.header if name != shape.key and name not in shape.fields]
    rows: dict[str, dict[str, Any]] = {}
    first_line: dict[str, int] = {}
    problems = []
    for line, cells in data.records:
        if len(cells) != len(data.header):
            problems.append(data.problem(line, f"{len(cells)} cells, where the header names {len(data.header)} columns"))
            continue
        record = dict(zip(data.header, cells, strict=True))
        key = record[shape.key].strip()
        if not key:
            problems.append(data.problem(line, f"column {shape.key!r}: the key is missing"))
        elif key in first_line:
            problems.append(data.problem(line, f"column {shape.key!r}: duplicate key {key!r} (first on line {first_line[key]})"))
        row = {}
        for name in columns:
            try:
                row[name] = typed(record[name], shape.kinds.get(name, TEXT))
            except ValueError as exc:
                problems.append(data.problem(line, f"column {name!r}: {exc}"))
        if key and key not in first_line:
            first_line[key] = line
            rows[key] = row
    if not data.records:
        problems.append(data.problem(1, "no rows below the header"))
    return rows, problems


def csv_rows(path: Path, shape: TableShape, allow_new_columns: bool, what: str, limits: Limits = DEFAULT_LIMITS) -> dict[str, dict[str, Any]]:
    """The CSV's rows, or one error listing every problem of the file."""
    data = read_csv(path, limits)
    problems = header_problems(data, shape, allow_new_columns)
    if shape.key in data.header and len(set(data.header)) == len(data.header):
        rows, row_problems = read_rows(data, shape)
        problems += row_problems
    if problems:
        raise TableImportError(f"{data.file} cannot become {what}", problems)
    return rows


# --- what changed -------------------------------------------------------------------------------------------


def _show(value: Any) -> str:
    return json.dumps(to_plain(value), ensure_ascii=False)


def _differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Fields whose value differs; dates and ISO strings compare equal, `true` and `1` do not."""
    before, after = to_plain(dict(old)), to_plain(dict(new))
    fields = dict.fromkeys([*before, *after])
    return {f: (before.get(f), after.get(f)) for f in fields if _show(before.get(f)) != _show(after.get(f))}


@dataclass(frozen=True)
class TableChanges:
    """What the import changes against the template: rows added, removed and changed, parameters set."""

    section: str
    table: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: Mapping[str, Mapping[str, tuple[Any, Any]]]  # row key -> field -> (old, new)
    parameters: Mapping[str, tuple[Any, Any]]  # name -> (old, new)

    @classmethod
    def between(
        cls, section: str, table: str, old_rows: Mapping[str, Any], new_rows: Mapping[str, Any], parameters: Mapping[str, tuple[Any, Any]]
    ) -> TableChanges:
        changed = {k: _differences(old_rows[k], row) for k, row in new_rows.items() if k in old_rows}
        return cls(
            section,
            table,
            added=tuple(k for k in new_rows if k not in old_rows),
            removed=tuple(k for k in old_rows if k not in new_rows),
            changed={k: fields for k, fields in changed.items() if fields},
            parameters={n: pair for n, pair in parameters.items() if _show(pair[0]) != _show(pair[1])},
        )

    def log(self) -> list[dict[str, str]]:
        """The version's `changes` entries, in the schema's format."""
        entries = [self._entry(name, _pairs({"value": pair})) for name, pair in self.parameters.items()]
        entries += [self._entry(f"{self.table}.{key}", _pairs(fields)) for key, fields in self.changed.items()]
        entries += [self._entry(f"{self.table}.{key}", "row added") for key in self.added]
        entries += [self._entry(f"{self.table}.{key}", "row removed") for key in self.removed]
        return entries

    def _entry(self, where: str, change: str) -> dict[str, str]:
        return {"where": where, "section": self.section, "change": change}

    def summary(self) -> str:
        """For the person importing: counts, then which rows and fields."""
        lines = [f"{self.table}: {len(self.added)} row(s) added, {len(self.removed)} removed, {len(self.changed)} changed"]
        lines += [f"  added: {key}" for key in self.added]
        lines += [f"  removed: {key}" for key in self.removed]
        lines += [f"  changed: {key}: {_pairs(fields)}" for key, fields in self.changed.items()]
        lines += [f"  parameter {name}: {_pairs({'value': pair})}" for name, pair in self.parameters.items()]
        return "\n".join(lines)


def _pairs(fields: Mapping[str, tuple[Any, Any]]) -> str:
    return "; ".join(f"{name} {_show(old)} → {_show(new)}" for name, (old, new) in fields.items())


# --- the template and the options ---------------------------------------------------------------------------


def template_version(library: Library, scheme: str, template_id: str | None) -> ReferentialVersion:
    """The version of the scheme that came into force last, or the one named."""
    versions = library.versions(scheme)
    if template_id is None:
        return versions[-1]
    try:
        return version_by_id(versions, template_id)
    except DossierError as exc:  # named on the command line, not in a dossier
        raise UsageError(exc.message, [replace(p, path=()) for p in exc.problems]) from None


def section_of(template: ReferentialVersion, table: str) -> str:
    """The one section of the template that holds the table."""
    holders = [name for name, section in template.sections.items() if table in section.tables]
    if len(holders) == 1:
        return holders[0]
    if holders:
        raise UsageError(f"table {table!r} of {template.label} is in several sections: {', '.join(holders)}")
    known = [f"{t} (section {name})" for name, section in template.sections.items() for t in section.tables]
    raise UsageError(f"{template.label} has no table {table!r}", [Problem(f"its tables: {', '.join(known) or 'none'}")])


def check_new_id(library: Library, template: ReferentialVersion, version_id: str) -> None:
    """The id becomes a file name: it must follow the schema's pattern and not be a version already."""
    pattern = library.referential_schema.document["properties"]["id"]["pattern"]
    if not re.match(pattern, version_id):
        raise UsageError(f"{version_id!r} cannot be a version id", [Problem(f"a version id matches {pattern}")])
    if any(v.id == version_id for v in library.versions(template.scheme)):
        raise UsageError(f"{template.scheme} has a version {version_id!r} already", [Problem("give another id, or remove that version first")])


def check_new_clause(template: ReferentialVersion, section: str, table: str, clause: str | None) -> None:
    """A renamed clause names a new provision: merging it into another one would lose what each covers."""
    if clause and clause != template.sections[section].tables[table].clause and clause in template.provisions:
        raise UsageError(f"{clause!r} is a provision of {template.label} already: the renamed clause must be new")


def iso_date(value: dt.date | str, what: str) -> str:
    try:
        return parse_date(value).isoformat()
    except ValueError:
        raise UsageError(f"{what}: {value!r} is not a date (YYYY-MM-DD)") from None


def new_parameters(template: ReferentialVersion, section: str, settings: Mapping[str, str]) -> dict[str, tuple[Any, Any]]:
    """Each setting typed like the parameter's value in the template, as (old, new); unknown names are refused."""
    parameters = template.sections[section].parameters
    problems, values = [], {}
    for name, text in settings.items():
        if name not in parameters:
            problems.append(Problem(f"no parameter {name!r} in section {section}; its parameters: {', '.join(parameters) or 'none'}"))
            continue
        old = parameters[name].value
        if isinstance(old, (list, dict)):
            problems.append(Problem(f"parameter {name}: its value is a list or a record, which a setting cannot give"))
            continue
        try:
            values[name] = (old, typed(text, column_kind([old])))
        except ValueError as exc:
            problems.append(Problem(f"parameter {name}: {exc}"))
    if problems:
        raise UsageError("cannot set the parameters", problems)
    return values


# --- the new version ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Release:
    """What the new version says of itself beyond its rows: id, dates, title, the clause its table cites."""

    version_id: str
    in_force_from: str
    published_on: str
    title: str | None
    clause: str | None


def next_document(
    library: Library, template: ReferentialVersion, section: str, table: str, rows: dict, release: Release, changes: TableChanges
) -> dict:
    """The template's document, as the next version: identity, dates, rows, parameters, clause and change log.

    The new version runs the template's rules unchanged: it shares its rule files, named with their digests.
    """
    document = copy.deepcopy(dict(template.document))
    _share_rules(library, template, document)
    for ended in ("in_force_until", "repealed_on"):  # they describe the template's end, not the new version's
        document.pop(ended, None)
    document.update(
        id=release.version_id,
        published_on=release.published_on,
        in_force_from=release.in_force_from,
        supersedes=template.id,
        changes=changes.log(),
    )
    if release.title:
        document["title"] = release.title
    body = document["sections"][section]
    body["tables"][table]["rows"] = rows
    for name, (_, new) in changes.parameters.items():
        body["parameters"][name]["value"] = new
    old_clause = body["tables"][table]["clause"]
    if release.clause and release.clause != old_clause:
        rename_clause(document, old_clause, release.clause, template.id)
        renamed = "the provision of this release, cited wherever the previous release's was"
        document["changes"].insert(0, {"where": release.clause, "section": section, "change": renamed})  # as validate requires
    return document


def _share_rules(library: Library, template: ReferentialVersion, document: dict) -> None:
    shared = {
        ref: {"file": ref.file, "version": ref.folder(template.id), "digest": library.rule_source(library.rule_path(template, ref), template.scheme).digest}
        for ref in library.rule_refs(template)
    }
    for name, body in document["sections"].items():
        section = template.sections[name]
        if "rules" in body:
            body["rules"] = [shared[ref] for ref in section.rule_files]
        for procedure, procedure_body in (body.get("procedures") or {}).items():
            if "rules" in procedure_body:
                procedure_body["rules"] = [shared[ref] for ref in section.procedures[procedure].rule_files]


def rename_clause(document: dict, old: str, new: str, template_id: str) -> None:
    """A new release of the source text: its provision, every citation of it, and the source's title and reference follow."""
    document["title"] = document["title"].replace(old, new)
    for source in document["sources"]:
        if any(p["id"] == old for p in source["provisions"]):
            source["title"] = source["title"].replace(old, new)
            if "reference" in source:
                source["reference"] = source["reference"].replace(template_id, document["id"])
            for provision in source["provisions"]:
                if provision["id"] == old:
                    provision["id"] = new
    _recite(document, old, new)


def _recite(node: Any, old: str, new: str) -> None:
    if isinstance(node, dict):
        if node.get("clause") == old:
            node["clause"] = new
        for value in node.values():
            _recite(value, old, new)
    elif isinstance(node, list):
        for item in node:
            _recite(item, old, new)


# --- writing YAML -------------------------------------------------------------------------------------------


class _Row(dict):
    """A table row: written on one line, in flow style, as hand-written versions do."""


class _Dumper(yaml.SafeDumper):
    """Block style, rows on one line, long texts folded; no anchors, since the document is a tree."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def write_folded(self, text: str) -> None:
        wide, self.best_width = self.best_width, FOLD_WIDTH
        try:
            super().write_folded(text)
        finally:
            self.best_width = wide


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = ">" if len(text) > FOLD_WIDTH and "\n" not in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_text)
_Dumper.add_representer(_Row, lambda dumper, row: dumper.represent_mapping("tag:yaml.org,2002:map", row, flow_style=True))


def to_yaml(document: dict) -> str:
    """The project's style: the schema comment first, block mappings, each table row on its own line."""
    styled = copy.deepcopy(document)
    for section in styled["sections"].values():
        for table in (section.get("tables") or {}).values():
            table["rows"] = {k: _Row(row) if isinstance(row, dict) else row for k, row in table["rows"].items()}
    body = yaml.dump(styled, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10**9)
    return SCHEMA_COMMENT + body


# --- checking the result ------------------------------------------------------------------------------------


def check_produced(library: Library, template: ReferentialVersion, text: str, version_id: str) -> None:
    """Load the text as a stored version and run validate's checks; refuse whatever the template does not already suffer.

    A problem the template has too (e.g. a framework not yet in the tree) is `referee validate`'s to report, not the import's.
    """
    shown = str(library.referentials_dir / template.scheme / f"{version_id}.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / template.scheme / f"{version_id}.yaml"
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        try:
            version = library.load_version(path)
        except RefereeError as exc:
            message = exc.message.replace(str(path), shown)
            raise ReferentialError(f"the imported version would be invalid: {message}", _shown(exc.problems, path, shown)) from None
        before = {(p.message, p.path) for p in check_version(library, template).problems}
        problems = [p for p in check_version(library, version).problems if (p.message, p.path) not in before]
        siblings = library.versions(template.scheme)
        chained = set(check_chain(siblings))
        problems += [p for p in check_chain([*siblings, version]) if p not in chained]
    if problems:
        raise ReferentialError("the imported version would be invalid", _shown(problems, path, shown))


def _shown(problems: tuple[Problem, ...] | list[Problem], path: Path, shown: str) -> list[Problem]:
    """Name the file where the version belongs, not the scratch file it was checked in."""
    return [Problem(p.message, p.path, shown if p.file == str(path) else p.file, p.line) for p in problems]


# --- the import ---------------------------------------------------------------------------------------------


def import_table(
    library: Library,
    csv_path: Path,
    *,
    scheme: str,
    table: str,
    version_id: str,
    template_id: str | None = None,
    published_on: dt.date | str | None = None,
    in_force_from: dt.date | str | None = None,
    clause: str | None = None,
    title: str | None = None,
    settings: Mapping[str, str] | None = None,
    allow_new_columns: bool = False,
) -> tuple[str, TableChanges]:
    """The next version of `scheme`, its table `table` replaced by the CSV's rows: (YAML text, changes).

    `settings` sets parameters of the table's section (text typed like their current value); `clause`
    renames the provision the table cites, everywhere it is cited. Nothing is written: the caller does.
    """
    template = template_version(library, scheme, template_id)
    check_new_id(library, template, version_id)
    section = section_of(template, table)
    check_new_clause(template, section, table, clause)
    starts = iso_date(in_force_from or version_id, "in force from (by default the version id)")
    release = Release(version_id, starts, iso_date(published_on or starts, "published on"), title, clause)
    parameters = new_parameters(template, section, settings or {})
    what = f"table {table} of {scheme}"
    old_table = template.document["sections"][section]["tables"][table]
    rows = csv_rows(Path(csv_path), TableShape.of(old_table, what), allow_new_columns, what, library.limits)
    changes = TableChanges.between(section, table, old_table["rows"], rows, parameters)
    text = to_yaml(next_document(library, template, section, table, rows, release, changes))
    check_produced(library, template, text, version_id)
    return text, changes
