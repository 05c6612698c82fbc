"""The applicant's report (`referee report`, engine/decision/report.py), read without a browser.

What the page says (header, versions and why, steps with their quoted clause and readings, findings,
values in the reader's notation, digests and seal), that every text of the decision is escaped, that it
makes no request, and what the CLI refuses. tests/test_report_browser.py opens the same pages in Chromium.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from engine import Decision, Library, load_dossier, read_dossier
from engine.decision.explain import derivation_tree, render_tree
from engine.decision.locale import CATALOGUE, Locale, unit_of
from engine.decision.model import RuleStep
from engine.decision.report import Provenance, report_html
from engine.model.documents import load_document
from engine.store.replay import DIFFERING, REPRODUCED, UNVERIFIABLE, VERDICTS, Replay

# one dossier per scheme, each with quoted clauses and readings on its outcome's trail
EXAMPLES = {
    "bilan-carbone-compliance": ROOT / "examples" / "bilan-carbone-compliance" / "compliant.yaml",
    "objectif-co2": ROOT / "examples" / "objectif-co2" / "labelling-decision-not-allowed.yaml",
    "label-bas-carbone": ROOT / "examples" / "label-bas-carbone" / "credits-haies-2021-additive-discounts-quantified.yaml",
    "label-transmission": ROOT / "examples" / "label-transmission" / "invoice-600-eur-content-computed.yaml",
}
DECISION_1 = ROOT / "tests" / "data" / "decision-1-bilan-carbone-compliant.json"
NNBSP, NBSP = "\u202f", "\u00a0"  # French thousands separator; between a number and its unit


def decide(library: Library, scheme: str) -> Decision:
    return library.evaluate(load_dossier(EXAMPLES[scheme]))


def write_decision(decision: Decision, folder: Path, name: str) -> Path:
    path = folder / f"{name}.json"
    path.write_text(json.dumps(decision.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def text_of(page: str) -> str:
    """The page's text as a reader sees it: tags dropped, entities decoded, white space collapsed."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)>.*?</\1>", "", page, flags=re.S)))
    return re.sub(r"[ \t\r\n]+", " ", text).strip()  # no-break spaces are kept: they are part of the notation


@pytest.fixture(scope="module")
def decisions(library: Library) -> dict[str, Decision]:
    return {scheme: decide(library, scheme) for scheme in EXAMPLES}


class _Page(HTMLParser):
    """Collects what a page would fetch or link to, and the ids it defines."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.links: list[str] = []
        self.fetched: list[tuple[str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name == "id" and value:
                self.ids.append(value)
            if name == "href" and value is not None:
                self.links.append(value)
            if name in ("src", "srcset", "action", "poster", "data"):
                self.fetched.append((tag, f"{name}={value}"))


def parsed(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    return parser


# --- content -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", EXAMPLES)
def test_the_report_shows_header_versions_and_each_step_with_its_quoted_clause_and_readings(
    scheme: str, decisions: dict[str, Decision], library: Library
) -> None:
    decision = decisions[scheme]
    page = report_html(decision, library, lang="en")
    text = text_of(page)
    assert f"Dossier {decision.dossier_id}" in text
    assert f"Outcome {decision.outcome} {decision.outcome_meaning}" in text
    for used in decision.versions:
        assert f"{used.referential} {used.version}" in text and used.reason in text
    outcome_step = decision.concluded()["outcome"]
    for entry in (e for e in decision.trail if isinstance(e, RuleStep)):
        assert page.count(f'id="step-{entry.id}"') == (1 if entry.kind == "fact" or entry.id in {f.trail for f in decision.findings} else 0)
        assert entry.because in text
    version = next(v for v in library.versions(decision.scheme) if v.id == outcome_step.version)
    quoted = version.provisions[outcome_step.clause].text
    assert " ".join(quoted.split()) in text, "the outcome's clause is quoted from the referential"
    readings = {d["id"]: d for d in version.document.get("decisions") or ()}
    applied = [r for e in decision.trail if isinstance(e, RuleStep) and e.section == outcome_step.section for r in e.readings]
    assert applied, f"{EXAMPLES[scheme].name} applies no reading: choose an example that does"
    for reading in applied:
        assert f"Reading {reading}" in text and " ".join(readings[reading]["decision"].split()) in text
    assert decision.to_json()["seal"] in text and "verified: the decision is the one that was sealed" in text
    for label, digest in decision.digests.referentials.items():
        assert f"{label} {digest}" in text


def test_findings_are_listed_with_their_severity_and_link_to_the_step_that_raised_them(decisions: dict[str, Decision], library: Library) -> None:
    decision = decisions["label-bas-carbone"]
    page = report_html(decision, library, lang="fr")
    text = text_of(page)
    severities = {"info": "information", "warning": "avertissement", "error": "erreur"}
    for finding in decision.findings:
        assert f"{severities[finding.severity]} {finding.code} {finding.message} {finding.clause} voir l’étape {finding.trail}" in text
        assert f'href="#step-{finding.trail}"' in page and f'id="step-{finding.trail}"' in page


def test_every_link_of_the_page_points_into_it_and_nothing_is_fetched(decisions: dict[str, Decision], library: Library) -> None:
    for decision in decisions.values():
        page = report_html(decision, library)
        found = parsed(page)
        assert found.fetched == [] and "link" not in found.tags and "iframe" not in found.tags
        assert not re.search(r"url\(|@import", page), "the inline style loads nothing"
        assert "default-src 'none'" in page, "and the page forbids itself any request"
        assert found.links and all(link.startswith("#") for link in found.links)
        assert {link[1:] for link in found.links} <= set(found.ids), "no link is left dangling"
        assert len(found.ids) == len(set(found.ids))


def test_a_long_value_is_shown_once_in_the_appendix_and_linked_to(decisions: dict[str, Decision], library: Library) -> None:
    """The criteria the Bilan Carbone rules read several times are written out once: the page grows with the decision, not its readings."""
    page = report_html(decisions["bilan-carbone-compliance"], library, lang="en")
    assert page.count("Calculation rules match the method on both test cases") == 1
    assert page.count('href="#fact-1"') >= 2 and page.count('id="fact-1"') == 1


# --- escaping ------------------------------------------------------------------------------------------------------


def test_every_text_of_the_dossier_is_escaped(library: Library) -> None:
    document = load_document(EXAMPLES["bilan-carbone-compliance"])
    document["dossier_id"] = "<script>alert('id')</script>"
    document["facts"]["criteria"]["A.1"]["justification"] = '<script>alert("fact")</script><img src=x onerror=alert(1)>'
    decision = library.evaluate(read_dossier(document, "hostile.yaml"))
    page = report_html(decision, library)
    assert "<script>alert" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&#39;id&#39;)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(&#34;fact&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    found = parsed(page)
    assert found.tags.count("script") == 1 and found.fetched == []  # the page's own script, and nothing to fetch


# --- the locale ----------------------------------------------------------------------------------------------------


def test_numbers_amounts_units_and_dates_in_each_language() -> None:
    fr, en = Locale("fr"), Locale("en")
    assert fr.number(1234567.5) == f"1{NNBSP}234{NNBSP}567,5" and en.number(1234567.5) == "1,234,567.5"
    assert fr.number(0.041667) == "0,041667" and en.number(0.041667) == "0.041667"
    assert fr.quantity(1250.5, "€") == f"1{NNBSP}250,50{NBSP}€" and en.quantity(1250.5, "€") == "€1,250.50"
    assert fr.quantity(1250, "EUR excl. VAT") == f"1{NNBSP}250,00{NBSP}€{NBSP}excl. VAT"
    assert fr.quantity(2500, unit_of("fee_eur_excl_vat")) == f"2{NNBSP}500,00{NBSP}€{NBSP}HT"
    assert en.quantity(2500, unit_of("fee_eur_excl_vat")) == f"€2,500.00{NBSP}excl. VAT"
    assert fr.quantity(418.78, unit_of("total_credits_tco2e")) == f"418,78{NBSP}tCO₂e"
    assert en.quantity(25, unit_of("carbon_content_kgco2e")) == f"25{NBSP}kgCO₂e"
    assert fr.quantity(0.041667, unit_of("factor_kgco2e_per_eur")) == f"0,041667{NBSP}kgCO₂e/€", "a factor per euro is not an amount"
    assert fr.quantity(35, unit_of("total_rate_percent")) == f"35{NBSP}%" and en.quantity(35, "%") == "35%"
    assert fr.quantity(12, "kgCO2e per unit") == f"12{NBSP}kgCO₂e per unit"
    assert fr.date("2024-05-21") == "21 mai 2024" and en.date("2024-05-21") == "21 May 2024"
    assert fr.moment("2026-12-06T20:12:04+00:00") == "6 déc. 2026, 20:12:04 UTC"
    assert en.moment("2026-12-06T21:12:04+01:00") == "6 Dec 2026, 20:12:04 UTC", "a store's time is shown in UTC"
    assert fr.scalar(True) == "oui" and en.scalar(None) == "not given"
    assert fr.scalar("2021-06-01") == "2021-06-01", "a text that looks like a date (a version's id) reads as written"


def test_the_report_writes_values_in_the_readers_notation(decisions: dict[str, Decision], library: Library) -> None:
    credits = decisions["label-bas-carbone"]
    assert credits.values["total_credits_tco2e"] == 418.78
    assert f"418,78{NBSP}tCO₂e" in text_of(report_html(credits, library, lang="fr"))
    assert f"418.78{NBSP}tCO₂e" in text_of(report_html(credits, library, lang="en"))
    invoice = text_of(report_html(decisions["label-transmission"], library, lang="fr"))
    assert f"carbon_content_kgco2e 25{NBSP}kgCO₂e" in invoice and f"factor_g_per_eur 41,7{NBSP}g/€" in invoice
    assert f"amount_eur 600,00{NBSP}€" in invoice, "a dossier fact with a unit in its name, read by a step"


def test_the_page_is_in_the_language_asked_for_and_in_the_referentials_by_default(decisions: dict[str, Decision], library: Library) -> None:
    decision = decisions["bilan-carbone-compliance"]
    french = report_html(decision, library, lang="fr")
    assert '<html lang="fr">' in french and "Versions appliquées" in french and "date d’ancrage du cycle 4 mars 2024" in text_of(french)
    english = report_html(decision, library)  # the referential is written in English
    assert '<html lang="en">' in english and "Versions applied" in english and "cycle anchor 4 March 2024" in text_of(english)
    assert decision.concluded()["outcome"].because in text_of(french), "the decision's sentences are quoted, not translated"


def test_both_languages_have_every_word_and_every_word_is_used() -> None:
    assert CATALOGUE["fr"].keys() == CATALOGUE["en"].keys()
    folder = ROOT / "engine" / "decision"
    source = "".join((folder / name).read_text(encoding="utf-8") for name in ("templates/report.html.j2", "report.py", "locale.py"))
    terms = {key for key in CATALOGUE["en"] if key.startswith(("mode_", "severity_", "verdict_"))}  # looked up by the decision's or the replay's term
    unused = [key for key in CATALOGUE["en"].keys() - terms if f'word("{key}"' not in source and f"word('{key}'" not in source]
    assert unused == []


# --- seal, replay, provenance --------------------------------------------------------------------------------------


def test_the_evaluator_and_the_replay_are_shown_when_given(decisions: dict[str, Decision], library: Library) -> None:
    decision = decisions["objectif-co2"]
    about = {"dossier_id": decision.dossier_id, "scheme": decision.scheme, "procedure": decision.procedure, "seal": decision.to_json()["seal"]}
    reproduced = Provenance(evaluator="Bureau Veritas <audit>", decided_at="2026-03-02", replay=Replay(REPRODUCED, **about, row=7))
    text = text_of(report_html(decision, library, lang="en", provenance=reproduced))
    assert "Evaluator Bureau Veritas <audit>" in text and "Decided on 2 March 2026" in text
    assert "Replay reproduced — row 7 of the decision store judged again under the versions recorded with it" in text
    differs = Replay(DIFFERING, **about, difference="trail entry 'd4' at $.value: 82 then, 80 now", because=("the rules of objectif-co2 2017-05-24 changed since",))
    french = text_of(report_html(decision, library, lang="fr", provenance=Provenance(replay=differs)))
    assert (
        "Rejeu NON reproduite — absente du registre de décisions rejugée sous les versions qu’elle nomme, son dossier tiré du registre "
        "première différence : trail entry 'd4' at $.value: 82 then, 80 now parce que : the rules of objectif-co2 2017-05-24 changed since"
    ) in french
    assert "Évaluateur" not in french
    lacking = Replay(UNVERIFIABLE, **about, reason="the store does not hold its dossier sha256:0f")
    said = text_of(report_html(decision, library, lang="en", provenance=Provenance(replay=lacking)))
    assert "Replay could not be judged again — not in the decision store the store does not hold its dossier sha256:0f" in said
    assert "Replay not replayed (no decision store was given)" in text_of(report_html(decision, library, lang="en"))


def test_every_verdict_of_a_replay_has_its_words_and_its_mark(decisions: dict[str, Decision], library: Library) -> None:
    decision = decisions["bilan-carbone-compliance"]
    about = {"dossier_id": decision.dossier_id, "scheme": decision.scheme, "procedure": decision.procedure, "seal": decision.to_json()["seal"]}
    marks = {}
    for verdict in VERDICTS:
        assert all(f"verdict_{verdict}" in words for words in CATALOGUE.values())
        replayed = Replay(verdict, **about, reason="a reason" if verdict == UNVERIFIABLE else None)
        page = report_html(decision, library, provenance=Provenance(replay=replayed))
        found = re.search(r'<tr id="replay">.*?<span class="status (\w+)">', page, re.S)
        assert found is not None
        marks[verdict] = found.group(1)
    assert marks == {REPRODUCED: "ok", DIFFERING: "bad", UNVERIFIABLE: "warn"}


def test_a_decision_1_file_is_reported_as_unsealed(cli: Callable[..., Any], tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = cli("report", DECISION_1, "-o", out)
    assert result.exit_code == 0, result.output
    assert "is a referee.decision/1 decision, written before decisions were sealed" in result.stderr
    text = text_of(out.read_text(encoding="utf-8"))
    assert "Seal none: a referee.decision/1 decision, written before decisions were sealed; whether it was altered cannot be told" in text
    assert "outcome = compliant" in text and "The score 82/100 is in the compliant band" in text


def test_an_altered_decision_is_refused_and_no_page_is_written(cli: Callable[..., Any], decisions: dict[str, Decision], tmp_path: Path) -> None:
    data = decisions["bilan-carbone-compliance"].to_json()
    data["outcome"] = "refused"
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "report.html"
    result = cli("report", altered, "-o", out)
    assert result.exit_code == 1 and f"invalid decision file: {altered}: decision altered" in result.stderr
    assert "Traceback" not in result.output and not out.exists()


def test_a_cycle_refused_by_the_version_selection_is_reported_with_its_reason(library: Library) -> None:
    decision = library.evaluate(load_dossier(ROOT / "examples" / "objectif-co2" / "cycle-2019-renewal-of-2016-cycle-version-not-encoded.yaml"))
    assert decision.outcome == "version_not_encoded" and "outcome" not in decision.concluded()
    text = text_of(report_html(decision, library, lang="en"))
    refusal = next(e for e in derivation_tree(decision, library)["selection"] if e["mode"] == "not_encoded")
    assert f"outcome = version_not_encoded Rule version selection · {refusal['clause']}" in text and refusal["because"] in text


# --- the command ---------------------------------------------------------------------------------------------------


def test_the_command_writes_the_page_and_refuses_to_overwrite_it_unasked(cli: Callable[..., Any], decisions: dict[str, Decision], tmp_path: Path) -> None:
    decision_file = write_decision(decisions["label-transmission"], tmp_path, "invoice")
    out = tmp_path / "report.html"
    first = cli("report", decision_file, "-o", out, "--lang", "fr")
    assert first.exit_code == 0 and "report of dupont-conseil-VE25-014 (content_computed)" in first.stderr
    assert '<html lang="fr">' in out.read_text(encoding="utf-8")
    again = cli("report", decision_file, "-o", out)
    assert again.exit_code == 2 and "exists already: give --force to overwrite it" in again.stderr
    assert cli("report", decision_file, "-o", out, "--force").exit_code == 0
    assert '<html lang="en">' in out.read_text(encoding="utf-8")
    to_stdout = cli("report", decision_file)
    assert to_stdout.exit_code == 0 and to_stdout.stdout.startswith("<!DOCTYPE html>")
    assert cli("report", decision_file, "--lang", "de").exit_code == 2


# --- the command with a store: the replay, and who decided -------------------------------------------------------

BC_EXAMPLES = ROOT / "examples" / "bilan-carbone-compliance"


@pytest.fixture
def store(cli: Callable[..., Any], tmp_path: Path) -> Path:
    """A SQLite store holding the decision on the compliant Bilan Carbone example, recorded by `referee batch --store`."""
    path = tmp_path / "referee.db"
    assert cli("batch", BC_EXAMPLES / "compliant.yaml", "--store", path, "--evaluator", "A. Auditor").exit_code == 0
    return path


def evaluated(cli: Callable[..., Any], folder: Path, dossier: Path, *options: str) -> Path:
    output = folder / f"{dossier.stem}.json"
    result = cli("evaluate", dossier, "-o", output, *options)
    assert result.exit_code == 0, result.stderr
    return output


def test_with_a_store_the_report_shows_who_decided_and_that_the_decision_is_reproduced(cli: Callable[..., Any], store: Path, tmp_path: Path) -> None:
    from engine.store.repository import Store

    decision_file = evaluated(cli, tmp_path, BC_EXAMPLES / "compliant.yaml")
    out = tmp_path / "report.html"
    result = cli("report", decision_file, "-o", out, "--store", store)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"{out}: report of BC-2024-017 (compliant); replay: reproduced (row 1 of the store)\n"
    row = next(Store.open(str(store)).decisions(seq=1, body=False))
    text = text_of(out.read_text(encoding="utf-8"))
    assert f"Evaluator A. Auditor Decided on {Locale('en').moment(row.decided_at)}" in text
    assert "Replay reproduced — row 1 of the decision store judged again under the versions recorded with it" in text
    french = text_of(cli("report", decision_file, "--store", store, "--lang", "fr").stdout)
    assert "Rejeu reproduite — ligne 1 du registre de décisions rejugée sous les versions enregistrées avec elle" in french


def test_a_decision_the_store_lacks_is_judged_under_the_versions_it_names_or_said_unverifiable(
    cli: Callable[..., Any], store: Path, tmp_path: Path,
) -> None:
    forced = evaluated(cli, tmp_path, BC_EXAMPLES / "compliant.yaml", "--version", "2014-05-19")  # another seal; the store holds its dossier
    result = cli("report", forced, "--store", store)
    assert result.exit_code == 0 and "Evaluator" not in result.stdout
    assert (
        "Replay reproduced — not in the decision store judged again under the versions it names, its dossier from the store"
    ) in text_of(result.stdout)
    other = evaluated(cli, tmp_path, BC_EXAMPLES / "improvement-1-month.yaml")  # a dossier the store has never received
    dossier = json.loads(other.read_text(encoding="utf-8"))["digests"]["dossier"]
    out = tmp_path / "other.html"
    result = cli("report", other, "-o", out, "--store", store)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.endswith(f"; replay: unverifiable (not in the store): the store does not hold its dossier {dossier}\n")
    text = text_of(out.read_text(encoding="utf-8"))
    assert f"Replay could not be judged again — not in the decision store the store does not hold its dossier {dossier}" in text
    unsealed = text_of(cli("report", DECISION_1, "--store", store).stdout)
    assert "Replay not replayed: a referee.decision/1 decision has no seal to compare a replay with" in unsealed


def test_a_report_never_makes_a_store(cli: Callable[..., Any], decisions: dict[str, Decision], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    decision_file = write_decision(decisions["bilan-carbone-compliance"], tmp_path, "compliant")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REFEREE_STORE", raising=False)
    alone = cli("report", decision_file)
    assert alone.exit_code == 0 and "Replay not replayed (no decision store was given)" in text_of(alone.stdout)
    missing = tmp_path / "elsewhere.db"
    monkeypatch.setenv("REFEREE_STORE", str(missing))
    named = cli("report", decision_file)
    assert named.exit_code == 2 and f"there is no store at {missing}" in named.stderr and "Traceback" not in named.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["compliant.json"]


# --- explain's text: wrapped, value and unit apart -----------------------------------------------------------------


def test_explain_wraps_its_lines_and_keeps_a_unit_apart_from_its_value(decisions: dict[str, Decision], library: Library) -> None:
    for decision in decisions.values():
        lines = render_tree(derivation_tree(decision, library)).splitlines()
        assert max(len(line) for line in lines) <= 100
    text = render_tree(derivation_tree(decisions["label-bas-carbone"], library))
    assert "params.discount_combination = additive (multiplicative or additive)" in text
    deadline = library.evaluate(load_dossier(ROOT / "examples" / "bilan-carbone-compliance" / "improvement-1-month.yaml"))
    assert "params.first_improvement_period_months = 1 months" in render_tree(derivation_tree(deadline, library, "deadline"))
