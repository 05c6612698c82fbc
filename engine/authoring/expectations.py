"""Author tests: what a dossier's `expect:` block says its decision must be, and what differs.

A standards body states, beside the facts, the decision it expects: the outcome,
values (a number within a tolerance), findings present or absent, and the
version that governs each section. The block is data like the rest of the
dossier: `read_expectation` is its one reader, and it says every problem of the
block at once, each at its path (`$.expect.values.score.tolerance`).
`differences` holds a decision, as its JSON form (docs/decision.md) gives it,
to the block: each difference names the place in the block that was not met,
what was expected and what the decision gives.

    expect:
      outcome: compliant
      versions: {assessment: "2025-12-01"}
      tolerance: 0.01            # for every number under values (default: exact)
      values:
        score: 70                # a mapping is met by the keys it writes; a list item by item
        factor: {g_per_eur: {value: 41.7, tolerance: 0.05}}  # or "1%": of the expected value
      findings:
        present: [FIRST_ACCOUNT, {code: RESOURCE_MISSING, severity: error, count: 3}]
        absent: [MANDATORY_CRITERION_NOT_VALIDATED]

A tolerance bounds the distance inclusively: 41.65 and 41.75 are within 0.05 of
41.7. Numbers are compared as the decimals they are written as, so such a
boundary holds exactly, with no binary rounding either side.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.errors import DossierError, PathLike, Problem, format_path
from engine.model.canonical import to_plain

SEVERITIES = ("info", "warning", "error")
_KEYS = ("outcome", "versions", "tolerance", "values", "findings")
_PRESENT_KEYS = ("code", "severity", "count")
_ABSENT_KEYS = ("code", "severity")  # absent says none: no count
_SHOWN = 160  # characters of a value shown in a difference: a list of a thousand items is not printed whole


@dataclass(frozen=True)
class Tolerance:
    """How far a number may be from the one expected: an amount, or a share of the expected value ("1%")."""

    amount: Decimal = Decimal(0)
    relative: bool = False

    def allows(self, expected: Decimal, got: Decimal) -> bool:
        bound = self.amount * abs(expected) / 100 if self.relative else self.amount
        return abs(got - expected) <= bound

    def __str__(self) -> str:
        return f"{self.amount}%" if self.relative else str(self.amount)


EXACT = Tolerance()


@dataclass(frozen=True)
class Approx:
    """A number written with its own tolerance: `{value: 41.7, tolerance: 0.05}`."""

    value: int | float
    tolerance: Tolerance


@dataclass(frozen=True)
class ExpectedFinding:
    code: str
    severity: str | None = None
    count: int | None = None  # present: exactly this many; None: at least one
    path: PathLike = ()  # where the block writes it

    def matches(self, finding: Mapping[str, Any]) -> bool:
        return finding.get("code") == self.code and self.severity in (None, finding.get("severity"))

    def __str__(self) -> str:
        return self.code if self.severity is None else f"{self.code} ({self.severity})"


@dataclass(frozen=True)
class Expectation:
    outcome: str | None = None
    versions: Mapping[str, str] = field(default_factory=dict)  # section -> version id
    values: Mapping[str, Any] = field(default_factory=dict)  # name -> expected value: JSON data, with Approx for numbers near
    present: tuple[ExpectedFinding, ...] = ()
    absent: tuple[ExpectedFinding, ...] = ()
    tolerance: Tolerance = EXACT  # for the numbers under values written without their own


@dataclass(frozen=True)
class Difference:
    """One thing the decision does not do as the block says, at the block's path."""

    path: PathLike
    message: str
    expected: Any
    got: Any
    line: int | None = None

    def render(self, file: str) -> str:
        return Problem(self.message, self.path, file, self.line).render()

    def to_json(self) -> dict[str, Any]:
        return {"path": format_path(self.path), "line": self.line, "expected": _plain(self.expected), "got": self.got, "message": self.message}


# --- reading the block ------------------------------------------------------------------------------------------


def read_expectation(block: Any, source: str) -> Expectation:
    """The typed block; every problem of it at once, each at its path, in a DossierError."""
    reader = _Reader(source)
    expectation = reader.block(block)
    if reader.problems:
        raise DossierError(f"{source}: the expect: block is not valid", reader.problems)
    return expectation


class _Reader:
    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []

    def problem(self, message: str, path: PathLike) -> None:
        self.problems.append(Problem(message, path, self.source))

    def keys(self, data: Mapping[Any, Any], allowed: tuple[str, ...], path: PathLike) -> None:
        for key in data:
            if key not in allowed:
                self.problem(f"unknown field; allowed: {', '.join(allowed)}", (*path, str(key)))

    def block(self, data: Any) -> Expectation:
        at: PathLike = ("expect",)
        if not isinstance(data, Mapping) or not data:
            self.problem(f"must be a mapping of one or more of: {', '.join(_KEYS)}", at)
            return Expectation()
        self.keys(data, _KEYS, at)
        outcome = data.get("outcome")
        if outcome is not None and (not isinstance(outcome, str) or not outcome):
            self.problem(f"must be an outcome's name; got {outcome!r}", (*at, "outcome"))
        versions = self.versions(self.mapping(data, "versions", at), (*at, "versions"))  # read in the order of _KEYS: so are the problems
        tolerance = self.tolerance(data["tolerance"], (*at, "tolerance")) if "tolerance" in data else EXACT
        values = {str(name): self.value(value, (*at, "values", str(name))) for name, value in self.mapping(data, "values", at).items()}
        findings = self.mapping(data, "findings", at)
        self.keys(findings, ("present", "absent"), (*at, "findings"))
        return Expectation(
            outcome=outcome if isinstance(outcome, str) else None,
            versions=versions,
            values=values,
            present=self.findings(findings, "present", (*at, "findings")),
            absent=self.findings(findings, "absent", (*at, "findings")),
            tolerance=tolerance,
        )

    def mapping(self, data: Mapping[str, Any], key: str, at: PathLike) -> Mapping[Any, Any]:
        value = data.get(key, {})
        if isinstance(value, Mapping):
            return value
        self.problem(f"must be a mapping; got {_shown(to_plain(value))}", (*at, key))
        return {}

    def versions(self, data: Mapping[Any, Any], at: PathLike) -> dict[str, str]:
        versions = {}
        for section, version in to_plain(data).items():  # an unquoted id is a YAML date: its ISO text is the id
            if isinstance(version, str) and version:
                versions[section] = version
            else:
                self.problem(f"must be a version id; got {_shown(version)}", (*at, section))
        return versions

    def tolerance(self, value: Any, at: PathLike) -> Tolerance:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            return Tolerance(_decimal(value))
        if isinstance(value, str) and value.strip().endswith("%"):
            try:
                amount = Decimal(value.strip()[:-1])
            except ArithmeticError:
                amount = Decimal(-1)
            if amount.is_finite() and amount >= 0:
                return Tolerance(amount, relative=True)
        self.problem(f"must be a number of 0 or more, or a percentage of the expected value such as \"1%\"; got {_shown(to_plain(value))}", at)
        return EXACT

    def value(self, value: Any, at: PathLike) -> Any:
        """JSON data as a decision holds it (dates as ISO texts), a number with its own tolerance as an Approx."""
        if isinstance(value, Mapping) and set(value) == {"value", "tolerance"}:
            number = value["value"]
            if not _is_number(number):
                self.problem(f"a value with a tolerance must be a number; got {_shown(to_plain(number))}", (*at, "value"))
            return Approx(number if _is_number(number) else 0, self.tolerance(value["tolerance"], (*at, "tolerance")))
        if isinstance(value, Mapping):
            return {str(key): self.value(item, (*at, str(key))) for key, item in value.items()}
        if isinstance(value, list):
            return [self.value(item, (*at, index)) for index, item in enumerate(value)]
        return to_plain(value)

    def findings(self, data: Mapping[Any, Any], key: str, at: PathLike) -> tuple[ExpectedFinding, ...]:
        items = data.get(key, [])
        if not isinstance(items, list):
            self.problem("must be a list of finding codes, or of {code, severity, count}", (*at, key))
            return ()
        return tuple(found for index, item in enumerate(items) if (found := self.finding(item, key, (*at, key, index))) is not None)

    def finding(self, item: Any, key: str, at: PathLike) -> ExpectedFinding | None:
        if isinstance(item, str) and item:
            return ExpectedFinding(item, path=at)
        if not isinstance(item, Mapping):
            self.problem(f"must be a finding code, or {{code, severity, count}}; got {_shown(to_plain(item))}", at)
            return None
        before = len(self.problems)
        self.keys(item, _PRESENT_KEYS if key == "present" else _ABSENT_KEYS, at)
        code, severity, count = item.get("code"), item.get("severity"), item.get("count")
        if not isinstance(code, str) or not code:
            self.problem(f"must be a finding code; got {_shown(to_plain(code))}", (*at, "code"))
        if severity is not None and severity not in SEVERITIES:
            self.problem(f"unallowed value {severity}; allowed: {', '.join(SEVERITIES)}", (*at, "severity"))
        if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
            self.problem(f"must be a whole number of 1 or more (absent: says none); got {_shown(to_plain(count))}", (*at, "count"))
        if len(self.problems) > before or not isinstance(code, str):
            return None
        return ExpectedFinding(code, severity, count, at)


# --- holding a decision to it -----------------------------------------------------------------------------------


def differences(expectation: Expectation, decision: Mapping[str, Any]) -> list[Difference]:
    """What the decision (its JSON form) does otherwise than the block says; none when it meets the block."""
    at: PathLike = ("expect",)
    found: list[Difference] = []
    if expectation.outcome is not None and decision["outcome"] != expectation.outcome:
        found.append(Difference((*at, "outcome"), f"expected outcome {expectation.outcome}, got {decision['outcome']}", expectation.outcome, decision["outcome"]))
    found += _versions(expectation.versions, decision["versions"], (*at, "versions"))
    values = decision["values"]
    for name, expected in expectation.values.items():
        path = (*at, "values", name)
        if name in values:
            found += _compare(expected, values[name], path, expectation.tolerance)
        else:
            found.append(Difference(path, f"the decision has no value {name}; its values: {', '.join(values) or 'none'}", expected, None))
    found += _findings(expectation, decision["findings"])
    return found


def _versions(expected: Mapping[str, str], selected: list[Mapping[str, Any]], at: PathLike) -> Iterator[Difference]:
    by_section = {entry["section"]: entry for entry in selected if entry.get("section")}
    for section, version in expected.items():
        entry = by_section.get(section)
        if entry is None:
            listed = ", ".join(f"{s} ({e['version']})" for s, e in by_section.items()) or "none"
            yield Difference((*at, section), f"the decision selects no section {section}; it selects: {listed}", version, None)
        elif entry["version"] != version:
            why = f" ({entry['mode']}: {entry['reason']})" if entry.get("reason") else ""
            yield Difference((*at, section), f"expected version {version} for section {section}, got {entry['version']}{why}", version, entry["version"])


def _compare(expected: Any, got: Any, at: PathLike, tolerance: Tolerance) -> Iterator[Difference]:
    """A mapping is met by the keys it writes, a list item by item, a number within its tolerance, anything else by equality."""
    if isinstance(expected, Approx):
        yield from _number(expected.value, got, at, expected.tolerance)
    elif _is_number(expected):
        yield from _number(expected, got, at, tolerance)
    elif isinstance(expected, dict):
        if not isinstance(got, dict):
            yield Difference(at, f"expected a mapping, got {_shown(got)}", expected, got)
            return
        for key, item in expected.items():
            if key in got:
                yield from _compare(item, got[key], (*at, key), tolerance)
            else:
                yield Difference((*at, key), f"the decision's value has no key {key}; it has: {', '.join(got) or 'none'}", item, None)
    elif isinstance(expected, list):
        if not isinstance(got, list):
            yield Difference(at, f"expected a list, got {_shown(got)}", expected, got)
        elif len(got) != len(expected):
            yield Difference(at, f"expected {_items(len(expected))}, got {len(got)}: {_shown(got)}", expected, got)
        else:
            for index, (item, value) in enumerate(zip(expected, got)):
                yield from _compare(item, value, (*at, index), tolerance)
    elif isinstance(got, bool) is not isinstance(expected, bool) or got != expected:  # true is not 1
        yield Difference(at, f"expected {_shown(expected)}, got {_shown(got)}", expected, got)


def _number(expected: int | float, got: Any, at: PathLike, tolerance: Tolerance) -> Iterator[Difference]:
    within = f" ± {tolerance}" if tolerance != EXACT else ""
    if not _is_number(got):
        yield Difference(at, f"expected the number {expected}{within}, got {_shown(got)}", expected, got)
        return
    wanted, value = _decimal(expected), _decimal(got)
    if not tolerance.allows(wanted, value):
        off = f" (off by {abs(value - wanted)})" if within else ""
        yield Difference(at, f"expected {expected}{within}, got {got}{off}", Approx(expected, tolerance) if within else expected, got)


def _findings(expectation: Expectation, findings: list[Mapping[str, Any]]) -> Iterator[Difference]:
    listed = ", ".join(f"{f['code']} ({f['severity']})" for f in findings) or "none"
    for wanted in expectation.present:
        matching = [f for f in findings if wanted.matches(f)]
        if wanted.count is None and not matching:
            yield Difference(wanted.path, f"expected a finding {wanted}, got none; the decision's findings: {listed}", str(wanted), len(matching))
        elif wanted.count is not None and len(matching) != wanted.count:
            yield Difference(wanted.path, f"expected {wanted.count} findings {wanted}, got {len(matching)}; the decision's findings: {listed}", wanted.count, len(matching))
    for unwanted in expectation.absent:
        matching = [f for f in findings if unwanted.matches(f)]
        if matching:
            said = "; ".join(f"{f['code']} ({f['severity']}): {f['message']}" for f in matching)
            yield Difference(unwanted.path, f"expected no finding {unwanted}, got {len(matching)}: {said}", 0, len(matching))


def _items(count: int) -> str:
    return f"{count} item" if count == 1 else f"{count} items"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _decimal(number: int | float) -> Decimal:
    """The decimal a number is written as (repr is the shortest text that reads back as the same float)."""
    return Decimal(repr(number)) if isinstance(number, float) else Decimal(number)


def _plain(value: Any) -> Any:
    """An expected value as JSON: a number with its tolerance as {value, tolerance}."""
    if isinstance(value, Approx):
        return {"value": value.value, "tolerance": str(value.tolerance)}
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"
