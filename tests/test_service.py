"""`referee serve`'s HTTP API (engine/service/), called in-process through Starlette's TestClient.

Every endpoint answers with what the engine and the CLI give for the same input (the decision of
`Library.evaluate`, the CLI's problems with their paths and lines, `referee impact`'s result); every
error is a problem document; a hostile dossier is refused with the CLI's words; the roles hold;
no token reaches the access log; the OpenAPI document validates. The store is a SQLite file in a
temporary folder. tests/test_service_browser.py drives the page at `/` in Chromium.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from click.testing import CliRunner
from conftest import COMPLIANT, LEDGER_DOSSIER, LEDGER_FEC, LIBRARY, ROOT, never_constructed
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from cli import main
from engine import load_dossier
from engine.authoring.impact import impact_of
from engine.errors import UsageError
from engine.model.documents import load_document
from engine.running.batch import collect
from engine.service import Tokens, create_app
from engine.service.access_log import ACCESS_LOGGER
from engine.service.auth import Principal
from engine.store.repository import Store

EVALUATOR_TOKEN = "evaluator-token-5Jk2Qw9xLm"
READER_TOKEN = "reader-token-Zp8Rt3Vb7Nc"
TOKENS = Tokens.parse(f"# the test's tokens\nevaluator {EVALUATOR_TOKEN} Alice Martin\nreader {READER_TOKEN}", "test tokens")
AS_EVALUATOR = {"Authorization": f"Bearer {EVALUATOR_TOKEN}"}
AS_READER = {"Authorization": f"Bearer {READER_TOKEN}"}
YAML, JSON = {"Content-Type": "application/yaml"}, {"Content-Type": "application/json"}
PROBLEM = "application/problem+json"

BC = ROOT / "examples" / "bilan-carbone-compliance"
JOB_SECONDS = 120


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    store = Store.open(str(tmp_path_factory.mktemp("store") / "referee.db"), create=True)
    with TestClient(create_app(LIBRARY, store, TOKENS), raise_server_exceptions=False) as started:
        yield started
    store.close()


def expected(path: Path) -> dict[str, Any]:
    """The decision the engine gives for a dossier file, as `referee evaluate --format json` prints it."""
    return LIBRARY.evaluate(load_dossier(path)).to_json()


def as_json(path: Path) -> bytes:
    return json.dumps(load_document(path), default=str).encode()


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["type"].startswith("urn:referee:problem:") and body["title"] and body["detail"]
    assert "Traceback" not in response.text
    return body


def cli_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, body: bytes) -> dict[str, Any]:
    """What `referee evaluate NAME --format json` says of the same bytes, in a file of that name."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_bytes(body)
    result = CliRunner().invoke(main, ["evaluate", name, "--format", "json"], obj=LIBRARY)
    assert result.exit_code == 1, result.output
    return json.loads(result.stderr)


def wait_for(client: TestClient, location: str) -> dict[str, Any]:
    deadline = time.monotonic() + JOB_SECONDS
    while time.monotonic() < deadline:
        job = client.get(location, headers=AS_READER).json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"{location} not done in {JOB_SECONDS} s: {job}")


# -- judging ----------------------------------------------------------------------------------------


def test_a_yaml_dossier_gets_the_engines_decision_recorded_once(client: TestClient) -> None:
    first = client.post("/evaluate", content=COMPLIANT.read_bytes(), headers={**AS_EVALUATOR, **YAML})
    assert first.status_code == 201, first.text
    assert first.json() == expected(COMPLIANT)
    location = first.headers["location"]
    again = client.post("/evaluate", content=COMPLIANT.read_bytes(), headers={**AS_EVALUATOR, **YAML})
    assert (again.status_code, again.headers["location"]) == (200, location), "the store holds that decision: not recorded twice"
    stored = client.get(location, headers=AS_READER)
    assert stored.status_code == 200 and stored.json() == first.json()
    assert client.get(f"/decisions/{first.json()['seal']}", headers=AS_READER).json() == first.json(), "a decision is named by its seal too"


def test_the_same_dossier_in_json_gets_the_same_decision(client: TestClient) -> None:
    path = BC / "score-70-improvement-6-months.yaml"
    response = client.post("/evaluate", content=as_json(path), headers={**AS_EVALUATOR, **JSON})
    assert response.status_code in (200, 201), response.text
    assert response.json() == expected(path)


def test_a_dossier_is_recorded_under_its_evaluators_name_and_replayed(client: TestClient) -> None:
    path = BC / "score-below-50-refused.yaml"
    location = client.post("/evaluate", content=path.read_bytes(), headers={**AS_EVALUATOR, **YAML}).headers["location"]
    replayed = client.post(f"{location}/replay", headers=AS_EVALUATOR)
    assert replayed.status_code == 200
    assert replayed.json()["verdict"] == "reproduced" and replayed.json()["row"] == int(location.rsplit("/", 1)[1])
    store: Store = client.app.state.service.store  # type: ignore[attr-defined]
    row = next(store.decisions(seq=int(location.rsplit("/", 1)[1]), body=False))
    assert (row.evaluator, row.runtime, row.outcome) == ("Alice Martin", "compiled", expected(path)["outcome"])


def test_a_ledger_is_uploaded_with_its_dossier_and_gives_the_clis_decision(client: TestClient) -> None:
    files = {"dossier": (LEDGER_DOSSIER.name, LEDGER_DOSSIER.read_bytes(), "application/yaml"), "ledger": ("export.txt", LEDGER_FEC.read_bytes(), "text/plain")}
    response = client.post("/evaluate", files=files, headers=AS_EVALUATOR)
    assert response.status_code in (200, 201), response.text
    assert response.json() == expected(LEDGER_DOSSIER), "the LEDGER_FEC placed where the dossier names it: the same digests, the same seal"
    assert response.json()["digests"]["ledger"]["file"] == "ledgers/fec-2025-usinage.txt"
    replayed = client.post(f"{response.headers['location']}/replay", headers=AS_EVALUATOR).json()
    assert replayed["verdict"] == "reproduced", replayed


def test_a_ledger_named_and_not_uploaded_is_refused(client: TestClient) -> None:
    body = problem(client.post("/evaluate", content=LEDGER_DOSSIER.read_bytes(), headers={**AS_EVALUATOR, **YAML}), 422)
    assert body["detail"] == "dossier.yaml: a ledger is uploaded with its dossier, never named by a path on the server"
    assert body["problems"][0]["path"] == "$.ledger" and body["problems"][0]["line"] == 9


@pytest.mark.parametrize("named", ["../../../etc/passwd", "/etc/passwd", "ledgers/../../secret.txt", "."])
def test_a_ledger_name_that_climbs_out_of_the_requests_folder_is_refused(client: TestClient, named: str) -> None:
    document = load_document(LEDGER_DOSSIER) | {"ledger": named}
    files = {"dossier": ("d.json", json.dumps(document, default=str)), "ledger": ("fec.txt", LEDGER_FEC.read_bytes())}
    body = problem(client.post("/evaluate", files=files, headers=AS_EVALUATOR), 422)
    assert "climbs out of the dossier's folder" in body["detail"] and body["problems"][0]["path"] == "$.ledger"


def test_an_uploaded_ledger_the_dossier_does_not_name_is_refused(client: TestClient) -> None:
    files = {"dossier": ("compliant.yaml", COMPLIANT.read_bytes()), "ledger": ("fec.txt", b"x")}
    body = problem(client.post("/evaluate", files=files, headers=AS_EVALUATOR), 422)
    assert body["detail"] == "compliant.yaml: a ledger was uploaded, and the dossier names none"


def test_a_batch_of_dossiers_that_names_a_ledger_is_refused_whole(client: TestClient) -> None:
    lines = b"\n".join([as_json(COMPLIANT), as_json(LEDGER_DOSSIER)])
    body = problem(client.post("/batch", content=lines, headers={**AS_EVALUATOR, "Content-Type": "application/x-ndjson"}), 422)
    assert [(p["file"], p["path"]) for p in body["problems"]] == [("batch.jsonl:2", "$.ledger")]


@pytest.mark.parametrize(("wrong", "right", "path", "line"), [
    ("dossier_id:", "dossier_ident:", "$.dossier_ident", 4),
    ("A.1: {points: 5,", "A.1: {points: many,", '$.facts.criteria["A.1"].points', 14),
], ids=["envelope", "facts"])
def test_an_invalid_dossier_gets_the_clis_problems_with_their_lines(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wrong: str, right: str, path: str, line: int,
) -> None:
    text = COMPLIANT.read_text(encoding="utf-8").replace(wrong, right).encode()
    body = problem(client.post("/evaluate", content=text, headers={**AS_EVALUATOR, **YAML}), 422)
    cli = cli_error(tmp_path, monkeypatch, "dossier.yaml", text)
    assert (body["title"], body["detail"], body["problems"]) == (cli["error"], cli["message"], cli["problems"])
    assert any(p["path"] == path and p["line"] == line for p in body["problems"]), body["problems"]


@pytest.mark.parametrize(("content_type", "text", "name"), [
    ("application/json", b'{"scheme": "objectif-co2",\n "facts": {"a": 1,}}', "dossier.json"),
    ("application/yaml", b"scheme: objectif-co2\nfacts: [1, 2\n", "dossier.yaml"),
])
def test_malformed_json_and_yaml_are_problems_naming_the_line(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content_type: str, text: bytes, name: str,
) -> None:
    body = problem(client.post("/evaluate", content=text, headers={**AS_EVALUATOR, "Content-Type": content_type}), 422)
    cli = cli_error(tmp_path, monkeypatch, name, text)
    assert (body["detail"], body["problems"]) == (cli["message"], cli["problems"])
    assert body["problems"][0]["line"] is not None


def _bomb() -> bytes:
    """A 1 KB YAML dossier whose aliases expand to 387 million values (as tests/test_hostile_input.py builds it)."""
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8))
    text = COMPLIANT.read_text(encoding="utf-8").replace("facts:\n", "facts:\n  bomb:\n" + "".join(f"    {line}\n" for line in bomb.splitlines()), 1)
    return text.encode()


@pytest.mark.parametrize(("content_type", "name", "body"), [
    ("application/yaml", "dossier.yaml", _bomb()),
    ("application/yaml", "dossier.yaml", b"scheme: x\nfacts: " + b"[" * 1000 + b"]" * 1000 + b"\n"),
    ("application/json", "dossier.json", b'{"scheme": "x", "facts": ' + b"[" * 1000 + b"]" * 1000 + b"}"),
], ids=["alias-bomb", "deep-yaml", "deep-json"])
def test_a_hostile_dossier_is_refused_as_the_cli_refuses_it(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content_type: str, name: str, body: bytes,
) -> None:
    with never_constructed():  # refused before any value is built, none expanded
        refused = problem(client.post("/evaluate", content=body, headers={**AS_EVALUATOR, "Content-Type": content_type}), 422)
    cli = cli_error(tmp_path, monkeypatch, name, body)
    assert (refused["title"], refused["detail"], refused["problems"]) == (cli["error"], cli["message"], cli["problems"])
    assert "limit" in refused["detail"] or "nesting" in refused["problems"][0]["message"]


def test_a_body_over_the_size_limit_is_refused_before_it_is_read(client: TestClient) -> None:
    limit = LIBRARY.limits.document_bytes
    declared = problem(client.post("/evaluate", content=b" " * (limit + 1), headers={**AS_EVALUATOR, **YAML}), 413)
    assert declared["detail"] == f"the request body is larger than the limit document_bytes of {limit:,} bytes"

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused once the bytes read pass the limit
        for _ in range(limit // 2**20 + 1):
            yield b" " * 2**20

    streamed = problem(client.post("/evaluate", content=chunks(), headers={**AS_EVALUATOR, **YAML}), 413)
    assert streamed["detail"] == declared["detail"]


def test_a_body_of_another_type_is_refused(client: TestClient) -> None:
    body = problem(client.post("/evaluate", content=b"scheme=x", headers={**AS_EVALUATOR, "Content-Type": "application/x-www-form-urlencoded"}), 415)
    assert "application/json" in body["problems"][0]["message"]


def test_the_report_comes_back_for_a_browser(client: TestClient) -> None:
    response = client.post("/evaluate", content=COMPLIANT.read_bytes(), headers={**AS_EVALUATOR, **YAML, "Accept": "text/html"})
    # 201 when this request records the decision, 200 when an earlier test of the module did: the page is the same
    assert response.status_code in (200, 201) and response.headers["content-type"].startswith("text/html")
    assert expected(COMPLIANT)["dossier_id"] in response.text and "Alice Martin" in response.text


# -- jobs -------------------------------------------------------------------------------------------


def test_a_batch_job_is_polled_to_its_results(client: TestClient) -> None:
    paths = [BC / "compliant.yaml", BC / "improvement-1-month.yaml"]
    lines = b"\n".join([*(as_json(p) for p in paths), b'{"scheme": "bilan-carbone-compliance"}'])
    accepted = client.post("/batch", content=lines, headers={**AS_EVALUATOR, "Content-Type": "application/x-ndjson"})
    assert accepted.status_code == 202 and accepted.json()["total"] == 3
    job = wait_for(client, accepted.headers["location"])
    assert (job["state"], job["done"], job["kind"]) == ("done", 3, "batch"), job
    results = job["result"]["results"]
    assert [r["decision"] for r in results[:2]] == [expected(p) for p in paths]
    assert results[2]["decision"] is None and "batch.jsonl:3" in results[2]["error"] and "required field" in results[2]["error"]
    assert job["result"]["outcomes"]["(invalid)"] == 1


def test_a_batch_is_sent_as_a_yaml_list_too(client: TestClient) -> None:
    body = yaml.safe_dump([load_document(BC / "review-six-months-unmet-refused.yaml")]).encode()
    job = wait_for(client, client.post("/batch", content=body, headers={**AS_EVALUATOR, **YAML}).headers["location"])
    assert job["result"]["results"][0]["source"] == "batch.yaml[0]"
    assert job["result"]["results"][0]["decision"] == expected(BC / "review-six-months-unmet-refused.yaml")


def test_an_impact_job_gives_referee_impacts_result(client: TestClient) -> None:
    portfolio = sorted(BC.glob("*.yaml"))
    lines = b"\n".join(as_json(p) for p in portfolio)
    accepted = client.post(
        "/impact", params={"scheme": "bilan-carbone-compliance", "to": "2025-12-01"}, content=lines,
        headers={**AS_EVALUATOR, "Content-Type": "application/x-ndjson"},
    )
    assert accepted.status_code == 202, accepted.text
    job = wait_for(client, accepted.headers["location"])
    assert job["state"] == "done", job
    by_file = impact_of(LIBRARY, "bilan-carbone-compliance", "2025-12-01", collect(portfolio)).to_json()
    assert job["result"]["groups"] == by_file["groups"]
    assert [c["first_difference"] for c in job["result"]["changes"]] == [c["first_difference"] for c in by_file["changes"]]


def test_an_impact_on_an_unknown_version_is_not_found(client: TestClient) -> None:
    response = client.post(
        "/impact", params={"scheme": "bilan-carbone-compliance", "to": "2099-01-01"}, content=b"[" + as_json(COMPLIANT) + b"]",
        headers={**AS_EVALUATOR, **JSON},
    )
    body = problem(response, 404)
    assert body["problems"][0]["message"] == "known versions of bilan-carbone-compliance: 2014-05-19, 2025-12-01"


# -- reading ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stored(client: TestClient) -> str:
    """The location of a stored decision."""
    return str(client.post("/evaluate", content=COMPLIANT.read_bytes(), headers={**AS_EVALUATOR, **YAML}).headers["location"])


def test_a_stored_decision_is_explained_and_reported(client: TestClient, stored: str) -> None:
    from engine.decision.explain import derivation_tree

    decision = LIBRARY.evaluate(load_dossier(COMPLIANT))
    explained = client.get(f"{stored}/explain", params={"fact": "score"}, headers=AS_READER)
    assert explained.status_code == 200 and explained.json() == orjson.loads(orjson.dumps(derivation_tree(decision, LIBRARY, "score")))
    missing = problem(client.get(f"{stored}/explain", params={"fact": "nothing"}, headers=AS_READER), 404)
    assert missing["detail"] == "no rule concluded 'nothing' in this decision"
    page = client.get(f"{stored}/report", params={"lang": "fr"}, headers=AS_READER)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="fr"' in page.text and decision.dossier_id in page.text and "Alice Martin" in page.text


def test_a_stored_decisions_report_shows_it_judged_again_and_reproduced(client: TestClient, stored: str) -> None:
    row = stored.rsplit("/", 1)[1]
    french = client.get(f"{stored}/report", params={"lang": "fr"}, headers=AS_READER)
    assert french.status_code == 200
    assert f'<span class="status ok">reproduite</span> — ligne {row} du registre de décisions<br>rejugée sous les versions enregistrées avec elle' in french.text
    english = client.get(f"{stored}/report", params={"lang": "en"}, headers=AS_READER)
    assert f'<span class="status ok">reproduced</span> — row {row} of the decision store<br>judged again under the versions recorded with it' in english.text


@pytest.mark.parametrize("path", ["/decisions/999999", "/decisions/sha256:00", "/decisions/../etc", "/decisions/abc/report", "/jobs/nope"])
def test_what_does_not_exist_is_not_found(client: TestClient, path: str) -> None:
    problem(client.get(path, headers=AS_READER), 404)


def test_schemes_versions_and_diffs_answer_without_a_token(client: TestClient) -> None:
    schemes = {s["scheme"]: s for s in client.get("/schemes").json()}
    assert set(schemes) == set(LIBRARY.schemes())
    assert {p["name"] for p in schemes["bilan-carbone-compliance"]["procedures"]} == {"audit", "improvement_review"}
    assert next(p for p in schemes["label-transmission"]["procedures"] if p["name"] == "carbon_account")["reads_ledger"] is True
    listed = CliRunner().invoke(main, ["versions", "objectif-co2", "--as-of", "2026-01-01", "--format", "json"], obj=LIBRARY)
    assert client.get("/schemes/objectif-co2/versions", params={"as_of": "2026-01-01"}).json() == json.loads(listed.stdout)
    diffed = CliRunner().invoke(main, ["diff", "bilan-carbone-compliance", "2014-05-19", "2025-12-01", "--format", "json"], obj=LIBRARY)
    response = client.get("/schemes/bilan-carbone-compliance/diff", params={"from": "2014-05-19", "to": "2025-12-01"})
    assert response.json() == json.loads(diffed.stdout)


def test_unknown_schemes_versions_and_parameters_are_problems(client: TestClient) -> None:
    assert problem(client.get("/schemes/nope/versions"), 404)["detail"] == "unknown scheme 'nope'"
    body = problem(client.get("/schemes/objectif-co2/diff", params={"from": "2017-05-24", "to": "1999"}), 404)
    assert body["detail"] == "objectif-co2 has no version 1999"
    body = problem(client.get("/schemes/objectif-co2/diff", params={"from": "2017-05-24"}), 422)
    assert body["problems"] == [{"file": None, "line": None, "path": "$.query.to", "message": "Field required"}]
    assert problem(client.get("/schemes/objectif-co2/versions", params={"as_of": "someday"}), 422)["problems"][0]["path"] == "$.query.as_of"
    assert problem(client.get("/evaluate", headers=AS_EVALUATOR), 405)["title"] == "method not allowed"


def test_a_bug_is_a_problem_without_its_stack(client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> None:
        raise RuntimeError("/srv/secret/path went wrong")

    monkeypatch.setattr(client.app.state.service, "schemes", broken)  # type: ignore[attr-defined]
    with caplog.at_level(logging.ERROR, "referee.service"):
        body = problem(client.get("/schemes"), 500)
    assert body["detail"] == "RuntimeError: a bug in referee; the server's log has the details" and "secret" not in json.dumps(body)
    assert "Traceback" in caplog.text, "the stack goes to the server's log"


# -- who may call what ------------------------------------------------------------------------------

PROTECTED = [
    ("post", "/evaluate", "evaluator"), ("post", "/batch", "evaluator"), ("post", "/impact?scheme=objectif-co2&to=2017-05-24", "evaluator"),
    ("get", "/jobs/x", "reader"), ("get", "/decisions/1", "reader"), ("get", "/decisions/1/explain", "reader"),
    ("get", "/decisions/1/report", "reader"), ("post", "/decisions/1/replay", "evaluator"),
]


@pytest.mark.parametrize(("method", "path", "role"), PROTECTED)
def test_without_a_valid_token_only_the_public_paths_answer(client: TestClient, method: str, path: str, role: str) -> None:
    anonymous = problem(client.request(method, path), 401)
    assert anonymous["detail"] == f"{path.split('?')[0]} needs a bearer token (role {role} or above)"
    assert client.request(method, path).headers["www-authenticate"] == 'Bearer realm="referee"'
    wrong = client.request(method, path, headers={"Authorization": "Bearer not-a-token-of-this-server"})
    problem(wrong, 401)
    assert wrong.headers["www-authenticate"] == 'Bearer realm="referee", error="invalid_token"'
    if role == "evaluator":
        assert problem(client.request(method, path, headers=AS_READER), 403)["detail"] == f"{path.split('?')[0]} needs the role evaluator; the token has the role reader"


@pytest.mark.parametrize("path", ["/", "/docs", "/openapi.json", "/schemes", "/schemes/objectif-co2/versions"])
def test_the_public_paths_answer_without_a_token(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200


def test_tokens_are_read_strictly_and_never_echoed() -> None:
    secret = "short-secret"
    with pytest.raises(UsageError) as raised:
        Tokens.parse(f"evaluator {secret}\nadmin {EVALUATOR_TOKEN}\nreader {READER_TOKEN}; reader {READER_TOKEN}", "tokens.txt")
    assert [(p.line, p.message.split(",")[0]) for p in raised.value.problems] == [
        (1, "a token is at least 16 characters of letters"), (2, "an entry is `ROLE TOKEN [NAME]`"), (3, "this token is given twice"),
    ]
    assert secret not in raised.value.render() and EVALUATOR_TOKEN not in raised.value.render()
    tokens = Tokens.parse(f"reader {READER_TOKEN} auditor; evaluator {EVALUATOR_TOKEN}", "REFEREE_TOKENS")
    assert tokens.holder(READER_TOKEN) == Principal("reader", "auditor")
    assert tokens.holder(EVALUATOR_TOKEN) == Principal("evaluator", "evaluator"), "a token without a name is named by its role"
    assert tokens.holder(READER_TOKEN[:-1]) is None and tokens.holder(READER_TOKEN + "x") is None


def test_tokens_come_from_the_environment_without_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFEREE_TOKENS", f"evaluator {EVALUATOR_TOKEN} Claire Dubois; reader {READER_TOKEN}")
    tokens = Tokens.configured(None)
    assert (tokens.holder(EVALUATOR_TOKEN), tokens.holder(READER_TOKEN)) == (Principal("evaluator", "Claire Dubois"), Principal("reader", "reader"))


def test_serve_refuses_a_bad_tokens_file_before_it_starts(tmp_path: Path) -> None:
    (tmp_path / "tokens.txt").write_text(f"evaluator {EVALUATOR_TOKEN}\nowner {READER_TOKEN}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["serve", "--tokens", str(tmp_path / "tokens.txt"), "--store", str(tmp_path / "s.db")], obj=LIBRARY)
    assert result.exit_code == 2
    assert f"{tmp_path / 'tokens.txt'}:2: an entry is `ROLE TOKEN [NAME]`, ROLE one of reader, evaluator" in result.stderr
    assert READER_TOKEN not in result.stderr and not (tmp_path / "s.db").exists()


def test_the_access_log_has_a_json_line_per_request_and_never_a_token(client: TestClient, caplog: pytest.LogCaptureFixture, stored: str) -> None:
    with caplog.at_level(logging.INFO, ACCESS_LOGGER):
        client.get(stored, headers=AS_READER)
        client.post("/evaluate", content=COMPLIANT.read_bytes(), headers={**AS_EVALUATOR, **YAML})
        client.get(f"/schemes?token={EVALUATOR_TOKEN}")
        client.get(stored, headers={"Authorization": f"Bearer {EVALUATOR_TOKEN}x"})
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == ACCESS_LOGGER]
    assert [(line["method"], line["path"], line["status"], line["role"]) for line in lines] == [
        ("GET", stored, 200, "reader"), ("POST", "/evaluate", 200, "evaluator"), ("GET", "/schemes", 200, "anonymous"), ("GET", stored, 401, "anonymous"),
    ]
    assert all(line["duration_ms"] >= 0 and line["time"] for line in lines)
    assert EVALUATOR_TOKEN not in caplog.text and READER_TOKEN not in caplog.text


def test_the_openapi_document_is_valid_openapi_3_1_and_lists_every_endpoint(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    validate(document)
    assert document["openapi"].startswith("3.1.")
    assert {(method, path) for path, item in document["paths"].items() for method in item} == {
        ("post", "/evaluate"), ("post", "/batch"), ("get", "/jobs/{job_id}"), ("get", "/decisions/{decision_id}"),
        ("get", "/decisions/{decision_id}/explain"), ("get", "/decisions/{decision_id}/report"), ("post", "/decisions/{decision_id}/replay"),
        ("get", "/schemes"), ("get", "/schemes/{scheme}/versions"), ("get", "/schemes/{scheme}/diff"), ("post", "/impact"),
    }
    evaluate = document["paths"]["/evaluate"]["post"]
    assert set(evaluate["requestBody"]["content"]) >= {"application/json", "application/yaml", "multipart/form-data"}
    assert evaluate["responses"]["422"]["content"]["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/ProblemDocument"}
    assert evaluate["security"] == [{"HTTPBearer": []}] and "security" not in document["paths"]["/schemes"]["get"]
