"""The applicant's report opened in a real browser: headless Chromium, driven through its chromedriver.

The browser is Debian's `chromium` with its `chromium-driver` (.ci/run installs them): nothing is
downloaded at run time. For one decision of each scheme the test opens the page from its file, expands
a step and reads the quoted clause, follows a link into closed steps, checks that the print view
(A4, every step open) has nothing wider than the page, and keeps a screenshot and the printed PDF in
build/test-artefacts/report/. Where the browser cannot start, the tests skip and say why.
"""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import LIBRARY, ROOT
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.print_page_options import PrintOptions
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from test_report import EXAMPLES, write_decision

from cli import main
from engine import load_dossier, read_dossier
from engine.decision.model import Decision, RuleStep
from engine.model.documents import load_document

ARTEFACTS = ROOT / "build" / "test-artefacts" / "report"
A4_TEXT_WIDTH_PX = round((210 - 2 * 14) / 25.4 * 96)  # A4 less the left and right margins of the page's @page rule, in CSS pixels
INSTALL = "apt-get install chromium chromium-driver (.ci/run does)"


def _executable(*names: str) -> str | None:
    return next((found for name in names if (found := shutil.which(name))), None)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    chromium, driver = _executable("chromium", "chromium-browser"), _executable("chromedriver")
    if chromium is None or driver is None:
        pytest.skip(f"no Chromium to test the report in ({'chromium' if chromium is None else 'chromedriver'} not found): {INSTALL}")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1100,1400"):
        options.add_argument(argument)  # --no-sandbox: CI runs as root, where Chromium's sandbox cannot start
    try:
        started = webdriver.Chrome(service=Service(driver), options=options)
    except WebDriverException as exc:
        pytest.skip(f"Chromium cannot start here: {(exc.msg or str(exc)).splitlines()[0]}")
    try:
        yield started
    finally:
        started.quit()


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Decision, Path]]:
    """One decision per scheme and its report, written by `referee report` from the decision's file."""
    folder = tmp_path_factory.mktemp("reports")
    made = {}
    for scheme, example in EXAMPLES.items():
        decision = LIBRARY.evaluate(load_dossier(example))
        page = folder / f"{scheme}.html"
        result = CliRunner().invoke(main, ["report", str(write_decision(decision, folder, scheme)), "-o", str(page)], obj=LIBRARY)
        assert result.exit_code == 0, result.output
        made[scheme] = (decision, page)
    return made


def _open(browser: WebDriver, page: Path, fragment: str = "") -> None:
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    browser.get(page.resolve().as_uri() + fragment)


def _words(text: str) -> str:
    return " ".join(text.split())


def _quote_of(decision: Decision, entry: RuleStep) -> str:
    """The words of the clause a step cites, as its version quotes them."""
    referential = next(v.referential for v in decision.versions if v.section == entry.section)
    version = next(v for v in LIBRARY.versions(referential) if v.id == entry.version)
    return version.provisions[entry.clause].text


def _step(browser: WebDriver, entry: RuleStep) -> WebElement:
    return browser.find_element(By.ID, f"step-{entry.id}")


@pytest.mark.parametrize("scheme", EXAMPLES)
def test_a_step_opens_onto_its_quoted_clause(scheme: str, browser: WebDriver, reports: dict[str, tuple[Decision, Path]]) -> None:
    decision, page = reports[scheme]
    _open(browser, page)
    assert decision.dossier_id in browser.title
    assert browser.find_element(By.CSS_SELECTOR, "#outcome .outcome-value").text == decision.outcome
    outcome = decision.concluded()["outcome"]
    assert _step(browser, outcome).get_attribute("open") is not None, "the outcome's step is open"
    premise = next(e for e in (decision.entry(p.trail) for p in outcome.premises if p.trail) if isinstance(e, RuleStep))
    step = _step(browser, premise)
    quote = step.find_element(By.CSS_SELECTOR, ":scope > .step-body > figure.quote blockquote")
    assert step.get_attribute("open") is None and not quote.is_displayed(), "a premise's step starts closed"
    step.find_element(By.CSS_SELECTOR, ":scope > summary").click()
    assert step.get_attribute("open") is not None and quote.is_displayed()
    assert _words(quote.text) == _words(_quote_of(decision, premise))
    assert _words(premise.because) in _words(step.find_element(By.CSS_SELECTOR, ":scope > .step-body > .because").text)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTEFACTS / f"{scheme}.png"))


@pytest.mark.parametrize("scheme", EXAMPLES)
def test_a_link_opens_the_closed_steps_down_to_a_reading(scheme: str, browser: WebDriver, reports: dict[str, tuple[Decision, Path]]) -> None:
    decision, page = reports[scheme]
    linked = next(e for e in decision.trail if isinstance(e, RuleStep) and e.readings and e.kind == "fact" and e.name != "outcome")
    _open(browser, page, f"#step-{linked.id}")
    reading = _step(browser, linked).find_element(By.CSS_SELECTOR, ":scope > .step-body > .reading")
    assert reading.is_displayed(), "every step around the one linked to was opened"
    assert f"reading {linked.readings[0]}" in reading.text.lower()


def test_a_findings_link_opens_the_step_that_raised_it(browser: WebDriver, reports: dict[str, tuple[Decision, Path]]) -> None:
    decision, page = reports["label-bas-carbone"]
    _open(browser, page)
    finding = decision.findings[-1]
    target = browser.find_element(By.ID, f"step-{finding.trail}")
    assert not target.find_element(By.CSS_SELECTOR, ":scope > .step-body").is_displayed()
    browser.find_element(By.CSS_SELECTOR, f'#findings a[href="#step-{finding.trail}"]').click()
    assert target.get_attribute("open") is not None and target.find_element(By.CSS_SELECTOR, ":scope > .step-body").is_displayed()


@pytest.mark.parametrize("scheme", EXAMPLES)
def test_the_print_view_fits_an_a4_page_with_every_step_open(scheme: str, browser: WebDriver, reports: dict[str, tuple[Decision, Path]]) -> None:
    _decision, page = reports[scheme]
    _open(browser, page)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    browser.execute_cdp_cmd("Emulation.setScrollbarsHidden", {"hidden": True})
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": A4_TEXT_WIDTH_PX, "height": 1000, "deviceScaleFactor": 1, "mobile": False}
    )
    width, overflowing, hidden_quotes, quotes = browser.execute_script(
        """
        const width = document.documentElement.clientWidth;
        const overflowing = [...document.querySelectorAll("body *")]
            .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > width + 0.5; })
            .map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + e.className : ""));
        const quotes = [...document.querySelectorAll("#trail blockquote")];
        return [width, overflowing, quotes.filter(q => q.getBoundingClientRect().height === 0).length, quotes.length];
        """
    )
    assert width == A4_TEXT_WIDTH_PX
    assert overflowing == [], f"wider than an A4 page: {overflowing[:5]}"
    assert quotes > 0 and hidden_quotes == 0, "printed, every step is open, its quoted clause shown"
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    options = PrintOptions()
    options.page_width, options.page_height = 21.0, 29.7
    options.margin_left = options.margin_right = 1.4
    pdf = base64.b64decode(browser.print_page(options))
    assert pdf.startswith(b"%PDF")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / f"{scheme}.pdf").write_bytes(pdf)


def test_a_hostile_dossier_runs_no_script_in_the_page(browser: WebDriver, tmp_path: Path) -> None:
    document = load_document(EXAMPLES["bilan-carbone-compliance"])
    document["dossier_id"] = "<script>window.hostile = 1</script>"
    document["facts"]["criteria"]["A.1"]["justification"] = '<img src=x onerror="window.hostile = 2">'
    decision = LIBRARY.evaluate(read_dossier(document, "hostile.yaml"))
    page = tmp_path / "hostile.html"
    result = CliRunner().invoke(main, ["report", str(write_decision(decision, tmp_path, "hostile")), "-o", str(page)], obj=LIBRARY)
    assert result.exit_code == 0, result.output
    _open(browser, page)
    assert browser.find_element(By.ID, "dossier-id").text == "<script>window.hostile = 1</script>"
    assert browser.execute_script("return [window.hostile === undefined, document.images.length]") == [True, 0]
    assert '<img src=x onerror="window.hostile = 2">' in (browser.find_element(By.ID, "appendix").get_attribute("textContent") or "")
