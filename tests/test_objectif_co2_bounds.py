"""Objectif CO₂: hostile or absurd inputs are refused before any rule runs (exit 1, naming $.facts.…).

Every count, amount, rate and intensity of the procedures' input schemas has explicit bounds: amounts
(revenue, subcontracting, rental, audit and counter-audit costs, what a random audit charges) are never
negative — annex 3 and §III.3 give amounts in euros, none below zero — and stay within the range of the
revenue bands of annex 3 (up to 10¹² €) or, for an audit's cost, a million euros; counts (employees,
audits, days of training) are whole and not negative; years of experience lie in [0, 80]; intensities
(gCO₂ per unit of the référentiel) in [0, 100 000]. Dates carry [1990-01-01, 2100-12-31] too (see the
last test: the engine does not compare them yet).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import OCO2, ROOT

EXAMPLES = ROOT / "examples" / OCO2


def with_value(example: str, path: tuple[Any, ...], value: Any, tmp_path: Path) -> Path:
    """A copy of an example with one fact changed."""
    document = yaml.safe_load((EXAMPLES / example).read_text(encoding="utf-8"))
    target = document["facts"]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    out = tmp_path / example
    out.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


CASES = [
    pytest.param("admissibility-admissible.yaml", ("companies", 0, "transport_revenue_eur"), -5_000_000, "min value is 0.01", id="admissibility-negative-revenue"),
    pytest.param("admissibility-admissible.yaml", ("companies", 0, "subcontracting", 0, "revenue_eur"), -1, "min value is 0", id="admissibility-negative-subcontracting"),
    pytest.param("admissibility-rental-excluded-admissible.yaml", ("companies", 0, "rental", "revenue_eur"), 2e12, "max value is 1000000000000", id="admissibility-absurd-rental"),
    pytest.param("labelling-cross-labelling-linked-decision-not-allowed.yaml", ("cross_labelling", "transport_revenue_eur"), 0, "min value is 0.01", id="labelling-no-revenue"),
    pytest.param("annual-update-maintained.yaml", ("intensity", "p0"), -86.3, "min value is 0", id="annual-update-negative-intensity"),
    pytest.param("annual-update-maintained.yaml", ("intensity", "period"), 1e9, "max value is 100000", id="annual-update-absurd-intensity"),
    pytest.param("random-audit-plan-accepted.yaml", ("random_audits_already_in_cycle",), -1, "min value is 0", id="random-audit-negative-count"),
    pytest.param("random-audit-plan-accepted.yaml", ("charged_to_company_eur",), -200, "min value is 0", id="random-audit-negative-charge"),
    pytest.param("random-audit-2016-plan-accepted.yaml", ("random_audits_already_in_cycle",), -1, "min value is 0", id="random-audit-2016-negative-count"),
    pytest.param("auditor-assignment-assigned.yaml", ("auditors", 0, "experience_years"), -3, "min value is 0", id="assignment-negative-experience"),
    pytest.param("auditor-assignment-assigned.yaml", ("auditors", 0, "training_days"), 400, "max value is 366", id="assignment-absurd-training"),
    pytest.param("auditor-assignment-2016-assigned.yaml", ("auditors", 0, "audits_assigned"), -1, "min value is 0", id="assignment-2016-negative-audits"),
    pytest.param("audit-cost-medium.yaml", ("headcount",), -1, "min value is 0", id="audit-cost-negative-headcount"),
    pytest.param("audit-cost-medium.yaml", ("revenue_eur",), 2e12, "max value is 1000000000000", id="audit-cost-absurd-revenue"),
    pytest.param("audit-cost-2016-medium.yaml", ("audit_cost_eur",), -2700, "min value is 0", id="audit-cost-2016-negative-cost"),
    pytest.param("counter-audit-withdrawal-confirmed.yaml", ("counter_audit_cost_eur",), -2350, "min value is 0", id="counter-audit-negative-cost"),
    pytest.param("renewal-renewal-admissible.yaml", ("p3", "intensity"), -74.2, "min value is 0", id="renewal-negative-intensity"),
    pytest.param("admissibility-2016-admissible.yaml", ("companies", 0, "transport_revenue_eur"), -1, "min value is 0.01", id="admissibility-2016-negative-revenue"),
    pytest.param("annual-update-2016-maintained.yaml", ("intensity", "p0"), -91.0, "min value is 0", id="annual-update-2016-negative-intensity"),
]


@pytest.mark.parametrize("example, path, value, message", CASES)
def test_an_out_of_range_value_is_refused_with_exit_1_naming_its_path(cli: Callable[..., Any], tmp_path: Path, example: str, path: tuple[Any, ...], value: Any, message: str) -> None:
    dossier = with_value(example, path, value, tmp_path)
    result = cli("evaluate", dossier, "--format", "json")
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    error = json.loads(result.stderr)
    assert error["error"] == "invalid dossier"
    where = "$.facts" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    assert {"path": where, "message": message} in [{"path": p["path"], "message": p["message"]} for p in error["problems"]], error["problems"]


def test_the_examples_themselves_are_within_the_bounds(cli: Callable[..., Any]) -> None:
    for example in {c.values[0] for c in CASES}:
        assert cli("evaluate", EXAMPLES / example).exit_code == 0, example


def test_a_date_before_1990_is_refused(cli: Callable[..., Any], tmp_path: Path) -> None:
    dossier = with_value("admissibility-admissible.yaml", ("companies", 0, "reference_period_start"), "1989-12-31", tmp_path)
    assert cli("evaluate", dossier).exit_code == 1
