"""Companion referentials (engine/assembly.py `with_companions`, engine/checks.py `check_companion`).

A framework scheme (a decree) has procedures that read sections of a companion scheme (one of its
methods), which the dossier names under `companions.<role>`. The tests build their own tiny tree in a
scratch copy, so that they do not depend on the Label bas carbone data:

- `test-frame` 2024-01-01: procedure `quantify` (section `credits`), which reads the sections
  `method` and `method_verification` of a method, and defines `params.fee_rate` itself;
- `test-frame-alpha`, a method of test-frame: 2020-01-01 and 2025-01-01 (repealed on 2027-01-01),
  each with `method` (pinned) and `method_verification` (event_date);
- `test-frame-tool`, a companion of test-frame in another role (`tool`).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from conftest import BC, bc_example_dossier, flat, rule_folder, unwrapped, write_version, unlined

from engine import Library
from engine.authoring.checks import Report, validate_paths
from engine.model.dossier import read_dossier
from engine.errors import DossierError, ReferentialError
from engine.decision.model import REPEALED_OUTCOME
from engine.running.runtimes import durable as durable_module
from engine.running.runtimes.durable import DurableRuntime

FRAME = "test-frame"
ALPHA = "test-frame-alpha"
TOOL = "test-frame-tool"
F1 = "2024-01-01"
A1, A2 = "2020-01-01", "2025-01-01"
D = dt.date


@pytest.fixture(autouse=True)
def fresh_shared(monkeypatch: pytest.MonkeyPatch) -> DurableRuntime:
    """Each test evaluates with its own durable runtime (the shared one may hold another tree's rule book)."""
    fresh = DurableRuntime()
    monkeypatch.setattr(durable_module, "_shared", fresh)
    return fresh


# --- the tiny tree -----------------------------------------------------------------------------------------------


def provisions(*ids: str) -> list[dict[str, Any]]:
    return [{"id": i, "title": f"provision {i}", "status": "encoded"} for i in ids]


def frame_document() -> dict[str, Any]:
    return {
        "scheme": FRAME,
        "id": F1,
        "title": "Test decree",
        "publisher": "tests",
        "language": "en",
        "published_on": F1,
        "in_force_from": F1,
        "supersedes": None,
        "illustrative": True,
        "sources": [{"id": "decree", "title": "the decree", "provisions": provisions("art. 1", "art. 2", "art. 3", "art. 4")}],
        "changes": [],
        "sections": {
            "credits": {
                "title": "Credits of a project",
                "time_policy": {"mode": "pinned", "clause": "art. 4"},
                "parameters": {"fee_rate": {"value": 2.0, "unit": "EUR per credit", "clause": "art. 2"}},
                "procedures": {
                    "quantify": {
                        "title": "Quantification and verification of credits",
                        "clause": "art. 1",
                        "companions": {"method": ["method", "method_verification"]},
                        "rules": ["quantify.yaml"],
                        "input": {
                            "tonnes": {"type": "number", "required": True, "min": 0},
                            "species": {"type": "string", "required": True},
                        },
                        "input_checks": [
                            {
                                "check": "facts.species in params.eligible_species.map(s, s.species)",
                                "input": "species",
                                "message": "{facts.species} is not a species of this method",
                                "clause": "art. 2",
                            }
                        ],
                        "outcomes": {"verified": "the credits are verified", "rejected": "too few credits to verify"},
                        "values": ["credits", "fee", "method_version"],
                    }
                },
            }
        },
    }


FRAME_RULES = {
    "scheme": FRAME,
    "title": "Quantification (test)",
    "rules": [
        {
            "id": "credits.amount",
            "title": "Credits: tonnes times the method's rate and species factor",
            "clause": "art. 2",
            "then": {
                "fact": "credits",
                "value": "facts.tonnes * params.sequestration_rate * lookup(tables.species_factors, facts.species).factor",
            },
            "because": "{facts.tonnes} t at the method's rate give {value} credits.",
        },
        {
            "id": "credits.fee",
            "title": "Fee",
            "clause": "art. 2",
            "then": {"fact": "fee", "value": "facts.credits * params.fee_rate"},
            "because": "{facts.credits} credits cost {value}.",
        },
        {
            "id": "credits.method-version",
            "title": "The method version the credits are quantified under",
            "clause": "art. 2",
            "then": {"fact": "method_version", "value": "versions.method"},
            "because": "Quantified under method version {value}.",
        },
        {
            "id": "credits.verified",
            "title": "Enough credits",
            "clause": "art. 3",
            "when": "facts.credits >= params.verification_threshold",
            "then": {"outcome": "verified"},
            "because": "{facts.credits} credits reach the threshold of {params.verification_threshold}.",
        },
        {
            "id": "credits.rejected",
            "title": "Too few credits",
            "clause": "art. 3",
            "when": "facts.credits < params.verification_threshold",
            "then": {"outcome": "rejected"},
            "because": "{facts.credits} credits stay below the threshold of {params.verification_threshold}.",
        },
    ],
}


def alpha_document(version_id: str, *, rate: float, threshold: float, beech: float, supersedes: str | None = None,
                   repealed_on: str | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "scheme": ALPHA,
        "id": version_id,
        "title": f"Method alpha, version {version_id}",
        "publisher": "tests",
        "language": "en",
        "published_on": version_id,
        "in_force_from": version_id,
        "supersedes": supersedes,
        "illustrative": True,
        "framework": {"scheme": FRAME, "role": "method"},
        "sources": [{"id": "alpha", "title": "method alpha", "provisions": provisions("alpha §1", "alpha §2", "alpha §3", "alpha §4", "alpha §5")}],
        "changes": [],
        "sections": {
            "method": {
                "title": "Quantification",
                "time_policy": {"mode": "pinned", "clause": "alpha §1"},
                "parameters": {
                    "sequestration_rate": {"value": rate, "unit": "credits per tonne", "clause": "alpha §2"},
                    "eligible_species": {
                        "value": [{"species": "oak", "clause": "alpha §3"}, {"species": "beech", "clause": "alpha §3"}],
                        "unit": "list of {species, clause}",
                        "clause": "alpha §2",
                    },
                },
                "tables": {
                    "species_factors": {
                        "key": "species",
                        "rows": {"oak": {"factor": 1.0, "clause": "alpha §4"}, "beech": {"factor": beech, "clause": "alpha §4"}},
                        "clause": "alpha §2",
                    }
                },
            },
            "method_verification": {
                "title": "Verification",
                "time_policy": {"mode": "event_date", "clause": "alpha §1"},
                "parameters": {"verification_threshold": {"value": threshold, "unit": "credits", "clause": "alpha §5"}},
            },
        },
    }
    if repealed_on:
        document.update(repealed_on=repealed_on, repeal_clause="alpha §1")
    return document


def alpha_v1() -> dict[str, Any]:
    return alpha_document(A1, rate=0.5, threshold=100.0, beech=0.5)


def alpha_v2() -> dict[str, Any]:
    document = alpha_document(A2, rate=0.8, threshold=50.0, beech=0.9, supersedes=A1, repealed_on="2027-01-01")
    document["changes"] = [  # what it changes against alpha_v1: validate checks the log
        {"where": "sequestration_rate", "change": "0.5 → 0.8"}, {"where": "verification_threshold", "change": "100 → 50"},
        {"where": "species_factors.beech", "change": "factor 0.5 → 0.9"}, {"where": "repealed_on", "change": "repealed on 2027-01-01, by alpha §1"},
    ]
    return document


def tool_document() -> dict[str, Any]:
    return {
        "scheme": TOOL,
        "id": A1,
        "title": "A tool of the test decree",
        "publisher": "tests",
        "language": "en",
        "published_on": A1,
        "in_force_from": A1,
        "supersedes": None,
        "illustrative": True,
        "framework": {"scheme": FRAME, "role": "tool"},
        "sources": [{"id": "tool", "title": "the tool", "provisions": provisions("tool §1")}],
        "changes": [],
        "sections": {"tool": {"title": "Tool", "parameters": {"tool_rate": {"value": 1.0, "unit": "1", "clause": "tool §1"}}}},
    }


def put(root: Path, document: dict[str, Any]) -> Path:
    (root / "referentials" / document["scheme"]).mkdir(parents=True, exist_ok=True)
    return write_version(root, document["scheme"], document)


def put_rules(root: Path, rules: dict[str, Any]) -> Path:
    path = rule_folder(root, FRAME, F1) / "quantify.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(rules, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def tree(scratch: Path) -> Path:
    """The scratch copy, with the tiny framework and its companions (and without the Label bas carbone data)."""
    for folder in ("referentials", "rules"):
        for path in (scratch / folder).glob("label-bas-carbone*"):
            shutil.rmtree(path)
    put(scratch, frame_document())
    put_rules(scratch, FRAME_RULES)
    put(scratch, alpha_v1())
    put(scratch, alpha_v2())
    put(scratch, tool_document())
    return scratch


def dossier(anchor: str, event: str, *, companions: Any = None, tonnes: float = 150.0, species: str = "oak",
            **envelope: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "scheme": FRAME,
        "procedure": "quantify",
        "dossier_id": "test-quantify",
        "cycle": {"anchor": anchor},
        "event_date": event,
        "companions": {"method": ALPHA} if companions is None else companions,
        "facts": {"tonnes": tonnes, "species": species},
    }
    if companions is False:
        del document["companions"]
    document.update(envelope)
    return document


def judge(root: Path, document: dict[str, Any], **options: Any) -> dict[str, Any]:
    return Library.open(root).evaluate(read_dossier(document, "dossier.yaml"), **options).to_json()


def selected(decision: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    return {v["section"]: (v["referential"], v["version"], v["mode"]) for v in decision["versions"]}


def write_dossier(root: Path, document: dict[str, Any], name: str = "dossier.yaml") -> Path:
    path = root / name
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def report_of(root: Path, scheme: str, version_id: str) -> Report:
    [report] = validate_paths(Library.open(root), [root / "referentials" / scheme / f"{version_id}.yaml"])
    return report


def messages(report: Report) -> list[str]:
    return [p.message for p in report.problems]


def refused(result: Any) -> str:
    """The output of a command that must fail cleanly with exit status 1."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in unlined(result.output) and "internal error" not in unlined(result.output)
    return result.output


# --- which version of the companion: its own rules of time ----------------------------------------------------------


@pytest.mark.parametrize(
    ("anchor", "event", "method", "verification", "outcome", "credits"),
    [
        # a cycle of the first method version: both sections from it
        ("2024-03-01", "2024-06-01", (A1, "pinned"), (A1, "event_date"), "rejected", 75.0),
        # the revised method in force on the event: verification follows it, quantification stays pinned
        ("2024-03-01", "2025-06-01", (A1, "pinned"), (A2, "event_date"), "verified", 75.0),
        ("2024-03-01", "2024-12-31", (A1, "pinned"), (A1, "event_date"), "rejected", 75.0),
        # a cycle anchored under the revised method: both from it
        ("2025-01-01", "2025-06-01", (A2, "pinned"), (A2, "event_date"), "verified", 120.0),
    ],
)
def test_companion_sections_follow_the_rules_of_time_of_their_own_versions(
    tree: Path, anchor: str, event: str, method: tuple[str, str], verification: tuple[str, str], outcome: str, credits: float
) -> None:
    decision = judge(tree, dossier(anchor, event))
    assert selected(decision) == {
        "credits": (FRAME, F1, "pinned"),
        "method": (ALPHA, *method),
        "method_verification": (ALPHA, *verification),
    }
    assert (decision["outcome"], decision["values"]["credits"]) == (outcome, credits)
    assert decision["values"]["method_version"] == method[0]
    assert decision["forced_version"] is None
    assert decision["findings"] == []


def test_the_reasons_of_a_companion_selection(tree: Path) -> None:
    decision = judge(tree, dossier("2024-03-01", "2025-06-01"))
    reasons = {v["section"]: (v["clause"], v["reason"]) for v in decision["versions"]}
    assert reasons["method"] == (
        "alpha §1",
        f"version {A1} was in force on the cycle anchor 2024-03-01 (from {A1}); section 'method' is pinned to the cycle; "
        f"version {A2} (in force from {A2}) applies from the next cycle (its alpha §1)",
    )
    assert reasons["method_verification"] == (
        "alpha §1",
        f"version {A2} (in force from {A2}) declares that section 'method_verification' follows the event date; "
        "it is in force on the event date 2025-06-01",
    )
    opening = [(e["id"], e["version"], e["mode"]) for e in decision["trail"] if e["kind"] == "version-selection"]
    assert opening == [("version:credits", F1, "pinned"), ("version:method", A1, "pinned"), ("version:method_verification", A2, "event_date")]


def test_a_companion_named_with_its_scheme_in_a_mapping_is_the_same(tree: Path) -> None:
    short = judge(tree, dossier("2024-03-01", "2025-06-01"))
    long = judge(tree, dossier("2024-03-01", "2025-06-01", companions={"method": {"scheme": ALPHA}}))
    assert selected(long) == selected(short) and long["values"] == short["values"]


def test_forcing_the_framework_version_does_not_force_the_companion(tree: Path) -> None:
    decision = judge(tree, dossier("2024-03-01", "2025-06-01"), version=F1)
    assert decision["forced_version"] == F1
    assert selected(decision) == {
        "credits": (FRAME, F1, "forced"),
        "method": (ALPHA, A1, "pinned"),
        "method_verification": (ALPHA, A2, "event_date"),
    }


# --- a companion version named by the dossier --------------------------------------------------------------------


def test_a_companion_version_named_by_the_dossier_is_forced_with_a_warning(tree: Path) -> None:
    named = {"method": {"scheme": ALPHA, "version": A2}}
    decision = judge(tree, dossier("2024-03-01", "2024-06-01", companions=named))
    assert selected(decision) == {
        "credits": (FRAME, F1, "pinned"),
        "method": (ALPHA, A2, "forced"),
        "method_verification": (ALPHA, A2, "forced"),
    }
    assert decision["forced_version"] is None  # the framework's version is not forced
    assert decision["values"]["credits"] == 120.0
    reasons = {v["section"]: v["reason"] for v in decision["versions"]}
    assert reasons["method"] == f"version {A2} was forced by the dossier (companions.method.version)"
    warnings = [(f["code"], f["severity"], f["message"]) for f in decision["findings"]]
    assert warnings == [
        ("VERSION_FORCED", "warning",
         f"method {ALPHA}: version {A2} was forced for section 'method', which the rules of time give to version {A1}: "
         f"version {A1} was in force on the cycle anchor 2024-03-01 (from {A1}); section 'method' is pinned to the cycle"),
        ("VERSION_FORCED", "warning",
         f"method {ALPHA}: version {A2} was forced for section 'method_verification', which the rules of time give to version {A1}: "
         f"section 'method_verification' follows the event date; version {A1} (in force from {A1}) is the latest version "
         "defining it in force on the event date 2024-06-01"),
    ]


def test_naming_the_companion_version_the_rules_of_time_choose_gives_no_warning(tree: Path) -> None:
    decision = judge(tree, dossier("2025-03-01", "2025-06-01", companions={"method": {"scheme": ALPHA, "version": A2}}))
    assert selected(decision)["method"] == (ALPHA, A2, "forced")
    assert decision["findings"] == []


def test_naming_a_repealed_companion_version_warns_and_decides(tree: Path) -> None:
    decision = judge(tree, dossier("2027-03-01", "2027-06-01", companions={"method": {"scheme": ALPHA, "version": A2}}))
    assert decision["outcome"] == "verified"
    [warning] = [f["message"] for f in decision["findings"]]
    assert warning.startswith(f"method {ALPHA}: version {A2} was forced; without it: version {A2} of {ALPHA} was repealed on 2027-01-01")


def test_an_unknown_companion_version_is_named_under_companions(tree: Path) -> None:
    with pytest.raises(DossierError) as raised:
        judge(tree, dossier("2024-03-01", "2024-06-01", companions={"method": {"scheme": ALPHA, "version": "2030-01-01"}}))
    assert raised.value.message == f"dossier.yaml: unknown version '2030-01-01' of {ALPHA}"
    assert [(p.path, p.message) for p in raised.value.problems] == [
        (("companions", "method", "version"), f"known versions: {A1}, {A2}")
    ]


# --- repeal of the companion ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("anchor", ["2027-01-01", "2028-06-01"])
def test_a_companion_repealed_on_or_before_the_anchor_refuses_the_cycle(tree: Path, anchor: str) -> None:
    decision = judge(tree, dossier(anchor, "2028-07-01"))
    refusal = (
        f"version {A2} of {ALPHA} was repealed on 2027-01-01 and no version replaces it: it governs no cycle "
        f"anchored on {anchor}; cycles anchored before the repeal keep it"
    )
    assert decision["outcome"] == REPEALED_OUTCOME
    assert decision["findings"] == [{"code": "VERSION_REPEALED", "severity": "error", "message": refusal, "clause": "alpha §1", "rule": None}]
    assert decision["values"] == {}
    assert [(v["section"], v["referential"], v["version"], v["mode"]) for v in decision["versions"]] == [(None, ALPHA, A2, "repealed")]
    assert decision["trail"][0]["because"] == refusal
    assert decision["trail"][0]["clause"] == "alpha §1"
    assert decision["digests"]["rules"] is None
    assert list(decision["digests"]["referentials"]) == [f"{ALPHA} {A2}"]


def test_a_companion_repealed_after_the_anchor_keeps_serving_the_cycle(tree: Path) -> None:
    decision = judge(tree, dossier("2026-12-31", "2027-06-01"))
    assert decision["outcome"] == "verified"
    assert selected(decision)["method"] == (ALPHA, A2, "pinned")
    assert not any(f["code"] == "VERSION_REPEALED" for f in decision["findings"])


def test_a_companion_refusal_still_validates_the_facts(tree: Path) -> None:
    with pytest.raises(DossierError) as raised:
        judge(tree, dossier("2027-01-01", "2027-02-01", tonnes="many"))  # type: ignore[arg-type]
    assert [p.path for p in raised.value.problems] == [("facts", "tonnes")]


# --- dossiers that name no companion, or a wrong one -------------------------------------------------------------------


def test_a_missing_companion_is_refused(tree: Path, cli: Callable[..., Any]) -> None:
    path = write_dossier(tree, dossier("2024-03-01", "2024-06-01", companions=False))
    output = refused(cli("evaluate", path, root=tree))
    assert f"invalid dossier: {path}: procedure 'quantify' reads a method: name it under companions.method" in unlined(output)
    assert f"{path} $.companions.method: required: {{method: SCHEME}} with one of: {ALPHA}" in unlined(output)


def test_a_role_the_procedure_does_not_take_is_refused(tree: Path, cli: Callable[..., Any]) -> None:
    path = write_dossier(tree, dossier("2024-03-01", "2024-06-01", companions={"method": ALPHA, "tool": TOOL}))
    output = refused(cli("evaluate", path, root=tree))
    assert f"invalid dossier: {path}: procedure 'quantify' takes no companion 'tool'" in unlined(output)
    assert f"{path} $.companions.tool: known roles: method" in unlined(output)


def test_a_procedure_without_companions_takes_none(tree: Path) -> None:
    with pytest.raises(DossierError) as raised:
        Library.open(tree).evaluate(bc_example_dossier("2024-03-04", "2024-05-21", companions={"method": ALPHA})).to_json()
    assert raised.value.message == "dossier.yaml: procedure 'audit' takes no companion 'method'"
    assert [(p.path, p.message) for p in raised.value.problems] == [(("companions", "method"), "known roles: none")]


@pytest.mark.parametrize("named", [TOOL, BC, "no-such-scheme"])
def test_a_scheme_that_is_not_a_companion_in_that_role_is_refused(tree: Path, cli: Callable[..., Any], named: str) -> None:
    path = write_dossier(tree, dossier("2024-03-01", "2024-06-01", companions={"method": named}))
    output = refused(cli("evaluate", path, root=tree))
    assert f"invalid dossier: {path}: '{named}' is not a companion of {FRAME} in the role method" in unlined(output)
    assert f"{path} $.companions.method: known: {ALPHA}" in unlined(output)


def test_a_scheme_whose_versions_do_not_all_declare_the_framework_is_no_companion(tree: Path) -> None:
    lone = alpha_v2()
    del lone["framework"]
    lone["changes"].append({"where": "framework", "change": "no longer a method of the test decree"})
    put(tree, lone)
    with pytest.raises(ReferentialError) as raised:  # the framework's rules read values no companion now holds
        judge(tree, dossier("2024-03-01", "2024-06-01"))
    assert raised.value.message == f"{FRAME} has versions that `referee validate` rejects: no dossier is judged under them"
    assert "rule credits.amount reads params.sequestration_rate, which procedure quantify of 2024-01-01 does not define" in [p.message for p in raised.value.problems]
    report = report_of(tree, ALPHA, A2)
    assert messages(report) == [f"the versions of a scheme declare the same framework, or none: {A1}: method of {FRAME}; {A2}: none"]
    assert report.problems[0].path == ("framework",)


@pytest.mark.parametrize(
    ("named", "path", "words"),
    [
        ({"method": {"version": A1}}, "$.companions.method", "must be a scheme id, or {scheme: ID, version: ID}; got {'version': '2020-01-01'}"),
        ({"method": ""}, "$.companions.method", "must be a scheme id, or {scheme: ID, version: ID}; got ''"),
        ({"method": 42}, "$.companions.method", "must be a scheme id, or {scheme: ID, version: ID}; got 42"),
        ({"method": {"scheme": ALPHA, "edition": "2"}}, "$.companions.method", "must be a scheme id, or {scheme: ID, version: ID}"),
        ({"Method": ALPHA}, "$.companions.Method", "value does not match regex"),
    ],
)
def test_a_malformed_companions_envelope_is_refused(tree: Path, cli: Callable[..., Any], named: Any, path: str, words: str) -> None:
    file = write_dossier(tree, dossier("2024-03-01", "2024-06-01", companions=named))
    output = refused(cli("evaluate", file, root=tree))
    assert f"invalid dossier: {file} is not a valid dossier" in unlined(output)
    assert f"{file} {path}" in unlined(output) and words in unlined(output)


# --- the decision ----------------------------------------------------------------------------------------------------


def test_the_decision_lists_the_companion_versions_and_their_digests(tree: Path) -> None:
    decision = judge(tree, dossier("2024-03-01", "2025-06-01"))
    library = Library.open(tree)
    digest = {(v.scheme, v.id): v.digest for s in (FRAME, ALPHA) for v in library.versions(s)}
    assert [(v["section"], v["referential"], v["version"], v["digest"]) for v in decision["versions"]] == [
        ("credits", FRAME, F1, digest[FRAME, F1]),
        ("method", ALPHA, A1, digest[ALPHA, A1]),
        ("method_verification", ALPHA, A2, digest[ALPHA, A2]),
    ]
    assert decision["digests"]["referentials"] == {
        f"{FRAME} {F1}": digest[FRAME, F1],
        f"{ALPHA} {A1}": digest[ALPHA, A1],
        f"{ALPHA} {A2}": digest[ALPHA, A2],
    }


def test_the_trail_cites_companion_values_with_their_version_and_section(tree: Path) -> None:
    decision = judge(tree, dossier("2024-03-01", "2025-06-01"))
    entries = {e.get("name"): e for e in decision["trail"] if e["kind"] == "fact"}
    credits = entries["credits"]
    assert (credits["rule"], credits["version"], credits["section"]) == ("credits.amount", F1, "credits")  # the rule is the framework's
    digest = {v["section"]: v["digest"] for v in decision["versions"]}
    assert {"kind": "parameter", "name": "sequestration_rate", "path": "/sections/method/parameters/sequestration_rate", "value": 0.5,
            "unit": "credits per tonne", "clause": "alpha §2", "version": A1, "section": "method", "digest": digest["method"]} in credits["premises"]
    table = next(p for p in credits["premises"] if p["kind"] == "table")  # cited by its version's digest and its path, not copied
    assert table == {"kind": "table", "name": "species_factors", "path": "/sections/method/tables/species_factors", "clause": "alpha §2",
                     "version": A1, "section": "method", "digest": digest["method"]}
    outcome = entries["outcome"]
    threshold = next(p for p in outcome["premises"] if p.get("name") == "verification_threshold")
    assert (threshold["value"], threshold["version"], threshold["section"]) == (50.0, A2, "method_verification")
    edition = next(p for p in entries["method_version"]["premises"] if p["kind"] == "version")
    assert edition == {"kind": "version", "name": "method", "trail": "version:method", "value": A1}
    assert next(e for e in decision["trail"] if e["id"] == "version:method")["clause"] == "alpha §1"


def test_an_input_check_reads_the_companion(tree: Path) -> None:
    with pytest.raises(DossierError) as raised:
        judge(tree, dossier("2024-03-01", "2024-06-01", species="pine"))
    assert [(p.path, p.message) for p in raised.value.problems] == [
        (("facts", "species"), "pine is not a species of this method (art. 2)")
    ]


def test_both_runtimes_decide_alike_with_companions(tree: Path) -> None:
    document = dossier("2024-03-01", "2025-06-01")
    assert judge(tree, document, runtime="python") == judge(tree, document, runtime="durable-rules")


def test_explain_names_the_companion_version_of_a_premise(tree: Path, cli: Callable[..., Any]) -> None:
    path = write_dossier(tree, dossier("2024-03-01", "2025-06-01"))
    out = tree / "decision.json"
    assert cli("evaluate", path, "-o", out, root=tree).exit_code == 0
    result = cli("explain", out, "--fact", "method_version", root=tree)
    assert result.exit_code == 0, result.output
    text = unwrapped(result.stdout)
    assert flat(f"method_version = {A1}   [rule credits.method-version · art. 2 · version {F1}]") in flat(text)
    assert flat(f"versions.method = {A1}   [alpha §1 · version selection of section method]") in flat(text)
    assert f"  credits: {F1} (pinned) — " in text  # the framework's own sections are not prefixed
    assert f"  method: {ALPHA} {A1} (pinned) — " in text
    assert f"  method_verification: {ALPHA} {A2} (event_date) — " in text
    credits = cli("explain", out, "--fact", "credits", root=tree).stdout
    assert flat(f"params.sequestration_rate = 0.5 credits per tonne   [alpha §2 · version {ALPHA} {A1}, section method]") in flat(credits)
    as_json = json.loads(cli("explain", out, "--format", "json", root=tree).stdout)
    assert as_json["companions"] == {"method": ALPHA, "method_verification": ALPHA}


def test_evaluate_shows_the_companion_versions(tree: Path, cli: Callable[..., Any]) -> None:
    path = write_dossier(tree, dossier("2024-03-01", "2025-06-01"))
    result = cli("evaluate", path, root=tree)
    assert result.exit_code == 0, result.output
    assert f"  method: {ALPHA} {A1} (pinned) — " in unlined(result.stdout)
    assert f"  method_verification: {ALPHA} {A2} (event_date) — " in unlined(result.stdout)


# --- validate: the companion ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("scheme", "version_id"), [(FRAME, F1), (ALPHA, A1), (ALPHA, A2), (TOOL, A1)])
def test_the_tiny_tree_is_valid(tree: Path, scheme: str, version_id: str) -> None:
    report = report_of(tree, scheme, version_id)
    assert (messages(report), [w.message for w in report.warnings]) == ([], [])


def test_clauses_inside_parameter_values_and_table_rows_are_citations(tree: Path) -> None:
    # time policies 2, parameters 3 (+ 2 records), table 1 (+ 2 rows): 10
    assert report_of(tree, ALPHA, A1).coverage["citations"] == 10
    bare = alpha_v1()
    method = bare["sections"]["method"]
    for record in method["parameters"]["eligible_species"]["value"]:
        del record["clause"]
    for row in method["tables"]["species_factors"]["rows"].values():
        del row["clause"]
    put(tree, bare)
    report = report_of(tree, ALPHA, A1)
    assert report.coverage["citations"] == 6
    assert [w.message for w in report.warnings] == [
        "provision 'alpha §3' is marked encoded but nothing cites it",
        "provision 'alpha §4' is marked encoded but nothing cites it",
    ]


def test_an_unknown_clause_inside_a_parameter_value_or_a_table_row_is_reported(tree: Path) -> None:
    broken = alpha_v1()
    method = broken["sections"]["method"]
    method["parameters"]["eligible_species"]["value"][1]["clause"] = "alpha §9"
    method["tables"]["species_factors"]["rows"]["beech"]["clause"] = "alpha §10"
    put(tree, broken)
    report = report_of(tree, ALPHA, A1)
    assert [unlined(p.render()) for p in report.problems] == [
        f"{report.file} $.sections.method.parameters.eligible_species.value[1]: item 1 of parameter eligible_species cites "
        "'alpha §9', which is not a provision listed under sources",
        f"{report.file} $.sections.method.tables.species_factors.rows.beech: row beech of table species_factors cites "
        "'alpha §10', which is not a provision listed under sources",
    ]


def test_a_row_citing_a_provision_that_is_not_recoverable_is_reported(tree: Path) -> None:
    broken = alpha_v1()
    broken["sources"][0]["provisions"][3].update(status="not_recoverable", reason="lost")  # alpha §4
    put(tree, broken)
    assert messages(report_of(tree, ALPHA, A1)) == [
        "row oak of table species_factors cites 'alpha §4', whose content is not recoverable: it cannot be encoded",
        "row beech of table species_factors cites 'alpha §4', whose content is not recoverable: it cannot be encoded",
    ]


def test_a_companion_lacking_a_value_its_framework_reads_is_reported(tree: Path, cli: Callable[..., Any]) -> None:
    lacking = alpha_v2()
    del lacking["sections"]["method_verification"]["parameters"]["verification_threshold"]
    lacking["sections"]["method_verification"]["parameters"]["other"] = {"value": 1, "unit": "1", "clause": "alpha §5"}
    del lacking["sections"]["method"]["tables"]
    del lacking["sections"]["method"]["parameters"]["eligible_species"]
    lacking["changes"] = [e for e in lacking["changes"] if e["where"] != "species_factors.beech"] + [
        {"where": "other", "change": "added"}, {"where": "species_factors", "change": "removed"}, {"where": "eligible_species", "change": "removed"},
    ]
    put(tree, lacking)
    where = f"procedure quantify of {FRAME} {F1}"
    report = report_of(tree, ALPHA, A2)
    assert messages(report) == [
        f"lacks params.verification_threshold, which rule credits.verified of {where} reads",
        f"lacks params.verification_threshold, which rule credits.rejected of {where} reads",
        f"lacks params.eligible_species, which input check 0 of {where} reads",
        f"lacks tables.species_factors, which rule credits.amount of {where} reads",
    ]
    assert all(p.path == ("sections",) and p.file == report.file for p in report.problems)
    # a value the framework defines itself (params.fee_rate) is not asked of the method
    assert not any("fee_rate" in m for m in messages(report))
    result = cli("validate", tree / "referentials" / ALPHA, root=tree)
    assert result.exit_code == 1
    assert f"lacks params.verification_threshold, which rule credits.verified of {where} reads" in unlined(result.stdout)


def test_a_companion_lacking_a_section_its_framework_reads_is_reported(tree: Path) -> None:
    lacking = alpha_v2()
    del lacking["sections"]["method_verification"]
    lacking["sources"][0]["provisions"].pop()  # alpha §5, which nothing cites any more
    lacking["changes"] = [e for e in lacking["changes"] if e["where"] != "verification_threshold"] + [
        {"where": "method_verification", "change": "section removed"}, {"where": "alpha §5", "change": "no longer a provision of the method"},
    ]
    put(tree, lacking)
    assert messages(report_of(tree, ALPHA, A2)) == [
        f"procedure quantify of {FRAME} {F1} reads section(s) method_verification of a method, which this version lacks"
    ]


def test_a_companion_carries_data_only(tree: Path) -> None:
    carrying = alpha_v1()
    carrying["sections"]["method"]["rules"] = ["own.yaml"]
    carrying["sections"]["method_verification"]["procedures"] = copy.deepcopy(frame_document()["sections"]["credits"]["procedures"])
    del carrying["sections"]["method_verification"]["procedures"]["quantify"]["companions"]
    put(tree, carrying)
    problems = messages(report_of(tree, ALPHA, A1))
    assert "a method carries data only: section 'method' has rules or procedures" in problems
    assert "a method carries data only: section 'method_verification' has rules or procedures" in problems


def test_a_companion_of_a_scheme_not_in_the_tree_is_reported(tree: Path) -> None:
    stray = alpha_v1()
    stray["framework"]["scheme"] = "no-such-decree"
    stray["scheme"] = "stray-method"
    put(tree, stray)
    report = report_of(tree, "stray-method", A1)
    assert [(p.path, p.message) for p in report.problems] == [
        (("framework", "scheme"), "its framework 'no-such-decree' is not a scheme of this tree")
    ]


def test_a_companion_of_a_framework_that_does_not_load_is_checked_alone(tree: Path) -> None:
    (tree / "referentials" / FRAME / f"{F1}.yaml").write_text("scheme: [unclosed\n", encoding="utf-8")
    reports = validate_paths(Library.open(tree), [tree / "referentials" / ALPHA, tree / "referentials" / FRAME])
    assert [(Path(r.file).parent.name, r.valid) for r in reports] == [(ALPHA, True), (ALPHA, True), (FRAME, False)]


def test_a_framework_procedure_using_an_unknown_section_does_not_break_its_companions_check(tree: Path) -> None:
    frame = frame_document()
    frame["sections"]["credits"]["procedures"]["quantify"]["uses"] = ["nowhere"]
    put(tree, frame)
    assert report_of(tree, ALPHA, A1).valid
    assert messages(report_of(tree, FRAME, F1)) == ["procedure quantify uses unknown section(s) nowhere"]


# --- validate: the framework --------------------------------------------------------------------------------------------


def test_the_framework_reads_names_its_companions_define(tree: Path) -> None:
    """sequestration_rate, eligible_species, species_factors, verification_threshold, versions.method: all from the method."""
    report = report_of(tree, FRAME, F1)
    assert report.valid and report.coverage["rules"] == 5


def test_the_framework_reports_a_name_no_companion_defines(tree: Path) -> None:
    rules = copy.deepcopy(FRAME_RULES)
    rules["rules"].append({
        "id": "credits.bonus",
        "title": "A bonus no method defines",
        "clause": "art. 2",
        "then": {"fact": "bonus", "value": "params.nowhere + double(size(versions.tool))"},
        "because": "Bonus {value}.",
    })
    put_rules(tree, rules)
    report = report_of(tree, FRAME, F1)
    assert [unlined(p.render()) for p in report.problems] == [
        f"{rule_folder(tree, FRAME, F1) / 'quantify.yaml'} $.rules[5]: rule credits.bonus reads params.nowhere, which procedure quantify of {F1} does not define",
        f"{rule_folder(tree, FRAME, F1) / 'quantify.yaml'} $.rules[5]: rule credits.bonus reads versions.tool, which procedure quantify of {F1} does not define",
    ]
    # and each method is told it lacks it
    assert messages(report_of(tree, ALPHA, A1)) == [
        f"lacks params.nowhere, which rule credits.bonus of procedure quantify of {FRAME} {F1} reads"
    ]
