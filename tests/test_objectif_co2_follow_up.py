"""Label Objectif CO₂: the yearly follow-up of a labelled company and the counter-audit.

The yearly update follows the labelling procedure of 24 May 2017 (§II.1 step 6, §III.3, §V
suspension, §V notification) and the decisions of referentials/objectif-co2/2017-05-24.yaml
(update-reminder-month, degraded-performance, suspension-by-committee, exclusion-may); under the
version of 10 June 2016 only the conditions of the label are checked (decisions annual-2016 and
eligibility-2016), the other grounds for suspension being new or moved in 2017. The counter-audit (§V counter-audit,
decision counter-audit-scope) exists from 2017 only, in a section that follows the
event date (decision version-change-pinned): a cycle anchored in 2016 contests a
withdrawal under the 2017 text.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import yaml
from conftest import OCO2, ROOT, finding_codes, judge

from engine import DossierError

V2016 = "2016-06-10"
V2017 = "2017-05-24"
ANCHOR = "2017-10-02"  # start of the labelling cycle (P0 verified)
ANCHOR_2016 = "2016-09-05"
NOTICE = [
    "motivated",
    "notified by registered letter with acknowledgement of receipt by the ministry in charge of transport",
    "mentions the routes and time limits of appeal",
]
EXAMPLES = ROOT / "examples" / OCO2


# --- building dossiers ------------------------------------------------------------------------


def day(date: str, days: int) -> str:
    return (dt.date.fromisoformat(date) + dt.timedelta(days=days)).isoformat()


def update(
    *,
    entered: str | None = "2018-03-20",
    p0: float = 86.3,
    intensity: float | None = 81.7,
    sufficient: bool | None = True,
    period: str = "P1",
    **extra: Any,
) -> dict[str, Any]:
    """The facts of a yearly update; `entered=None` leaves the data out."""
    facts: dict[str, Any] = {"period": period, **extra}
    if entered is not None:
        facts["data_entered_on"] = entered
        facts["intensity"] = {"p0": p0, "period": intensity}
        facts["performance_sufficient"] = sufficient
    return facts


def annual(library, event: str, anchor: str = ANCHOR, **kwargs: Any) -> dict[str, Any]:
    return judge(library, "annual_update", update(**kwargs), anchor, event)


def annual_2016(library, event: str, anchor: str = ANCHOR_2016, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("entered", "2017-09-18")
    return judge(library, "annual_update", update(**kwargs), anchor, event)


def counter(
    library,
    event: str = "2019-07-08",
    anchor: str = ANCHOR,
    *,
    contested: str = "withdrawal",
    initial: str = "Hélène Marchand",
    auditor: str = "Bruno Delmas",
    result: str | None = None,
    cost: float | None = None,
) -> dict[str, Any]:
    facts: dict[str, Any] = {"contested_decision": contested, "initial_auditor": initial, "counter_auditor": auditor}
    if result is not None:
        facts["result"] = result
    if cost is not None:
        facts["counter_audit_cost_eur"] = cost
    return judge(library, "counter_audit", facts, anchor, event)


def version_of(decision: dict[str, Any]) -> dict[str, Any]:
    [entry] = decision["versions"]
    return entry


def finding(decision: dict[str, Any], code: str) -> dict[str, Any]:
    [found] = [f for f in decision["findings"] if f["code"] == code]
    return found


# --- the yearly update under 2017: maintained and awaited ----------------------------------------------------------


def test_data_entered_and_performance_kept_maintains_the_label(library):
    decision = annual(library, "2018-04-16")
    assert decision["outcome"] == "maintained"
    assert decision["values"] == {"suspension_grounds": [], "performance_degraded": False}
    assert decision["findings"] == []
    chosen = version_of(decision)
    assert (chosen["section"], chosen["version"], chosen["mode"]) == ("follow_up", V2017, "pinned")


def test_intensity_equal_to_p0_has_not_degraded(library):
    decision = annual(library, "2018-04-16", p0=82.4, intensity=82.4)
    assert decision["outcome"] == "maintained"
    assert decision["values"]["performance_degraded"] is False


def test_no_data_and_no_reminder_is_awaited(library):
    decision = annual(library, "2018-06-29", entered=None)
    assert decision["outcome"] == "awaiting_update"
    assert decision["values"] == {"suspension_grounds": []}  # without data, whether it degraded is unknown
    assert decision["findings"] == []
    assert "notice" not in decision["values"]


def test_no_data_within_the_month_after_the_reminder_is_awaited(library):
    decision = annual(library, "2018-04-24", entered=None, reminder_received_on="2018-04-03")
    assert decision["outcome"] == "awaiting_update"
    assert decision["values"]["update_deadline"] == "2018-05-03"
    assert decision["findings"] == []


# --- the grounds for suspension --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, event, ground, code",
    [
        pytest.param({"eligibility_maintained": False}, "2018-04-16", "eligibility_lost", "ELIGIBILITY_LOST", id="eligibility-lost"),
        pytest.param(
            {"entered": "2018-05-04", "reminder_received_on": "2018-04-03"}, "2018-05-14",
            "data_not_updated_after_reminder", "DATA_NOT_UPDATED_AFTER_REMINDER", id="data-entered-after-the-month",
        ),
        pytest.param(
            {"entered": None, "reminder_received_on": "2018-04-03"}, "2018-05-04",
            "data_not_updated_after_reminder", "DATA_NOT_UPDATED_AFTER_REMINDER", id="data-not-entered-day-after-the-month",
        ),
        pytest.param({"p0": 74.2, "intensity": 79.8, "sufficient": False}, "2018-05-14", "performance_degraded", "PERFORMANCE_DEGRADED", id="intensity-above-p0-not-sufficient"),
        pytest.param({"sufficient": False}, "2018-05-14", "performance_degraded", "PERFORMANCE_DEGRADED", id="performance-not-sufficient"),
        pytest.param({"data_deliberately_altered": True}, "2018-05-14", "data_deliberately_altered", "DATA_DELIBERATELY_ALTERED", id="data-altered"),
    ],
)
def test_each_ground_makes_a_suspension_possible_with_its_notice(library, kwargs, event, ground, code):
    """§V: « Le comité de labellisation, sur proposition du gestionnaire du label, se réserve le droit de
    suspendre [...] » — a ground makes the suspension possible; the committee decides (decision
    suspension-by-committee). The engine never says the label is suspended."""
    decision = annual(library, event, **kwargs)
    assert decision["outcome"] == "suspension_possible"
    assert decision["values"]["suspension_grounds"] == [ground]
    assert decision["values"]["notice"] == NOTICE
    assert finding_codes(decision) == [code]
    raised = finding(decision, code)
    assert raised["severity"] == "error" and raised["clause"] == "§V suspension"


def test_degraded_performance_message_gives_both_intensities(library):
    decision = annual(library, "2018-05-14", p0=74.2, intensity=79.8, sufficient=False)
    assert decision["values"]["performance_degraded"] is True
    assert finding(decision, "PERFORMANCE_DEGRADED")["message"] == (
        "The programme manager finds the performance of P1 no longer sufficient under the référentiel "
        "(intensity 79.8 against 74.2 at P0): it has degraded."
    )


@pytest.mark.parametrize(
    "p0, intensity, above",
    [
        pytest.param(100.0, 99.99, False, id="below-p0"),
        pytest.param(100.0, 100.0, False, id="equal-to-p0"),
        pytest.param(100.0, 100.01, True, id="100-to-100.01"),
        pytest.param(74.2, 79.8, True, id="well-above-p0"),
    ],
)
def test_a_rise_of_the_intensity_still_found_sufficient_is_not_a_ground(library, p0, intensity, above):
    """§V: « la performance de l'entreprise s'est dégradée » is read as the programme manager's finding that the
    performance is no longer sufficient under the référentiel — the follow-up looks at « l'évolution du niveau de
    performance de l'entreprise, par rapport au niveau de référence calculé par l'outil » (§III.3), not at the
    company's own P0 (decision degraded-performance). 100 → 100.01 with a sufficient finding is maintained; the rise
    is reported for the follow-up."""
    decision = annual(library, "2018-05-14", p0=p0, intensity=intensity, sufficient=True)
    assert decision["outcome"] == "maintained"
    assert decision["values"]["performance_degraded"] is False
    assert decision["values"]["suspension_grounds"] == []
    assert finding_codes(decision) == (["INTENSITY_ABOVE_P0"] if above else [])
    if above:
        f = finding(decision, "INTENSITY_ABOVE_P0")
        assert (f["severity"], f["clause"]) == ("info", "§III.3 follow-up")
        assert f["message"] == (
            f"The intensity of P1 ({intensity}) is above that of P0 ({p0:g}), but the programme manager finds the performance "
            "still sufficient under the référentiel: followed, not a ground for suspension."
        )
    degraded = next(e for e in decision["trail"] if e.get("name") == "performance_degraded")
    assert degraded["readings"] == ["degraded-performance"]


def test_data_entered_need_the_finding_on_the_performance(library):
    """Whether the performance has degraded is the manager's finding: data entered without it are refused."""
    with pytest.raises(DossierError) as caught:
        annual(library, "2018-05-14", sufficient=None)
    [problem] = caught.value.problems
    assert problem.path == ("facts", "performance_sufficient")


def test_every_ground_is_listed_in_the_order_of_the_text(library):
    decision = annual(
        library, "2018-05-14",
        entered="2018-05-10", reminder_received_on="2018-04-03", eligibility_maintained=False,
        sufficient=False, data_deliberately_altered=True,
    )
    assert decision["outcome"] == "suspension_possible"
    assert decision["values"]["suspension_grounds"] == [
        "eligibility_lost", "data_not_updated_after_reminder", "performance_degraded", "data_deliberately_altered",
    ]
    assert sorted(finding_codes(decision)) == sorted(
        ["ELIGIBILITY_LOST", "DATA_NOT_UPDATED_AFTER_REMINDER", "PERFORMANCE_DEGRADED", "DATA_DELIBERATELY_ALTERED"]
    )


@pytest.mark.parametrize(
    "entered, outcome",
    [
        pytest.param("2018-05-03", "maintained", id="entered-on-reminder+1-month-in-time"),
        pytest.param("2018-05-04", "suspension_possible", id="entered-the-day-after-late"),
    ],
)
def test_data_entered_on_the_last_day_of_the_month_are_in_time(library, entered, outcome):
    decision = annual(library, "2018-05-14", entered=entered, reminder_received_on="2018-04-03")
    assert decision["values"]["update_deadline"] == "2018-05-03"
    assert decision["outcome"] == outcome


@pytest.mark.parametrize(
    "event, outcome",
    [
        pytest.param("2018-05-03", "awaiting_update", id="checked-on-the-deadline-still-awaited"),
        pytest.param("2018-05-04", "suspension_possible", id="checked-the-day-after-late"),
    ],
)
def test_data_not_entered_are_late_the_day_after_the_deadline(library, event, outcome):
    decision = annual(library, event, entered=None, reminder_received_on="2018-04-03")
    assert decision["outcome"] == outcome


@pytest.mark.parametrize(
    "reminder, deadline",
    [
        pytest.param("2018-01-31", "2018-02-28", id="31-jan-2018+1-month=28-feb"),
        pytest.param("2019-03-31", "2019-04-30", id="31-mar+1-month=30-apr"),
        pytest.param("2018-12-15", "2019-01-15", id="over-the-year-end"),
    ],
)
def test_the_month_after_the_reminder_clamps_to_the_month_end(library, reminder, deadline):
    on_deadline = annual(library, deadline, entered=None, reminder_received_on=reminder)
    assert on_deadline["values"]["update_deadline"] == deadline
    assert on_deadline["outcome"] == "awaiting_update"
    late = annual(library, day(deadline, 1), entered=None, reminder_received_on=reminder)
    assert late["outcome"] == "suspension_possible"
    assert finding(late, "DATA_NOT_UPDATED_AFTER_REMINDER")["message"] == (
        f"The data of P1 were not entered by {deadline}, 1 month after the reminder received on {reminder} (still not entered)."
    )


@pytest.mark.parametrize(
    "entered, outcome",
    [
        pytest.param("2018-05-05", "maintained", id="a-month-after-receipt-in-time"),
        pytest.param("2018-05-06", "suspension_possible", id="the-day-after-late"),
    ],
)
def test_the_month_runs_from_the_receipt_of_the_reminder_not_its_sending(library, entered, outcome):
    """§V: « dans un délai maximum d'un mois [...], après avoir reçu un courrier de relance » — the month runs from
    the day the company received the reminder (decision update-reminder-month): sent on 3 April, received on the
    5th, the data may be entered until 5 May. The input is the day of receipt; the day of sending is not one."""
    decision = annual(library, "2018-05-14", entered=entered, reminder_received_on="2018-04-05")
    assert decision["values"]["update_deadline"] == "2018-05-05"
    assert decision["outcome"] == outcome


def test_a_reminder_sent_is_not_an_input(library):
    with pytest.raises(DossierError) as caught:
        annual(library, "2018-05-14", reminder_sent_on="2018-04-03")
    [problem] = caught.value.problems
    assert (problem.path, problem.message) == (("facts", "reminder_sent_on"), "unknown field")


# --- the formal notice ---------------------------------------------------------------------------------------------------


def test_unsuccessful_formal_notice_makes_exclusion_possible(library):
    decision = annual(
        library, "2019-06-13", period="P2", entered=None,
        reminder_received_on="2019-03-04", formal_notice={"sent_on": "2019-05-06", "complied": False},
    )
    assert decision["outcome"] == "exclusion_possible"
    assert decision["values"]["notice"] == NOTICE
    assert decision["values"]["update_deadline"] == "2019-04-04"
    assert finding_codes(decision) == ["DATA_NOT_UPDATED_AFTER_REMINDER"]


def test_exclusion_takes_precedence_over_suspension(library):
    decision = annual(
        library, "2019-06-13", eligibility_maintained=False, data_deliberately_altered=True,
        formal_notice={"sent_on": "2019-05-06", "complied": False},
    )
    assert decision["values"]["suspension_grounds"] == ["eligibility_lost", "data_deliberately_altered"]
    assert decision["outcome"] == "exclusion_possible"
    [outcome] = [e for e in decision["trail"] if e.get("name") == "outcome"]
    assert outcome["rule"] == "annual.exclusion" and outcome["clause"] == "§II.1 step 6 exclusion"


def test_complied_formal_notice_is_not_an_exclusion(library):
    decision = annual(library, "2019-06-13", entered="2019-05-20", formal_notice={"sent_on": "2019-05-06", "complied": True})
    assert decision["outcome"] == "maintained"
    assert "notice" not in decision["values"]


def test_complied_formal_notice_does_not_erase_a_late_update(library):
    """The month after the reminder ran out before the data came: a ground for suspension, not for exclusion."""
    decision = annual(
        library, "2019-06-13", entered="2019-05-20", reminder_received_on="2019-03-04",
        formal_notice={"sent_on": "2019-05-06", "complied": True},
    )
    assert decision["outcome"] == "suspension_possible"
    assert decision["values"]["suspension_grounds"] == ["data_not_updated_after_reminder"]


# --- inputs that contradict each other ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, path, message",
    [
        pytest.param(
            {"entered": None, "reminder_received_on": "2018-05-01"}, "$.facts.reminder_received_on",
            "the reminder received on 2018-05-01 cannot follow the check of 2018-04-16 (§V suspension)", id="reminder-after-the-check",
        ),
        pytest.param(
            {"entered": "2018-04-17"}, "$.facts.data_entered_on",
            "data entered on 2018-04-17 cannot be entered after the check of 2018-04-16 (§II.1 step 6)", id="data-after-the-check",
        ),
        pytest.param(
            {"entered": None, "formal_notice": {"sent_on": "2018-04-30", "complied": False}}, "$.facts.formal_notice.sent_on",
            "the formal notice of 2018-04-30 cannot follow the check of 2018-04-16 (§II.1 step 6 exclusion)", id="formal-notice-after-the-check",
        ),
    ],
)
def test_impossible_dates_are_rejected(library, kwargs, path, message):
    with pytest.raises(DossierError) as caught:
        annual(library, "2018-04-16", **kwargs)
    [problem] = caught.value.problems
    assert "$." + ".".join(problem.path) == path
    assert problem.message == message


def test_data_without_their_intensity_are_rejected(library):
    with pytest.raises(DossierError) as caught:
        judge(library, "annual_update", {"period": "P1", "data_entered_on": "2018-03-15", "performance_sufficient": True}, ANCHOR, "2018-04-16")
    [problem] = caught.value.problems
    assert problem.path == ("facts", "intensity")
    assert problem.message == "data entered on 2018-03-15 need their intensity for P0 and the period (§II.1 step 6)"


def test_reminder_and_data_on_the_day_of_the_check_are_accepted(library):
    decision = annual(library, "2018-04-16", entered="2018-04-16", reminder_received_on="2018-04-16")
    assert decision["outcome"] == "maintained"


# --- the yearly update under 2016 ---------------------------------------------------------------------------------------


def test_2016_data_entered_and_sufficient_is_maintained(library):
    decision = annual_2016(library, "2017-04-10", entered="2017-03-27")
    assert decision["outcome"] == "maintained"
    assert decision["values"] == {"conditions_unmet": []}
    assert decision["findings"] == []
    chosen = version_of(decision)
    assert (chosen["version"], chosen["mode"]) == (V2016, "pinned")


def test_2016_intensity_above_p0_but_sufficient_is_maintained(library):
    """Under both versions a rise of the intensity still found sufficient keeps the label (decisions annual-2016 and
    degraded-performance); 2017 reports the rise for the follow-up."""
    under_2016 = annual_2016(library, "2017-10-09", p0=91.0, intensity=93.4)
    assert under_2016["outcome"] == "maintained"
    assert under_2016["values"] == {"conditions_unmet": []}
    under_2017 = annual(library, "2018-10-09", anchor="2017-10-02", entered="2018-09-18", p0=91.0, intensity=93.4)
    assert under_2017["outcome"] == "maintained"
    assert finding_codes(under_2017) == ["INTENSITY_ABOVE_P0"]


@pytest.mark.parametrize(
    "kwargs, unmet, codes",
    [
        pytest.param({"entered": None}, ["data_not_entered"], ["DATA_NOT_ENTERED"], id="data-not-entered"),
        pytest.param({"sufficient": False}, ["performance_not_sufficient"], ["PERFORMANCE_NOT_SUFFICIENT"], id="performance-not-sufficient"),
        pytest.param({"eligibility_maintained": False}, ["eligibility_lost"], ["ELIGIBILITY_LOST"], id="eligibility-lost"),
    ],
)
def test_2016_conditions_not_met(library, kwargs, unmet, codes):
    decision = annual_2016(library, "2017-10-09", **kwargs)
    assert decision["outcome"] == "conditions_not_met"
    assert decision["values"] == {"conditions_unmet": unmet}
    assert finding_codes(decision) == codes
    assert all(f["severity"] == "error" for f in decision["findings"])
    assert "notice" not in decision["values"] and "suspension_grounds" not in decision["values"]


def test_2016_eligibility_lost_stood_in_2016(library):
    """Annex 4 quotes the grounds of suspension as moved and added without the first one, « l'entreprise ne
    respecte plus les conditions d'éligibilité à la démarche « Objectif CO₂ » »: by the reconstruction's own rule,
    it stood in 2016 (decision eligibility-2016); what followed is not recoverable, so the conditions are not met."""
    decision = annual_2016(library, "2017-10-09", eligibility_maintained=False)
    assert decision["outcome"] == "conditions_not_met"
    f = finding(decision, "ELIGIBILITY_LOST")
    assert (f["severity"], f["clause"]) == ("error", "§V eligibility lost")
    step = next(e for e in decision["trail"] if e.get("rule") == "annual-2016.eligibility-finding")
    assert step["readings"] == ["eligibility-2016"]


def test_2016_data_not_entered_message(library):
    decision = annual_2016(library, "2017-10-09", entered=None)
    assert finding(decision, "DATA_NOT_ENTERED")["message"] == "The activity data of P1 are not entered in the online tool on 2017-10-09."


def test_2016_cycle_checked_in_2018_stays_under_2016(library):
    decision = annual_2016(library, "2018-10-08", period="P2", entered="2018-09-24", p0=91.0, intensity=95.0)
    chosen = version_of(decision)
    assert (chosen["version"], chosen["mode"]) == (V2016, "pinned")
    assert chosen["reason"] == (
        "version 2016-06-10 was in force on the cycle anchor 2016-09-05 (from 2016-06-10); section 'follow_up' is "
        "pinned to the cycle; version 2017-05-24 (in force from 2017-05-24) applies from the next cycle (its §III.1 version change)"
    )
    assert decision["outcome"] == "maintained"


@pytest.mark.parametrize(
    "extra, field",
    [
        pytest.param({"reminder_received_on": "2017-09-01"}, "reminder_received_on", id="reminder"),
        pytest.param({"formal_notice": {"sent_on": "2017-09-15", "complied": False}}, "formal_notice", id="formal-notice"),
        pytest.param({"data_deliberately_altered": True}, "data_deliberately_altered", id="data-altered"),
    ],
)
def test_2016_dossier_with_2017_inputs_is_rejected(library, extra, field):
    with pytest.raises(DossierError) as caught:
        annual_2016(library, "2017-10-09", entered=None, **extra)
    assert "objectif-co2 2016-06-10, procedure annual_update" in caught.value.message
    [problem] = caught.value.problems
    assert problem.path == ("facts", field)
    assert problem.message == "unknown field"


def test_2016_dossier_with_a_reminder_exits_1_through_the_cli(cli, tmp_path):
    document = yaml.safe_load((EXAMPLES / "annual-update-2016-conditions-not-met.yaml").read_text(encoding="utf-8"))
    document["facts"]["reminder_received_on"] = "2017-10-02"
    path = tmp_path / "with-reminder.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    result = cli("evaluate", path, "--format", "json")
    assert result.exit_code == 1
    error = json.loads(result.stderr)
    line = next(n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text.strip().startswith("reminder_received_on:"))
    assert {"file": str(path), "line": line, "path": "$.facts.reminder_received_on", "message": "unknown field"} in error["problems"]
    assert "2016-06-10" in error["message"]


def test_2016_data_need_the_finding_on_the_performance(library):
    with pytest.raises(DossierError) as caught:
        annual_2016(library, "2017-10-09", sufficient=None)
    [problem] = caught.value.problems
    assert problem.path == ("facts", "performance_sufficient")
    assert problem.message == "data entered on 2017-09-18 need the programme manager's finding on the performance (§V conditions)"


# --- the counter-audit ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("contested", ["suspension", "cancellation"])
def test_counter_audit_is_not_open_against_a_suspension_or_a_cancellation(library, contested):
    decision = counter(library, contested=contested, result="overturns_withdrawal", cost=2350)
    assert decision["outcome"] == "not_open"
    assert decision["values"] == {}
    [outcome] = [e for e in decision["trail"] if e.get("name") == "outcome"]
    assert outcome["because"] == (
        f"The decision contested is a {contested}; a counter-audit is open against a withdrawal only."
    )


def test_not_open_comes_before_the_auditor_check(library):
    decision = counter(library, contested="suspension", auditor="Hélène Marchand")
    assert decision["outcome"] == "not_open"


def test_initial_auditor_may_not_counter_audit(library):
    decision = counter(library, auditor="Hélène Marchand", result="confirms_withdrawal", cost=2350)
    assert decision["outcome"] == "auditor_not_allowed"
    assert decision["values"] == {}


def test_counter_audit_under_way_is_pending(library):
    decision = counter(library, cost=2350)
    assert decision["outcome"] == "pending"
    assert decision["values"] == {}


@pytest.mark.parametrize(
    "result, outcome, bearer",
    [
        pytest.param("confirms_withdrawal", "withdrawal_confirmed", "company", id="negative-the-company-pays"),
        pytest.param("overturns_withdrawal", "withdrawal_overturned", "programme_manager", id="positive-the-manager-pays"),
    ],
)
def test_who_bears_the_whole_cost(library, result, outcome, bearer):
    with_cost = counter(library, result=result, cost=2350)
    assert with_cost["outcome"] == outcome
    assert with_cost["values"] == {"cost_bearer": bearer, "cost_to_bear_eur": 2350}
    assert with_cost["findings"] == []
    without_cost = counter(library, result=result)
    assert without_cost["outcome"] == outcome
    assert without_cost["values"] == {"cost_bearer": bearer}


def test_counter_audit_of_a_2016_cycle_follows_the_event_date(library):
    decision = counter(library, "2018-07-09", anchor=ANCHOR_2016, initial="François Guérin", result="overturns_withdrawal", cost=2600)
    chosen = version_of(decision)
    assert (chosen["section"], chosen["version"], chosen["mode"]) == ("counter_audit", V2017, "event_date")
    assert chosen["reason"] == (
        "version 2017-05-24 (in force from 2017-05-24) declares that section 'counter_audit' follows the event date; "
        "it is in force on the event date 2018-07-09"
    )
    assert chosen["clause"] == "§III.1 version change"
    assert decision["outcome"] == "withdrawal_overturned"
    assert decision["values"] == {"cost_bearer": "programme_manager", "cost_to_bear_eur": 2600}


def test_counter_audit_before_2017_05_24_has_no_procedure(library):
    with pytest.raises(DossierError) as caught:
        counter(library, "2017-05-23", anchor=ANCHOR_2016)
    assert caught.value.message.endswith("version 2016-06-10 of objectif-co2 has no procedure 'counter_audit'")
    [problem] = caught.value.problems
    assert problem.path == ("procedure",)
    assert "known procedures: admissibility, annual_update, audit_cost, auditor_assignment, labelling, random_audit" in problem.message


def test_counter_audit_on_2017_05_24_of_a_2016_cycle_is_open(library):
    decision = counter(library, "2017-05-24", anchor=ANCHOR_2016)
    assert version_of(decision)["mode"] == "event_date"
    assert decision["outcome"] == "pending"
