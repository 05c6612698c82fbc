"""A procedure's ledger input: the FEC a dossier names, classified by the referential's account table.

A procedure that computes from a company's books declares `ledger:` in its
referential: which input fact receives the ledger, which table maps account
prefixes to categories, which parameter lists the account classes every
account of which must be mapped, and which lists the journals to skip
(opening entries). The dossier names the file (`ledger: FEC.txt`, relative to
the dossier). The engine reads it in one streaming pass (`fec.summarise_fec`)
and gives the rules totals per category, never lines: the memory of an
evaluation does not grow with the ledger.

A ledger that is not wholly usable (a malformed line, an unmapped account, a
wrong column set, an unbalanced file) stops the evaluation with every problem
and its line number: no decision is built on part of a ledger.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.adapters.fec import FecSummary, Totals, prefix_classifier, summarise_fec
from engine.errors import DossierError, Problem, ReferentialError
from engine.model.limits import DEFAULT_LIMITS, Limits, regular_file
from engine.model.referential import LedgerSpec


@dataclass(frozen=True)
class LedgerInput:
    """The ledger as the rules read it, and as the decision's digests cite it."""

    fact: dict[str, Any]
    digest: dict[str, Any]


def read_ledger(
    spec: LedgerSpec, scope: Mapping[str, Any], file: str, source: str, limits: Limits = DEFAULT_LIMITS, confined: bool = False
) -> LedgerInput:
    """Read the FEC `file` (a path relative to the dossier `source`) for the rules.

    Only a regular file within the size limit is read: not a device that never ends (`/dev/zero`), a
    pipe or a folder. `confined`: the file must lie within the dossier's folder (a server allows no other).
    """
    classify, skipped = _classifier(spec, scope)
    folder = Path(source).parent
    path = folder / file
    _readable(path, folder, file, source, limits, confined)
    try:
        summary = summarise_fec(path, classify, skip_journals=skipped)
    except OSError as exc:
        raise DossierError(f"{source}: cannot read the ledger", [Problem(f"{path}: {exc.strerror or exc}", ("ledger",), source)]) from None
    if not summary.valid:
        raise DossierError(
            f"{source}: the ledger {file} cannot be used ({summary.faults()}); no account is computed from part of a ledger",
            _problems(summary, spec, str(path)),
        )
    return LedgerInput(
        fact={
            "file": file,
            "sha256": summary.sha256,
            "lines": summary.lines,
            "categories": {
                name: {**_figures(t), "accounts": list(summary.category_accounts[name])} for name, t in summary.categories.items()
            },
            "skipped_journals": {name: _figures(t) for name, t in summary.skipped_journals.items()},
            "out_of_scope": {name: _figures(t) for name, t in summary.out_of_scope.items()},
        },
        digest={"file": file, "sha256": summary.sha256, "lines": summary.lines, "skip_journals": sorted(skipped)},
    )


def _readable(path: Path, folder: Path, file: str, source: str, limits: Limits, confined: bool) -> None:
    def refused(message: str) -> DossierError:
        return DossierError(f"{source}: the ledger {file} is not read: {message}", [Problem(message, ("ledger",), source)])

    if confined and not path.resolve().is_relative_to(folder.resolve()):
        raise refused(f"it lies outside the dossier's folder {folder}, and ledgers are confined to it")
    try:
        regular_file(path, limits.ledger_bytes, "ledger_bytes", DossierError)
    except DossierError as exc:
        raise refused(exc.message) from None


def _classifier(spec: LedgerSpec, scope: Mapping[str, Any]) -> tuple[Any, list[str]]:
    tables, params = scope["tables"], scope["params"]
    missing = [f"table {spec.accounts}"] if spec.accounts not in tables else []
    missing += [f"parameter {name}" for name in (spec.in_scope, spec.skip_journals) if name and name not in params]
    if missing:
        raise ReferentialError("the procedure's ledger block names what its sections do not define", [Problem(m, ("ledger",)) for m in missing])
    try:
        classify = prefix_classifier(account_mapping(tables[spec.accounts]), params[spec.in_scope])
    except (ValueError, TypeError) as exc:
        raise ReferentialError(f"table {spec.accounts} is not an account mapping", [Problem(str(exc))]) from None
    return classify, list(params[spec.skip_journals]) if spec.skip_journals else []


def account_mapping(rows: Mapping[str, Any]) -> dict[str, Any]:
    """Account prefix -> category, from the rows of a ledger block's account table (`{category: NAME or null}`)."""
    return {prefix: row.get("category") if isinstance(row, Mapping) else row for prefix, row in rows.items()}


def _figures(t: Totals) -> dict[str, Any]:
    """A category's totals as numbers the rules compute with (euros to the cent are exact in a double's range)."""
    return {
        "lines": t.lines,
        "debit": float(t.debit),
        "credit": float(t.credit),
        "net": float(t.net),
        "first_line": t.first_line,
        "last_line": t.last_line,
    }


def _problems(summary: FecSummary, spec: LedgerSpec, file: str) -> list[Problem]:
    problems = [p.as_problem(file) for p in summary.problems]
    for u in summary.unmapped.values():
        where = ", ".join(map(str, u.first_lines)) + (", …" if u.totals.lines > len(u.first_lines) else "")
        lines = f"1 line (line {where})" if u.totals.lines == 1 else f"{u.totals.lines} lines (lines {where})"
        problems.append(
            Problem(
                f"account {u.account} {u.label!r} is in scope but table {spec.accounts} gives it no category: {lines}, net {u.totals.net}",
                (),
                file,
                u.first_lines[0] if u.first_lines else None,
            )
        )
    problems.sort(key=lambda p: (p.line is None, p.line or 0))  # in file order; whole-file problems last
    if summary.problems_not_listed:
        problems.append(Problem(f"… and {summary.problems_not_listed} more problem(s) of the same file", (), file))
    if summary.unmapped_lines_not_listed:
        problems.append(Problem(f"… and {summary.unmapped_lines_not_listed} line(s) of other unmapped accounts", (), file))
    return problems
