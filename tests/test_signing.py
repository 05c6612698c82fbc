"""Signed publication: `referee keygen`, `publish --key`, `verify [--trust]`, and what decisions record of a lock.

The tree is a scheme repository made by `referee init` (one version, one rule file): small, so each test
opens it fresh in well under a second. docs/publication.md describes the design these tests hold to.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import BC, ROOT
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from engine import Library, read_dossier
from engine.decision.model import Decision
from engine.model.documents import load_document

SCHEME, VERSION = "demo-label", "2026-01-01"
LABEL = f"{SCHEME} {VERSION}"


@pytest.fixture
def repo(tmp_path: Path, cli: Callable[..., Any]) -> Path:
    """A fresh scheme repository, its one version a draft."""
    result = cli("init", tmp_path / "repo", "--scheme", SCHEME, "--id", VERSION)
    assert result.exit_code == 0, result.output
    return tmp_path / "repo"


@pytest.fixture
def key(tmp_path: Path, cli: Callable[..., Any]) -> Path:
    result = cli("keygen", tmp_path / "body.key")
    assert result.exit_code == 0, result.output
    return tmp_path / "body.key"


def lock_file(repo: Path) -> Path:
    return repo / "referentials" / SCHEME / f"{VERSION}.lock.json"


def fingerprint_of(public_file: Path) -> str:
    """The fingerprint as docs/publication.md defines it, computed here from the key file's raw bytes."""
    import hashlib

    public = serialization.load_pem_public_key(public_file.read_bytes())
    return "sha256:" + hashlib.sha256(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).hexdigest()


def evaluate(repo: Path) -> dict[str, Any]:
    library = Library.open(repo)
    return library.evaluate(library.load_dossier(repo / "examples" / SCHEME / "eligible.yaml")).to_json()


def test_keygen_writes_a_private_key_only_its_owner_reads_and_a_public_key(key: Path, cli: Callable[..., Any]) -> None:
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert key.with_name("body.key.pub").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    again = cli("keygen", key)
    assert again.exit_code == 2 and "exists already: give --force" in again.stderr


def test_publish_with_a_key_signs_the_lock_and_verify_trusts_it(repo: Path, key: Path, cli: Callable[..., Any]) -> None:
    result = cli("publish", SCHEME, VERSION, "--key", key, root=repo)
    assert result.exit_code == 0, result.output
    fingerprint = fingerprint_of(key.with_name("body.key.pub"))
    assert f"{SCHEME} {VERSION}: published and signed" in result.stdout and f"signed by {fingerprint}" in result.stdout
    signature = json.loads(lock_file(repo).read_text())["signature"]
    assert signature["algorithm"] == "ed25519" and signature["key"] == fingerprint
    verified = cli("verify", "--trust", key.with_name("body.key.pub"), root=repo)
    assert verified.exit_code == 0, verified.output
    assert f"ok     {SCHEME} {VERSION}: signed by {fingerprint} (trusted key)" in verified.stdout


def test_verify_fails_on_a_key_not_trusted_and_on_an_unsigned_version(repo: Path, key: Path, tmp_path: Path, cli: Callable[..., Any]) -> None:
    cli("keygen", tmp_path / "other.key")
    assert cli("publish", SCHEME, VERSION, root=repo).exit_code == 0
    unsigned = cli("verify", "--trust", key.with_name("body.key.pub"), root=repo)
    assert unsigned.exit_code == 1
    assert f"FAILED {SCHEME} {VERSION}: published, unsigned" in unsigned.stdout
    assert f"published version {VERSION} is not signed" in unsigned.stdout
    assert cli("publish", SCHEME, VERSION, "--key", tmp_path / "other.key", root=repo).exit_code == 0
    untrusted = cli("verify", SCHEME, VERSION, "--trust", key.with_name("body.key.pub"), "--format", "json", root=repo)
    assert untrusted.exit_code == 1
    [check] = json.loads(untrusted.stdout)
    assert (check["version"], check["status"], check["trusted"]) == (VERSION, "signed", False)
    assert check["problems"][0]["message"].endswith("which is not a trusted key")


def test_signing_a_published_version_keeps_its_digest_and_its_lock_digest(repo: Path, key: Path, cli: Callable[..., Any]) -> None:
    published = json.loads(cli("publish", SCHEME, VERSION, "--format", "json", root=repo).stdout)
    signed = json.loads(cli("publish", SCHEME, VERSION, "--key", key, "--format", "json", root=repo).stdout)
    assert (published["done"], signed["done"]) == ("published", "signed")
    assert signed["digest"] == published["digest"] and signed["lock_digest"] == published["lock_digest"]
    assert json.loads(cli("publish", SCHEME, VERSION, "--key", key, "--format", "json", root=repo).stdout)["done"] == "unchanged"


def test_a_signed_lock_changed_by_hand_is_refused_everywhere(repo: Path, key: Path, cli: Callable[..., Any]) -> None:
    cli("publish", SCHEME, VERSION, "--key", key, root=repo)
    document = json.loads(lock_file(repo).read_text())
    document["published"] = "2020-01-01"  # any change to what the signature covers
    lock_file(repo).write_text(json.dumps(document, indent=2))
    for command in (["evaluate", repo / "examples" / SCHEME / "eligible.yaml"], ["validate"], ["verify"]):
        result = cli(*command, root=repo)
        assert result.exit_code == 1, command
        assert "the lock was changed after sha256:" in result.output and "signed it" in result.output, command


def test_a_lock_whose_key_does_not_match_its_fingerprint_is_refused(repo: Path, key: Path, tmp_path: Path, cli: Callable[..., Any]) -> None:
    cli("publish", SCHEME, VERSION, "--key", key, root=repo)
    document = json.loads(lock_file(repo).read_text())
    document["signature"]["key"] = "sha256:" + "0" * 64
    lock_file(repo).write_text(json.dumps(document))
    result = cli("verify", root=repo)
    assert result.exit_code == 1 and "$.signature.key: the public key's fingerprint is not sha256:0000" in result.stdout


def test_editing_a_signed_version_fails_validate(repo: Path, key: Path, cli: Callable[..., Any]) -> None:
    cli("publish", SCHEME, VERSION, "--key", key, root=repo)
    rules = repo / "rules" / SCHEME / VERSION / "eligibility.yaml"
    rules.write_text(rules.read_text().replace("is at least the minimum", "reaches the minimum"))
    result = cli("validate", root=repo)
    assert result.exit_code == 1
    assert f"published version {VERSION}: rules/{SCHEME}/{VERSION}/eligibility.yaml changed since it was published" in result.stdout
    verified = cli("verify", root=repo)
    assert verified.exit_code == 1 and f"FAILED {SCHEME} {VERSION}: signed by" in verified.stdout


def test_an_amendment_of_a_signed_version_must_be_signed(repo: Path, key: Path, cli: Callable[..., Any]) -> None:
    cli("publish", SCHEME, VERSION, "--key", key, root=repo)
    before = json.loads(lock_file(repo).read_text())
    rules = repo / "rules" / SCHEME / VERSION / "eligibility.yaml"
    rules.write_text(rules.read_text().replace("is at least the minimum", "reaches the minimum"))
    unsigned = cli("publish", SCHEME, VERSION, "--amend", "a sentence reworded", root=repo)
    assert unsigned.exit_code == 2 and f"is signed by {before['signature']['key']}: give --key FILE to sign its amendment" in unsigned.stderr
    amended = cli("publish", SCHEME, VERSION, "--amend", "a sentence reworded", "--key", key, root=repo)
    assert amended.exit_code == 0 and "amended and signed" in amended.stdout
    after = json.loads(lock_file(repo).read_text())
    assert after["amendments"] == [{"on": after["amendments"][0]["on"], "previous_digest": before["digest"], "reason": "a sentence reworded"}]
    assert cli("verify", "--trust", key.with_name("body.key.pub"), root=repo).exit_code == 0


def test_a_decision_records_the_lock_digest_and_the_key(repo: Path, key: Path, cli: Callable[..., Any]) -> None:
    assert "locks" not in evaluate(repo)["digests"]  # a draft has no lock
    cli("publish", SCHEME, VERSION, root=repo)
    lock = Library.open(repo).version(SCHEME, VERSION).lock
    assert lock is not None
    assert evaluate(repo)["digests"]["locks"] == {LABEL: {"digest": lock.lock_digest}}
    cli("publish", SCHEME, VERSION, "--key", key, root=repo)
    decision = evaluate(repo)
    assert decision["digests"]["locks"] == {LABEL: {"digest": lock.lock_digest, "key": fingerprint_of(key.with_name("body.key.pub"))}}
    assert Decision.from_json(decision, "decision.json").to_json() == decision  # read back whole, under its seal


def test_a_bundled_decision_names_the_lock_of_each_version_it_used(library: Library) -> None:
    dossier = read_dossier(load_document(ROOT / "examples" / BC / "compliant.yaml"), "compliant.yaml")
    digests = library.evaluate(dossier).to_json()["digests"]
    assert set(digests["locks"]) == set(digests["referentials"])
    for label, stamp in digests["locks"].items():
        lock = library.version(*label.split(" ")).lock
        assert lock is not None and stamp == {"digest": lock.lock_digest}


def test_an_encrypted_key_is_opened_with_the_passphrase_variable(repo: Path, tmp_path: Path, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFEREE_KEY_PASSPHRASE", "correct horse")
    cli("keygen", tmp_path / "locked.key")
    assert "ENCRYPTED PRIVATE KEY" in (tmp_path / "locked.key").read_text()
    monkeypatch.delenv("REFEREE_KEY_PASSPHRASE")
    refused = cli("publish", SCHEME, VERSION, "--key", tmp_path / "locked.key", root=repo)
    assert refused.exit_code == 2 and "give its passphrase in $REFEREE_KEY_PASSPHRASE" in refused.stderr
    assert not lock_file(repo).exists()  # the key is read before anything is written
    monkeypatch.setenv("REFEREE_KEY_PASSPHRASE", "correct horse")
    assert cli("publish", SCHEME, VERSION, "--key", tmp_path / "locked.key", root=repo).exit_code == 0


def test_openssh_keys_sign_and_are_trusted(repo: Path, tmp_path: Path, cli: Callable[..., Any]) -> None:
    private = ed25519.Ed25519PrivateKey.generate()
    (tmp_path / "id_ed25519").write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()))
    (tmp_path / "id_ed25519.pub").write_bytes(private.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH))
    assert cli("publish", SCHEME, VERSION, "--key", tmp_path / "id_ed25519", root=repo).exit_code == 0
    assert cli("verify", "--trust", tmp_path / "id_ed25519.pub", root=repo).exit_code == 0


def test_keys_that_cannot_sign_or_be_trusted_are_usage_errors(repo: Path, key: Path, tmp_path: Path, cli: Callable[..., Any]) -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "rsa.pem").write_bytes(rsa_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (tmp_path / "garbage.pub").write_text("not a key")
    cases = [
        (["publish", SCHEME, VERSION, "--key", tmp_path / "rsa.pem"], "is not an Ed25519 key"),
        (["publish", SCHEME, VERSION, "--key", tmp_path / "missing.key"], "cannot read the key"),
        (["verify", "--trust", key], "is a private key"),
        (["verify", "--trust", tmp_path / "garbage.pub"], "is not a public key file (PEM or OpenSSH)"),
    ]
    for command, words in cases:
        result = cli(*command, root=repo)
        assert result.exit_code == 2 and words in result.stderr, (command, result.output)
        assert "internal error" not in result.stderr


def test_verify_names_a_draft_asked_for_and_an_orphan_lock(repo: Path, cli: Callable[..., Any]) -> None:
    listed = cli("verify", root=repo)
    assert listed.exit_code == 0 and f"ok     {SCHEME} {VERSION}: draft (no lock)" in listed.stdout  # a draft claims nothing
    asked = cli("verify", SCHEME, VERSION, root=repo)
    assert asked.exit_code == 1 and f"version {VERSION} is a draft: it was never published" in asked.stdout
    cli("publish", SCHEME, VERSION, root=repo)
    orphan = repo / "referentials" / SCHEME / "2027-01-01.lock.json"
    orphan.write_text(lock_file(repo).read_text())
    result = cli("verify", root=repo)
    assert result.exit_code == 1 and f"{orphan}: a lock of version 2027-01-01, which is not in the tree" in result.stdout
    assert cli("verify", "no-such-scheme", root=repo).exit_code == 2
    assert cli("verify", SCHEME, "1999-01-01", root=repo).exit_code == 2


def test_the_bundled_locks_verify(cli: Callable[..., Any]) -> None:
    result = cli("verify", "--format", "json")
    assert result.exit_code == 0, result.output
    checks = json.loads(result.stdout)
    assert checks and all(c["status"] in ("published", "signed") and c["problems"] == [] for c in checks)


def test_versions_shows_draft_published_and_signed(repo: Path, key: Path, cli: Callable[..., Any]) -> None:
    def publication() -> tuple[str, str | None]:
        [row] = json.loads(cli("versions", SCHEME, "--format", "json", root=repo).stdout)["versions"]
        return row["publication"], row["key"]

    assert publication() == ("draft", None)
    assert "draft (no lock: not published)" in cli("versions", SCHEME, root=repo).stdout
    cli("publish", SCHEME, VERSION, root=repo)
    assert publication() == ("published", None)
    cli("publish", SCHEME, VERSION, "--key", key, root=repo)
    fingerprint = fingerprint_of(key.with_name("body.key.pub"))
    assert publication() == ("signed", fingerprint)
    assert f"signed by {fingerprint[:19]}…" in cli("versions", SCHEME, root=repo).stdout
