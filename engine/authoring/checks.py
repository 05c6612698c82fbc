"""Semantic checks of referential versions, beyond what the JSON Schema can say.

- every rule, parameter (and each record of its value that has a `clause`),
  table (and each row that has one), band set, criterion, time policy and
  decision cites a provision listed in the version's sources;
- band sets cover their range with no gap and no overlap;
- rules read only parameters, tables, bands and facts that exist for the
  procedure that runs them (its sections, or those of its companions), and
  conclude only its listed outcomes;
- a companion version (a method of a decree) holds every value its
  framework's procedures read from it (that it carries data only is checked
  when it is loaded);
- input schemas are valid Cerberus schemas; rule files exist and compile;
- versions of a scheme form one chain along `supersedes`, with coherent dates,
  and declare the same framework (or none).
- a version's change log mentions every change against the version it
  supersedes, and nothing that did not change (`engine.authoring.diff`).

A check returns problems (errors) and warnings; it raises nothing, so that one
run reports everything wrong at once. Coverage is reported per version.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.adapters.fec import prefix_classifier
from engine.adapters.ledger import account_mapping
from engine.authoring.diff import change_log_problems
from engine.authoring.proofs import conflicting_conclusions, cycles, prover_for, unguarded_divisions
from engine.authoring.sentences import literal_problems, rendered_problems
from engine.authoring.units import column_problems, value_problems
from engine.compilation.expressions import ALL
from engine.compilation.rules import OUTCOME, Rule
from engine.errors import Problem, RefereeError
from engine.library import Library
from engine.model.documents import locate
from engine.model.dossier import DOSSIER_FACTS, facts_schema, make_validator
from engine.model.referential import BandSet, LedgerSpec, Procedure, ReferentialVersion, Section
from engine.selection.chain import check_chain

_ATTRIBUTE = {"params": "parameters", "tables": "tables", "bands": "bands"}  # namespace -> Section attribute


@dataclass
class Report:
    file: str
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    coverage: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.problems


def band_problems(bands: BandSet, path: tuple) -> Iterable[Problem]:
    """Gaps and overlaps between consecutive bands, and the range's two ends."""
    ordered = sorted(bands.bands, key=lambda b: (b.lower.value, not b.lower.inclusive))
    for band in ordered:
        if band.lower.value > band.upper.value or (
            band.lower.value == band.upper.value and not (band.lower.inclusive and band.upper.inclusive)
        ):
            yield Problem(f"band {band.id} is empty: {band.describe()}", path)
    first, last = ordered[0], ordered[-1]
    if (first.lower.value, first.lower.inclusive) != (bands.minimum, True):
        yield Problem(f"gap: the range starts at {bands.minimum:g} (inclusive) but the first band is {first.describe()}", path)
    if (last.upper.value, last.upper.inclusive) != (bands.maximum, True):
        yield Problem(f"gap: the range ends at {bands.maximum:g} (inclusive) but the last band is {last.describe()}", path)
    for left, right in zip(ordered, ordered[1:]):
        a, b = left.upper, right.lower
        if a.value < b.value or (a.value == b.value and not a.inclusive and not b.inclusive):
            yield Problem(f"gap between {left.describe()} and {right.describe()}", path)
        elif a.value > b.value or (a.value == b.value and a.inclusive and b.inclusive):
            yield Problem(f"overlap between {left.describe()} and {right.describe()}", path)


def _cited(version: ReferentialVersion) -> Iterable[tuple[str, tuple, str]]:
    """Every (clause, path, what) the version's own content cites."""
    for decision in version.document.get("decisions") or ():
        yield decision["clause"], ("decisions", decision["id"]), f"decision {decision['id']}"
    if version.repeal_clause:
        yield version.repeal_clause, ("repeal_clause",), "the repeal"
    if version.unavailable:
        yield version.unavailable["clause"], ("unavailable", "clause"), "the version not encoded"
    for name, section in version.sections.items():
        base = ("sections", name)
        if section.policy.clause:
            yield section.policy.clause, (*base, "time_policy"), f"time policy of {name}"
        for p in section.parameters.values():
            yield p.clause, (*base, "parameters", p.name), f"parameter {p.name}"
            if isinstance(p.value, list):  # a list of records may cite a clause per record
                for i, item in enumerate(p.value):
                    if isinstance(item, dict) and "clause" in item:
                        yield item["clause"], (*base, "parameters", p.name, "value", i), f"item {i} of parameter {p.name}"
        for t in section.tables.values():
            yield t.clause, (*base, "tables", t.name), f"table {t.name}"
            for key, row in t.rows.items():
                if isinstance(row, dict) and "clause" in row:
                    yield row["clause"], (*base, "tables", t.name, "rows", key), f"row {key} of table {t.name}"
        for c in section.criteria.values():
            yield c.clause, (*base, "criteria", c.id), f"criterion {c.id}"
        for b in section.bands.values():
            yield b.clause, (*base, "bands", b.name), f"band set {b.name}"
            for band in b.bands:
                yield band.clause, (*base, "bands", b.name, band.id), f"band {band.id}"
        for procedure in section.procedures.values():
            yield procedure.clause, (*base, "procedures", procedure.name), f"procedure {procedure.name}"
            for i, check in enumerate(procedure.input_checks):
                yield check.clause, (*base, "procedures", procedure.name, "input_checks", i), f"input check {i} of {procedure.name}"


def check_version(library: Library, version: ReferentialVersion, *, log: bool = True) -> Report:
    """The version's problems, warnings and coverage; `log`: also its change log against the diff with the version it supersedes."""
    file = str(version.path)
    report = Report(file)
    listed = version.provisions
    citations: dict[str, int] = {pid: 0 for pid in listed}

    def cite(clause: str, path: tuple, what: str, where: str = file) -> None:
        if clause not in listed:
            report.problems.append(Problem(f"{what} cites {clause!r}, which is not a provision listed under sources", path, where))
        elif listed[clause].status == "not_recoverable":
            report.problems.append(Problem(f"{what} cites {clause!r}, whose content is not recoverable: it cannot be encoded", path, where))
        else:
            citations[clause] += 1

    for clause, path, what in _cited(version):
        cite(clause, path, what)
    if version.framework is not None:
        check_companion(library, version, report)
    if version.repealed_on is not None and not version.repeal_clause:
        report.problems.append(Problem("a repealed version names the provision by which it governs no new cycle (repeal_clause): the refusal cites it", ("repeal_clause",), file))
    if version.unavailable is not None and version.sections:
        report.problems.append(Problem("a version that is not encoded has no sections: what it says is not known here", ("sections",), file))
    if version.unavailable is None and not version.sections:
        report.problems.append(Problem("a version has at least one section, or says why its text is not encoded (unavailable)", ("sections",), file))
    for index, change in enumerate(version.document.get("changes", [])):
        if "section" in change and change["section"] not in version.sections:
            report.problems.append(
                Problem(f"the change log names section {change['section']!r}, which this version does not have", ("changes", index, "section"), file)
            )
    if log:
        report.problems += change_log_problems(library, version)
    for name, section in version.sections.items():
        for band_set in section.bands.values():
            path = ("sections", name, "bands", band_set.name)
            report.problems += [Problem(p.message, p.path, file) for p in band_problems(band_set, path)]
        report.problems += _typed_value_problems(name, section, file)
    readings = {d["id"] for d in version.document.get("decisions") or ()}
    applied: set[str] = set()
    unrecorded: set[tuple[str, str]] = set()
    rules_seen: set[str] = set()
    for procedure in version.procedures().values():
        missing = [s for s in procedure.sections if s not in version.sections]
        if missing:
            report.problems.append(
                Problem(f"procedure {procedure.name} uses unknown section(s) {', '.join(missing)}", ("sections", procedure.section, "procedures", procedure.name, "uses"), file)
            )
            continue
        rules = _procedure_rules(library, version, procedure, report)
        report.problems += [p for p in literal_problems(library, version, procedure, rules) if p not in report.problems]  # a file several procedures run
        for rule in rules:
            for reading in rule.readings:  # a shared rule file applies readings each version that runs it records
                if reading not in readings and (rule.id, reading) not in unrecorded:
                    unrecorded.add((rule.id, reading))
                    report.problems.append(Problem(
                        f"rule {rule.id} applies reading {reading!r}, which version {version.id} does not record under decisions",
                        (*rule.path, "readings"), rule.file))
                elif reading in readings:
                    applied.add(reading)
            if rule.id not in rules_seen:
                rules_seen.add(rule.id)
                cite(rule.clause, (*rule.path, "clause"), f"rule {rule.id}", rule.file)
    for pid, provision in listed.items():
        if provision.status == "encoded" and citations[pid] == 0:
            report.warnings.append(Problem(f"provision {pid!r} is marked encoded but nothing cites it", ("sources",), file))
    encoded = [p for p in listed.values() if p.status == "encoded"]
    report.coverage = {
        "provisions": len(listed),
        "encoded": len(encoded),
        "out_of_scope": sum(p.status == "out_of_scope" for p in listed.values()),
        "not_recoverable": sum(p.status == "not_recoverable" for p in listed.values()),
        "rules": len(rules_seen),
        "citations": sum(citations.values()),
        "readings": len(readings),
        "readings_applied_by_rules": len(applied),
    }
    return report


def _typed_value_problems(name: str, section: Section, file: str) -> list[Problem]:
    """Parameters and table cells of the kind their unit names; a table's columns of one type each."""
    problems = [
        Problem(message, ("sections", name, "parameters", parameter.name, "value"), file)
        for parameter in section.parameters.values() for message in value_problems(parameter.value, parameter.unit)
    ]
    for table in section.tables.values():
        path = ("sections", name, "tables", table.name, "rows")
        if table.unit and not any(isinstance(row, (Mapping, list)) for row in table.rows.values()):
            problems += [Problem(m, (*path, key), file) for key, cell in table.rows.items() for m in value_problems(cell, table.unit)]
        problems += [Problem(message, (*path, key, column), file) for key, column, message in column_problems(table.rows)]
    return problems


def _procedure_rules(library: Library, version: ReferentialVersion, procedure: Any, report: Report) -> list[Rule]:
    where = f"procedure {procedure.name}"
    criteria = {c.id: c for s in procedure.sections for c in version.sections[s].criteria.values()}
    try:
        schema = facts_schema(procedure, criteria)
        make_validator(schema, where)
    except RefereeError as exc:
        report.problems += [Problem(f"{where}: {exc.message}: {p.message}", p.path, str(version.path)) for p in exc.problems]
        schema = dict(procedure.input)
    try:
        book = library.rulebook(_rule_paths(library, version, procedure), version.scheme)
    except RefereeError as exc:
        report.problems += list(exc.problems) or [Problem(exc.message, (), str(version.path))]
        return []
    own = [version.sections[s] for s in procedure.sections]
    by_role = _companion_sections(library, version.scheme, procedure)
    every = own + _sections(by_role)
    names = {
        **{namespace: {n for s in every for n in getattr(s, attribute)} for namespace, attribute in _ATTRIBUTE.items()},
        "criteria": {ALL} if criteria else set(),
        "versions": set(procedure.sections) | {s for sections in procedure.companions.values() for s in sections},
        "facts": set(schema) | set(DOSSIER_FACTS) | {r.concludes for r in book.rules if r.concludes},
    }
    readers: list[tuple[str, frozenset[tuple[str, str]], tuple, str]] = [(f"rule {r.id}", r.references, r.path, r.file) for r in book.rules]
    try:
        checks = library.input_checks(procedure, version)
    except RefereeError as exc:
        report.problems += list(exc.problems)
        checks = ()
    readers += [
        (f"input check {i}", c.check.references | c.message.references,
         ("sections", procedure.section, "procedures", procedure.name, "input_checks", i), str(version.path))
        for i, c in enumerate(checks)
    ]
    ledger_role = procedure.ledger.companion if procedure.ledger else None
    without_ledger = own + _sections(by_role, but=ledger_role)
    for who, references, path, file in readers:
        for namespace, name in sorted(references):
            if name not in names[namespace]:
                what = "criteria" if name == ALL else f"{namespace}.{name}"
                report.problems.append(Problem(f"{who} reads {what}, which {where} of {version.id} does not define", path, file))
            elif ledger_role and namespace in ("params", "tables", "bands") and not any(name in getattr(s, _ATTRIBUTE[namespace]) for s in without_ledger):
                report.problems.append(Problem(
                    f"{who} reads {namespace}.{name}, which only the ledger's companion role {ledger_role!r} defines: a dossier without ledger lacks it",
                    path, file))
    prover = prover_for(book.rules)
    values: dict[str, list[Any]] = {}
    for section in every:
        for name, parameter in section.parameters.items():
            values.setdefault(name, []).append(parameter.value)
    proven = [*conflicting_conclusions(book.rules, prover), *cycles(book)]
    proven += [p for rule in book.rules for p in unguarded_divisions(rule, values, schema, prover)]
    for problem in proven:
        if problem not in report.problems:  # a rule file several procedures run, a divisor written twice
            report.problems.append(problem)
    if procedure.ledger is not None:
        report.problems += _ledger_problems(procedure, schema, own, _sections(by_role), str(version.path))
    own_files = {str(library.rule_path(version, f)) for f in procedure.rule_files}
    for rule in book.rules:
        if rule.let and (rule.concludes in schema or rule.concludes in DOSSIER_FACTS):
            report.problems.append(
                Problem(f"let {rule.concludes!r} of rule {rule.id.rsplit('.', 1)[0]} is an input of {where}: give the intermediate a name of its own", rule.path, rule.file)
            )
        if rule.concludes == OUTCOME and rule.conclusion.constant not in procedure.outcomes and rule.file in own_files:
            report.problems.append(
                Problem(f"rule {rule.id} concludes outcome {rule.conclusion.constant!r}, not listed by {where}", (*rule.path, "then"), rule.file)
            )
    concluded = {r.conclusion.constant for r in book.rules if r.concludes == OUTCOME}
    for outcome in procedure.outcomes:
        if outcome not in concluded:
            report.warnings.append(Problem(f"{where} lists outcome {outcome!r}, which no rule concludes", (), str(version.path)))
    for value in procedure.values:
        if value not in names["facts"]:
            report.problems.append(Problem(f"{where} reports value {value!r}, which no rule concludes", ("sections", procedure.section, "procedures", procedure.name, "values"), str(version.path)))
    return list(book.rules)


def _ledger_problems(procedure: Procedure, schema: dict[str, Any], own: list[Section], others: list[Section], file: str) -> list[Problem]:
    """A ledger block names a nullable input, and an account table and parameters its sections define.

    The shape of those values is checked where they are written: here for the procedure's own
    sections, by `check_companion` for a companion's.
    """
    spec = procedure.ledger
    assert spec is not None
    path = ("sections", procedure.section, "procedures", procedure.name, "ledger")
    where = f"the ledger of procedure {procedure.name}"
    sections = own + others
    problems = []
    if spec.companion is not None and spec.companion not in procedure.companions:
        problems.append(Problem(f"{where} names companion role {spec.companion!r}, which the procedure does not read", path, file))
    if not (schema.get(spec.fact) or {}).get("nullable"):
        problems.append(Problem(f"{where} fills input {spec.fact!r}, which the input must declare, nullable", path, file))
    if not any(spec.accounts in s.tables for s in sections):
        problems.append(Problem(f"{where} reads table {spec.accounts!r}, which no section of the procedure defines", path, file))
    for name in (spec.in_scope, spec.skip_journals):
        if name and not any(name in s.parameters for s in sections):
            problems.append(Problem(f"{where} reads parameter {name!r}, which no section of the procedure defines", path, file))
    return problems + _ledger_shape_problems(spec, own, where, path, file)


def _ledger_shape_problems(spec: LedgerSpec, sections: list[Section], where: str, path: tuple, file: str) -> list[Problem]:
    """The account table is a prefix mapping, and the parameters lists of texts, in these sections."""
    problems = []
    for table in (s.tables[spec.accounts] for s in sections if spec.accounts in s.tables):
        try:
            prefix_classifier(account_mapping(table.rows), ())
        except (ValueError, TypeError) as exc:
            problems.append(Problem(f"{where}: table {spec.accounts!r} is not an account mapping: {exc}", path, file))
    for name in (spec.in_scope, spec.skip_journals):
        for value in (s.parameters[name].value for s in sections if name and name in s.parameters):
            if not (isinstance(value, list) and all(isinstance(x, str) and x for x in value)):
                problems.append(Problem(f"{where}: parameter {name!r} must be a list of texts", path, file))
    return problems


def _rule_paths(library: Library, version: ReferentialVersion, procedure: Any) -> list[Path]:
    """The procedure's own rule files, then those of its sections (as assembly runs them)."""
    files = list(procedure.rule_files)
    files += [f for s in procedure.sections if s in version.sections for f in version.sections[s].rule_files]
    return [library.rule_path(version, f) for f in files]


def _companion_sections(library: Library, framework: str, procedure: Procedure) -> dict[str, list[Section]]:
    """Role -> the sections every version of every candidate companion (e.g. each method) gives.

    Which scheme fills a role is the dossier's choice, so every candidate counts.
    """
    return {
        role: [v.sections[s] for scheme in library.companion_schemes(framework, role) for v in library.versions(scheme) for s in sections if s in v.sections]
        for role, sections in procedure.companions.items()
    }


def _sections(by_role: dict[str, list[Section]], *, but: str | None = None) -> list[Section]:
    """The sections of every role, `but` one: what other roles give (a factor table beside a mapping) is not its to hold."""
    return [section for role, sections in by_role.items() if role != but for section in sections]


def check_companion(library: Library, version: ReferentialVersion, report: Report) -> None:
    """A companion version (a method) against the procedures of its framework (the decree) that read it.

    It must have the sections each such procedure reads in its role, holding every parameter, table
    and band set the procedure's rules read and the framework does not define itself.
    """
    assert version.framework is not None, "only a companion has a framework to be checked against"
    framework, role = version.framework["scheme"], version.framework["role"]
    file = str(version.path)
    if framework not in library.schemes():
        report.problems.append(Problem(f"its framework {framework!r} is not a scheme of this tree", ("framework", "scheme"), file))
        return
    try:
        hosts = library.versions(framework)
    except RefereeError:
        return  # the framework's own validation reports why it does not load
    for host in hosts:
        for procedure in host.procedures().values():
            sections = procedure.companions.get(role)
            if not sections:
                continue
            where = f"procedure {procedure.name} of {host.label}"
            missing = [s for s in sections if s not in version.sections]
            if missing:
                report.problems.append(Problem(f"{where} reads section(s) {', '.join(missing)} of a {role}, which this version lacks", ("sections",), file))
                continue
            own = [host.sections[s] for s in procedure.sections if s in host.sections]  # an unknown one is the host's problem
            try:
                book = library.rulebook(_rule_paths(library, host, procedure), framework)
            except RefereeError:
                continue  # reported when the framework's own version is checked
            readers = [(f"rule {r.id}", r.references) for r in book.rules]
            try:
                checks = library.input_checks(procedure, host)
            except RefereeError:
                continue  # reported when the framework's own version is checked
            readers += [(f"input check {i}", c.check.references | c.message.references) for i, c in enumerate(checks)]
            mine = [version.sections[s] for s in sections]
            if procedure.ledger is not None and procedure.ledger.companion == role:
                report.problems += _ledger_shape_problems(procedure.ledger, mine, f"the ledger of {where}", ("sections",), file)
            others = _sections(_companion_sections(library, framework, procedure), but=role)
            for namespace, attribute in _ATTRIBUTE.items():
                defined = {n for s in own + mine + others for n in getattr(s, attribute)}
                for who, references in readers:
                    read = {name for ns, name in references if ns == namespace}
                    for name in sorted(read - defined):
                        report.problems.append(Problem(f"lacks {namespace}.{name}, which {who} of {where} reads", ("sections",), file))


def referential_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.yaml") if p.is_file())
        else:
            files.append(path)
    return files


def validate_paths(library: Library, paths: Iterable[Path]) -> list[Report]:
    """Check every referential file under `paths`, each with its scheme's chain of versions."""
    loaded: dict[Path, ReferentialVersion | RefereeError] = {}

    def load(path: Path) -> ReferentialVersion | RefereeError:
        """Each file is read once, though every version of a scheme is loaded again for the chain check."""
        if path not in loaded:
            try:
                loaded[path] = library.load_version(path)
            except RefereeError as exc:
                loaded[path] = exc
        return loaded[path]

    reports: list[Report] = []
    for path in referential_files(paths):
        report = Report(str(path))
        reports.append(report)
        version = load(path)
        if isinstance(version, RefereeError):
            report.problems += list(version.problems) or [Problem(version.message, (), str(path))]
            continue
        checked = check_version(library, version)
        report.problems += checked.problems
        report.warnings += checked.warnings
        report.coverage = checked.coverage
        siblings = [v for v in map(load, sorted(path.parent.glob("*.yaml"))) if isinstance(v, ReferentialVersion)]
        report.problems += [p for p in check_chain(siblings) if p.file == str(path)]
    _audit_sentences(library, reports, loaded)
    for report in reports:
        report.problems, report.warnings = list(locate(report.problems, library.limits)), list(locate(report.warnings, library.limits))
    return reports


def _audit_sentences(library: Library, reports: list[Report], loaded: dict[Path, ReferentialVersion | RefereeError]) -> None:
    """The sentences the tree's own examples render, each fault reported on the version whose rule folder holds the rule."""
    examples = library.root / "examples"
    read = {Path(r.file).resolve(): r for r in reports if isinstance(loaded.get(Path(r.file)), ReferentialVersion)}
    schemes = {v.scheme for p, v in loaded.items() if p.resolve() in read and isinstance(v, ReferentialVersion)}
    if not examples.is_dir() or not schemes:
        return
    for problem in rendered_problems(library, examples, schemes):
        folder = Path(problem.file or "").parent
        owner = (library.referentials_dir / folder.parent.name / f"{folder.name}.yaml").resolve()
        if owner in read:
            read[owner].problems.append(problem)
