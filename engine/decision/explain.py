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

from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

from engine.errors import DecisionFileError, Problem
from engine.running.evaluation import DECISION_FORMAT
from engine.compilation.expressions import format_value
from engine.adapters.fec import file_sha256, lines_of_accounts
from engine.adapters.ledger import LEDGER_PATH


def check_decision(decision: Any, source: str) -> Mapping[str, Any]:
    if not isinstance(decision, Mapping) or decision.get("format") != DECISION_FORMAT:
        raise DecisionFileError(f"{source} is not a referee decision", [Problem(f"expected format {DECISION_FORMAT!r}", ("format",), source)])
    for key in ("trail", "outcome", "versions"):
        if key not in decision:
            raise DecisionFileError(f"{source} is not a complete decision", [Problem("missing", (key,), source)])
    return decision


def derivation_tree(decision: Mapping[str, Any], fact: str = "outcome") -> dict[str, Any]:
    """The tree for `fact` as nested data: node = trail entry + its premises' subtrees."""
    entries = {e["id"]: e for e in decision["trail"]}
    by_fact = {e["fact"]: e for e in decision["trail"] if e.get("kind") == "fact"}
    selection = [e for e in decision["trail"] if e.get("kind") == "version-selection"]
    refusal = [e for e in selection if e.get("mode") == "repealed"]
    if fact == "outcome" and fact not in by_fact and refusal:
        # no rule ran: the outcome is the version selection's own (a repealed version refuses the cycle)
        entry = {"fact": "outcome", "value": decision["outcome"], "rule": "version selection", "clause": refusal[0].get("clause"),
                 "version": refusal[0]["version"], "because": refusal[0]["because"]}
        return {"fact": fact, "selection": selection, "tree": {"entry": entry, "premises": []}, "companions": _companions(decision)}
    if fact not in by_fact:
        known = ", ".join(sorted(by_fact)) or "none"
        raise DecisionFileError(f"no rule concluded {fact!r} in this decision", [Problem(f"concluded facts: {known}", ("trail",))])

    def node(entry: Mapping[str, Any]) -> dict[str, Any]:
        children = []
        for premise in entry.get("premises", ()):
            if premise.get("source") == "rule" and premise.get("trail") in entries:
                children.append(node(entries[premise["trail"]]))
            else:
                children.append({"premise": premise})
        return {"entry": entry, "premises": children}

    return {"fact": fact, "selection": selection, "tree": node(by_fact[fact]), "companions": _companions(decision)}


def _companions(decision: Mapping[str, Any]) -> dict[str, str]:
    """Section -> referential, for the sections taken from a companion (e.g. a method of a decree)."""
    return {
        v["section"]: v["referential"]
        for v in decision.get("versions") or ()
        if isinstance(v, Mapping) and v.get("section") and v.get("referential") not in (None, decision.get("scheme"))
    }


def _premise_line(premise: Mapping[str, Any], companions: Mapping[str, str]) -> str:
    kind = premise.get("kind")
    if kind == "fact":
        where = premise.get("path", "")
        return f"{premise['name']} = {_short(premise.get('value'))}   [dossier {where}]"
    version = _version(premise.get("version"), premise.get("section"), companions)
    cite = f"[{premise.get('clause')} · version {version}, section {premise.get('section')}]"
    unit = f" {premise['unit']}" if premise.get("unit") else ""
    label = {"parameter": "params", "table": "tables", "bands": "bands", "criteria": "criteria", "version": "versions"}.get(kind, kind)
    name = "criteria" if kind == "criteria" else f"{label}.{premise.get('name')}"
    return f"{name} = {_short(premise.get('value'))}{unit}   {cite}"


def _short(value: Any, limit: int = 160) -> str:
    if isinstance(value, Mapping) and value and all(isinstance(v, Mapping) for v in value.values()):
        text = "; ".join(f"{k}: {_short(v, 60)}" for k, v in value.items())
    else:
        text = format_value(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _version(version: Any, section: Any, companions: Mapping[str, str]) -> str:
    """A version id, preceded by its referential when it is a companion's."""
    return f"{companions[section]} {version}" if section in companions else str(version)


def render_tree(explained: Mapping[str, Any]) -> str:
    companions = explained.get("companions") or {}
    lines = ["Versions applied:"]
    for entry in explained["selection"]:
        section = entry.get("section") or "(all)"
        version = _version(entry["version"], entry.get("section"), companions)
        if entry.get("referential"):
            version = f"{entry['referential']} {entry['version']}"
        lines.append(f"  {section}: {version} ({entry['mode']}) — {entry['because']}")
    lines.append("")
    lines.append(f"Why {explained['fact']}:")

    shown: set[Any] = set()  # a conclusion several others rest on is derived once, then referred to

    def walk(node: Mapping[str, Any], prefix: str, last: bool, top: bool) -> None:
        branch = "" if top else ("└─ " if last else "├─ ")
        child_prefix = prefix + ("" if top else ("   " if last else "│  "))
        if "entry" in node:
            e = node["entry"]
            cited = " · ".join(str(x) for x in (f"rule {e['rule']}", e["clause"], f"version {e['version']}") if x)
            key = e.get("id", id(e))
            if key in shown:
                lines.append(f"{prefix}{branch}{e['fact']} = {_short(e['value'])}   [{cited}] (derived above)")
                return
            shown.add(key)
            lines.append(f"{prefix}{branch}{e['fact']} = {_short(e['value'])}   [{cited}]")
            lines.append(f"{child_prefix}{'   ' if not node['premises'] else '│  '}because: {e['because']}")
            for i, child in enumerate(node["premises"]):
                walk(child, child_prefix, i == len(node["premises"]) - 1, False)
        else:
            lines.append(f"{prefix}{branch}{_premise_line(node['premise'], companions)}")

    walk(explained["tree"], "  ", True, True)
    return "\n".join(lines)


def _ledger_category(decision: Mapping[str, Any], category: str) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """The ledger a decision read (its digest) and what it gave the rules for one category."""
    ledger = (decision.get("digests") or {}).get("ledger")
    if not ledger:
        raise DecisionFileError("this decision read no ledger", [Problem("no digests.ledger: its figures come from the dossier's facts", ("digests",))])
    given = next(
        (p["value"] for e in decision["trail"] for p in e.get("premises", ()) if p.get("path") == LEDGER_PATH and isinstance(p.get("value"), Mapping)),
        None,
    )
    categories = (given or {}).get("categories") or {}
    if category not in categories:
        raise DecisionFileError(
            f"the ledger gave no category {category!r} to this decision's rules",
            [Problem(f"categories: {', '.join(sorted(categories)) or 'none'}", ("trail",))],
        )
    return ledger, categories[category]


def ledger_lines(decision: Mapping[str, Any], category: str, fec: Path | None, folder: Path) -> dict[str, Any]:
    """The FEC lines behind one category of a decision, read again from the file the decision cites.

    `fec` is that file; by default, the name the decision recorded, in `folder` (the decision file's).
    """
    ledger, given = _ledger_category(decision, category)
    fec = fec or folder / ledger["file"]
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
