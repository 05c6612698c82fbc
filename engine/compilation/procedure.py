"""A procedure compiled for one selection of versions: everything a dossier is judged by that does not depend on it.

Once each section has its version (`engine.selection`), the procedure is
assembled from the parameters, tables, bands, criteria and rules of those
sections: the values expressions read (converted once), the rule book, the
input validator, and for every rule the premises it cites from the
referential, each with its clause, its version's digest and its path in the
version's document. The library keeps one per selection, so judging a
dossier only validates its facts and fires the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.compilation.cel.nodes import Call, Ident, Select, walk
from engine.compilation.expressions import ALL, Expression, ExpressionError, Template
from engine.compilation.rules import Rule, RuleBook
from engine.decision.model import ABSENT, Premise
from engine.errors import Problem, ReferentialError
from engine.model.canonical import to_plain
from engine.model.limits import Limits
from engine.model.referential import BandSet, Procedure, ReferentialVersion, RuleFile, Section

if TYPE_CHECKING:
    from engine.library import Library
    from engine.model.dossier import FactsValidator
    from engine.selection.versions import Selection


@dataclass(frozen=True)
class Origin:
    """Where a rule file came from: the version and section whose selection brought it."""

    version: str
    section: str


@dataclass(frozen=True)
class Range:
    """An input a rule places in a band set: it must lie within the set's range, or no band holds it."""

    fact: str
    bands: str
    minimum: float
    maximum: float
    unit: str


@dataclass(frozen=True)
class CompiledCheck:
    """An input check of a procedure, its condition and its message compiled."""

    check: Expression
    message: Template
    input: str
    clause: str


def compile_checks(procedure: Procedure, version: ReferentialVersion, limits: Limits) -> tuple[CompiledCheck, ...]:
    """The procedure's input checks compiled; ReferentialError naming the version's file and each check that does not compile."""
    compiled, problems = [], []
    for index, check in enumerate(procedure.input_checks):
        path = ("sections", procedure.section, "procedures", procedure.name, "input_checks", index)
        try:
            condition = Expression.compile(check.check, limits)
        except ExpressionError as exc:
            problems.append(Problem(str(exc), (*path, "check"), str(version.path)))
            continue
        try:
            message = Template.compile(check.message, limits)
        except ExpressionError as exc:
            problems.append(Problem(str(exc), (*path, "message"), str(version.path)))
            continue
        compiled.append(CompiledCheck(condition, message, check.input, check.clause))
    if problems:
        raise ReferentialError(f"{version.path}: input checks of procedure {procedure.name} do not compile", problems)
    return tuple(compiled)


@dataclass(frozen=True)
class CompiledProcedure:
    procedure: Procedure
    scope: dict[str, Any]  # what expressions read: params, tables, bands, criteria, versions
    rulebook: RuleBook
    origins: dict[str, Origin]  # rule file -> where it came from
    cited: dict[str, tuple[Premise, ...]]  # rule id -> the referential values and versions it reads, as premises
    validator: FactsValidator
    checks: tuple[CompiledCheck, ...]  # the procedure's input checks
    where: str  # "<scheme> <version>, procedure <name>", for messages
    ranges: tuple[Range, ...] = ()  # inputs read by band(): refused at validation when out of the set's range

    def origin(self, rule: Rule) -> Origin:
        return self.origins[rule.file]


def compile_procedure(library: Library, selection: Selection, procedure: Procedure) -> CompiledProcedure:
    # criteria are a list in the grid's order: CEL does not specify the iteration order of maps
    scope: dict[str, Any] = {"params": {}, "tables": {}, "bands": {}, "criteria": [], "versions": {}}
    premises: dict[tuple[str, str], Premise] = {}
    owner: dict[tuple[str, str], str] = {}
    origins: dict[str, Origin] = {}
    rule_paths = []
    problems: list[Problem] = []

    def add(namespace: str, name: str, value: Any, premise: Premise) -> None:
        key = (namespace, name)
        if key in owner:
            problems.append(Problem(f"{namespace}.{name} is defined by section '{owner[key]}' and by section '{premise.section}'"))
            return
        owner[key] = premise.section or ""
        scope[namespace][name] = value
        premises[key] = premise

    def add_rule_file(ref: RuleFile, version: ReferentialVersion, section: str) -> None:
        path = library.rule_path(version, ref)
        if str(path) in origins:
            problems.append(Problem(f"rule file {path} is listed twice (sections or procedure)"))
        origins[str(path)] = Origin(version.id, section)
        rule_paths.append(path)

    home = selection.version_of(procedure.section)
    for ref in procedure.rule_files:
        add_rule_file(ref, home, procedure.section)
    for name, choice in selection.choices.items():  # the procedure's sections, then its companions'
        version = choice.version
        section = version.sections[name]
        add("versions", name, version.id, Premise("version", name, trail=f"version:{name}", value=version.id))
        _add_values(section, version, add)
        if section.criteria:
            scope["criteria"] += [
                {"id": c.id, "title": c.title, "chapter": c.chapter, "mandatory": c.mandatory, "max_points": c.max_points}
                for c in section.criteria.values()
            ]
            clauses = ", ".join(sorted({c.clause for c in section.criteria.values()}))
            premises[("criteria", ALL)] = _cited("criteria", "criteria", version, name, ("criteria",), clause=clauses)
        for ref in section.rule_files:
            add_rule_file(ref, version, name)
    if problems:
        raise ReferentialError("the sections of this procedure clash", problems)
    rulebook = library.rulebook(rule_paths, home.scheme)
    validator = library.validator(procedure, selection.version_of)
    band_sets = {b.name: b for choice in selection.choices.values() for b in choice.version.sections[choice.section].bands.values()}
    return CompiledProcedure(
        procedure=procedure,
        scope=scope,
        rulebook=rulebook,
        origins=origins,
        cited={rule.id: tuple(premises[key] for key in sorted(rule.references) if key[0] != "facts" and key in premises) for rule in rulebook.rules},
        validator=validator,
        checks=library.input_checks(procedure, home),
        where=validator.where,
        ranges=_ranges(rulebook, band_sets, set(procedure.input)),
    )


def _add_values(section: Section, version: ReferentialVersion, add: Any) -> None:
    """A section's parameters, tables and bands: their values for expressions, their premises for the trail."""
    for p in section.parameters.values():
        value = to_plain(p.value)
        add("params", p.name, value, _cited("parameter", p.name, version, section.name, ("parameters", p.name), value=value, unit=p.unit, clause=p.clause))
    for t in section.tables.values():
        add("tables", t.name, to_plain(dict(t.rows)), _cited("table", t.name, version, section.name, ("tables", t.name), unit=t.unit, clause=t.clause))
    for b in section.bands.values():
        bands = [{"id": x.id, "lower": vars(x.lower), "upper": vars(x.upper), "clause": x.clause} for x in b.bands]
        add("bands", b.name, bands, _cited("bands", b.name, version, section.name, ("bands", b.name), unit=b.unit, clause=b.clause))


def _cited(
    kind: str, name: str, version: ReferentialVersion, section: str, path: tuple[str, ...], *, value: Any = ABSENT, unit: str = "", clause: str = ""
) -> Premise:
    """A referential value as a rule's premise: cited by its version's digest and its path; a scalar is also written."""
    premise = Premise(
        kind, name, path=_pointer(("sections", section, *path)), unit=unit or None, clause=clause or None,
        version=version.id, section=section, digest=version.digest,
    )
    if value is None or isinstance(value, (bool, int, float, str)):  # never a whole table, list or record
        premise.value = value
    return premise


def _pointer(parts: tuple[str, ...]) -> str:
    """A JSON Pointer (RFC 6901) into the version's document."""
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def _ranges(rulebook: RuleBook, band_sets: dict[str, BandSet], inputs: set[str]) -> tuple[Range, ...]:
    """Each input a rule hands straight to `band(bands.NAME, facts.INPUT)`, with that band set's range."""
    found: dict[tuple[str, str], Range] = {}
    for rule in rulebook.rules:
        for expression in _expressions(rule):
            if "band(" not in expression.source:
                continue
            for node in walk(expression.tree):
                if not (isinstance(node, Call) and node.function == "band" and node.target is None and len(node.args) == 2):
                    continue
                bands, value = (_named(arg) for arg in node.args)
                if bands and value and bands[0] == "bands" and value[0] == "facts" and value[1] in inputs and bands[1] in band_sets:
                    band_set = band_sets[bands[1]]
                    found[(value[1], bands[1])] = Range(value[1], bands[1], band_set.minimum, band_set.maximum, band_set.unit)
    return tuple(found.values())


def _expressions(rule: Rule) -> list[Expression]:
    parts: list[Expression] = []
    for part in rule.expressions:
        parts += [p for p in part.parts if isinstance(p, Expression)] if isinstance(part, Template) else [part]
    return parts


def _named(node: Any) -> tuple[str, str] | None:
    """(namespace, name) of `namespace.name`."""
    if isinstance(node, Select) and isinstance(node.operand, Ident):
        return node.operand.name, node.field
    return None
