"""The applicant's report: a decision as one self-contained HTML page, to hand over or to print to PDF.

A certification body hands the applicant a document, not a JSON file. The page
shows the outcome and its meaning, the values reported (in the reader's
notation: engine/decision/locale.py), the findings, the versions applied and
why, the trail as a tree that opens step by step, each step with its rule, the
words of its clause quoted from the referential and the readings it applies
(looked up through engine/decision/explain.py, as `referee explain` does), and
the digests, the seal and, when given, the replay.

The page makes no request: its style and its few lines of script are inline.
Every text of the decision is escaped by the template engine (Jinja2 with
autoescaping on); the page's own words come from the locale's catalogue. A
step that several others rest on is shown once, where it is first met, and
linked to elsewhere; a long value (a table, a list of invoices) is shown once
in an appendix: the page grows linearly with the decision.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from jinja2 import Environment, PackageLoader, StrictUndefined

from engine.compilation.expressions import format_value
from engine.decision.explain import Explainer, companions_of, premise_name, version_label
from engine.decision.locale import LANGUAGES, Locale, is_scalar, unit_of
from engine.decision.model import FORMAT_1, Decision, Finding, Premise, RuleStep, VersionStep
from engine.errors import DecisionFileError

if TYPE_CHECKING:
    from engine.library import Library
    from engine.model.referential import ReferentialVersion

INLINE = 160  # a premise's value longer than this, written out, goes to the appendix
_REPLAY_STATUS = {"reproduced": "ok", "differing": "bad", "unverifiable": "warn"}  # how the page marks each verdict of a replay


class ReplayResult(Protocol):
    """What judging the decision again gave (engine/store/replay.py's `Replay`), as the page shows it.

    A protocol, not that class: the decision's views do not import the store that keeps decisions.
    """

    @property
    def verdict(self) -> str: ...  # reproduced | differing | unverifiable

    @property
    def row(self) -> int | None: ...  # the store's row judged again; None: the decision file, under the versions it names

    @property
    def difference(self) -> str | None: ...  # differing: the first difference

    @property
    def because(self) -> tuple[str, ...]: ...  # differing: the recorded digests that explain it

    @property
    def reason(self) -> str | None: ...  # unverifiable: why


@dataclass(frozen=True, slots=True)
class Provenance:
    """What a decision file does not say of itself, known to whoever kept it: who decided, when, and the replay."""

    evaluator: str | None = None
    decided_at: str | None = None  # an ISO date or timestamp
    replay: ReplayResult | None = None


class ReportRenderer:
    """The report's template, compiled once; `render` is then the per-decision work (a server holds one)."""

    def __init__(self) -> None:
        environment = Environment(
            loader=PackageLoader("engine.decision", "templates"), autoescape=True, undefined=StrictUndefined,
            trim_blocks=True, lstrip_blocks=True,
        )
        self.template = environment.get_template("report.html.j2")

    def render(
        self, decision: Decision, library: Library | None, *, lang: str | None = None, sealed: bool = True,
        provenance: Provenance = Provenance(),
    ) -> str:
        """The page for `decision`; `sealed` says its seal was checked (False: a /1 decision, which has none).

        `lang` defaults to the language of the scheme's referential when the report has its words, else English.
        """
        scheme_version = _scheme_version(decision, library)
        if lang is None:
            lang = scheme_version.language if scheme_version is not None and scheme_version.language in LANGUAGES else "en"
        locale = Locale(lang)
        page = _Builder(decision, Explainer(decision, library), locale).page(scheme_version, sealed, provenance)

        def word(key: str, **values: Any) -> str:
            return locale.word(key).format(**values)

        return self.template.render(page=page, word=word, lang=lang)


@functools.cache
def _renderer() -> ReportRenderer:
    return ReportRenderer()


def report_html(
    decision: Decision, library: Library | None, *, lang: str | None = None, sealed: bool = True, provenance: Provenance = Provenance(),
) -> str:
    """The report of `decision` as one HTML document (see ReportRenderer.render)."""
    return _renderer().render(decision, library, lang=lang, sealed=sealed, provenance=provenance)


def _scheme_version(decision: Decision, library: Library | None) -> ReferentialVersion | None:
    """The version of the decision's own scheme it applied (its titles and language), when the library holds it unchanged."""
    used = next((v for v in decision.versions if v.referential == decision.scheme), None)
    if used is None or library is None:
        return None
    found = Explainer(decision, library).version(used.referential, used.version, used.digest)
    return None if isinstance(found, str) else found


@dataclass
class _Builder:
    """Turns a decision into the plain data the template lays out, in the order of the page."""

    decision: Decision
    explainer: Explainer
    locale: Locale
    shown: set[str] = field(default_factory=set)  # steps laid out already: further on, a link
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)  # appendix: dossier facts, by name
    values: dict[tuple[str | None, str | None], dict[str, Any]] = field(default_factory=dict)  # appendix: referential values

    def page(self, scheme_version: ReferentialVersion | None, sealed: bool, provenance: Provenance) -> dict[str, Any]:
        decision = self.decision
        procedure = scheme_version.procedure(decision.procedure) if scheme_version is not None else None
        concluded = decision.concluded()
        trail = self.trail(concluded)  # first: it decides where each step and long value is shown
        return {
            "scheme": decision.scheme,
            "scheme_title": scheme_version.title if scheme_version is not None else None,
            "procedure": decision.procedure,
            "procedure_title": procedure.title if procedure is not None else None,
            "dossier_id": decision.dossier_id,
            "cycle_id": decision.cycle.get("id"),
            "cycle_anchor": self.locale.date(decision.cycle.get("anchor")),
            "event_date": self.locale.date(decision.event_date),
            "outcome": decision.outcome,
            "outcome_meaning": decision.outcome_meaning,
            "forced_version": decision.forced_version,
            "evaluator": provenance.evaluator,
            "decided_at": self.locale.moment(provenance.decided_at) if provenance.decided_at else None,
            "reported": [
                {"name": name, "value": self.shape(value, unit_of(name)), "step": _anchor(concluded[name].id) if name in concluded else None}
                for name, value in decision.values.items()
            ],
            "findings": [self.finding(f) for f in decision.findings],
            "versions": self.versions(),
            "trail": trail,
            "facts": list(self.facts.values()),
            "referential_values": list(self.values.values()),
            "digests": self.digests(),
            "seal": decision.to_json()["seal"] if sealed else None,
            "unsealed_format": None if sealed else FORMAT_1,
            "replay": self.replay(provenance.replay),
            "engine": decision.digests.engine,
        }

    def trail(self, concluded: Mapping[str, RuleStep]) -> dict[str, Any]:
        """The outcome's tree, then the trees of the other values reported, then the steps that raised the findings."""
        outcome = self.step(concluded["outcome"]) if "outcome" in concluded else self.refusal()
        others = [self.step(concluded[name]) for name in self.decision.values if name in concluded and concluded[name].id not in self.shown]
        raised = [self.decision.entry(f.trail) for f in self.decision.findings if f.trail]
        findings = [self.step(e) for e in raised if isinstance(e, RuleStep) and e.id not in self.shown]
        return {"outcome": outcome, "other": others, "findings": findings}

    def refusal(self) -> dict[str, Any] | None:
        """A cycle refused by the version selection (a repealed version) has no rule step: its reason is the selection's."""
        try:
            entry = self.explainer.tree("outcome")["tree"]["entry"]
        except DecisionFileError:  # no rule concluded the outcome, and no version refused the cycle: nothing to show
            return None
        return {
            "anchor": None, "id": None, "kind": "fact", "name": entry["name"], "value": self.shape(entry["value"]), "rule": entry["rule"],
            "title": None, "clause": entry.get("clause"), "version": entry.get("version"), "because": entry["because"],
            "provision": None, "readings": [], "unresolved": None, "children": [],
        }

    def step(self, entry: RuleStep) -> dict[str, Any]:
        """A step laid out with its quoted clause and readings, over its premises; a step met before is a link."""
        self.shown.add(entry.id)
        texts = self.explainer.texts(entry)
        children = []
        for premise in entry.premises:
            cited = self.explainer.cited(premise)
            if cited is None:
                children.append({"kind": "premise", **self.premise(premise)})
            elif cited.id in self.shown:
                children.append({"kind": "link", "anchor": _anchor(cited.id), "id": cited.id, "name": cited.name, "value": self.shape(cited.value, unit_of(cited.name))})
            else:
                children.append({"kind": "step", "step": self.step(cited)})
        return {
            "anchor": _anchor(entry.id), "id": entry.id, "kind": entry.kind, "name": entry.name,
            "value": self.shape(entry.value, unit_of(entry.name)), "rule": entry.rule, "title": entry.title, "clause": entry.clause,
            "version": version_label(entry.version, entry.section, companions_of(self.decision)), "because": entry.because,
            "provision": texts.get("provision"), "readings": texts.get("readings", []), "unresolved": texts.get("unresolved"),
            "children": children,
        }

    def premise(self, premise: Premise) -> dict[str, Any]:
        """What a step read from the dossier or the referential (or a section's version), its value inline when short."""
        resolved = self.explainer.premise(premise)
        name = premise_name(resolved)
        shown: dict[str, Any] = {"name": name, "value": None, "appendix": None, "selection": None, "unresolved": resolved.get("unresolved")}
        if premise.kind == "fact":
            shown["source"] = self.locale.word("dossier_fact").format(path=premise.path or "")
        elif premise.kind == "version":
            shown["source"] = self.locale.word("version_selection").format(section=premise.name)
            shown["selection"] = _anchor(premise.trail) if premise.trail else None
        else:
            version = version_label(premise.version, premise.section, companions_of(self.decision))
            shown["source"] = self.locale.word("referential_value").format(clause=premise.clause, version=version, section=premise.section)
        if "value" not in resolved:
            return shown
        value, unit = resolved["value"], premise.unit or (unit_of(premise.name) if premise.kind == "fact" else None)
        if is_scalar(value) or len(format_value(value)) <= INLINE:
            shown["value"] = self.shape(value, unit)
            return shown
        appendix = self.facts if premise.kind == "fact" else self.values
        key: Any = premise.name if premise.kind == "fact" else (premise.digest, premise.path)
        if key not in appendix:
            prefix = "fact" if premise.kind == "fact" else "value"
            appendix[key] = {"anchor": f"{prefix}-{len(appendix) + 1}", "name": name, "source": shown["source"], "value": self.shape(value, unit)}
        shown["appendix"] = appendix[key]["anchor"]
        return shown

    def finding(self, finding: Finding) -> dict[str, Any]:
        return {
            "severity": finding.severity, "severity_words": self.locale.term("severity", finding.severity), "code": finding.code,
            "message": finding.message, "clause": finding.clause, "rule": finding.rule,
            "step": _anchor(finding.trail) if finding.trail else None, "id": finding.trail,
        }

    def versions(self) -> list[dict[str, Any]]:
        """Each section's version, why, and the words of the clause that says so, when the version quotes it."""
        selection = {e.section: e.id for e in self.decision.trail if isinstance(e, VersionStep)}
        rows = []
        for used in self.decision.versions:
            provision = self.explainer.provision(used.referential, used.version, used.digest, used.clause)
            rows.append({
                "anchor": _anchor(selection[used.section]) if used.section in selection else None, "section": used.section,
                "referential": used.referential, "version": used.version, "mode": self.locale.term("mode", used.mode),
                "reason": used.reason, "clause": used.clause, "provision": provision, "digest": used.digest,
            })
        return rows

    def replay(self, replayed: ReplayResult | None) -> dict[str, Any] | None:
        """The replay's verdict, which decision was judged again and under what, and what differs or why it could not be judged."""
        if replayed is None:
            return None
        word = self.locale.word
        stored = replayed.row is not None
        where = word("replay_row").format(row=replayed.row) if stored else word("replay_not_stored")
        if replayed.reason is not None:  # it could not be judged again
            details = [replayed.reason]
        else:
            details = [word("replay_under_recorded") if stored else word("replay_under_named")]
        if replayed.difference is not None:
            details.append(word("replay_difference").format(difference=replayed.difference))
        details += [word("replay_because").format(because=b) for b in replayed.because]
        return {
            "status": _REPLAY_STATUS[replayed.verdict], "verdict": self.locale.term("verdict", replayed.verdict), "where": where, "details": details,
        }

    def digests(self) -> list[tuple[str, str]]:
        digests = self.decision.digests
        word = self.locale.word
        rows = [(word("digest_dossier"), digests.dossier)]
        if digests.rules:
            rows.append((word("digest_rules"), digests.rules))
        rows += list(digests.referentials.items())
        if digests.ledger:
            rows.append((f"{word('digest_ledger')} {digests.ledger.get('file', '')}", f"sha256:{digests.ledger.get('sha256', '')}"))
        rows += [(f"{word('digest_lock')} {label}", stamp.get("digest", "")) for label, stamp in digests.locks.items()]
        rows.append((word("digest_engine"), digests.engine))
        return rows

    def shape(self, value: Any, unit: str | None = None) -> dict[str, Any]:
        """A value as the template lays it out: a text, a list, a record (field: value) or rows of records.

        A unit applies to the numbers of a record whose fields carry none of their own (`gains_tco2e`:
        {sequestration: 532.6, …}); a field named with a unit has its own (`kgco2e` of a group).
        """
        if isinstance(value, Mapping):
            return {"kind": "record", "fields": [(str(k), self.shape(v, unit_of(str(k)) or unit)) for k, v in value.items()]}
        if isinstance(value, list | tuple):
            if not value:
                return {"kind": "text", "text": self.locale.word("none")}
            if all(isinstance(v, Mapping) for v in value):
                columns = list(dict.fromkeys(str(k) for v in value for k in v))
                rows = [[self.shape(v[c], unit_of(c)) if c in v else None for c in columns] for v in value]
                return {"kind": "rows", "columns": columns, "rows": rows}
            return {"kind": "list", "elements": [self.shape(v, unit) for v in value]}
        return {"kind": "text", "text": self.locale.scalar(value, unit)}


def _anchor(trail_id: str) -> str:
    """The id of a step's element in the page (trail ids hold letters, digits, ':' and '_')."""
    return "step-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in trail_id)
