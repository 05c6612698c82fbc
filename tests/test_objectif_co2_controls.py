"""Objectif CO₂: the programme manager's controls — random audits and the assignment of auditors.

The cases follow the labelling procedure of 24 May 2017
(shared/seeds/objectif-co2-labelling-procedure-2017-05-24.txt, §II.1 step 6, §III.2, §III.3,
annex 2) and the decisions of referentials/objectif-co2/2017-05-24.yaml: random-audit-count,
random-audit-notice, habilitation-year, assignment-ranking, auditor-selection, tripartite-agreement
and version-change-pinned, by which both sections follow the version in force on the day of the act
(time_policy event_date). In 2016 random audits have the conditions annex 4 elides (P1 or P2, one per
cycle, another auditor, free — decision annex4-elisions); the steering committee's validation and
the month's notice, made precise in 2017, are not recoverable for 2016. A cycle labelled in 2016
meets the 2017 conditions from 24 May 2017; the assignment of auditors is in both versions.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from conftest import OCO2, ROOT, finding_codes, judge, write_dossier, unlined

from engine import DossierError

V2016 = "2016-06-10"
V2017 = "2017-05-24"
EXAMPLES = ROOT / "examples" / OCO2

# A company labelled in 2016 under the procedure of 10 June 2016, and one labelled in 2017 under that of 24 May 2017.
ANCHOR_2016 = "2016-10-03"
ANCHOR_2017 = "2017-09-18"
COMPANY = {"id": "TRANSPORTS-LE-GOFF", "region": "Bretagne"}


# --- building dossiers ------------------------------------------------------------------------------------------


def plan(**changes: Any) -> dict[str, Any]:
    """A random audit plan that meets every condition; `changes` break some."""
    facts: dict[str, Any] = {
        "period": "P1",
        "auditor": "claire-morvan",
        "initial_auditor": "yann-le-bihan",
        "notified_on": "2018-01-15",
        "audit_on": "2018-02-20",
        "steering_committee_validated": True,
        "random_audits_already_in_cycle": 0,
        "charged_to_company_eur": 0,
    }
    facts.update(changes)
    return facts


def random_audit(library: Any, anchor: str = ANCHOR_2017, event: str = "2018-01-15", **changes: Any) -> dict[str, Any]:
    runtime = changes.pop("runtime", "durable-rules")
    return judge(library, "random_audit", plan(**changes), anchor, event, runtime=runtime)


def auditor(name: str, **changes: Any) -> dict[str, Any]:
    """A habilitated auditor of the pool (habilitated 1 June 2017, in Bretagne) who may take the company."""
    entry: dict[str, Any] = {
        "id": name,
        "region": "Bretagne",
        "habilitated_on": "2017-06-01",
        "training_days": 2,
        "experience_years": 8,
        "audit_competence": True,
        "schemes_knowledge": True,
        "tripartite_agreement": "signed",
        "available": True,
        "audits_assigned": 0,
    }
    entry.update(changes)
    return entry


def assignment(
    library: Any,
    auditors: list[dict[str, Any]],
    anchor: str = "2018-01-08",
    event: str = "2018-03-01",
    *,
    company: dict[str, Any] = COMPANY,
    runtime: str = "durable-rules",
) -> dict[str, Any]:
    facts = {"company": dict(company), "auditors": auditors}
    return judge(library, "auditor_assignment", facts, anchor, event, runtime=runtime)


def ranked(decision: dict[str, Any]) -> list[str]:
    return [r["auditor"] for r in decision["values"]["ranking"]]


def refused(result: Any) -> str:
    """The output of a command that must fail cleanly with exit status 1."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in unlined(result.output) and "internal error" not in unlined(result.output)
    return result.output


# --- random audit: every condition met ------------------------------------------------------------------------


@pytest.mark.parametrize("period", ["P1", "P2"])
def test_plan_accepted_on_p1_or_p2(library, period):
    decision = random_audit(library, period=period)
    assert decision["outcome"] == "plan_accepted"
    assert decision["values"] == {"earliest_audit_date": "2018-02-15", "plan_problems": []}
    assert decision["findings"] == []


def test_accepted_plan_trail_cites_the_notice_parameter(library):
    decision = random_audit(library)
    [earliest] = [d for d in decision["trail"] if d.get("name") == "earliest_audit_date"]
    assert earliest["clause"] == "§III.3 notice"
    [param] = [p for p in earliest["premises"] if p["kind"] == "parameter"]
    assert (param["name"], param["value"], param["version"]) == ("random_audit_notice_months", 1, V2017)


# --- random audit: each condition broken on its own -----------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "problem", "code", "clause", "message"),
    [
        pytest.param(
            {"period": "P0"}, "period_not_auditable", "PERIOD_NOT_AUDITABLE", "§III.3 random audits",
            "Period P0 cannot be audited at random; only P1, P2.", id="P0",
        ),
        pytest.param(
            {"period": "P3"}, "period_not_auditable", "PERIOD_NOT_AUDITABLE", "§III.3 random audits",
            "Period P3 cannot be audited at random; only P1, P2.", id="P3",
        ),
        pytest.param(
            {"random_audits_already_in_cycle": 1}, "cycle_already_audited", "CYCLE_ALREADY_AUDITED", "§III.3 random audits",
            "This cycle already had 1 random audit(s); at most 1.", id="second-random-audit",
        ),
        pytest.param(
            {"random_audits_already_in_cycle": 2}, "cycle_already_audited", "CYCLE_ALREADY_AUDITED", "§III.3 random audits",
            "This cycle already had 2 random audit(s); at most 1.", id="third-random-audit",
        ),
        pytest.param(
            {"auditor": "yann-le-bihan"}, "initial_auditor", "INITIAL_AUDITOR", "§III.3 random audits",
            "yann-le-bihan carried out the initial audit; a random audit needs a different auditor.", id="initial-auditor",
        ),
        pytest.param(
            {"audit_on": "2018-02-14"}, "notice_too_short", "NOTICE_TOO_SHORT", "§III.3 notice",
            "Told on 2018-01-15, the company cannot be audited before 2018-02-15; the plan says 2018-02-14.", id="notice",
        ),
        pytest.param(
            {"charged_to_company_eur": 450}, "charged_to_company", "CHARGED_TO_COMPANY", "§III.3 random audits",
            "The plan charges the company 450 €; random audits are free for companies and paid by the programme manager.",
            id="charged",
        ),
        pytest.param(
            {"charged_to_company_eur": 0.01}, "charged_to_company", "CHARGED_TO_COMPANY", "§III.3 random audits",
            "The plan charges the company 0.01 €; random audits are free for companies and paid by the programme manager.",
            id="charged-one-cent",
        ),
        pytest.param(
            {"steering_committee_validated": False}, "not_validated_by_steering_committee",
            "NOT_VALIDATED_BY_STEERING_COMMITTEE", "§II.1 step 6 random audits",
            "The steering committee has not validated this random audit.", id="not-validated",
        ),
    ],
)
def test_plan_rejected_for_one_condition(library, changes, problem, code, clause, message):
    decision = random_audit(library, **changes)
    assert decision["outcome"] == "plan_rejected"
    assert decision["values"]["plan_problems"] == [problem]
    [finding] = decision["findings"]
    assert finding["code"] == code
    assert finding["severity"] == "error"
    assert finding["clause"] == clause
    assert finding["message"] == message


def test_every_broken_condition_is_listed(library):
    decision = random_audit(
        library,
        period="P3",
        auditor="yann-le-bihan",
        audit_on="2018-01-30",
        steering_committee_validated=False,
        random_audits_already_in_cycle=1,
        charged_to_company_eur=800,
    )
    assert decision["outcome"] == "plan_rejected"
    assert decision["values"]["plan_problems"] == [
        "not_validated_by_steering_committee",
        "period_not_auditable",
        "cycle_already_audited",
        "initial_auditor",
        "notice_too_short",
        "charged_to_company",
    ]
    assert sorted(finding_codes(decision)) == [
        "CHARGED_TO_COMPANY",
        "CYCLE_ALREADY_AUDITED",
        "INITIAL_AUDITOR",
        "NOTICE_TOO_SHORT",
        "NOT_VALIDATED_BY_STEERING_COMMITTEE",
        "PERIOD_NOT_AUDITABLE",
    ]
    assert all(f["severity"] == "error" for f in decision["findings"])


def test_two_broken_conditions_give_two_findings(library):
    decision = random_audit(library, period="P2", auditor="yann-le-bihan", audit_on="2018-02-01")
    assert decision["values"]["plan_problems"] == ["initial_auditor", "notice_too_short"]
    assert finding_codes(decision) == ["INITIAL_AUDITOR", "NOTICE_TOO_SHORT"]


# --- random audit: the month's notice ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("notified", "earliest"),
    [
        pytest.param("2018-01-15", "2018-02-15", id="mid-month"),
        pytest.param("2018-01-31", "2018-02-28", id="31-jan-2018+1-month=28-feb"),
        # no leap year falls under 2017: 2016 has no notice, and from 1 September 2019 the version is not encoded
        pytest.param("2018-03-31", "2018-04-30", id="31-mar+1-month=30-apr"),
        pytest.param("2018-12-14", "2019-01-14", id="over-the-year-end"),
    ],
)
def test_audit_exactly_one_month_after_notice_is_accepted_one_day_earlier_rejected(library, notified, earliest):
    anchor = ANCHOR_2017
    on_time = random_audit(library, anchor=anchor, event=notified, notified_on=notified, audit_on=earliest)
    assert on_time["outcome"] == "plan_accepted"
    assert on_time["values"]["earliest_audit_date"] == earliest

    day_before = (dt.date.fromisoformat(earliest) - dt.timedelta(days=1)).isoformat()
    early = random_audit(library, anchor=anchor, event=notified, notified_on=notified, audit_on=day_before)
    assert early["outcome"] == "plan_rejected"
    assert early["values"]["plan_problems"] == ["notice_too_short"]
    assert finding_codes(early) == ["NOTICE_TOO_SHORT"]


def test_notice_on_the_day_of_the_audit_is_too_short(library):
    decision = random_audit(library, notified_on="2018-02-20", audit_on="2018-02-20", event="2018-02-20")
    assert decision["outcome"] == "plan_rejected"
    assert decision["values"]["earliest_audit_date"] == "2018-03-20"
    assert finding_codes(decision) == ["NOTICE_TOO_SHORT"]


def test_notified_after_the_audit_is_an_invalid_dossier(cli, tmp_path):
    path = write_dossier(
        tmp_path, "random_audit", plan(notified_on="2018-03-01", audit_on="2018-02-28"), ANCHOR_2017, "2018-02-05"
    )
    output = refused(cli("evaluate", path))
    assert f"invalid dossier: {path}: the inputs of procedure 'random_audit' are inconsistent" in unlined(output)
    assert (
        f"{path} $.facts.notified_on: the company cannot be told on 2018-03-01 of an audit on 2018-02-28 (§III.3 notice)"
        in unlined(output)
    )


# --- random audit: which version ---------------------------------------------------------------------------------


def test_cycle_labelled_in_2016_audited_at_random_in_2018_takes_the_2017_section(library):
    decision = random_audit(library, anchor=ANCHOR_2016, event="2018-01-15")
    assert decision["outcome"] == "plan_accepted"
    [choice] = decision["versions"]
    assert choice["section"] == "random_audits"
    assert choice["version"] == V2017
    assert choice["mode"] == "event_date"
    assert choice["clause"] == "§III.1 version change"
    assert choice["reason"] == (
        "version 2017-05-24 (in force from 2017-05-24) declares that section 'random_audits' follows the "
        "event date; it is in force on the event date 2018-01-15"
    )
    assert decision["trail"][0]["kind"] == "version-selection"
    assert decision["trail"][0]["because"] == choice["reason"]


def test_2016_cycle_random_audit_on_the_day_2017_comes_into_force(library):
    decision = random_audit(library, anchor=ANCHOR_2016, event="2017-05-24", notified_on="2017-05-24", audit_on="2017-06-26")
    assert decision["outcome"] == "plan_accepted"
    assert [(v["version"], v["mode"]) for v in decision["versions"]] == [(V2017, "event_date")]


def plan_2016(**changes: Any) -> dict[str, Any]:
    """A 2016 random audit plan: the 2016 input has no notice and no steering committee's validation."""
    facts = {k: v for k, v in plan(**changes).items() if k not in ("notified_on", "steering_committee_validated")}
    facts.setdefault("audit_on", "2017-05-10")
    if "audit_on" not in changes:
        facts["audit_on"] = "2017-05-10"
    return facts


def test_2016_cycle_random_audit_before_2017_is_judged_on_the_conditions_annex_4_elides(library):
    """Annex 4 quotes as made precise in 2017 « Le gestionnaire de programme organise également des audits
    aléatoires [...] après validation du comité de pilotage. [...] Toute entreprise concernée par un audit
    aléatoire est prévenue au minimum un mois à l'avance »: the elided conditions (« Les périodes P1 et P2
    peuvent être auditées avec un maximum d'un audit aléatoire sur le même cycle de labellisation », another
    auditor, free) stood in 2016 (decision annex4-elisions); the two quoted sentences are not recoverable."""
    decision = judge(library, "random_audit", plan_2016(), ANCHOR_2016, "2017-05-23")
    assert [(v["version"], v["mode"]) for v in decision["versions"]] == [(V2016, "event_date")]
    assert decision["outcome"] == "plan_accepted"
    assert decision["values"] == {"plan_problems": []}
    for changes, problem in (({"period": "P3"}, "period_not_auditable"), ({"random_audits_already_in_cycle": 1}, "cycle_already_audited"),
                             ({"auditor": "yann-le-bihan"}, "initial_auditor"), ({"charged_to_company_eur": 500}, "charged_to_company")):
        rejected = judge(library, "random_audit", plan_2016(**changes), ANCHOR_2016, "2017-05-23")
        assert (rejected["outcome"], rejected["values"]["plan_problems"]) == ("plan_rejected", [problem])


def test_2016_random_audit_input_knows_no_notice_nor_validation(library):
    """The notice and the steering committee's validation were made precise in 2017: not inputs of 2016."""
    with pytest.raises(DossierError) as raised:
        judge(library, "random_audit", plan(notified_on="2017-04-03", audit_on="2017-05-10"), ANCHOR_2016, "2017-05-23")
    problems = sorted(p.render().split(" ", 3)[-1] for p in raised.value.problems)
    assert problems == ["$.facts.notified_on: unknown field", "$.facts.steering_committee_validated: unknown field"]


def test_random_audit_the_day_the_2017_version_comes_into_force(library):
    """Event date 23 May 2017: the 2016 conditions; 24 May 2017: the 2017 ones, notice and validation included."""
    assert judge(library, "random_audit", plan_2016(), ANCHOR_2016, "2017-05-23")["versions"][0]["version"] == V2016
    decision = random_audit(library, anchor=ANCHOR_2016, event="2017-05-24", notified_on="2017-05-24", audit_on="2017-06-26")
    assert decision["versions"][0]["version"] == V2017


def test_random_audit_forced_to_2016_takes_the_2016_input(library):
    decision = judge(library, "random_audit", plan_2016(), ANCHOR_2016, "2018-01-15", version=V2016)
    assert decision["outcome"] == "plan_accepted"
    assert finding_codes(decision) == ["VERSION_FORCED"]


def test_cycle_labelled_under_2017_follows_the_event_date_too(library):
    """The base version's own section follows the event date: the reason says so, not "pinned"."""
    decision = random_audit(library, anchor=ANCHOR_2017, event="2018-01-15")
    [choice] = decision["versions"]
    assert (choice["version"], choice["mode"]) == (V2017, "event_date")
    assert choice["reason"] == (
        "section 'random_audits' follows the event date; version 2017-05-24 (in force from 2017-05-24) "
        "is the latest version defining it in force on the event date 2018-01-15"
    )


# --- auditor assignment: ranking --------------------------------------------------------------------------------


def test_assigned_ranks_every_eligible_auditor_in_order(library):
    pool = [
        auditor("marc-delattre", region="Hauts-de-France", audits_assigned=0),
        auditor("gwenaelle-tanguy", audits_assigned=4),
        auditor("claire-morvan", audits_assigned=4),
        auditor("nathalie-brun", region="Auvergne-Rhône-Alpes", audits_assigned=2),
        auditor("erwan-kerhervé", audits_assigned=1),
        auditor("julie-mercier", region="Occitanie", available=False),
    ]
    decision = assignment(library, pool)
    assert decision["outcome"] == "assigned"
    assert decision["values"]["ranking"] == [
        {"auditor": "erwan-kerhervé", "same_region": True, "audits_assigned": 1},
        {"auditor": "claire-morvan", "same_region": True, "audits_assigned": 4},
        {"auditor": "gwenaelle-tanguy", "same_region": True, "audits_assigned": 4},
        {"auditor": "marc-delattre", "same_region": False, "audits_assigned": 0},
        {"auditor": "nathalie-brun", "same_region": False, "audits_assigned": 2},
    ]
    assert decision["values"]["assigned_auditor"] == "erwan-kerhervé"
    assert decision["values"]["excluded_auditors"] == [{"auditor": "julie-mercier", "barred_by": ["not_available"]}]
    assert finding_codes(decision) == ["AUDITOR_NOT_ASSIGNABLE"]


def test_same_region_comes_before_a_lighter_workload(library):
    decision = assignment(library, [auditor("marc-delattre", region="Normandie", audits_assigned=0), auditor("claire-morvan", audits_assigned=9)])
    assert ranked(decision) == ["claire-morvan", "marc-delattre"]
    assert decision["values"]["assigned_auditor"] == "claire-morvan"


def test_in_the_same_region_fewer_audits_come_first(library):
    decision = assignment(library, [auditor("anne-guillou", audits_assigned=3), auditor("yves-riou", audits_assigned=2)])
    assert ranked(decision) == ["yves-riou", "anne-guillou"]
    assert decision["values"]["assigned_auditor"] == "yves-riou"


def test_outside_the_region_fewer_audits_come_first(library):
    pool = [auditor("paul-roux", region="Occitanie", audits_assigned=5), auditor("zoé-garnier", region="Grand Est", audits_assigned=1)]
    decision = assignment(library, pool)
    assert ranked(decision) == ["zoé-garnier", "paul-roux"]


@pytest.mark.parametrize("region", ["Bretagne", "Normandie"], ids=["same-region", "other-region"])
def test_equal_region_and_workload_are_ordered_by_id(library, region):
    pool = [auditor(name, region=region, audits_assigned=2) for name in ["yves-riou", "anne-guillou", "marie-le-gall"]]
    decision = assignment(library, pool)
    assert ranked(decision) == ["anne-guillou", "marie-le-gall", "yves-riou"]
    assert decision["values"]["assigned_auditor"] == "anne-guillou"


def test_a_single_eligible_auditor_is_assigned(library):
    decision = assignment(library, [auditor("claire-morvan")])
    assert decision["outcome"] == "assigned"
    assert decision["values"] == {
        "excluded_auditors": [],
        "ranking": [{"auditor": "claire-morvan", "same_region": True, "audits_assigned": 0}],
        "assigned_auditor": "claire-morvan",
    }
    assert decision["findings"] == []


def test_no_auditor_available_when_every_auditor_is_barred(library):
    pool = [
        auditor("claire-morvan", available=False),
        auditor("yann-le-bihan", accompanied_companies=[COMPANY["id"]]),
        auditor("audit-transport-conseil", natural_person=False),
    ]
    decision = assignment(library, pool)
    assert decision["outcome"] == "no_auditor_available"
    assert decision["values"] == {
        "excluded_auditors": [
            {"auditor": "claire-morvan", "barred_by": ["not_available"]},
            {"auditor": "yann-le-bihan", "barred_by": ["accompanied_the_company"]},
            {"auditor": "audit-transport-conseil", "barred_by": ["not_a_natural_person"]},
        ],
        "ranking": [],
    }
    assert sorted(finding_codes(decision)) == ["AUDITOR_NOT_ASSIGNABLE", "AUDITOR_NOT_ASSIGNABLE", "AUDITOR_REQUIREMENT_NOT_MET"]


# --- auditor assignment: each ground of exclusion ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "ground", "code", "clause", "message"),
    [
        pytest.param(
            {"natural_person": False}, "not_a_natural_person", "AUDITOR_REQUIREMENT_NOT_MET", "annex 2 requirements",
            "barred cannot audit the company: not_a_natural_person.", id="not-a-natural-person",
        ),
        pytest.param(
            {"habilitated_on": "2016-06-01"}, "habilitation_not_valid", "HABILITATION_NOT_VALID", "annex 2 validity",
            "barred: habilitated on 2016-06-01, valid until the day before 2017-06-01; not valid on 2018-03-01.",
            id="habilitation-lapsed",
        ),
        pytest.param(
            {"training_days": 1}, "training_not_completed", "AUDITOR_REQUIREMENT_NOT_MET", "annex 2 requirements",
            "barred cannot audit the company: training_not_completed.", id="training-1-day",
        ),
        pytest.param(
            {"training_days": 0}, "training_not_completed", "AUDITOR_REQUIREMENT_NOT_MET", "annex 2 requirements",
            "barred cannot audit the company: training_not_completed.", id="training-none",
        ),
        pytest.param(
            {"accompanied_companies": ["KERBRAT-LOGISTIQUE", COMPANY["id"]]}, "accompanied_the_company",
            "AUDITOR_NOT_ASSIGNABLE", "§III.2 assignment",
            "barred cannot be assigned: accompanied_the_company.", id="accompanied",
        ),
        pytest.param(
            {"audited_companies": [COMPANY["id"]]}, "already_audited_the_company", "AUDITOR_REQUIREMENT_NOT_MET",
            "annex 2 requirements", "barred cannot audit the company: already_audited_the_company.", id="already-audited",
        ),
        pytest.param(
            {"employed_by_programme_manager": True}, "employed_by_programme_manager", "AUDITOR_REQUIREMENT_NOT_MET",
            "annex 2 requirements", "barred cannot audit the company: employed_by_programme_manager.", id="employed",
        ),
        pytest.param(
            {"incompatibility": True}, "incompatibility", "AUDITOR_REQUIREMENT_NOT_MET", "annex 2 requirements",
            "barred cannot audit the company: incompatibility.", id="incompatibility",
        ),
        pytest.param(
            {"travels_nationwide": False}, "cannot_travel_nationwide", "AUDITOR_REQUIREMENT_NOT_MET", "annex 2 requirements",
            "barred cannot audit the company: cannot_travel_nationwide.", id="cannot-travel",
        ),
        pytest.param(
            {"available": False}, "not_available", "AUDITOR_NOT_ASSIGNABLE", "§III.2 assignment",
            "barred cannot be assigned: not_available.", id="not-available",
        ),
        pytest.param(
            {"experience_years": 2.9}, "experience_too_short", "AUDITOR_SELECTION_CRITERION_NOT_MET", "annex 2 selection",
            "barred does not meet the selection criteria of a habilitated auditor: experience_too_short.", id="experience-2.9-years",
        ),
        pytest.param(
            {"audit_competence": False}, "no_audit_competence", "AUDITOR_SELECTION_CRITERION_NOT_MET", "annex 2 selection",
            "barred does not meet the selection criteria of a habilitated auditor: no_audit_competence.", id="no-audit-competence",
        ),
        pytest.param(
            {"schemes_knowledge": False}, "no_knowledge_of_the_schemes", "AUDITOR_SELECTION_CRITERION_NOT_MET", "annex 2 selection",
            "barred does not meet the selection criteria of a habilitated auditor: no_knowledge_of_the_schemes.", id="no-knowledge-of-the-schemes",
        ),
        pytest.param(
            {"tripartite_agreement": "refused"}, "tripartite_agreement_refused", "TRIPARTITE_AGREEMENT_REFUSED", "§III.2 tripartite agreement",
            "barred refused to sign the tripartite agreement with company TRANSPORTS-LE-GOFF and the programme manager: it cannot audit the company.",
            id="tripartite-agreement-refused",
        ),
    ],
)
def test_each_ground_excludes_the_auditor(library, changes, ground, code, clause, message):
    # The barred auditor would head the ranking otherwise: same region, no audit assigned.
    pool = [auditor("barred", **changes), auditor("claire-morvan", region="Normandie", audits_assigned=6)]
    decision = assignment(library, pool)
    assert decision["outcome"] == "assigned"
    assert decision["values"]["excluded_auditors"] == [{"auditor": "barred", "barred_by": [ground]}]
    assert ranked(decision) == ["claire-morvan"]
    assert decision["values"]["assigned_auditor"] == "claire-morvan"
    [finding] = decision["findings"]
    assert (finding["code"], finding["severity"], finding["clause"]) == (code, "warning", clause)
    assert finding["message"] == message


@pytest.mark.parametrize(
    ("days", "eligible"),
    [pytest.param(1, False, id="1-day"), pytest.param(2, True, id="2-days"), pytest.param(3, True, id="3-days")],
)
def test_two_days_of_training_are_required(library, days, eligible):
    decision = assignment(library, [auditor("claire-morvan", training_days=days)])
    assert decision["outcome"] == ("assigned" if eligible else "no_auditor_available")
    assert finding_codes(decision) == ([] if eligible else ["AUDITOR_REQUIREMENT_NOT_MET"])


@pytest.mark.parametrize(
    ("years", "eligible"),
    [pytest.param(2.99, False, id="2.99-years"), pytest.param(3, True, id="exactly-3-years"), pytest.param(3.5, True, id="3.5-years")],
)
def test_three_years_of_recent_experience_are_required(library, years, eligible):
    """Annex 2: « Avoir une expérience professionnelle significative récente de 3 ans minimum » — a selection
    criterion, checked at assignment (decision auditor-selection); exactly 3 years is enough (« minimum »)."""
    decision = assignment(library, [auditor("claire-morvan", experience_years=years)])
    assert decision["outcome"] == ("assigned" if eligible else "no_auditor_available")
    assert finding_codes(decision) == ([] if eligible else ["AUDITOR_SELECTION_CRITERION_NOT_MET"])
    checks = next(e for e in decision["trail"] if e.get("name") == "auditor_checks")
    assert "auditor-selection" in checks["readings"]
    [param] = [p for p in checks["premises"] if p["kind"] == "parameter" and p["name"] == "min_experience_years"]
    assert (param["value"], param["clause"]) == (3, "annex 2 selection")


@pytest.mark.parametrize(
    ("agreement", "codes"),
    [
        pytest.param("signed", [], id="signed"),
        pytest.param("to_sign", ["TRIPARTITE_AGREEMENT_TO_SIGN"], id="to-sign"),
    ],
)
def test_the_tripartite_agreement_is_to_sign_before_the_audit(library, agreement, codes):
    """§III.2: « Un document d'engagement tripartite est signé par l'entreprise, l'auditeur et le gestionnaire de
    programme. » Not yet signed, it does not bar the assignment: the assigned auditor is told to sign it
    (decision tripartite-agreement); refused, it bars the auditor (test_each_ground_excludes_the_auditor)."""
    decision = assignment(library, [auditor("claire-morvan", tripartite_agreement=agreement)])
    assert decision["outcome"] == "assigned"
    assert finding_codes(decision) == codes
    if codes:
        [f] = decision["findings"]
        assert (f["severity"], f["clause"]) == ("info", "§III.2 tripartite agreement")
        assert f["message"].startswith(
            "The tripartite agreement of the audit is to be signed by company TRANSPORTS-LE-GOFF, claire-morvan and the programme manager before the audit"
        )


def test_the_tripartite_agreement_defaults_to_be_signed(library):
    entry = auditor("claire-morvan")
    del entry["tripartite_agreement"]
    assert finding_codes(assignment(library, [entry])) == ["TRIPARTITE_AGREEMENT_TO_SIGN"]


def test_having_accompanied_or_audited_other_companies_does_not_bar(library):
    pool = [auditor("claire-morvan", accompanied_companies=["KERBRAT-LOGISTIQUE"], audited_companies=["TRANSPORTS-ROUQUETTE"])]
    decision = assignment(library, pool)
    assert decision["outcome"] == "assigned"
    assert decision["values"]["excluded_auditors"] == []


def test_several_grounds_on_one_auditor_are_all_listed(library):
    barred = auditor(
        "audit-transport-conseil",
        natural_person=False,
        habilitated_on="2016-05-02",
        training_days=1,
        accompanied_companies=[COMPANY["id"]],
        audited_companies=[COMPANY["id"]],
        employed_by_programme_manager=True,
        incompatibility=True,
        travels_nationwide=False,
        available=False,
    )
    decision = assignment(library, [barred])
    assert decision["outcome"] == "no_auditor_available"
    assert decision["values"]["excluded_auditors"] == [
        {
            "auditor": "audit-transport-conseil",
            "barred_by": [
                "not_a_natural_person",
                "habilitation_not_valid",
                "training_not_completed",
                "accompanied_the_company",
                "already_audited_the_company",
                "employed_by_programme_manager",
                "incompatibility",
                "cannot_travel_nationwide",
                "not_available",
            ],
        }
    ]
    by_code = {f["code"]: f for f in decision["findings"]}
    assert sorted(finding_codes(decision)) == ["AUDITOR_NOT_ASSIGNABLE", "AUDITOR_REQUIREMENT_NOT_MET", "HABILITATION_NOT_VALID"]
    assert by_code["AUDITOR_REQUIREMENT_NOT_MET"]["message"] == (
        "audit-transport-conseil cannot audit the company: not_a_natural_person, training_not_completed, "
        "already_audited_the_company, employed_by_programme_manager, incompatibility, cannot_travel_nationwide."
    )
    assert by_code["AUDITOR_NOT_ASSIGNABLE"]["message"] == (
        "audit-transport-conseil cannot be assigned: accompanied_the_company, not_available."
    )
    assert by_code["HABILITATION_NOT_VALID"]["message"] == (
        "audit-transport-conseil: habilitated on 2016-05-02, valid until the day before 2017-05-02; not valid on 2018-03-01."
    )


# --- auditor assignment: the one-year habilitation ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("habilitated", "anchor", "event", "valid"),
    [
        pytest.param("2017-06-01", "2018-01-08", "2018-05-31", True, id="day-before-anniversary"),
        pytest.param("2017-06-01", "2018-01-08", "2018-06-01", False, id="anniversary"),
        pytest.param("2017-06-01", "2017-06-01", "2017-06-01", True, id="habilitated-that-day"),
        pytest.param("2018-03-02", "2018-01-08", "2018-03-01", False, id="habilitated-after-the-assignment"),
        pytest.param("2016-02-29", ANCHOR_2016, "2017-02-27", True, id="29-feb-2016-valid-27-feb-2017"),
        pytest.param("2016-02-29", ANCHOR_2016, "2017-02-28", False, id="29-feb-2016-lapsed-28-feb-2017"),
        # an assignment in 2021 follows the version of 1 September 2019, not encoded: no 2020 case
    ],
)
def test_habilitation_lasts_until_the_day_before_its_anniversary(library, habilitated, anchor, event, valid):
    decision = assignment(library, [auditor("claire-morvan", habilitated_on=habilitated)], anchor=anchor, event=event)
    if valid:
        assert decision["outcome"] == "assigned"
        assert decision["findings"] == []
    else:
        assert decision["outcome"] == "no_auditor_available"
        assert decision["values"]["excluded_auditors"] == [{"auditor": "claire-morvan", "barred_by": ["habilitation_not_valid"]}]
        assert finding_codes(decision) == ["HABILITATION_NOT_VALID"]


def test_habilitation_message_names_the_anniversary(library):
    decision = assignment(library, [auditor("claire-morvan", habilitated_on="2017-06-01")], event="2018-06-01")
    [finding] = decision["findings"]
    assert finding["message"] == (
        "claire-morvan: habilitated on 2017-06-01, valid until the day before 2018-06-01; not valid on 2018-06-01."
    )
    assert finding["clause"] == "annex 2 validity"


# --- auditor assignment: input and versions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("anchor", "event"),
    [pytest.param("2018-01-08", "2018-03-01", id="2017-05-24"), pytest.param(ANCHOR_2016, "2016-11-14", id="2016-06-10")],
)
def test_an_auditor_listed_twice_is_an_invalid_dossier(cli, tmp_path, anchor, event):
    pool = [auditor("claire-morvan"), auditor("yann-le-bihan"), auditor("claire-morvan", audits_assigned=3)]
    path = write_dossier(tmp_path, "auditor_assignment", {"company": COMPANY, "auditors": pool}, anchor, event)
    output = refused(cli("evaluate", path))
    assert f"invalid dossier: {path}: the inputs of procedure 'auditor_assignment' are inconsistent" in unlined(output)
    assert f"{path} $.facts.auditors: each auditor appears once; repeated: claire-morvan (§III.2 assignment)" in unlined(output)


def test_assignment_made_in_2016_follows_the_2016_version(library):
    pool = [auditor("claire-morvan", habilitated_on="2016-09-05"), auditor("yann-le-bihan", habilitated_on="2016-09-05", audits_assigned=1)]
    decision = assignment(library, pool, anchor=ANCHOR_2016, event="2016-11-14")
    assert decision["outcome"] == "assigned"
    assert ranked(decision) == ["claire-morvan", "yann-le-bihan"]
    [choice] = decision["versions"]
    assert (choice["section"], choice["version"], choice["mode"]) == ("auditors", V2016, "event_date")
    assert choice["reason"] == (
        "section 'auditors' follows the event date; version 2016-06-10 (in force from 2016-06-10) "
        "is the latest version defining it in force on the event date 2016-11-14"
    )
    [checks] = [d for d in decision["trail"] if d.get("name") == "auditor_checks"]
    assert checks["version"] == V2016


def test_assignment_in_2018_for_a_2016_cycle_follows_the_2017_version(library):
    decision = assignment(library, [auditor("claire-morvan")], anchor=ANCHOR_2016, event="2018-03-01")
    assert decision["outcome"] == "assigned"
    [choice] = decision["versions"]
    assert (choice["section"], choice["version"], choice["mode"]) == ("auditors", V2017, "event_date")
    assert choice["clause"] == "§III.1 version change"
    assert choice["reason"] == (
        "version 2017-05-24 (in force from 2017-05-24) declares that section 'auditors' follows the event date; "
        "it is in force on the event date 2018-03-01"
    )


def test_2016_cycle_assignment_the_day_before_2017_stays_under_2016(library):
    decision = assignment(library, [auditor("claire-morvan", habilitated_on="2016-09-05")], anchor=ANCHOR_2016, event="2017-05-23")
    assert [v["version"] for v in decision["versions"]] == [V2016]
    decision = assignment(library, [auditor("claire-morvan", habilitated_on="2016-09-05")], anchor=ANCHOR_2016, event="2017-05-24")
    assert [(v["version"], v["mode"]) for v in decision["versions"]] == [(V2017, "event_date")]


# --- examples and runtimes -------------------------------------------------------------------------------------------


def test_examples_show_the_versions_they_are_meant_to(cli):
    def version(name: str) -> tuple[str, str]:
        decision = json.loads(cli("evaluate", EXAMPLES / name, "--format", "json").stdout)
        [choice] = decision["versions"]
        return choice["version"], choice["mode"]

    assert version("random-audit-plan-accepted.yaml") == (V2017, "event_date")
    assert version("auditor-assignment-2016-assigned.yaml")[0] == V2016
    assert version("auditor-assignment-assigned.yaml")[0] == V2017


def test_both_runtimes_agree_on_a_plan_breaking_every_condition(library):
    changes = dict(period="P0", auditor="yann-le-bihan", audit_on="2018-02-01", steering_committee_validated=False,
                   random_audits_already_in_cycle=1, charged_to_company_eur=120)
    default = random_audit(library, anchor=ANCHOR_2016, event="2018-01-15", **changes)
    python = random_audit(library, anchor=ANCHOR_2016, event="2018-01-15", runtime="python", **changes)
    assert python == default


def test_both_runtimes_agree_on_a_ranking_with_exclusions(library):
    pool = [
        auditor("yves-riou", audits_assigned=2),
        auditor("anne-guillou", audits_assigned=2),
        auditor("marc-delattre", region="Hauts-de-France"),
        auditor("claire-morvan", habilitated_on="2017-03-01", training_days=1),
        auditor("yann-le-bihan", accompanied_companies=[COMPANY["id"]], available=False),
    ]
    default = assignment(library, pool, anchor=ANCHOR_2016)
    python = assignment(library, pool, anchor=ANCHOR_2016, runtime="python")
    assert python == default
    assert ranked(default) == ["anne-guillou", "yves-riou", "marc-delattre"]

