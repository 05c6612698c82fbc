"""The derivation tree of a conclusion, read back from a decision's trail.

An auditor asks "why this outcome?": the answer is the trail entry that
concluded it, then, for each premise, either the entry that concluded that
fact (recursively), a dossier fact with its path, or a referential value with
its version and clause. The version selection that opens the trail is shown
first, since it says which text every clause comes from.

A figure computed from a ledger cites the FEC by its digest and keeps totals
per category; `ledger_lines` reads the file again to list the lines behind one.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.adapters.fec import file_sha256, lines_of_accounts
from engine.compilation.expressions import format_value
from engine.decision.locale import is_number
from engine.decision.model import Decision, Premise, RuleStep, VersionStep
from engine.decision.render import wrapped
from engine.errors import DecisionFileError, Problem, RefereeError
from engine.model.canonical import to_plain
from engine.model.dossier import LEDGER_PATH
from engine.model.limits import DEFAULT_LIMITS, Limits, regular_file

if TYPE_CHECKING:
    from engine.library import Library
    from engine.model.referential import ReferentialVersion

_NAMESPACE = {"parameter": "params", "table": "tables", "bands": "bands", "criteria": "criteria", "version": "versions"}


def derivation_tree(decision: Decision, library: Library | None, fact: str = "outcome") -> dict[str, Any]:
    """The tree for `fact` as nested data: node = trail entry + its premises' subtrees.

    A premise the decision cites without writing its value gets it here: a dossier fact from the
    decision's `inputs`, a referential value from the library's version with the digest the premise
    cites (when the library has no such version, the premise says so instead of showing a value).
    """
    return Explainer(decision, library).tree(fact)


class Explainer:
    """A decision's steps read back with what they cite: their premises' values, their clause's words, their readings.

    `explain` shows the tree of one conclusion; the report (engine/decision/report.py) shows several,
    and the findings' steps, through the same reading.
    """

    def __init__(self, decision: Decision, library: Library | None):
        self.decision = decision
        self._resolve = _Resolver(decision, library)

    def selection(self) -> list[dict[str, Any]]:
        """The version-selection entries that open the trail."""
        return [e.to_json() for e in self.decision.trail if not isinstance(e, RuleStep)]

    def tree(self, fact: str) -> dict[str, Any]:
        selection = self.selection()
        companions = companions_of(self.decision)
        concluded = self.decision.concluded()
        refusal = [e for e in selection if e.get("mode") in ("repealed", "not_encoded")]
        if fact == "outcome" and fact not in concluded and refusal:
            # no rule ran: the outcome is the version selection's own (a repealed version refuses the cycle)
            entry = {"name": "outcome", "value": self.decision.outcome, "rule": "version selection", "clause": refusal[0].get("clause"),
                     "version": refusal[0]["version"], "because": refusal[0]["because"]}
            return {"fact": fact, "selection": selection, "tree": {"entry": entry, "premises": []}, "companions": companions}
        if fact not in concluded:
            known = ", ".join(sorted(concluded)) or "none"
            raise DecisionFileError(f"no rule concluded {fact!r} in this decision", [Problem(f"concluded facts: {known}", ("trail",))])
        return {"fact": fact, "selection": selection, "tree": self.node(concluded[fact]), "companions": companions}

    def node(self, entry: RuleStep) -> dict[str, Any]:
        """A step (a fact or a finding concluded), with its clause's text and readings, over its premises' subtrees."""
        children = []
        for premise in entry.premises:
            cited = self.cited(premise)
            children.append(self.node(cited) if cited is not None else {"premise": self.premise(premise)})
        return {"entry": entry.to_json(), **self.texts(entry), "premises": children}

    def cited(self, premise: Premise) -> RuleStep | None:
        """The step that concluded a premise, when a rule did (else it is the dossier's or the referential's)."""
        cited = self.decision.entry(premise.trail) if premise.kind == "fact" and premise.trail else None
        return cited if isinstance(cited, RuleStep) else None

    def premise(self, premise: Premise) -> dict[str, Any]:
        """A premise as JSON with the value it cites written in, or `unresolved` saying why it cannot be."""
        return self._resolve(premise)

    def texts(self, entry: RuleStep) -> dict[str, Any]:
        """`provision`: the quoted text of the clause a step cites; `readings`: those it applies (`decisions:`)."""
        return self._resolve.texts(entry)

    def version(self, referential: str, version_id: str, digest: str) -> ReferentialVersion | str:
        """The library's version a decision cites, if it is the one cited (its digest); else why not."""
        return self._resolve.version(referential, version_id, digest)

    def provision(self, referential: str, version_id: str, digest: str, clause: str | None) -> dict[str, str] | None:
        """The quoted text of a clause of the version a decision cites (by its digest), when the library has it."""
        version = self.version(referential, version_id, digest)
        provision = None if isinstance(version, str) or clause is None else version.provisions.get(clause)
        return None if provision is None else {"id": provision.id, "title": provision.title, "text": provision.text}


class _Resolver:
    """A premise as JSON, with the value it cites written in (or `unresolved` saying why not)."""

    def __init__(self, decision: Decision, library: Library | None):
        self.decision = decision
        self.library = library
        self.referential = {v.section: v.referential for v in decision.versions if v.section}
        self.digest = {v.section: v.digest for v in decision.versions if v.section}

    def __call__(self, premise: Premise) -> dict[str, Any]:
        shown = premise.to_json()
        if premise.kind == "version" and premise.trail:  # why that version: the selection entry says
            step = self.decision.entry(premise.trail)
            if isinstance(step, VersionStep):
                shown.update(clause=step.clause, because=step.because)
        if premise.has_value:
            return shown
        if premise.kind == "fact":
            if premise.name in self.decision.inputs:
                shown["value"] = self.decision.inputs[premise.name]
            return shown
        found = self._from_library(premise)
        if isinstance(found, str):
            shown["unresolved"] = found
        else:
            shown["value"] = found[0]
        return shown

    def _from_library(self, premise: Premise) -> tuple[Any] | str:
        if premise.path is None:
            return "its value is cited, not written, and no place in the version is given"
        version = self.version(self.referential.get(premise.section or ""), premise.version, premise.digest)
        if isinstance(version, str):
            return version
        return (_at_pointer(version.document, premise.path, premise.kind),)

    def version(self, scheme: str | None, version_id: str | None, digest: str | None) -> ReferentialVersion | str:
        """The library's version a decision cites, if it is the one cited (its digest); else why not."""
        if self.library is None or scheme is None:
            return "it is cited, not written, and no library was given to read it from"
        try:
            versions = self.library.versions(scheme)
        except RefereeError as exc:
            return f"the library cannot read {scheme}: {exc.message}"
        version = next((v for v in versions if v.id == version_id), None)
        if version is None:
            return f"the library has no version {version_id} of {scheme}"
        if version.digest != digest:
            return f"version {version_id} of {scheme} in the library has digest {version.digest}, not {digest} as cited: it changed since"
        return version

    def texts(self, entry: RuleStep) -> dict[str, Any]:
        """The quoted text of the provision a step cites, and the readings it applies, from the version that ran it."""
        version = self.version(self.referential.get(entry.section), entry.version, self.digest.get(entry.section))
        if isinstance(version, str):
            return {"unresolved": version} if entry.readings else {}
        provision = version.provisions.get(entry.clause)
        shown: dict[str, Any] = {}
        if provision is not None:
            shown["provision"] = {"id": provision.id, "title": provision.title, "text": provision.text}
        decisions = {d["id"]: d for d in version.document.get("decisions") or ()}
        if entry.readings:
            shown["readings"] = [
                {"id": r, "question": decisions[r]["question"], "decision": decisions[r]["decision"]} for r in entry.readings if r in decisions
            ]
        return shown


def _at_pointer(document: Any, pointer: str, kind: str) -> Any:
    """The value at a JSON Pointer of a version's document, as the rules read it (a table's rows, a band's bounds)."""
    value = document
    for part in pointer.split("/")[1:]:
        value = value[part.replace("~1", "/").replace("~0", "~")]
    if kind == "table":
        value = value["rows"]
    elif kind == "parameter":
        value = value["value"]
    elif kind == "bands":
        value = [_band_text(b) for b in value["bands"]]
    elif kind == "criteria":
        value = list(value)
    return to_plain(value)


def _band_text(band: Mapping[str, Any]) -> str:
    lower, upper = band["lower"], band["upper"]
    return f"{band['id']} {'[' if lower['inclusive'] else ']'}{lower['value']:g}, {upper['value']:g}{']' if upper['inclusive'] else '['}"


def companions_of(decision: Decision) -> dict[str, str]:
    """Section -> referential, for the sections taken from a companion (e.g. a method of a decree)."""
    return {v.section: v.referential for v in decision.versions if v.section and v.referential != decision.scheme}


def _premise_line(premise: Mapping[str, Any], companions: Mapping[str, str]) -> str:
    kind = premise.get("kind")
    if kind == "fact":
        return f"{premise['name']} = {_premise_value(premise)}   [dossier {premise.get('path', '')}]"
    version = version_label(premise.get("version"), premise.get("section"), companions)
    if kind == "version":
        clause = f"{premise['clause']} · " if premise.get("clause") else ""
        cite = f"[{clause}version selection of section {premise['name']}]"
    else:
        cite = f"[{premise.get('clause')} · version {version}, section {premise.get('section')}]"
    return f"{premise_name(premise)} = {_premise_value(premise)}   {cite}"


def premise_name(premise: Mapping[str, Any]) -> str:
    """How a rule names what it read: `score` (a fact), `params.fee`, `tables.rates`, `versions.credits`."""
    kind = premise.get("kind")
    if kind == "fact":
        return str(premise["name"])
    return "criteria" if kind == "criteria" else f"{_NAMESPACE.get(str(kind), kind)}.{premise.get('name')}"


def _premise_value(premise: Mapping[str, Any]) -> str:
    """The value with its unit apart: `12 months`, but `additive (multiplicative or additive)`, a unit that names the kind."""
    if "value" not in premise:
        return f"(not shown: {premise.get('unresolved')})"
    shown, unit = _short(premise["value"]), premise.get("unit")
    if not unit:
        return shown
    return f"{shown} {unit}" if is_number(premise["value"]) else f"{shown} ({unit})"


def _short(value: Any, limit: int = 160) -> str:
    if isinstance(value, Mapping) and value and all(isinstance(v, Mapping) for v in value.values()):
        text = "; ".join(f"{k}: {_short(v, 60)}" for k, v in value.items())
    else:
        text = format_value(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def version_label(version: Any, section: Any, companions: Mapping[str, str]) -> str:
    """A version id, preceded by its referential when it is a companion's."""
    return f"{companions[section]} {version}" if section in companions else str(version)


def render_tree(explained: Mapping[str, Any]) -> str:
    companions = explained.get("companions") or {}
    lines = ["Versions applied:"]
    for entry in explained["selection"]:
        section = entry.get("section") or "(all)"
        version = version_label(entry["version"], entry.get("section"), companions)
        if entry.get("referential"):
            version = f"{entry['referential']} {entry['version']}"
        lines.extend(wrapped(f"{section}: {version} ({entry['mode']}) — {entry['because']}", "  ", "    "))
    lines.append("")
    lines.append(f"Why {explained['fact']}:")

    shown: set[Any] = set()  # a conclusion several others rest on is derived once, then referred to

    def walk(node: Mapping[str, Any], prefix: str, last: bool, top: bool) -> None:
        branch = "" if top else ("└─ " if last else "├─ ")
        child_prefix = prefix + ("" if top else ("   " if last else "│  "))
        if "premise" in node:
            lines.extend(wrapped(_premise_line(node["premise"], companions), f"{prefix}{branch}", f"{child_prefix}  "))
            return
        e = node["entry"]
        cited = " · ".join(str(x) for x in (f"rule {e['rule']}", e["clause"], f"version {e['version']}") if x)
        bar = child_prefix + ("│  " if node["premises"] else "   ")
        key = e.get("id", id(e))
        again = " (derived above)" if key in shown else ""
        lines.extend(wrapped(f"{e['name']} = {_short(e['value'])}   [{cited}]{again}", f"{prefix}{branch}", f"{bar}  "))
        if again:
            return
        shown.add(key)
        lines.extend(wrapped(f"because: {e['because']}", bar, f"{bar}  "))
        provision = node.get("provision")
        if provision and provision.get("text"):
            lines.extend(wrapped(f"text of {provision['id']}: « {_short(provision['text'], 240)} »", bar, f"{bar}  "))
        for reading in node.get("readings", ()):
            lines.extend(wrapped(f"reading {reading['id']}: {_short(reading['decision'], 240)}", bar, f"{bar}  "))
        for i, child in enumerate(node["premises"]):
            walk(child, child_prefix, i == len(node["premises"]) - 1, False)

    walk(explained["tree"], "  ", True, True)
    return "\n".join(lines)


def _ledger_category(decision: Decision, category: str) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """The ledger a decision read (its digest) and what it gave the rules for one category."""
    ledger = decision.digests.ledger
    if not ledger:
        raise DecisionFileError("this decision read no ledger", [Problem("no digests.ledger: its figures come from the dossier's facts", ("digests",))])
    given = next(
        (
            decision.inputs.get(p.name, p.value)
            for e in decision.trail if isinstance(e, RuleStep)
            for p in e.premises if p.path == LEDGER_PATH
        ),
        None,
    )
    categories = (given or {}).get("categories") or {} if isinstance(given, Mapping) else {}
    if category not in categories:
        raise DecisionFileError(
            f"the ledger gave no category {category!r} to this decision's rules",
            [Problem(f"categories: {', '.join(sorted(categories)) or 'none'}", ("trail",))],
        )
    return ledger, categories[category]


def ledger_lines(decision: Decision, category: str, fec: Path | None, folder: Path, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """The FEC lines behind one category of a decision, read again from the file the decision cites.

    `fec` is that file; by default, the name the decision recorded, in `folder` (the decision file's).
    """
    ledger, given = _ledger_category(decision, category)
    fec = fec or folder / ledger["file"]
    try:
        regular_file(fec, limits.ledger_bytes, "ledger_bytes", DecisionFileError)
    except DecisionFileError as exc:
        raise DecisionFileError(f"cannot read the ledger {fec}", [Problem(f"{exc.message}; name the file the decision read with --ledger", (), str(fec))]) from None
    try:
        sha256 = file_sha256(fec)
    except OSError as exc:
        raise DecisionFileError(
            f"cannot read the ledger {fec}", [Problem(f"{exc.strerror or exc}; name the file the decision read with --ledger", (), str(fec))]
        ) from None
    if sha256 != ledger["sha256"]:
        raise DecisionFileError(
            f"{fec} is not the ledger this decision read",
            [Problem(f"its sha256 is {sha256}; the decision read {ledger['file']} with sha256 {ledger['sha256']}", ("digests", "ledger", "sha256"), str(fec))],
        )
    lines = list(lines_of_accounts(fec, given["accounts"], skip_journals=ledger.get("skip_journals") or ()))
    debit = sum((x.debit for x in lines), Decimal(0))
    credit = sum((x.credit for x in lines), Decimal(0))
    return {
        "category": category,
        "file": str(fec),
        "sha256": sha256,
        "accounts": list(given["accounts"]),
        "lines": [x.to_dict() for x in lines],
        "total": {"lines": len(lines), "debit": str(debit), "credit": str(credit), "net": str(debit - credit)},
        "in_decision": {"lines": given["lines"], "net": given["net"]},
    }


def render_ledger_lines(found: Mapping[str, Any]) -> str:
    out = [f"Ledger lines of category {found['category']} — {found['file']} (sha256 {found['sha256']}), accounts {', '.join(found['accounts'])}:"]
    for x in found["lines"]:
        amount = f"debit {x['debit']}" if Decimal(x["debit"]) else f"credit {x['credit']}"
        out.append(f"  line {x['line']}  {x['date']}  {x['journal']}  {x['piece']}  {x['account']}  {x['label']}  {amount}")
    total, given = found["total"], found["in_decision"]
    out.append(f"Total: {total['lines']} lines, net {total['net']} (debit {total['debit']}, credit {total['credit']})")
    out.append(f"The decision's rules read {given['lines']} lines, net {given['net']}")
    return "\n".join(out)
