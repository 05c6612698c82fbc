"""Objectif CO₂: the study of admissibility (2017 and 2016) and the renewal of the label (2017).

Covered, from the labelling procedure of 24 May 2017
(shared/seeds/objectif-co2-labelling-procedure-2017-05-24.txt) and the decisions of
referentials/objectif-co2/2017-05-24.yaml:

- §II.1 step 2: road-transport regulation (a company; a group whose subsidiary fails, which
  puts the whole group in question), conduct harming the programme, the warning on an
  uncertain performance, the unfavourable notice and the new application on a reference
  period at least one year later (decision reapplication-year, with the 29 February case);
- annex 1: unlabelled road subcontracting strictly below 35 % (decision subcontracting-strict),
  labelled and cascade subcontracting, the excluded rental activity combined with the
  unlabelled subcontracting (decision rental-combined), the cross-labelling and the refusal of
  the companies linked to a refused one by the required rate, from member to member (decision
  cross-labelling-linked, outcome partly_admissible);
- the group whose eligibility « dans son ensemble est remise en cause », read as not admissible
  (decision group-in-question);
- the input checks that reject impossible dossiers (exit 1 through the CLI);
- the 2016 version reconstructed from annex 4: only the référentiel's subcontracting criterion,
  one company per application (decision subcontracting-2016), and a cycle anchored in 2016
  that keeps this version after 24 May 2017;
- §II.2 and §III.1 version change: the renewal opens a new cycle judged under the version in
  force on its anchor, at the end of the ending cycle and not before (decisions renewal-timing,
  cycle-period), P3 becomes the new P0 (decision renewal-p3); no renewal in 2016;
- every bundled example of these two procedures, through the CLI; parity of the two runtimes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import finding_codes, judge, write_dossier

from engine import DossierError

V2016 = "2016-06-10"
V2017 = "2017-05-24"

ANCHOR = "2018-03-12"  # a cycle of 2018: version 2017-05-24
EVENT = "2018-04-20"
ANCHOR_2016 = "2016-09-01"  # a cycle of 2016: version 2016-06-10
EVENT_2016 = "2016-10-06"

NOTICE = [
    "expressly motivated (the reasons listed as this decision's findings)",
    "notified by registered letter with acknowledgement of receipt by the ministry in charge of transport",
    "after deliberation of the labelling committee",
    "mentions the routes and time limits of appeal",
]


# --- building dossiers ------------------------------------------------------------------------


def sub(to: str, eur: float, labelled: bool = False, onward: bool = False) -> dict[str, Any]:
    """One subcontractor line of a company."""
    line: dict[str, Any] = {"subcontractor": to, "revenue_eur": eur, "labelled": labelled}
    if onward:
        line["subcontracts_onward_to_unlabelled"] = True
    return line


def company(
    id: str = "TRANSPORTS-A",
    revenue: float = 1_000_000,
    *subcontracting: dict[str, Any],
    start: str = "2017-01-01",
    **extra: Any,
) -> dict[str, Any]:
    """A company of a 2017 application, compliant with regulation unless told otherwise."""
    return {
        "id": id,
        "regulation_compliant": True,
        "transport_revenue_eur": revenue,
        "subcontracting": list(subcontracting),
        "reference_period_start": start,
        **extra,
    }


def company_2016(id: str = "TRANSPORTS-A", revenue: float = 1_000_000, *subcontracting: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A company of a 2016 application: the 2016 input knows no regulation, group or rental."""
    c = company(id, revenue, *subcontracting, **extra)
    del c["regulation_compliant"]
    return c


def admissibility(*companies: dict[str, Any], cross: bool = False) -> dict[str, Any]:
    """The facts of an application of these companies (a cross-labelling when `cross`)."""
    facts: dict[str, Any] = {"companies": list(companies)}
    if cross:
        facts["cross_labelling"] = True
    return facts


def admit(library: Any, *companies: dict[str, Any], cross: bool = False, anchor: str = ANCHOR, event: str = EVENT, **kw: Any) -> dict[str, Any]:
    """Judge an admissibility of the given companies (a cross-labelling when `cross`)."""
    return judge(library, "admissibility", admissibility(*companies, cross=cross), anchor, event, **kw)


def findings(decision: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [f for f in decision["findings"] if f["code"] == code]


def version_of(decision: dict[str, Any], section: str) -> dict[str, Any]:
    [entry] = [v for v in decision["versions"] if v["section"] == section]
    return entry


def rate_of(decision: dict[str, Any], company_id: str) -> dict[str, Any]:
    [entry] = [r for r in decision["values"]["subcontracting_rates"] if r["company"] == company_id]
    return entry


# --- road-transport regulation, group, conduct (§II.1 step 2) ------------------------------------


def test_a_company_breaching_regulation_is_not_admissible(library):
    decision = admit(library, company("TRANSPORTS-A", regulation_compliant=False))
    assert decision["outcome"] == "not_admissible"
    assert finding_codes(decision) == ["REGULATION_NOT_COMPLIED"]
    [f] = decision["findings"]
    assert f["severity"] == "error" and f["clause"] == "§II.1 step 2 opposition"
    assert f["message"].startswith("TRANSPORTS-A: road-transport regulation is not complied with")
    assert decision["values"]["not_admissible_companies"] == ["TRANSPORTS-A"]
    assert decision["values"]["linked_refusals"] == []


def test_a_group_with_one_failing_subsidiary_is_not_admissible_as_a_whole(library):
    group = company(
        "GROUPE-V",
        subsidiaries=[
            {"id": "V-NORD", "regulation_compliant": True},
            {"id": "V-EST", "regulation_compliant": False},
            {"id": "V-OUEST", "regulation_compliant": True},
        ],
    )
    decision = admit(library, group)
    assert decision["outcome"] == "not_admissible"
    assert finding_codes(decision) == ["GROUP_SUBSIDIARY_NOT_COMPLIANT"]
    [f] = decision["findings"]
    assert f["clause"] == "§II.1 step 2 group"
    assert f["message"] == (
        "GROUPE-V: subsidiary V-EST does not comply with road-transport regulation; "
        "the eligibility of the group as a whole is in question, and its application as made is not admissible."
    )
    assert decision["values"]["not_admissible_companies"] == ["GROUPE-V"]  # the parent itself complies


def test_a_group_in_question_is_read_as_not_admissible_with_the_decision_cited(library):
    """« Si un retour est défavorable pour une des filiales, l'éligibilité du groupe dans son ensemble est
    remise en cause » — read as: the group's application as made is not admissible (decision
    group-in-question), since the manager « s'assure que la maison mère et ses filiales respectent chacune
    la réglementation du transport routier ». The rules that apply the reading cite it."""
    group = company("GROUPE-V", subsidiaries=[{"id": "V-EST", "regulation_compliant": False}])
    decision = admit(library, group)
    assert decision["outcome"] == "not_admissible"
    assert decision["values"]["notice"] == NOTICE
    cited = {e["rule"]: e.get("readings", []) for e in decision["trail"] if e.get("rule")}
    assert "group-in-question" in cited["admissibility.group-breaches"]
    assert "group-in-question" in cited["admissibility.group-finding"]
    assert "group-in-question" in cited["admissibility.not-admissible"]


def test_a_group_whose_subsidiaries_all_comply_is_admissible(library):
    group = company("GROUPE-V", subsidiaries=[{"id": "V-NORD", "regulation_compliant": True}])
    decision = admit(library, group)
    assert decision["outcome"] == "admissible"
    assert decision["findings"] == []


def test_conduct_harming_the_programme_is_not_eligible(library):
    decision = admit(library, company("TRV", conduct_harms_programme=True))
    assert decision["outcome"] == "not_admissible"
    assert finding_codes(decision) == ["CONDUCT_HARMS_PROGRAMME"]
    assert decision["findings"][0]["clause"] == "§II.1 step 2 conduct"
    assert decision["values"]["not_admissible_companies"] == ["TRV"]


def test_uncertain_performance_warns_the_company_but_does_not_bar_it(library):
    decision = admit(library, company("TRANSPORTS-A", performance_uncertain=True))
    assert decision["outcome"] == "admissible"
    [f] = decision["findings"]
    assert (f["code"], f["severity"], f["clause"]) == ("COMPANY_WARNED_BEFORE_AUDIT", "warning", "§II.1 step 2 uncertainty")
    assert f["message"].startswith("TRANSPORTS-A: its calculated performance seems uncertain")


def test_several_grounds_are_all_listed(library):
    decision = admit(
        library,
        company("TRANSPORTS-A", 1_000_000, sub("X", 400_000), regulation_compliant=False, conduct_harms_programme=True),
    )
    assert decision["outcome"] == "not_admissible"
    assert sorted(finding_codes(decision)) == ["CONDUCT_HARMS_PROGRAMME", "REGULATION_NOT_COMPLIED", "UNLABELLED_SUBCONTRACTING_TOO_HIGH"]
    assert decision["values"]["not_admissible_companies"] == ["TRANSPORTS-A"]


# --- the unfavourable notice and the new application ---------------------------------------------


def test_refusal_carries_the_notice_and_the_earliest_new_reference_period(library):
    decision = admit(library, company("TRANSPORTS-A", start="2017-04-01", regulation_compliant=False))
    values = decision["values"]
    assert values["notice"] == NOTICE
    assert values["earliest_new_reference_period"] == [{"company": "TRANSPORTS-A", "reference_period_start_from": "2018-04-01"}]


def test_earliest_new_reference_period_from_29_february_is_28_february(library):
    decision = admit(library, company("TRANSPORTS-A", start="2016-02-29", conduct_harms_programme=True))
    assert decision["values"]["earliest_new_reference_period"] == [
        {"company": "TRANSPORTS-A", "reference_period_start_from": "2017-02-28"}
    ]


def test_admissible_has_no_notice_and_no_new_period(library):
    decision = admit(library, company())
    assert decision["outcome"] == "admissible"
    assert "notice" not in decision["values"]
    assert "earliest_new_reference_period" not in decision["values"]


@pytest.mark.parametrize(
    "refused_start, new_start, too_early",
    [
        pytest.param("2016-03-15", "2017-03-15", False, id="exactly-one-year-later"),
        pytest.param("2016-03-15", "2017-03-14", True, id="one-day-earlier"),
        pytest.param("2016-03-15", "2018-01-01", False, id="well-after"),
        pytest.param("2016-02-29", "2017-02-28", False, id="29-feb+1-year=28-feb"),
        pytest.param("2016-02-29", "2017-02-27", True, id="29-feb-one-day-earlier"),
        pytest.param("2016-02-29", "2017-03-01", False, id="29-feb-then-1-march"),
    ],
)
def test_new_application_after_a_refusal(library, refused_start, new_start, too_early):
    c = company("TRANSPORTS-Q", start=new_start, previous_refusal={"reference_period_start": refused_start})
    decision = admit(library, c)
    if too_early:
        assert decision["outcome"] == "not_admissible"
        [f] = decision["findings"]
        earliest = "2017-02-28" if refused_start == "2016-02-29" else "2017-03-15"
        assert (f["code"], f["clause"]) == ("REAPPLICATION_TOO_EARLY", "§II.1 step 2 new application")
        assert f["message"] == f"TRANSPORTS-Q: the reference period starts on {new_start}; after the refusal it may start on {earliest} at the earliest."
    else:
        assert decision["outcome"] == "admissible"
        assert decision["findings"] == []


# --- unlabelled subcontracting (annex 1) ---------------------------------------------------------


@pytest.mark.parametrize(
    "unlabelled, outcome, rate, percent, labelled_share",
    [
        pytest.param(0, "admissible", 0.0, 0.0, 100.0, id="none"),
        pytest.param(349_900, "admissible", 0.3499, 34.99, 65.01, id="34.99%-admissible"),
        pytest.param(350_000, "not_admissible", 0.35, 35.0, 65.0, id="exactly-35%-not-below"),
        pytest.param(350_100, "not_admissible", 0.3501, 35.01, 64.99, id="35.01%"),
        pytest.param(1_000_000, "not_admissible", 1.0, 100.0, 0.0, id="everything-subcontracted"),
    ],
)
def test_unlabelled_subcontracting_must_be_below_35_percent(library, unlabelled, outcome, rate, percent, labelled_share):
    decision = admit(library, company("TRANSPORTS-A", 1_000_000, sub("UNLABELLED-CO", unlabelled)))
    assert decision["outcome"] == outcome
    assert rate_of(decision, "TRANSPORTS-A") == {
        "company": "TRANSPORTS-A",
        "rate": rate,
        "rate_percent": percent,
        "labelled_share_percent": labelled_share,
    }
    if outcome == "admissible":
        assert decision["findings"] == []
    else:
        [f] = decision["findings"]
        assert (f["code"], f["severity"], f["clause"]) == ("UNLABELLED_SUBCONTRACTING_TOO_HIGH", "error", "annex 1 subcontracting")


def test_exactly_35_percent_states_the_65_percent_labelled_share(library):
    decision = admit(library, company("MESSAGERIES-G", 8_000_000, sub("T1", 1_700_000), sub("T2", 1_100_000), sub("L", 900_000, labelled=True)))
    assert decision["outcome"] == "not_admissible"
    [f] = decision["findings"]
    assert f["message"] == (
        "MESSAGERIES-G: unlabelled road subcontracting is 35 % of transport revenue; it must be below 35 % "
        "(labelled fleet 65 %, above 65 % required)."
    )  # 35 and 65 are rendered from params.max_unlabelled_subcontracting_rate


def test_labelled_subcontractors_count_as_labelled(library):
    # 90 % subcontracted, but 80 points of it to labelled carriers: 10 % unlabelled
    decision = admit(library, company("TRANSPORTS-A", 1_000_000, sub("LAB-1", 500_000, True), sub("LAB-2", 300_000, True), sub("X", 100_000)))
    assert decision["outcome"] == "admissible"
    assert rate_of(decision, "TRANSPORTS-A")["rate_percent"] == 10.0
    assert decision["findings"] == []


def test_cascade_a_labelled_subcontractor_stays_labelled(library):
    decision = admit(library, company("TRANSPORTS-A", 1_000_000, sub("LAB-CASCADE", 600_000, True, onward=True), sub("X", 100_000)))
    assert decision["outcome"] == "admissible"
    assert rate_of(decision, "TRANSPORTS-A")["rate_percent"] == 10.0
    [f] = decision["findings"]
    assert (f["code"], f["severity"], f["clause"]) == ("CASCADE_SUBCONTRACTING", "info", "annex 1 cascade")
    assert f["message"] == (
        "TRANSPORTS-A: labelled subcontractor(s) LAB-CASCADE counted as labelled although they subcontract onward to unlabelled carriers."
    )


def test_cascade_does_not_make_an_unlabelled_subcontractor_labelled(library):
    decision = admit(library, company("TRANSPORTS-A", 1_000_000, sub("UNLAB", 600_000, False, onward=True)))
    assert decision["outcome"] == "not_admissible"
    assert finding_codes(decision) == ["UNLABELLED_SUBCONTRACTING_TOO_HIGH"]


# --- the excluded rental activity (annex 1, decision rental-combined) ----------------------------


@pytest.mark.parametrize(
    "rental, percent, allowed, codes",
    [
        pytest.param(150_000, 35.0, False, ["RENTAL_EXCLUSION_NOT_ALLOWED"], id="combined-exactly-35%"),
        pytest.param(149_900, 34.99, True, ["RENTAL_ACTIVITY_EXCLUDED"], id="combined-34.99%"),
        pytest.param(100_000, 30.0, True, ["RENTAL_ACTIVITY_EXCLUDED"], id="combined-30%"),
    ],
)
def test_excluded_rental_combined_with_unlabelled_subcontracting(library, rental, percent, allowed, codes):
    """The 35 % ceiling conditions the exclusion, not the application (decision rental-exclusion-refused)."""
    c = company("BERAUD", 1_000_000, sub("X", 200_000), sub("LAB", 300_000, True), rental={"revenue_eur": rental, "excluded": True})
    decision = admit(library, c)
    assert decision["outcome"] == "admissible"  # 20 % of unlabelled subcontracting on its own
    assert finding_codes(decision) == codes
    assert decision["values"]["rental_exclusions"] == [
        {"company": "BERAUD", "rental_eur": rental, "combined_rate_percent": percent, "allowed": allowed}
    ]
    assert rate_of(decision, "BERAUD")["rate_percent"] == 20.0
    [f] = decision["findings"]
    assert f["clause"] == "annex 1 rental"
    if not allowed:
        assert (f["severity"], f["message"]) == (
            "warning",
            "BERAUD: its rental activity (150000 €) with unlabelled subcontracting is 35 % of transport activity, "
            "not below 35 %: it cannot be excluded and stays within the scope of the label.",
        )


def test_a_refused_rental_exclusion_does_not_save_a_subcontracting_failure(library):
    c = company("BERAUD", 1_000_000, sub("X", 360_000), rental={"revenue_eur": 100_000, "excluded": True})
    decision = admit(library, c)
    assert decision["outcome"] == "not_admissible"
    assert sorted(finding_codes(decision)) == ["RENTAL_EXCLUSION_NOT_ALLOWED", "UNLABELLED_SUBCONTRACTING_TOO_HIGH"]


def test_a_rental_activity_not_excluded_is_not_counted(library):
    c = company("BERAUD", 1_000_000, sub("X", 200_000), rental={"revenue_eur": 600_000, "excluded": False})
    decision = admit(library, c)
    assert decision["outcome"] == "admissible"
    assert rate_of(decision, "BERAUD") == {
        "company": "BERAUD", "rate": 0.2, "rate_percent": 20.0, "labelled_share_percent": 80.0,
    }
    assert decision["values"]["rental_exclusions"] == []
    assert decision["findings"] == []


def test_labelled_subcontracting_is_not_combined_with_the_rental(library):
    """Annex 1: « elle pourra l'exclure de la démarche, sous réserve que cette activité combinée à la sous-traitance
    représente moins de 35% de son activité transport » — the bare « sous-traitance » is read as the unlabelled part,
    the 35 % being the ceiling of « sous-traitance routière « non labellisée » » and labelled subcontractors counting
    with the own fleet (decision rental-combined). Rental 20 % + unlabelled 14.99 % + labelled 50 %: the exclusion is
    allowed (34.99 %), where the literal reading (84.99 %) would refuse it; 15 % unlabelled reaches 35 %: refused."""
    for unlabelled, percent, allowed in ((149_900, 34.99, True), (150_000, 35.0, False)):
        c = company("BERAUD", 1_000_000, sub("LAB", 500_000, True), sub("X", unlabelled), rental={"revenue_eur": 200_000, "excluded": True})
        decision = admit(library, c)
        assert decision["outcome"] == "admissible"
        assert decision["values"]["rental_exclusions"] == [
            {"company": "BERAUD", "rental_eur": 200_000, "combined_rate_percent": percent, "allowed": allowed}
        ]
        step = next(e for e in decision["trail"] if e.get("name") == "rental_exclusions")
        assert step["readings"] == ["rental-combined", "rental-exclusion-refused"]


# --- cross-labelling (annex 1, decision cross-labelling-linked) ----------------------------------


def _pair() -> tuple[dict[str, Any], dict[str, Any]]:
    """Two carriers each above 35 % alone, mostly because of each other."""
    armor = company("ARMOR", 6_000_000, sub("IROISE", 1_800_000), sub("KERNE", 600_000))  # 40 % alone
    iroise = company("IROISE", 4_000_000, sub("ARMOR", 1_600_000), sub("KERNE", 200_000))  # 45 % alone
    return armor, iroise


def test_cross_labelling_pair_each_refused_alone(library):
    armor, iroise = _pair()
    alone = [admit(library, c) for c in (armor, iroise)]
    assert [d["outcome"] for d in alone] == ["not_admissible", "not_admissible"]
    assert [rate_of(d, c["id"])["rate_percent"] for d, c in zip(alone, (armor, iroise))] == [40.0, 45.0]


def test_cross_labelling_pair_admissible_together(library):
    decision = admit(library, *_pair(), cross=True)
    assert decision["outcome"] == "admissible"
    # mutual subcontracting counts as labelled; KERNE, outside the cross-labelling, does not
    assert rate_of(decision, "ARMOR")["rate_percent"] == 10.0
    assert rate_of(decision, "IROISE")["rate_percent"] == 5.0
    assert decision["values"]["linked_refusals"] == []
    assert decision["findings"] == []


def test_cross_labelling_refusal_reaches_only_the_companies_linked_by_the_required_rate(library):
    """Annex 1: « En cas de refus du label à une des entreprises concernées par la labellisation croisée, toute
    entreprise liée par le taux de sous-traitance requis ne peut pas être labellisée. » KERNE is refused; ARMOR
    and IROISE subcontract 10 % and 5 % to it: counted as unlabelled, their rates are 20 % and 10 %, below 35 %:
    they are not linked by the required rate and stay admissible (decision cross-labelling-linked)."""
    armor, iroise = _pair()
    third = company("KERNE", 2_000_000, sub("ARMOR", 100_000), conduct_harms_programme=True)
    decision = admit(library, armor, iroise, third, cross=True)
    assert decision["outcome"] == "partly_admissible"
    values = decision["values"]
    assert values["not_admissible_companies"] == ["KERNE"]
    assert values["linked_refusals"] == []
    assert values["admissible_companies"] == ["ARMOR", "IROISE"]
    assert finding_codes(decision) == ["CONDUCT_HARMS_PROGRAMME"]
    assert values["notice"] == NOTICE
    assert [e["company"] for e in values["earliest_new_reference_period"]] == ["KERNE"]


def test_a_company_subcontracting_1_percent_to_the_refused_member_is_not_refused(library):
    """The case of the issue: 1 % subcontracted to the failed member does not link a company by the rate."""
    failing = company("RHONE", 4_000_000, sub("ALPES", 1_600_000), regulation_compliant=False)
    alpes = company("ALPES", 5_000_000, sub("RHONE", 50_000), sub("OUTSIDER", 1_000_000))  # 1 % to RHONE, 20 % unlabelled
    decision = admit(library, failing, alpes, cross=True)
    assert decision["outcome"] == "partly_admissible"
    assert decision["values"]["admissible_companies"] == ["ALPES"]
    assert decision["values"]["linked_refusals"] == []


@pytest.mark.parametrize(
    "to_refused, linked",
    [
        pytest.param(499_500, False, id="34.99%-with-the-refused-member-not-linked"),
        pytest.param(500_000, True, id="exactly-35%-linked"),
        pytest.param(500_500, True, id="35.01%-linked"),
    ],
)
def test_linked_at_exactly_the_ceiling(library, to_refused, linked):
    """Linked when the rate, the refused member's share counted as unlabelled, is not « inférieur à 35% »
    (decisions cross-labelling-linked and subcontracting-strict): 25 % elsewhere plus about 10 % to the refused one."""
    failing = company("RHONE", 4_000_000, sub("ALPES", 1_600_000), regulation_compliant=False)
    alpes = company("ALPES", 5_000_000, sub("RHONE", to_refused), sub("OUTSIDER", 1_250_000))
    decision = admit(library, failing, alpes, cross=True)
    assert decision["values"]["linked_refusals"] == (["ALPES"] if linked else [])
    assert decision["outcome"] == ("not_admissible" if linked else "partly_admissible")
    if linked:
        [f] = findings(decision, "CROSS_LABELLING_LINKED_REFUSAL")
        assert (f["severity"], f["clause"], f["item"]["company"]) == ("error", "annex 1 cross-labelling", "ALPES")
        assert f["message"].startswith("ALPES: its subcontracting to RHONE, refused, no longer counts as labelled; its unlabelled subcontracting is then 3")
        assert f["message"].endswith("not below 35 %: linked by the required rate, it cannot be labelled.")


def test_a_refusal_is_followed_from_member_to_member(library):
    """A company refused because it is linked is itself refused (« en cas de refus du label à une des
    entreprises »): the refusal of A reaches B, which relies on A, then C, which relies on B only, then D."""
    a = company("A", 1_000_000, regulation_compliant=False)
    b = company("B", 1_000_000, sub("A", 300_000), sub("X", 100_000))  # 40 % once A is refused
    c = company("C", 1_000_000, sub("B", 300_000), sub("X", 100_000))  # 40 % once B is refused
    d = company("D", 1_000_000, sub("C", 300_000), sub("X", 100_000))  # 40 % once C is refused
    e = company("E", 1_000_000, sub("D", 100_000), sub("X", 100_000))  # 20 % even with D refused
    decision = admit(library, a, b, c, d, e, cross=True)
    assert decision["values"]["not_admissible_companies"] == ["A"]
    assert decision["values"]["linked_refusals"] == ["B", "C", "D"]
    assert decision["values"]["admissible_companies"] == ["E"]
    assert decision["outcome"] == "partly_admissible"
    rounds = {e["name"]: e["value"] for e in decision["trail"] if e.get("name", "").startswith("refused_")}
    assert rounds == {
        "refused_after_round_1": ["A", "B"], "refused_after_round_2": ["A", "B", "C"],
        "refused_after_round_3": ["A", "B", "C", "D"], "refused_companies": ["A", "B", "C", "D"],
    }


def test_every_member_refused_is_not_admissible(library):
    armor, iroise = _pair()
    iroise["regulation_compliant"] = False
    decision = admit(library, armor, iroise, cross=True)
    assert decision["outcome"] == "not_admissible"
    assert decision["values"]["linked_refusals"] == ["ARMOR"]  # 30 % to IROISE + 10 % outside = 40 %
    assert decision["values"]["admissible_companies"] == []


def test_a_cross_labelling_of_more_than_five_companies_cannot_be_judged(library):
    """The encoding follows a refusal over four rounds (decision cross-labelling-linked): a sixth company is refused as input."""
    six = [company(f"C{i}") for i in range(6)]
    with pytest.raises(DossierError) as raised:
        admit(library, *six, cross=True)
    assert any("a cross-labelling of 6 companies cannot be judged here" in p for p in _problems(raised.value))
    assert admit(library, *six[:5], cross=True)["outcome"] == "admissible"


def test_cross_labelling_still_needs_each_member_below_35_percent(library):
    armor, iroise = _pair()
    iroise["subcontracting"].append(sub("OUTSIDER", 1_200_000))  # 5 % + 30 % = 35 % outside the pair
    decision = admit(library, armor, iroise, cross=True)
    assert decision["outcome"] == "not_admissible"
    assert decision["values"]["not_admissible_companies"] == ["IROISE"]
    assert decision["values"]["linked_refusals"] == ["ARMOR"]
    assert sorted(finding_codes(decision)) == ["CROSS_LABELLING_LINKED_REFUSAL", "UNLABELLED_SUBCONTRACTING_TOO_HIGH"]


# --- input checks ----------------------------------------------------------------------------------


def _problems(exc: DossierError) -> list[str]:
    return [p.render() for p in exc.problems]


def test_several_companies_need_a_cross_labelling(library):
    with pytest.raises(DossierError) as raised:
        admit(library, *_pair())
    assert "the inputs of procedure 'admissibility' are inconsistent" in raised.value.message
    [problem] = _problems(raised.value)
    assert problem.endswith(
        "$.facts.companies: several companies (2) are decided together only in a cross-labelling: "
        "set cross_labelling: true (annex 1 cross-labelling)"
    )


def test_several_companies_without_cross_labelling_exit_1_through_the_cli(cli, tmp_path):
    armor, iroise = _pair()
    path = write_dossier(tmp_path / "pair.yaml", "admissibility", {"companies": [armor, iroise]}, ANCHOR, EVENT)
    result = cli("evaluate", path, "--format", "json")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "invalid dossier" in result.stderr
    assert "several companies (2) are decided together only in a cross-labelling: set cross_labelling: true" in result.stderr


def test_a_cross_labelling_needs_two_companies(library):
    with pytest.raises(DossierError) as raised:
        admit(library, company(), cross=True)
    [problem] = _problems(raised.value)
    assert problem.endswith("$.facts.cross_labelling: a cross-labelling links at least two companies (annex 1 cross-labelling)")


@pytest.mark.parametrize(
    "c, rejected",
    [
        pytest.param(company("A", 1_000_000, sub("X", 600_000), sub("L", 400_000.01, True)), True, id="subcontracting-above-revenue"),
        pytest.param(company("A", 1_000_000, sub("X", 300_000), rental={"revenue_eur": 700_001, "excluded": False}), True, id="with-rental-above-revenue"),
        pytest.param(company("A", 1_000_000, sub("X", 300_000), sub("L", 700_000, True)), False, id="exactly-the-revenue"),
    ],
)
def test_subcontracting_cannot_exceed_transport_revenue(library, c, rejected):
    if rejected:
        with pytest.raises(DossierError) as raised:
            admit(library, c)
        [problem] = _problems(raised.value)
        assert problem.endswith(
            "$.facts.companies: a company's subcontracting and rental revenue exceed its transport revenue: A (annex 1 subcontracting)"
        )
    else:
        assert admit(library, c)["outcome"] == "admissible"


def test_subcontracting_above_revenue_exit_1_through_the_cli(cli, tmp_path):
    facts = {"companies": [company("A", 1_000_000, sub("X", 1_000_000.01))]}
    result = cli("evaluate", write_dossier(tmp_path / "over.yaml", "admissibility", facts, ANCHOR, EVENT))
    assert result.exit_code == 1
    assert "a company's subcontracting and rental revenue exceed its transport revenue: A" in result.stderr


def test_a_company_appears_once(library):
    with pytest.raises(DossierError) as raised:
        admit(library, company("A"), company("A"), cross=True)
    assert any(p.endswith("each company appears once; repeated: A (annex 1 cross-labelling)") for p in _problems(raised.value))


# --- runtimes ------------------------------------------------------------------------------------------


PARITY_CASES = {
    "admissible-cascade": (company("A", 1_000_000, sub("L", 500_000, True, onward=True), sub("X", 349_900)),),
    "exactly-35": (company("A", 1_000_000, sub("X", 350_000)),),
    "rental-35": (company("A", 1_000_000, sub("X", 200_000), rental={"revenue_eur": 150_000, "excluded": True}),),
    "group": (company("G", subsidiaries=[{"id": "S", "regulation_compliant": False}], performance_uncertain=True),),
    "cross-refused": (*_pair(), company("KERNE", 2_000_000, regulation_compliant=False)),
}


@pytest.mark.parametrize("name", PARITY_CASES)
def test_runtimes_agree(library, name):
    companies = PARITY_CASES[name]
    cross = len(companies) > 1
    durable = admit(library, *companies, cross=cross)
    python = admit(library, *companies, cross=cross, runtime="python")
    assert python["outcome"] == durable["outcome"]
    assert python["values"] == durable["values"]
    assert python["findings"] == durable["findings"]


# --- the version of 10 June 2016 (reconstructed) -------------------------------------------------------


@pytest.mark.parametrize(
    "unlabelled, outcome, rate, percent",
    [
        pytest.param(349_900, "admissible", 0.3499, 34.99, id="34.99%"),
        pytest.param(350_000, "not_admissible", 0.35, 35.0, id="exactly-35%-not-below"),
    ],
)
def test_2016_only_the_subcontracting_criterion(library, unlabelled, outcome, rate, percent):
    c = company_2016("MIGNOT", 1_000_000, sub("X", unlabelled), sub("L", 400_000, True))
    decision = admit(library, c, anchor=ANCHOR_2016, event=EVENT_2016)
    assert version_of(decision, "admissibility")["version"] == V2016
    assert decision["outcome"] == outcome
    assert decision["values"]["subcontracting_rates"] == [{"company": "MIGNOT", "rate": rate, "rate_percent": percent}]
    if outcome == "not_admissible":
        [f] = decision["findings"]
        assert (f["code"], f["clause"]) == ("UNLABELLED_SUBCONTRACTING_TOO_HIGH", "référentiel subcontracting")
        assert f["message"] == "MIGNOT: unlabelled road subcontracting is 35 % of transport revenue; the référentiel requires below 35 %."
        # no notice and no date for a new application: their 2016 form is not recoverable
        assert set(decision["values"]) == {"subcontracting_rates", "not_admissible_companies"}
    else:
        assert decision["findings"] == []


def test_2016_uncertain_performance_warns(library):
    decision = admit(library, company_2016(performance_uncertain=True), anchor=ANCHOR_2016, event=EVENT_2016)
    assert decision["outcome"] == "admissible"
    assert finding_codes(decision) == ["COMPANY_WARNED_BEFORE_AUDIT"]


@pytest.mark.parametrize(
    "facts, path, message",
    [
        pytest.param({"companies": [company()]}, "$.facts.companies[0].regulation_compliant", "unknown field", id="regulation_compliant"),
        pytest.param({"companies": [company_2016("A"), company_2016("B")]}, "$.facts.companies", "max length is 1", id="two-companies"),
        pytest.param({"companies": [company_2016("A"), company_2016("B")], "cross_labelling": True}, "$.facts.cross_labelling", "unknown field", id="cross_labelling"),
        pytest.param({"companies": [company_2016(rental={"revenue_eur": 1, "excluded": True})]}, "$.facts.companies[0].rental", "unknown field", id="rental"),
        pytest.param({"companies": [company_2016(subsidiaries=[])]}, "$.facts.companies[0].subsidiaries", "unknown field", id="subsidiaries"),
    ],
)
def test_2016_input_rejects_what_2017_added(library, facts, path, message):
    with pytest.raises(DossierError) as raised:
        judge(library, "admissibility", facts, ANCHOR_2016, EVENT_2016)
    assert "the facts do not satisfy the input of procedure 'admissibility' (objectif-co2 2016-06-10" in raised.value.message
    assert any(p.endswith(f"{path}: {message}") for p in _problems(raised.value)), _problems(raised.value)


def test_2016_two_companies_exit_1_through_the_cli(cli, tmp_path):
    facts = {"companies": [company_2016("A"), company_2016("B")]}
    result = cli("evaluate", write_dossier(tmp_path / "two.yaml", "admissibility", facts, ANCHOR_2016, EVENT_2016))
    assert result.exit_code == 1
    assert "$.facts.companies: max length is 1" in result.stderr


def test_2017_criteria_do_not_reach_a_cycle_anchored_in_2016(library):
    """Is a company with a failing subsidiary admitted in 2016? Not expressible.

    The 2016 input has no subsidiaries and no regulation return (the group and regulation
    paragraphs were added in 2017, annex 4), so the question cannot be put to the 2016 version
    (see test_2016_input_rejects_what_2017_added). What can be shown: a cycle anchored in 2016
    and decided after 24 May 2017 keeps version 2016-06-10, pinned, and is judged on the
    subcontracting criterion alone; the 2017 criteria apply from the next cycle (§III.1).
    """
    c = company_2016("BERRICHON", 4_000_000, sub("X", 1_000_000))
    decision = admit(library, c, anchor="2016-11-14", event="2017-09-01")
    assert decision["outcome"] == "admissible"
    entry = version_of(decision, "admissibility")
    assert (entry["version"], entry["mode"]) == (V2016, "pinned")
    assert entry["reason"] == (
        "version 2016-06-10 was in force on the cycle anchor 2016-11-14 (from 2016-06-10); section 'admissibility' is pinned "
        "to the cycle; version 2017-05-24 (in force from 2017-05-24) applies from the next cycle (its §III.1 version change)"
    )
    assert decision["forced_version"] is None
    assert {t["rule"] for t in decision["trail"] if t.get("rule")} <= {
        "admissibility-2016.subcontracting-rates", "admissibility-2016.not-admissible",
        "admissibility-2016.subcontracting-finding", "admissibility-2016.uncertain-performance",
        "admissibility-2016.admissible", "admissibility-2016.refused",
    }


def test_a_cycle_anchored_on_24_may_2017_takes_the_2017_criteria(library):
    decision = admit(library, company("A", regulation_compliant=False), anchor="2017-05-24", event="2017-06-01")
    assert version_of(decision, "admissibility")["version"] == V2017
    assert decision["outcome"] == "not_admissible"


# --- renewal (§II.2, §III.1 version change) ---------------------------------------------------------------

# A 2016 cycle ends in the summer of 2019: its renewal, anchored before 1 September 2019, is judged under 2017.
RENEWAL_ANCHOR = "2019-07-01"
RENEWAL_EVENT = "2019-07-24"


def renewal_facts(*companies: dict[str, Any], labelled_on: str = "2016-07-01", version: str = V2016, p3: Any = "default", cross: bool = False) -> dict[str, Any]:
    facts = admissibility(*(companies or (company("FABRE", 1_000_000, sub("X", 200_000), start="2018-01-01"),)), cross=cross)
    facts["previous_cycle"] = {"labelled_on": labelled_on, "version": version}
    if p3 == "default":
        p3 = {"entered_on": "2019-05-28", "intensity": 74.2}
    if p3 is not None:
        facts["p3"] = p3
    return facts


def renew(library: Any, facts: dict[str, Any], anchor: str = RENEWAL_ANCHOR, event: str = RENEWAL_EVENT, **kw: Any) -> dict[str, Any]:
    return judge(library, "renewal", facts, anchor, event, **kw)


def test_renewal_admissible_p3_becomes_the_new_p0(library):
    decision = renew(library, renewal_facts())
    assert decision["outcome"] == "renewal_admissible"
    values = decision["values"]
    assert values["new_reference_period"] == {"period": "P0", "taken_from": "P3 of the ending cycle", "intensity": 74.2, "entered_on": "2019-05-28"}
    assert values["previous_cycle_ended_on"] == "2019-06-30"
    assert values["earliest_renewal"] == "2019-07-01"
    assert values["not_admissible_companies"] == [] and values["linked_refusals"] == []
    assert "notice" not in values
    assert finding_codes(decision) == ["RENEWAL_OPENS_NEW_CYCLE"]
    [f] = decision["findings"]
    assert (f["severity"], f["clause"]) == ("info", "§III.1 version change")
    assert f["message"] == (
        "The renewal opens a new cycle on 2019-07-01, judged under version 2017-05-24; the ending cycle ran under "
        "version 2016-06-10. New criteria apply at renewal."
    )
    assert [(v["section"], v["version"], v["mode"]) for v in decision["versions"]] == [
        ("renewal", V2017, "pinned"), ("admissibility", V2017, "pinned"), ("subcontracting", V2017, "pinned"),
    ]


@pytest.mark.parametrize(
    "anchor, admissible",
    [
        pytest.param("2017-07-01", False, id="one-year-into-the-cycle"),
        pytest.param("2019-06-30", False, id="last-day-of-the-cycle"),
        pytest.param("2019-07-01", True, id="third-anniversary-end-of-the-cycle"),
        pytest.param("2019-07-02", True, id="day-after"),
    ],
)
def test_renewal_at_the_end_of_the_cycle_not_before(library, anchor, admissible):
    """§II.2: « L'entreprise peut renouveler son label à la fin de son cycle de labellisation de 3 ans. » A cycle
    labelled on 1 July 2016 runs, as its attestation, until 30 June 2019 (decision cycle-period); the renewal cycle
    may start on 1 July 2019 at the earliest (decision renewal-timing)."""
    p3 = {"entered_on": min("2019-05-28", anchor), "intensity": 74.2}
    decision = renew(library, renewal_facts(p3=p3), anchor=anchor, event=anchor)
    assert decision["values"]["previous_cycle_ended_on"] == "2019-06-30"
    assert decision["values"]["earliest_renewal"] == "2019-07-01"
    if admissible:
        assert decision["outcome"] == "renewal_admissible"
        assert "RENEWAL_BEFORE_END_OF_CYCLE" not in finding_codes(decision)
    else:
        assert decision["outcome"] == "renewal_not_admissible"
        [f] = findings(decision, "RENEWAL_BEFORE_END_OF_CYCLE")
        assert (f["severity"], f["clause"]) == ("error", "§II.2")
        assert f["message"] == (
            f"The renewal cycle would start on {anchor}, before the end of the cycle labelled on 2016-07-01, which runs "
            "until 2019-06-30: a renewal may start on 2019-07-01 at the earliest."
        )
        assert "notice" not in decision["values"]  # the criteria are not in question: nothing to notify


def test_the_cycle_and_its_attestation_are_one_period(library):
    """§II.1 step 5 « délivrée pour une durée de 3 ans » and §II.2 « cycle de labellisation de 3 ans »: one period
    (decision cycle-period). An attestation issued on 1 July 2016 is valid until 30 June 2019, the ending cycle's
    last day, and its renewal may start on 1 July 2019."""
    granted = judge(library, "labelling", {
        "company": {"name": "Transports Fabre SAS", "address": "Nîmes"}, "reference_period_start": "2015-01-01",
        "referentiel_version": "2016-03-18", "audit": {"auditor": "A", "report_on": "2016-06-10"},
        "scope": {"sites": ["Nîmes"], "vehicle_groups": ["Tractors 44 t"]}, "committee_decision": "grant",
    }, "2016-06-10", "2016-07-01")
    renewed = renew(library, renewal_facts(labelled_on="2016-07-01"))
    assert granted["values"]["attestation"]["valid_until"] == renewed["values"]["previous_cycle_ended_on"] == "2019-06-30"
    assert renewed["values"]["earliest_renewal"] == "2019-07-01"


def test_renewal_of_a_cycle_labelled_on_29_february(library):
    facts = renewal_facts(labelled_on="2016-02-29", p3={"entered_on": "2019-02-20", "intensity": 74.2})
    decision = renew(library, facts, anchor="2019-03-01", event="2019-03-15")
    assert decision["values"]["previous_cycle_ended_on"] == "2019-02-27"
    assert decision["values"]["earliest_renewal"] == "2019-02-28"
    assert decision["outcome"] == "renewal_admissible"


def test_renewal_without_p3_is_not_admissible(library):
    decision = renew(library, renewal_facts(p3=None))
    assert decision["outcome"] == "renewal_not_admissible"
    assert finding_codes(decision) == ["RENEWAL_OPENS_NEW_CYCLE", "P3_NOT_ENTERED"]
    [f] = findings(decision, "P3_NOT_ENTERED")
    assert (f["severity"], f["clause"]) == ("error", "§II.2")
    values = decision["values"]
    assert "new_reference_period" not in values
    assert "notice" not in values  # the criteria are maintained: nothing to notify
    assert values["previous_cycle_ended_on"] == "2019-06-30"


def test_renewal_with_a_criterion_no_longer_met_is_not_admissible_with_notice(library):
    # a group criterion of 2017, unknown to the 2016 cycle, applies at its renewal
    group = company("FABRE", subsidiaries=[{"id": "FABRE-SUD", "regulation_compliant": False}], start="2018-01-01")
    decision = renew(library, renewal_facts(group))
    assert decision["outcome"] == "renewal_not_admissible"
    assert finding_codes(decision) == ["RENEWAL_OPENS_NEW_CYCLE", "GROUP_SUBSIDIARY_NOT_COMPLIANT"]
    assert decision["values"]["not_admissible_companies"] == ["FABRE"]
    assert decision["values"]["notice"] == NOTICE
    assert decision["values"]["new_reference_period"]["period"] == "P0"


def test_renewal_subcontracting_exactly_35_percent(library):
    decision = renew(library, renewal_facts(company("FABRE", 1_000_000, sub("X", 350_000))))
    assert decision["outcome"] == "renewal_not_admissible"
    assert "UNLABELLED_SUBCONTRACTING_TOO_HIGH" in finding_codes(decision)


def test_renewal_cross_labelling(library):
    armor, iroise = _pair()
    assert renew(library, renewal_facts(armor, iroise, cross=True))["outcome"] == "renewal_admissible"
    iroise["regulation_compliant"] = False
    decision = renew(library, renewal_facts(armor, iroise, cross=True))
    assert decision["outcome"] == "renewal_not_admissible"
    assert decision["values"]["linked_refusals"] == ["ARMOR"]


def test_renewal_cross_labelling_partly_admissible(library):
    """At renewal too, only the members linked by the required rate fall with a refused one."""
    armor, iroise = _pair()
    kerne = company("KERNE", 2_000_000, sub("ARMOR", 100_000), regulation_compliant=False)
    decision = renew(library, renewal_facts(armor, iroise, kerne, cross=True))
    assert decision["outcome"] == "renewal_partly_admissible"
    assert decision["values"]["admissible_companies"] == ["ARMOR", "IROISE"]
    assert decision["values"]["not_admissible_companies"] == ["KERNE"]
    assert decision["values"]["notice"] == NOTICE


@pytest.mark.parametrize("labelled_on", ["2019-07-01", "2019-07-02"], ids=["same-day", "after"])
def test_renewal_previous_cycle_must_precede_the_anchor(library, labelled_on):
    with pytest.raises(DossierError) as raised:
        renew(library, renewal_facts(labelled_on=labelled_on))
    [problem] = _problems(raised.value)
    assert f"the ending cycle (labelled on {labelled_on}) must start before the renewal cycle (2019-07-01) (§II.2)" in problem


def test_renewal_several_companies_need_a_cross_labelling(library):
    with pytest.raises(DossierError) as raised:
        renew(library, renewal_facts(*_pair()))
    assert any("set cross_labelling: true" in p for p in _problems(raised.value))


@pytest.mark.parametrize(
    "event, message, problem",
    [
        pytest.param(
            "2017-09-01",
            "section 'renewal' is not defined by version 2016-06-10, which governs the cycle anchored on 2016-10-03",
            "$.cycle.anchor: no later version in force on the event date takes this section over (event_date or retroactive)",
            id="decided-after-2017-05-24",
        ),
        pytest.param(
            "2016-11-15",
            "version 2016-06-10 of objectif-co2 has no procedure 'renewal'",
            "$.procedure: known procedures: admissibility, annual_update, audit_cost, auditor_assignment, labelling, random_audit",
            id="decided-in-2016",
        ),
    ],
)
def test_no_renewal_procedure_for_a_cycle_anchored_in_2016(cli, tmp_path, event, message, problem):
    facts = renewal_facts(labelled_on="2013-10-03")
    result = cli("evaluate", write_dossier(tmp_path / "renewal-2016.yaml", "renewal", facts, "2016-10-03", event), "--format", "json")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stdout == ""
    error = json.loads(result.stderr)  # with --format json the error is JSON too
    assert (error["error"], error["message"]) == ("invalid dossier", f"{tmp_path / 'renewal-2016.yaml'}: {message}")
    path, _, text = problem.partition(": ")
    assert [(p["path"], p["message"]) for p in error["problems"]] == [(path, text)]


def test_renewal_runtimes_agree(library):
    group = company("FABRE", subsidiaries=[{"id": "FABRE-SUD", "regulation_compliant": False}])
    for facts in (renewal_facts(), renewal_facts(p3=None), renewal_facts(group)):
        durable, python = renew(library, facts), renew(library, facts, runtime="python")
        assert (python["outcome"], python["values"], python["findings"]) == (durable["outcome"], durable["values"], durable["findings"])
