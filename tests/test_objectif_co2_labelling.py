"""Label Objectif CO₂: from the audit report to the committee's decision and the attestation.

The cases follow the labelling procedure of 24 May 2017
(shared/seeds/objectif-co2-labelling-procedure-2017-05-24.txt, §II.1 steps 4–5, §III.2, §V,
annex 1 cross-labelling) and the decisions of referentials/objectif-co2/2017-05-24.yaml
(corrective-deadline, non-conformity-lifted-in-time, committee-during-corrective-period,
committee-grant, cycle-period, cross-labelling-at-labelling); the version of 10 June 2016,
reconstructed from annex 4, gives the same decisions but a refusal without the 2017 notice and
without the date of a new application (not recoverable for 2016), and knows no cross-labelling.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pytest
import yaml
from conftest import OCO2, ROOT, finding_codes, judge

from engine import DossierError

V2016 = "2016-06-10"
V2017 = "2017-05-24"
ANCHOR = "2017-09-04"  # audit kick-off: the start of the cycle
REPORT = "2017-09-29"
ANCHOR_2016 = "2016-09-05"
REPORT_2016 = "2016-09-30"
REPORT_MINUS_ONE = "2017-09-28"
ALL_DECISIONS = ["grant", "request_information", "request_complementary_audit", "refuse"]
WITHOUT_GRANT = ["request_information", "request_complementary_audit", "refuse"]
NOTICE = [
    "motivated",
    "notified by registered letter with acknowledgement of receipt by the ministry in charge of transport",
    "mentions the routes and time limits of appeal",
]
GRANTS = [
    "an attestation of conformity to the référentiel of the Label Objectif CO₂",
    "the right to use the dated (« millésimé ») logo",
]
EXAMPLES = ROOT / "examples" / OCO2


# --- building dossiers ------------------------------------------------------------------------


def day(date: str, days: int) -> str:
    return (dt.date.fromisoformat(date) + dt.timedelta(days=days)).isoformat()


def nc(id: str = "NC-1", lifted_on: str | None = None) -> dict[str, Any]:
    """A non-conformity of the report, lifted by the auditor on `lifted_on` (None: open)."""
    return {"id": id, "kind": "non_conformity", "resolved_on": lifted_on, "text": f"{id}: fuel of the rented tractors missing from P0"}


def info(id: str = "CI-1", closed_on: str | None = None) -> dict[str, Any]:
    """An information request, closed on `closed_on` (None: maintained)."""
    return {"id": id, "kind": "information_request", "resolved_on": closed_on, "text": "fuel invoices of 2016"}


def weak(id: str = "PFa-1") -> dict[str, Any]:
    return {"id": id, "kind": "weak_point", "text": "load factor followed per month"}


def opportunity(id: str = "OA-1") -> dict[str, Any]:
    return {"id": id, "kind": "improvement_opportunity", "text": "telematics could feed the online tool"}


def strong(id: str = "PF-1") -> dict[str, Any]:
    return {"id": id, "kind": "strong_point", "text": "eco-driving training of every driver"}


def facts(
    findings: Iterable[dict[str, Any]] = (),
    *,
    report_on: str = REPORT,
    deadline: str | None = None,
    decision: str | None = None,
    reasons: str | None = None,
    exclusions: Iterable[str] = (),
    reference_period_start: str = "2016-01-01",
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "company": {"name": "Transports Béranger SAS", "address": "3 avenue du Président Kennedy, 87280 Limoges"},
        "reference_period_start": reference_period_start,
        "referentiel_version": "2016-03-18",
        "audit": {"auditor": "Philippe Rouvière", "report_on": report_on, "corrective_deadline": deadline},
        "findings": list(findings),
        "scope": {
            "sites": ["Limoges (87)", "Brive-la-Gaillarde (19)"],
            "vehicle_groups": ["Tractors 44 t", "Rigid trucks 26 t"],
            "exclusions": list(exclusions),
        },
    }
    if decision is not None:
        out["committee_decision"] = decision
    if reasons is not None:
        out["committee_reasons"] = reasons
    return out


def labelling(library, event: str, anchor: str = ANCHOR, **kwargs: Any) -> dict[str, Any]:
    return judge(library, "labelling", facts(**kwargs), anchor, event)


def labelling_2016(library, event: str, anchor: str = ANCHOR_2016, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("report_on", REPORT_2016)
    kwargs.setdefault("reference_period_start", "2015-01-01")
    return judge(library, "labelling", facts(**kwargs), anchor, event)


def version_of(decision: dict[str, Any]) -> dict[str, Any]:
    [entry] = [v for v in decision["versions"] if v["section"] == "labelling"]
    return entry


# Each version with its anchor and report date, for the rules both versions share.
BOTH = [
    pytest.param(ANCHOR_2016, REPORT_2016, V2016, id="2016-06-10"),
    pytest.param(ANCHOR, REPORT, V2017, id="2017-05-24"),
]


# --- corrective actions and the auditor's opinion ------------------------------------------------


def test_open_non_conformities_within_the_corrective_period_are_pending(library):
    decision = labelling(library, "2017-11-20", findings=[strong(), nc("NC-1"), nc("NC-2"), weak()], deadline="2017-12-15")
    assert decision["outcome"] == "corrective_actions_pending"
    assert decision["values"] == {
        "open_non_conformities": ["NC-1", "NC-2"],
        "late_liftings": [],
        "open_information_requests": [],
        "corrective_deadline": "2017-12-15",
        "auditor_opinion": "pending",
        "linked_to_refused_members": [],
        "possible_decisions": [],  # the report is not before the committee while the period runs
        "weak_points_to_follow": ["PFa-1: load factor followed per month"],
        "improvement_opportunities": [],
    }
    assert finding_codes(decision) == ["NON_CONFORMITY_OPEN", "NON_CONFORMITY_OPEN"]
    assert all(f["severity"] == "error" and f["clause"] == "§V non-conformities" for f in decision["findings"])
    assert decision["findings"][0]["message"] == "Non-conformity NC-1 is not lifted: NC-1: fuel of the rented tractors missing from P0"


@pytest.mark.parametrize("anchor, report, version", BOTH)
def test_event_on_the_deadline_is_pending_the_day_after_goes_to_the_committee_unfavourable(library, anchor, report, version):
    deadline = day(report, 60)
    on_deadline = judge(library, "labelling", facts([nc()], report_on=report, deadline=deadline), anchor, deadline)
    assert version_of(on_deadline)["version"] == version
    assert on_deadline["outcome"] == "corrective_actions_pending"
    assert on_deadline["values"]["auditor_opinion"] == "pending"

    day_after = judge(library, "labelling", facts([nc()], report_on=report, deadline=deadline), anchor, day(deadline, 1))
    assert day_after["outcome"] == "awaiting_committee"
    assert day_after["values"]["auditor_opinion"] == "unfavourable"
    assert day_after["values"]["possible_decisions"] == WITHOUT_GRANT
    assert day_after["values"]["corrective_deadline"] == deadline
    assert finding_codes(day_after) == ["NON_CONFORMITY_OPEN"]


@pytest.mark.parametrize("anchor, report, version", BOTH)
def test_corrective_period_of_exactly_90_days_is_kept(library, anchor, report, version):
    deadline = day(report, 90)
    decision = judge(library, "labelling", facts([nc()], report_on=report, deadline=deadline), anchor, deadline)
    assert decision["values"]["corrective_deadline"] == deadline
    assert "CORRECTIVE_PERIOD_CUT" not in finding_codes(decision)
    assert decision["outcome"] == "corrective_actions_pending"


@pytest.mark.parametrize("anchor, report, version", BOTH)
def test_corrective_period_of_91_days_is_cut_to_90(library, anchor, report, version):
    day_90, day_91 = day(report, 90), day(report, 91)
    on_day_90 = judge(library, "labelling", facts([nc()], report_on=report, deadline=day_91), anchor, day_90)
    assert on_day_90["values"]["corrective_deadline"] == day_90
    assert on_day_90["outcome"] == "corrective_actions_pending"
    [cut] = [f for f in on_day_90["findings"] if f["code"] == "CORRECTIVE_PERIOD_CUT"]
    assert cut["severity"] == "warning" and cut["clause"] == "§V corrective actions"
    assert cut["message"] == (
        f"The auditor's corrective period ends on {day_91}, more than 90 days after the report of {report}; it ends on {day_90}."
    )
    # on the 91st day the period the auditor set is over: the opinion is unfavourable
    on_day_91 = judge(library, "labelling", facts([nc()], report_on=report, deadline=day_91), anchor, day_91)
    assert on_day_91["outcome"] == "awaiting_committee"
    assert on_day_91["values"]["auditor_opinion"] == "unfavourable"
    assert sorted(finding_codes(on_day_91)) == ["CORRECTIVE_PERIOD_CUT", "NON_CONFORMITY_OPEN"]


def test_a_period_of_a_year_is_cut_to_90_days(library):
    decision = labelling(library, "2017-10-16", findings=[nc()], deadline="2018-09-29")
    assert decision["values"]["corrective_deadline"] == "2017-12-28"
    assert "CORRECTIVE_PERIOD_CUT" in finding_codes(decision)


@pytest.mark.parametrize("anchor, report, version", BOTH)
def test_without_a_date_set_the_company_benefits_from_the_whole_period(library, anchor, report, version):
    """§V: « l'entreprise bénéficie d'un délai d'une durée maximum de 90 jours établi par l'auditeur » — the period is
    the company's right; a report with a non-conformity and no date leaves it the longest, to the 90th day after the
    report (decision corrective-deadline). Day 90: still pending; day 91: the opinion is unfavourable."""
    day_90, day_91 = day(report, 90), day(report, 91)
    on_day_90 = judge(library, "labelling", facts([nc()], report_on=report), anchor, day_90)
    assert version_of(on_day_90)["version"] == version
    assert on_day_90["outcome"] == "corrective_actions_pending"
    assert on_day_90["values"]["corrective_deadline"] == day_90
    [not_set] = [f for f in on_day_90["findings"] if f["code"] == "CORRECTIVE_PERIOD_NOT_SET"]
    assert (not_set["severity"], not_set["clause"]) == ("info", "§V corrective actions")
    assert not_set["message"] == (
        "The report holds non-conformities and the auditor set no corrective period: the company benefits from the longest, "
        f"90 days, until {day_90}."
    )
    on_day_91 = judge(library, "labelling", facts([nc()], report_on=report), anchor, day_91)
    assert on_day_91["outcome"] == "awaiting_committee"
    assert on_day_91["values"]["auditor_opinion"] == "unfavourable"
    # the day after the report, no refusal can take the period away from the company
    too_soon = judge(library, "labelling", facts([nc()], report_on=report, decision="refuse", reasons="NC-1"), anchor, day(report, 1))
    assert too_soon["outcome"] == "decision_not_allowed"


def test_a_report_without_non_conformity_opens_no_period(library):
    decision = labelling(library, "2017-10-16", findings=[weak()], deadline="2017-11-30")
    assert "corrective_deadline" not in decision["values"]
    assert decision["values"]["auditor_opinion"] == "favourable"
    assert decision["findings"] == []


def test_favourable_report_goes_to_the_committee_with_its_four_decisions(library):
    decision = labelling(library, "2017-10-16", findings=[strong(), nc(lifted_on="2017-10-12"), info(closed_on="2017-10-02")], deadline="2017-12-01")
    assert decision["outcome"] == "awaiting_committee"
    assert decision["values"]["auditor_opinion"] == "favourable"
    assert decision["values"]["possible_decisions"] == ALL_DECISIONS
    assert decision["values"]["open_non_conformities"] == []
    assert decision["values"]["open_information_requests"] == []
    assert decision["findings"] == []
    for absent in ("attestation", "grants", "notice", "earliest_new_reference_period"):
        assert absent not in decision["values"]


def test_open_information_request_keeps_grant_out_of_the_committee_decisions(library):
    decision = labelling(library, "2017-10-16", findings=[info()])
    assert decision["outcome"] == "awaiting_committee"
    assert decision["values"]["auditor_opinion"] == "favourable"  # no non-conformity
    assert decision["values"]["open_information_requests"] == ["CI-1"]
    assert decision["values"]["possible_decisions"] == WITHOUT_GRANT
    [request] = decision["findings"]
    assert (request["code"], request["severity"]) == ("INFORMATION_REQUEST_OPEN", "warning")
    assert request["message"] == "Information request CI-1 is maintained: fuel invoices of 2016"


# --- the committee's decisions ---------------------------------------------------------------------------------------


def test_granted_attestation_carries_every_mention(library):
    decision = labelling(
        library,
        "2017-11-23",
        findings=[strong(), nc(lifted_on="2017-11-06"), weak(), opportunity()],
        deadline="2017-11-10",
        decision="grant",
        exclusions=["Light commercial vehicles under 3.5 t"],
    )
    assert decision["outcome"] == "granted"
    assert decision["values"]["attestation"] == {
        "beneficiary": "Transports Béranger SAS",
        "address": "3 avenue du Président Kennedy, 87280 Limoges",
        "logo": "Label Objectif CO₂",
        "auditor": "Philippe Rouvière",
        "referentiel": "Référentiel « Label Objectif CO₂ » du 18/03/2016",
        "procedure_version": V2017,
        "issued_on": "2017-11-23",
        "valid_from": "2017-11-23",
        "valid_until": "2020-11-22",
        "sites_and_activities": ["Limoges (87)", "Brive-la-Gaillarde (19)"],
        "vehicle_groups": ["Tractors 44 t", "Rigid trucks 26 t"],
        "exclusions": ["Light commercial vehicles under 3.5 t"],
    }
    assert decision["values"]["grants"] == GRANTS
    assert decision["values"]["weak_points_to_follow"] == ["PFa-1: load factor followed per month"]
    assert decision["values"]["improvement_opportunities"] == ["OA-1: telematics could feed the online tool"]
    assert decision["findings"] == []
    assert "notice" not in decision["values"] and "earliest_new_reference_period" not in decision["values"]


def test_procedure_version_of_the_attestation_is_read_from_the_version_selection(library):
    decision = labelling(library, "2017-11-23", decision="grant")
    [entry] = [e for e in decision["trail"] if e.get("name") == "attestation"]
    [premise] = [p for p in entry["premises"] if p["kind"] == "version"]
    assert premise == {"kind": "version", "name": "labelling", "trail": "version:labelling", "value": V2017}
    [selected] = [e for e in decision["trail"] if e["id"] == premise["trail"]]  # the selection entry says why
    assert selected["because"] == version_of(decision)["reason"]
    assert entry["clause"] == "§II.1 step 5 mentions"


@pytest.mark.parametrize(
    "anchor, report, event, valid_until",
    [
        pytest.param(ANCHOR, REPORT, "2017-11-23", "2020-11-22", id="ordinary-day"),
        pytest.param(ANCHOR, REPORT, "2017-12-31", "2020-12-30", id="new-year's-eve"),
        # a cycle anchored before 1 September 2019 (later ones fall under the version not encoded)
        pytest.param("2019-08-26", "2019-09-20", "2020-02-29", "2023-02-27", id="29-feb-anniversary-clamped-to-28-feb"),
        pytest.param(ANCHOR_2016, REPORT_2016, "2017-03-01", "2020-02-29", id="day-before-anniversary-is-29-feb"),
    ],
)
def test_attestation_valid_until_the_day_before_the_third_anniversary(library, anchor, report, event, valid_until):
    decision = labelling(library, event, anchor=anchor, report_on=report, decision="grant")
    attestation = decision["values"]["attestation"]
    assert (attestation["issued_on"], attestation["valid_from"], attestation["valid_until"]) == (event, event, valid_until)


def test_resolved_non_conformities_and_closed_requests_do_not_block(library):
    findings = [nc("NC-1", lifted_on="2017-10-30"), nc("NC-2", lifted_on="2017-11-15"), info("CI-1", closed_on="2017-10-05")]
    decision = labelling(library, "2017-11-23", findings=findings, deadline="2017-11-15", decision="grant")
    assert decision["outcome"] == "granted"
    assert decision["values"]["open_non_conformities"] == []
    assert decision["values"]["open_information_requests"] == []
    assert decision["findings"] == []


def test_weak_points_and_improvement_opportunities_are_listed_and_do_not_block(library):
    findings = [weak("PFa-1"), weak("PFa-2"), opportunity("OA-1")]
    decision = labelling(library, "2017-11-23", findings=findings, decision="grant")
    assert decision["outcome"] == "granted"
    assert decision["values"]["weak_points_to_follow"] == [
        "PFa-1: load factor followed per month",
        "PFa-2: load factor followed per month",
    ]
    assert decision["values"]["improvement_opportunities"] == ["OA-1: telematics could feed the online tool"]
    assert decision["values"]["possible_decisions"] == ALL_DECISIONS


@pytest.mark.parametrize(
    "findings",
    [pytest.param([], id="favourable-report"), pytest.param([info()], id="information-request-open")],
)
def test_committee_requests_information(library, findings):
    decision = labelling(library, "2017-11-23", findings=findings, decision="request_information")
    assert decision["outcome"] == "information_requested"
    for absent in ("attestation", "grants", "notice", "earliest_new_reference_period"):
        assert absent not in decision["values"]


def test_committee_requests_a_complementary_audit(library):
    decision = labelling(library, "2018-01-18", findings=[nc()], deadline="2017-12-20", decision="request_complementary_audit")
    assert decision["outcome"] == "complementary_audit_requested"
    assert decision["values"]["auditor_opinion"] == "unfavourable"
    assert finding_codes(decision) == ["NON_CONFORMITY_OPEN"]
    assert "attestation" not in decision["values"] and "notice" not in decision["values"]


def test_refusal_is_notified_and_a_new_application_waits_a_year(library):
    decision = labelling(
        library, "2018-02-15", findings=[nc()], deadline="2017-12-28", decision="refuse", reasons="NC-1 not lifted in time"
    )
    assert decision["outcome"] == "refused"
    assert decision["values"]["notice"] == NOTICE
    assert decision["values"]["earliest_new_reference_period"] == "2017-01-01"
    assert "attestation" not in decision["values"] and "grants" not in decision["values"]
    [outcome] = [e for e in decision["trail"] if e.get("name") == "outcome"]
    assert outcome["because"] == "The committee does not grant the label: NC-1 not lifted in time"


@pytest.mark.parametrize(
    "reference_period_start, earliest",
    [
        pytest.param("2016-07-01", "2017-07-01", id="same-day-a-year-later"),
        pytest.param("2016-02-29", "2017-02-28", id="29-feb-clamped"),
    ],
)
def test_earliest_new_reference_period_is_one_year_later(library, reference_period_start, earliest):
    decision = labelling(
        library, "2017-11-23", decision="refuse", reasons="performance not shown", reference_period_start=reference_period_start
    )
    assert decision["values"]["earliest_new_reference_period"] == earliest


def test_a_favourable_report_may_still_be_refused(library):
    decision = labelling(library, "2017-11-23", findings=[strong()], decision="refuse", reasons="conduct harming the programme")
    assert decision["outcome"] == "refused"
    assert decision["values"]["auditor_opinion"] == "favourable"


def test_refusal_without_reasons_is_an_input_error(library):
    with pytest.raises(DossierError) as caught:
        labelling(library, "2017-11-23", decision="refuse")
    [problem] = caught.value.problems
    assert problem.path == ("facts", "committee_reasons")
    assert problem.message == "an unfavourable decision must be motivated: give committee_reasons (§II.1 step 4 notice)"


def test_refusal_without_reasons_exits_1_through_the_cli(cli, tmp_path):
    document = yaml.safe_load((EXAMPLES / "labelling-refused.yaml").read_text(encoding="utf-8"))
    del document["facts"]["committee_reasons"]
    path = tmp_path / "refused-without-reasons.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    result = cli("evaluate", path)
    assert result.exit_code == 1
    assert "$.facts.committee_reasons" in result.output
    assert "an unfavourable decision must be motivated" in result.output


@pytest.mark.parametrize(
    "findings, deadline, event, opinion",
    [
        pytest.param([nc()], "2017-12-20", "2018-01-25", "unfavourable", id="non-conformity-open-after-the-period"),
        pytest.param([info()], None, "2017-11-23", "favourable", id="information-request-open"),
    ],
)
def test_grant_is_not_allowed_with_anything_open(library, findings, deadline, event, opinion):
    decision = labelling(library, event, findings=findings, deadline=deadline, decision="grant")
    assert decision["outcome"] == "decision_not_allowed"
    assert decision["values"]["auditor_opinion"] == opinion
    assert decision["values"]["possible_decisions"] == WITHOUT_GRANT
    [not_allowed] = [f for f in decision["findings"] if f["code"] == "DECISION_NOT_ALLOWED"]
    assert not_allowed["severity"] == "error" and not_allowed["clause"] == "§V conditions"
    assert not_allowed["message"] == (
        "The committee decided 'grant', but on this report it may only request_information, request_complementary_audit, refuse."
    )
    for absent in ("attestation", "grants", "notice"):
        assert absent not in decision["values"]


@pytest.mark.parametrize("committee", ["grant", "refuse", "request_information", "request_complementary_audit"])
def test_no_decision_while_the_corrective_period_runs(library, committee):
    """§V: the company « bénéficie » of the period and the auditor forms the opinion he transmits to the committee at
    its end (« Si tel n'est pas le cas, l'auditeur formalise [...] un avis défavorable [...] qu'il transmet au comité »):
    no decision is open to the committee while a non-conformity is open and the period runs (decision
    committee-during-corrective-period) — a refusal would take the period away from the company."""
    reasons = "NC-1 not lifted" if committee == "refuse" else None
    decision = labelling(library, "2017-12-20", findings=[nc()], deadline="2017-12-20", decision=committee, reasons=reasons)
    assert decision["outcome"] == "decision_not_allowed"
    assert decision["values"]["auditor_opinion"] == "pending"
    assert decision["values"]["possible_decisions"] == []
    [not_allowed] = [f for f in decision["findings"] if f["code"] == "DECISION_NOT_ALLOWED"]
    assert not_allowed["message"] == (
        f"The committee decided '{committee}', but the corrective period runs until 2017-12-20 and no decision is open before it ends."
    )
    after = labelling(library, "2017-12-21", findings=[nc()], deadline="2017-12-20", decision=committee, reasons=reasons)
    assert after["outcome"] != "decision_not_allowed" or committee == "grant"


@pytest.mark.parametrize(
    "lifted_on, opinion, outcome",
    [
        pytest.param("2017-12-19", "favourable", "granted", id="lifted-the-day-before-the-deadline"),
        pytest.param("2017-12-20", "favourable", "granted", id="lifted-on-the-deadline"),
        pytest.param("2017-12-21", "unfavourable", "decision_not_allowed", id="lifted-the-day-after-the-deadline"),
        pytest.param("2018-01-24", "unfavourable", "decision_not_allowed", id="lifted-after-the-period-before-the-committee"),
    ],
)
def test_a_non_conformity_lifted_after_the_period_is_not_lifted(library, lifted_on, opinion, outcome):
    """§V: the period « donne la possibilité à l'entreprise de mettre en place les actions correctives nécessaires pour
    lever les non conformités identifiées » — a non-conformity lifted after it, even before the committee meets on
    25 January, is not lifted for the decision (decision non-conformity-lifted-in-time)."""
    decision = labelling(library, "2018-01-25", findings=[nc(lifted_on=lifted_on)], deadline="2017-12-20", decision="grant")
    assert decision["values"]["auditor_opinion"] == opinion
    assert decision["outcome"] == outcome
    late = lifted_on > "2017-12-20"
    assert decision["values"]["late_liftings"] == (["NC-1"] if late else [])
    assert decision["values"]["open_non_conformities"] == (["NC-1"] if late else [])
    if late:
        [f] = [f for f in decision["findings"] if f["code"] == "NON_CONFORMITY_LIFTED_LATE"]
        assert (f["severity"], f["clause"]) == ("error", "§V corrective actions")
        assert f["message"] == (
            f"Non-conformity NC-1 was lifted on {lifted_on}, after the corrective period ended on 2017-12-20: it counts as not "
            "lifted (NC-1: fuel of the rented tractors missing from P0)."
        )
        assert "NON_CONFORMITY_OPEN" not in finding_codes(decision)


def test_a_lifting_date_after_the_decision_or_before_the_report_is_rejected(library):
    for lifted_on in ("2017-11-24", REPORT_MINUS_ONE):
        with pytest.raises(DossierError) as caught:
            labelling(library, "2017-11-23", findings=[nc(lifted_on=lifted_on)], deadline="2017-12-20")
        [problem] = caught.value.problems
        assert problem.path == ("facts", "findings")
        assert problem.message.endswith(": NC-1 (§V corrective actions)")


def test_a_weak_point_cannot_be_lifted(library):
    with pytest.raises(DossierError) as caught:
        labelling(library, "2017-11-23", findings=[{**weak(), "resolved_on": "2017-11-01"}])
    [problem] = caught.value.problems
    assert problem.message == "only a non-conformity is lifted and only an information request closed: PFa-1 (§III.2 findings)"


# --- cross-labelling before the committee (annex 1) ------------------------------------------------------------


def cross(refused: list[str], to_refused: float, elsewhere: float = 600_000) -> dict[str, Any]:
    return {
        "members": ["IROISE-TRANSPORTS", "KERNE-EXPRESS"],
        "refused_members": refused,
        "transport_revenue_eur": 6_000_000,
        "subcontracting": [
            {"subcontractor": "IROISE-TRANSPORTS", "revenue_eur": to_refused, "labelled": False},
            {"subcontractor": "OUTSIDER", "revenue_eur": elsewhere, "labelled": False},
        ],
    }


@pytest.mark.parametrize(
    "refused, to_refused, linked",
    [
        pytest.param([], 1_800_000, False, id="no-member-refused"),
        pytest.param(["IROISE-TRANSPORTS"], 1_499_400, False, id="34.99%-not-linked"),
        pytest.param(["IROISE-TRANSPORTS"], 1_500_000, True, id="exactly-35%-linked"),
        pytest.param(["IROISE-TRANSPORTS"], 1_800_000, True, id="40%-linked"),
        pytest.param(["KERNE-EXPRESS"], 1_800_000, False, id="another-member-refused"),
    ],
)
def test_a_refusal_by_the_committee_reaches_the_companies_linked_to_it(library, refused, to_refused, linked):
    """Annex 1: « Le Comité de labellisation étudie en même temps les dossiers concernés [...] En cas de refus du label
    à une des entreprises concernées par la labellisation croisée, toute entreprise liée par le taux de sous-traitance
    requis ne peut pas être labellisée. » 10 % subcontracted outside the cross-labelling, the rest to IROISE: once
    IROISE is refused, the company is linked if its rate is no longer below 35 % (decision cross-labelling-at-labelling)."""
    facts_ = facts(decision="grant")
    facts_["cross_labelling"] = cross(refused, to_refused)
    decision = judge(library, "labelling", facts_, ANCHOR, "2017-11-23")
    assert decision["values"]["linked_to_refused_members"] == (["IROISE-TRANSPORTS"] if linked else [])
    assert decision["outcome"] == ("decision_not_allowed" if linked else "granted")
    if linked:
        assert decision["values"]["possible_decisions"] == WITHOUT_GRANT
        [f] = [f for f in decision["findings"] if f["code"] == "CROSS_LABELLING_LINKED_REFUSAL"]
        assert (f["severity"], f["clause"]) == ("error", "annex 1 cross-labelling")
        assert f["message"].startswith("Its subcontracting to IROISE-TRANSPORTS, refused the label, no longer counts as labelled")


def test_a_company_linked_to_a_refused_member_may_still_be_refused(library):
    facts_ = facts(decision="refuse", reasons="linked to IROISE-TRANSPORTS, refused")
    facts_["cross_labelling"] = cross(["IROISE-TRANSPORTS"], 1_800_000)
    decision = judge(library, "labelling", facts_, ANCHOR, "2017-11-23")
    assert decision["outcome"] == "refused"
    assert decision["values"]["notice"] == NOTICE


def test_a_refused_member_must_be_a_member(library):
    facts_ = facts()
    facts_["cross_labelling"] = cross(["SOMEONE-ELSE"], 1_800_000)
    with pytest.raises(DossierError) as caught:
        judge(library, "labelling", facts_, ANCHOR, "2017-11-23")
    [problem] = caught.value.problems
    assert problem.path == ("facts", "cross_labelling", "refused_members")


def test_2016_knows_no_cross_labelling(library):
    facts_ = facts(report_on=REPORT_2016, reference_period_start="2015-01-01")
    facts_["cross_labelling"] = cross(["IROISE-TRANSPORTS"], 1_800_000)
    with pytest.raises(DossierError) as caught:
        judge(library, "labelling", facts_, ANCHOR_2016, "2016-12-08")
    [problem] = caught.value.problems
    assert (problem.path, problem.message) == (("facts", "cross_labelling"), "unknown field")


# --- inputs that contradict each other ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "anchor, report, deadline, event, path, message",
    [
        pytest.param(
            ANCHOR, "2017-11-24", None, "2017-11-23", "$.facts.audit.report_on",
            "the audit report of 2017-11-24 cannot follow the decision of 2017-11-23 (§II.1 step 4)",
            id="report-after-the-decision",
        ),
        pytest.param(
            ANCHOR, "2017-09-01", None, "2017-11-23", "$.facts.audit.report_on",
            "the audit report of 2017-09-01 cannot precede the cycle's start on 2017-09-04 (§II.1 step 4)",
            id="report-before-the-anchor",
        ),
        pytest.param(
            ANCHOR, REPORT, "2017-09-28", "2017-11-23", "$.facts.audit.corrective_deadline",
            "the corrective period cannot end (2017-09-28) before the audit report (2017-09-29) (§V corrective actions)",
            id="deadline-before-the-report",
        ),
    ],
)
def test_impossible_dates_are_rejected(library, anchor, report, deadline, event, path, message):
    with pytest.raises(DossierError) as caught:
        labelling(library, event, anchor=anchor, report_on=report, deadline=deadline, decision="grant")
    [problem] = caught.value.problems
    assert "$." + ".".join(problem.path) == path
    assert problem.message == message


def test_report_on_the_anchor_decided_the_same_day_with_a_same_day_deadline_is_accepted(library):
    decision = labelling(library, ANCHOR, report_on=ANCHOR, findings=[nc()], deadline=ANCHOR)
    assert decision["outcome"] == "corrective_actions_pending"


# --- the version of 10 June 2016 ------------------------------------------------------------------------------------


def test_2016_grant_names_the_2016_procedure(library):
    decision = labelling_2016(library, "2016-12-08", findings=[nc(lifted_on="2016-11-10")], deadline="2016-12-01", decision="grant")
    assert decision["outcome"] == "granted"
    chosen = version_of(decision)
    assert (chosen["version"], chosen["mode"]) == (V2016, "pinned")
    attestation = decision["values"]["attestation"]
    assert attestation["procedure_version"] == V2016
    assert (attestation["valid_from"], attestation["valid_until"]) == ("2016-12-08", "2019-12-07")
    assert decision["values"]["grants"] == GRANTS


def test_2016_refusal_carries_no_notice_and_no_date_for_a_new_application(library):
    decision = labelling_2016(library, "2017-01-19", findings=[nc()], deadline="2016-12-30", decision="refuse", reasons="NC-1 not lifted")
    assert decision["outcome"] == "refused"
    assert "notice" not in decision["values"]
    assert "earliest_new_reference_period" not in decision["values"]
    assert not any(e.get("rule", "").startswith("labelling.notice") for e in decision["trail"])


def test_2016_refusal_without_reasons_is_accepted(library):
    decision = labelling_2016(library, "2017-01-19", findings=[nc()], decision="refuse")
    assert decision["outcome"] == "refused"
    assert "notice" not in decision["values"]


@pytest.mark.parametrize(
    "findings, deadline, event, committee, outcome",
    [
        pytest.param([nc()], "2016-11-30", "2016-11-15", None, "corrective_actions_pending", id="pending"),
        pytest.param([], None, "2016-11-15", None, "awaiting_committee", id="awaiting-committee"),
        pytest.param([info()], None, "2016-12-08", "request_information", "information_requested", id="information"),
        pytest.param([nc()], "2016-11-30", "2016-12-08", "request_complementary_audit", "complementary_audit_requested", id="complementary-audit"),
        pytest.param([nc()], "2016-11-30", "2016-12-08", "grant", "decision_not_allowed", id="grant-not-allowed"),
    ],
)
def test_2016_committee_has_the_same_decisions(library, findings, deadline, event, committee, outcome):
    decision = labelling_2016(library, event, findings=findings, deadline=deadline, decision=committee)
    assert version_of(decision)["version"] == V2016
    assert decision["outcome"] == outcome


def test_cycle_anchored_the_day_before_2017_05_24_stays_under_2016(library):
    decision = labelling(library, "2017-09-14", anchor="2017-05-23", report_on="2017-06-30", decision="refuse")
    chosen = version_of(decision)
    assert (chosen["version"], chosen["mode"]) == (V2016, "pinned")
    assert chosen["reason"] == (
        "version 2016-06-10 was in force on the cycle anchor 2017-05-23 (from 2016-06-10); section 'labelling' is "
        "pinned to the cycle; version 2017-05-24 (in force from 2017-05-24) applies from the next cycle (its §III.1 version change)"
    )
    assert decision["outcome"] == "refused"
    assert "notice" not in decision["values"]


def test_cycle_anchored_on_2017_05_24_takes_the_2017_procedure(library):
    decision = labelling(library, "2017-09-14", anchor="2017-05-24", report_on="2017-06-30", decision="grant")
    assert version_of(decision)["version"] == V2017
    assert decision["values"]["attestation"]["procedure_version"] == V2017
