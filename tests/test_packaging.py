"""Packaging: the wheel carries the schemes and their JSON Schemas, and a body's own repository works with it.

The wheel is built from a copy of the project's files and installed, without its dependencies, into a
fresh virtual environment outside the checkout; the dependencies are borrowed from the environment that
runs the tests (a `.pth` line naming its site-packages: the editable install of referee there is not
activated, since `.pth` files are read only in site directories). Every `referee` below is the installed
one, run in a folder that is not the checkout. Nothing is fetched from a registry: it takes seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

SCHEME, VERSION = "demo-label", "2026-01-01"
SOURCES = ["pyproject.toml", "README.md", "cli.py", "engine", "referentials", "rules"]


def test_the_packages_listed_for_the_wheel_are_the_packages_on_disk() -> None:
    """pyproject.toml lists the packages (to map the bundled schemes into the wheel): a new one must be listed."""
    listed = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]
    on_disk = sorted(".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "engine").rglob("__init__.py"))
    assert sorted(p for p in listed if not p.startswith("engine._bundled")) == on_disk
    assert {"engine._bundled.referentials", "engine._bundled.rules"} <= set(listed)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the project's files."""
    base = tmp_path_factory.mktemp("packaging")
    source = base / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir", str(base / "dist"), str(source)], base)
    [built] = (base / "dist").glob("referee-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path) -> Path:
    """A fresh virtual environment holding the wheel; returns its bin/ folder."""
    base = wheel.parent.parent
    venv = base / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], base)
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)], base)
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], base).strip())
    (site / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return venv / "bin"


def run(command: list[str], cwd: Path, expect: int = 0) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "REFEREE_ROOT", "REFEREE_KEY_PASSPHRASE")}
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == expect, f"{' '.join(command)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def referee(bin_dir: Path, cwd: Path, *args: Any, expect: int = 0) -> str:
    return run([str(bin_dir / "referee"), *map(str, args)], cwd, expect)


@pytest.mark.packaging
def test_the_wheel_holds_every_file_of_engine_and_the_bundled_trees(wheel: Path) -> None:
    """Code, package data (templates, grammars) and the bundled schemes: a file left out fails only once installed."""
    with zipfile.ZipFile(wheel) as archive:
        held = {name for name in archive.namelist() if not name.startswith("referee-")}
    wanted = {p.relative_to(ROOT).as_posix() for p in (ROOT / "engine").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    wanted |= {f"engine/_bundled/{p.relative_to(ROOT).as_posix()}" for tree in ("referentials", "rules") for p in (ROOT / tree).rglob("*") if p.is_file()}
    assert wanted - held == set()
    assert held - wanted == {"cli.py"}


@pytest.mark.packaging
def test_the_installed_wheel_runs_from_its_own_files_with_the_bundled_schemes(installed: Path, tmp_path: Path) -> None:
    where = run([str(installed / "python"), "-c", "import engine.library as l; print(l.__file__); print(l.bundled_root())"], tmp_path)
    module, bundled = where.split()
    assert Path(module).is_relative_to(installed.parent) and not Path(module).is_relative_to(ROOT)
    assert Path(bundled) == Path(module).parent / "_bundled"
    assert (Path(bundled) / "referentials" / "referential.schema.json").is_file() and (Path(bundled) / "rules" / "rules.schema.json").is_file()
    # a folder without referentials/: the bundled schemes, published as in the project
    listing = json.loads(referee(installed, tmp_path, "versions", "bilan-carbone-compliance", "--format", "json"))
    assert [v["id"] for v in listing["versions"]][:2] == ["2014-05-19", "2025-12-01"]
    assert {v["publication"] for v in listing["versions"]} == {"published"}
    decision = json.loads(referee(installed, tmp_path, "evaluate", ROOT / "examples" / "bilan-carbone-compliance" / "compliant.yaml", "--format", "json"))
    assert decision["outcome"] == "compliant"


@pytest.mark.packaging
def test_a_body_repository_made_by_init_validates_tests_publishes_signs_and_verifies(installed: Path, tmp_path: Path) -> None:
    text = referee(installed, tmp_path, "init", "body", "--scheme", SCHEME, "--id", VERSION)
    assert f"next, in body: referee validate; referee test; referee publish {SCHEME} {VERSION}" in text
    body = tmp_path / "body"
    assert (body / ".github" / "workflows" / "referee.yml").is_file()
    assert (body / "referentials" / SCHEME / f"{VERSION}.yaml").read_text().startswith("# yaml-language-server: $schema=../referential.schema.json")
    assert (body / "rules" / SCHEME / VERSION / "eligibility.yaml").read_text().startswith("# yaml-language-server: $schema=../../rules.schema.json")
    assert "valid" in referee(installed, body, "validate")
    referee(installed, body, "test")
    referee(installed, tmp_path, "keygen", "body.key")
    published = referee(installed, body, "publish", SCHEME, VERSION, "--key", tmp_path / "body.key")
    assert f"{SCHEME} {VERSION}: published and signed" in published
    verified = referee(installed, body, "verify", "--trust", tmp_path / "body.key.pub")
    assert f"ok     {SCHEME} {VERSION}: signed by sha256:" in verified and "(trusted key)" in verified
    decision = json.loads(referee(installed, body, "evaluate", body / "examples" / SCHEME / "eligible.yaml", "--format", "json"))
    assert decision["outcome"] == "eligible" and decision["digests"]["locks"][f"{SCHEME} {VERSION}"]["key"].startswith("sha256:")

    # the same repository without the schema files: referee's own are read, with the same digests, so the lock holds
    bare = tmp_path / "bare"
    shutil.copytree(body, bare)
    (bare / "referentials" / "referential.schema.json").unlink()
    (bare / "rules" / "rules.schema.json").unlink()
    assert "valid" in referee(installed, bare, "validate")
    referee(installed, bare, "verify", "--trust", tmp_path / "body.key.pub")
    referee(installed, tmp_path, "--root", bare, "verify", SCHEME, VERSION)

    # a published version cannot change
    rules = body / "rules" / SCHEME / VERSION / "eligibility.yaml"
    rules.write_text(rules.read_text().replace("is at least the minimum", "reaches the minimum"))
    assert "changed since it was published" in referee(installed, body, "validate", expect=1)
    referee(installed, body, "verify", expect=1)


def test_a_tree_without_schema_files_reads_referees_own_and_says_so_when_they_differ_from_its_locks(tmp_path: Path, cli: Any) -> None:
    """A body published with schema files of its own, then removed them: the lock names schemas referee does not ship."""
    body = tmp_path / "body"
    assert cli("init", body, "--scheme", SCHEME, "--id", VERSION).exit_code == 0
    schema = body / "referentials" / "referential.schema.json"
    document = json.loads(schema.read_text(encoding="utf-8"))
    document["description"] += " (the body's own copy)"
    schema.write_text(json.dumps(document), encoding="utf-8")
    assert cli("publish", SCHEME, VERSION, root=body).exit_code == 0
    schema.unlink()
    result = cli("validate", root=body)
    assert result.exit_code == 1
    assert "referentials/referential.schema.json changed since it was published" in result.stdout
    assert f"{body / 'referentials' / 'referential.schema.json'}: not in the tree: referee 0.1.0 reads its own, which differs" in result.stdout


def test_init_names_the_scheme_after_its_folder_and_refuses_to_overwrite(tmp_path: Path, cli: Any) -> None:
    made = cli("init", tmp_path / "abc-label", "--id", VERSION)
    assert made.exit_code == 0, made.output
    assert (tmp_path / "abc-label" / "referentials" / "abc-label" / f"{VERSION}.yaml").is_file()
    again = cli("init", tmp_path / "abc-label", "--id", VERSION)
    assert again.exit_code == 2
    assert "holds files referee init would write" in again.stderr and f"abc-label/referentials/abc-label/{VERSION}.yaml exists" in again.stderr
    for args, words in [(["--scheme", "ABC Label"], "'ABC Label' cannot name a scheme"), (["--scheme", "abc", "--id", "../x"], "'../x' cannot name a version")]:
        refused = cli("init", tmp_path / "other", *args)
        assert refused.exit_code == 2 and words in refused.stderr
    assert not (tmp_path / "other").exists()
