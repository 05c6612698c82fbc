"""The page at `/` of `referee serve`, used in a real browser: headless Chromium, as tests/test_report_browser.py drives it.

A real uvicorn serves the application on 127.0.0.1 (a port the system picks) in a thread. The test
types its token, picks a scheme and procedure (the page writes the dossier's skeleton), uploads a bundled
dossier, and reads the outcome in the report the page shows; opens the stored decision by its id; sends
a dossier with its LEDGER_FEC; and sees the problems of an invalid dossier, with their paths. Screenshots are kept
in build/test-artefacts/service/ (the test prints where). Where the browser cannot start, the tests skip and say why.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from conftest import COMPLIANT, LEDGER_DOSSIER, LEDGER_FEC, LIBRARY, ROOT
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait
from test_report_browser import browser  # noqa: F401 - the same headless Chromium, skipped with its reason where it cannot start

from engine import load_dossier
from engine.service import Tokens, create_app
from engine.store.repository import Store

TOKEN = "evaluator-token-Browser42xQ"
ARTEFACTS = ROOT / "build" / "test-artefacts" / "service"
SECONDS = 30


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The application served by uvicorn on 127.0.0.1, in a thread; its base URL."""
    store = Store.open(str(tmp_path_factory.mktemp("store") / "referee.db"), create=True)
    app = create_app(LIBRARY, store, Tokens.parse(f"evaluator {TOKEN} Browser Test", "test tokens"))
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    try:
        WebDriverWait(server, SECONDS).until(lambda s: s.started, "the server did not start")
        yield f"http://127.0.0.1:{listening.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(SECONDS)
        listening.close()
        store.close()


def _wait(browser: WebDriver, condition: str) -> None:
    WebDriverWait(browser, SECONDS).until(lambda b: b.execute_script(f"return {condition}"), condition)


def _status(browser: WebDriver) -> str:
    return browser.find_element(By.ID, "status").text


def _shot(browser: WebDriver, name: str) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    browser.save_screenshot(str(path))
    print(f"screenshot: {path}")
    return path


def _report_outcome(browser: WebDriver) -> tuple[str, str]:
    """The outcome and dossier id the report in the page's frame shows."""
    browser.switch_to.frame(browser.find_element(By.ID, "report"))
    try:
        WebDriverWait(browser, SECONDS).until(lambda b: b.find_elements(By.CSS_SELECTOR, "#outcome .outcome-value"))
        return browser.find_element(By.CSS_SELECTOR, "#outcome .outcome-value").text, browser.find_element(By.ID, "dossier-id").text
    finally:
        browser.switch_to.default_content()


def _open_page(browser: WebDriver, served: str) -> None:
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    browser.get(served + "/")
    _wait(browser, "document.getElementById('scheme').options.length > 0")
    token = browser.find_element(By.ID, "token")
    token.clear()
    token.send_keys(TOKEN)


def test_a_dossier_uploaded_through_the_page_is_judged_and_reopened_by_its_id(browser: WebDriver, served: str) -> None:  # noqa: F811
    _open_page(browser, served)
    Select(browser.find_element(By.ID, "scheme")).select_by_value("bilan-carbone-compliance")
    Select(browser.find_element(By.ID, "procedure")).select_by_value("audit")
    skeleton = browser.find_element(By.ID, "dossier-text").get_attribute("value") or ""
    assert skeleton.startswith("scheme: bilan-carbone-compliance\nprocedure: audit\n"), skeleton
    browser.find_element(By.ID, "dossier-file").send_keys(str(COMPLIANT))
    browser.find_element(By.ID, "judge").click()
    _wait(browser, "document.getElementById('status').textContent.startsWith('Decision ')")
    decision = LIBRARY.evaluate(load_dossier(COMPLIANT))
    assert _report_outcome(browser) == (decision.outcome, decision.dossier_id)
    _shot(browser, "judged")
    row = browser.find_element(By.ID, "decision-id").get_attribute("value")
    assert _status(browser) == f"Decision {row}, recorded in the store."

    browser.execute_script("document.getElementById('report').srcdoc = ''")
    browser.find_element(By.ID, "open").click()
    _wait(browser, "document.getElementById('status').textContent.endsWith('from the store.')")
    assert _report_outcome(browser) == (decision.outcome, decision.dossier_id)


def test_a_dossier_sent_with_its_fec_through_the_page_is_judged(browser: WebDriver, served: str) -> None:  # noqa: F811
    _open_page(browser, served)
    browser.find_element(By.ID, "dossier-file").send_keys(str(LEDGER_DOSSIER))
    browser.find_element(By.ID, "ledger-file").send_keys(str(LEDGER_FEC))
    browser.find_element(By.ID, "judge").click()
    _wait(browser, "document.getElementById('status').textContent.startsWith('Decision ')")
    decision = LIBRARY.evaluate(load_dossier(LEDGER_DOSSIER))
    assert _report_outcome(browser) == (decision.outcome, decision.dossier_id)


def test_an_invalid_dossier_pasted_in_the_page_shows_its_problems(browser: WebDriver, served: str) -> None:  # noqa: F811
    _open_page(browser, served)
    text = COMPLIANT.read_text(encoding="utf-8").replace("A.1: {points: 5,", "A.1: {points: many,")
    box = browser.find_element(By.ID, "dossier-text")
    browser.execute_script("arguments[0].value = arguments[1]", box, text)
    browser.find_element(By.ID, "judge").click()
    _wait(browser, "document.getElementById('status').className === 'failed'")
    assert _status(browser).startswith("422 invalid dossier: dossier.yaml: the facts do not satisfy the input of procedure 'audit'")
    problems = [item.text for item in browser.find_elements(By.CSS_SELECTOR, "#problems li")]
    assert any(p.startswith("dossier.yaml:") and '$.facts.criteria["A.1"].points' in p and "must be of number type" in p for p in problems), problems
    _shot(browser, "refused")
