"""The `referee` command: parses arguments, calls `engine`, renders the result.

Each command imports what only it needs when it runs: one `evaluate` should
not pay for validate's checks or batch's terminal view.

Exit status: 0 success (whatever the outcome of a decision), 1 invalid
dossier, referential or decision file, 2 usage error, 3 internal error (a bug:
the message says so). No traceback reaches the user.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from engine import Library
from engine.decision.model import FORMAT_1, Decision
from engine.decision.render import decision_text
from engine.errors import DecisionFileError, Problem, RefereeError, UsageError
from engine.model.dates import parse_date
from engine.model.documents import load_document, locate
from engine.model.limits import DEFAULT_LIMITS
from engine.running.runtimes import REFERENCE_RUNTIME, RUNTIMES

if TYPE_CHECKING:
    from engine.decision.report import Provenance

INTERNAL_ERROR = 3
TREELESS = {"init", "keygen"}  # commands that read no tree: they open no library

FORMAT = click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="text for people, json for programs (stable, see docs/decision.md).",
)
STORE = click.option(
    "--store", metavar="PATH|URL",
    help="The decision store: a SQLite file, or postgresql://USER@HOST/DB for a shared one (default: REFEREE_STORE, else referee.db).",
)


def _default_root() -> Path:
    """The current directory when it holds referentials/, else the schemes referee ships."""
    from engine.library import bundled_root

    here = Path(".")  # relative: messages then name files as the user sees them
    return here if (here / "referentials").is_dir() else bundled_root()


def _emit(data: Any, output_format: str, text: Callable[[Any], str]) -> None:
    if output_format == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo(text(data))


def guarded(command: Callable[..., int | None]) -> Callable[..., None]:
    """Run a command; turn referee errors into their message and exit code, and anything else into exit 3.

    With --format json the error is a JSON document too ({error, message, problems}), on standard
    error like the text, so that a program reads what went wrong as data.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        as_json = kwargs.get("output_format") == "json"
        try:
            code = command(*args, **kwargs) or 0
        except RefereeError as exc:
            located(exc)
            click.echo(json.dumps(exc.to_json(), indent=2, ensure_ascii=False) if as_json else exc.render(), err=True)
            code = exc.exit_code
        except (click.exceptions.Exit, click.ClickException):
            raise
        except BrokenPipeError:  # the reader stopped early (`referee batch … | head`): nothing is wrong
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
            code = 0
        except Exception as exc:  # a bug in referee: say so, without a traceback
            message = f"{type(exc).__name__}: {exc}"
            hint = "this is a bug in referee; please report it with the command and its input files"
            if as_json:
                click.echo(json.dumps({"error": "internal error", "message": message, "problems": [], "hint": hint}, indent=2), err=True)
            else:
                click.echo(f"internal error: {message}\n{hint}", err=True)
            code = INTERNAL_ERROR
        sys.exit(code)

    return wrapper


def located(error: RefereeError) -> None:
    """Give each problem of an error the line of its path in its file, where the file has one."""
    library = click.get_current_context().obj
    error.problems = locate(error.problems, library.limits if isinstance(library, Library) else DEFAULT_LIMITS)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--root", type=click.Path(file_okay=False, path_type=Path), envvar="REFEREE_ROOT",
    help="Project tree holding referentials/ and rules/ (default: the current directory if it has referentials/, else the schemes referee ships).",
)
@click.option(
    "--limit", "limits", multiple=True, metavar="NAME=VALUE", callback=lambda c, p, v: _parse_settings(c, p, v),
    help="Change a bound on what referee reads, e.g. --limit document_bytes=200MiB --limit depth=100 (docs/limits.md).",
)
@click.option("--confine-ledgers", is_flag=True, help="Read a dossier's ledger (FEC) only if it lies within the dossier's folder.")
@click.version_option(package_name="referee")
@click.pass_context
def main(ctx: click.Context, root: Path | None, limits: dict[str, str], confine_ledgers: bool) -> None:
    """referee — decisions of certification schemes from versioned referentials.

    \b
    Standards bodies:  referee validate referentials/
                       referee versions SCHEME
                       referee publish SCHEME ID [--key FILE]; referee verify [--trust KEY.pub]
                       referee init DIR [--scheme NAME]; referee keygen FILE
                       referee test [DOSSIER|FOLDER]...
    Evaluators:        referee evaluate DOSSIER.yaml [--version ID]
                       referee batch FOLDER|DOSSIERS.jsonl… [-o DECISIONS.jsonl] [--jobs N]
    Auditors:          referee explain DECISION.json [--fact NAME | --lines CATEGORY]
                       referee report DECISION.json [-o REPORT.html] [--lang fr|en]
    New releases:      referee import-table TABLE.csv --scheme SCHEME --table NAME --id ID
    """
    if ctx.invoked_subcommand in TREELESS:
        return
    if ctx.obj is None:  # a caller may hand over a library already compiled (the tests share one)
        try:
            ctx.obj = Library.open(root or _default_root(), DEFAULT_LIMITS.with_settings(limits), confine_ledgers)
        except RefereeError as exc:
            located(exc)
            click.echo(exc.render(), err=True)
            sys.exit(exc.exit_code)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@FORMAT
@click.pass_obj
@guarded
def validate(library: Library, paths: tuple[Path, ...], output_format: str) -> int:
    """Check referential files (default: every one in referentials/).

    Beyond the JSON Schema: every rule and value cites a listed provision;
    bands cover their range without gap or overlap; rules read only
    parameters, tables and facts that exist; versions chain coherently.
    Reports the coverage of the source texts. Exit 1 if any file is invalid.
    """
    from engine.authoring.checks import validate_paths
    from engine.authoring.reports import report_json, report_text

    reports = validate_paths(library, paths or (library.referentials_dir,))
    if not reports:
        raise UsageError("no referential files found", [])
    _emit([report_json(r) for r in reports], output_format, lambda _: "\n".join(report_text(r) for r in reports))
    return 0 if all(r.valid for r in reports) else 1


def _parse_day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@main.command()
@click.argument("scheme")
@click.option("--as-of", callback=_parse_day, metavar="DATE", help="Status on this date (default: today).")
@FORMAT
@click.pass_obj
@guarded
def versions(library: Library, scheme: str, as_of: dt.date | None, output_format: str) -> None:
    """List the versions of SCHEME with their dates and status."""
    day = as_of or dt.date.today()
    loaded = library.versions(scheme)
    framework = loaded[0].framework
    from engine.authoring.reports import versions_table, versions_text

    rows = versions_table(loaded, day)
    listing = {"scheme": scheme, "as_of": day.isoformat(), "framework": framework, "versions": rows}
    _emit(listing, output_format, lambda d: versions_text(scheme, d["versions"], day, framework))


@main.command()
@click.argument("dossier", type=click.Path(path_type=Path))
@click.option("--version", "version_id", metavar="ID", help="Force this referential version for every section (the decision says so).")
@click.option("--runtime", type=click.Choice(RUNTIMES), default="durable-rules", show_default=True, help="Forward-chaining runtime.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Also write the JSON decision to this file.")
@click.option("--force", is_flag=True, help="Overwrite the -o file if it exists.")
@FORMAT
@click.pass_obj
@guarded
def evaluate(library: Library, dossier: Path, version_id: str | None, runtime: str, output: Path | None, force: bool, output_format: str) -> None:
    """Judge DOSSIER (YAML or JSON) under the version in force for its cycle."""
    if output is not None:
        writable(output, force)
    loaded = library.load_dossier(dossier)
    if version_id is not None:
        known_version(library, loaded.scheme, version_id)
    decision = library.evaluate(loaded, version=version_id, runtime=runtime)
    if output is not None:
        write(output, json.dumps(decision.to_json(), indent=2, ensure_ascii=False) + "\n")
    _emit(decision.to_json(), output_format, lambda _: decision_text(decision))


def known_version(library: Library, scheme: str, version_id: str) -> None:
    """An unknown --version is the option's fault (a usage error), not the dossier's `$.version`."""
    if scheme not in library.schemes():
        return  # the dossier's unknown scheme is reported by evaluate, at its path
    known = [v.id for v in library.versions(scheme)]
    if version_id not in known:
        raise UsageError(f"--version {version_id}: {scheme} has no such version", [Problem(f"known versions of {scheme}: {', '.join(known)}")])


def writable(path: Path, force: bool) -> None:
    """Refuse, before any work, an output that would overwrite a file unasked or go to a folder that is not there."""
    if path.exists() and not force:
        raise UsageError(f"{path} exists already: give --force to overwrite it")
    if path.is_dir():
        raise UsageError(f"{path} is a folder: name a file")
    if not path.parent.is_dir():
        raise UsageError(f"cannot write {path}: there is no folder {path.parent}")


def write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


@main.command()
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...", type=click.Path(exists=True, path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(path_type=Path),
    help="Write the decisions to this file (default: standard output); with --format dir, into this folder.",
)
@click.option(
    "--format", "output_format", type=click.Choice(["jsonl", "dir"]), default="jsonl", show_default=True,
    help="jsonl: one compact decision a line, in input order; dir: one indented JSON file per dossier in the folder -o.",
)
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True, help="Processes judging in parallel (1: this one).")
@click.option("--runtime", type=click.Choice(RUNTIMES), default="compiled", show_default=True, help="Forward-chaining runtime.")
@click.option(
    "--summary", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.csv",
    help="Also write one CSV row per dossier: ids, versions, outcome, findings by severity, error.",
)
@click.option(
    "--check-sample", type=click.FloatRange(0, 1), default=0.0, metavar="SHARE",
    help=f"Judge this share of the dossiers again with {REFERENCE_RUNTIME} and compare (chosen by a hash of the source, e.g. 0.05).",
)
@click.option("--force", is_flag=True, help="Overwrite output files that exist.")
@click.option(
    "--store", "store", is_flag=False, flag_value="", metavar="[PATH|URL]",
    help="Record every decision in this store, a SQLite file or postgresql://… (alone: REFEREE_STORE, else referee.db); "
    "a dossier it holds a decision on under the same versions is not judged again.",
)
@click.option("--again", is_flag=True, help="With --store: judge and record again the dossiers the store has decided already.")
@click.option("--evaluator", metavar="NAME", help="With --store: who decides, as recorded (default: REFEREE_EVALUATOR, else the login name).")
@click.pass_obj
@guarded
def batch(
    library: Library, inputs: tuple[Path, ...], output: Path | None, output_format: str, jobs: int, runtime: str,
    summary: Path | None, check_sample: float, force: bool, store: str | None, again: bool, evaluator: str | None,
) -> int:
    """Judge many dossiers: files, folders (recursively) and JSON Lines files (one dossier a line).

    Decisions go to standard output (or -o) as JSON Lines, in input order;
    with --store, into the store (and to -o if given). Standard error shows a progress bar (at a terminal), one line per invalid
    dossier naming the path of each problem, and at the end the outcomes per
    scheme and procedure. An invalid dossier does not stop the batch. Exit 1
    if a dossier was invalid; 3 on an internal error, or if a dossier checked
    with --check-sample was decided differently by the reference runtime.

    A batch killed mid-run and run again with the same --store judges only
    what the store does not hold; two batches may record into one store at once.

    \b
    referee batch dossiers/ more.jsonl --jobs 2 -o decisions.jsonl --summary summary.csv
    referee batch dossiers/ --jobs 2 --store referee.db
    """
    from engine.running.batch import Outputs, Tally, collect, judge_all  # only batch needs them, and rich
    from engine.running.batch_view import BatchView, stderr_console

    if check_sample and runtime == REFERENCE_RUNTIME:
        raise UsageError(f"--check-sample compares with {REFERENCE_RUNTIME}: judge with another --runtime")
    entries = collect(inputs)
    recorder = _recorder(library, store, runtime, evaluator, again)
    tally = Tally()
    console = stderr_console()
    start = time.perf_counter()
    indent = 2 if output_format == "dir" else None
    stream = sys.stdout if recorder is None else None  # with a store, decisions go to a file only if -o names one
    with (
        Outputs(entries, stream=stream, output=output, folder=output_format == "dir", summary=summary, force=force) as outputs,
        BatchView(console, len(entries)) as view,
    ):
        decided_before = recorder.decided_before if recorder is not None else frozenset()
        try:
            for result in judge_all(
                library, entries, runtime=runtime, jobs=jobs, check_share=check_sample, indent=indent, recording=recorder is not None, decided_before=decided_before,
            ):
                outputs.write(result)
                tally.add(result)
                view.show(result)
                if recorder is not None and result.record is not None:
                    recorder.add(result.record)
        finally:
            if recorder is not None:
                recorder.flush()
    view.end(tally, time.perf_counter() - start, jobs, runtime)
    if recorder is not None:
        console.print(recorder.summary())
    return tally.exit_code


def _recorder(library: Library, store: str | None, runtime: str, evaluator: str | None, again: bool) -> Any:
    """The batch's recorder into its store, the library recorded; None without --store."""
    if store is None:
        if again or evaluator:
            raise UsageError("--again and --evaluator say how decisions are recorded: give --store too")
        return None
    from engine.store import store_location
    from engine.store.recording import Recorder, evaluator_name
    from engine.store.repository import Store

    location = store_location(store)
    if Path(location).suffix.lower() in (".yaml", ".yml", ".json", ".jsonl") or Path(location).is_dir():
        raise UsageError(f"--store took {location} for the store", [Problem("write --store=PATH, or give --store after the inputs")])
    return Recorder.start(Store.open(location, create=True), library, runtime=runtime, evaluator=evaluator_name(evaluator), again=again)


@main.command("test")
@click.argument("paths", nargs=-1, metavar="[PATH]...", type=click.Path(exists=True, path_type=Path))
@click.option("--runtime", type=click.Choice(RUNTIMES), default=REFERENCE_RUNTIME, show_default=True, help="Forward-chaining runtime.")
@FORMAT
@click.pass_obj
@guarded
def test_command(library: Library, paths: tuple[Path, ...], runtime: str, output_format: str) -> int:
    """Run the author tests: judge each dossier that holds an expect: block, and compare.

    PATH is a dossier or a folder (every dossier with an expect: block
    inside, recursively); default: the examples/ folder. Prints passed,
    failed or error per file, and for a failure each expectation not met:
    its line and path in the file, what was expected and what the decision
    gives. Exit 1 if a test failed or a dossier is invalid.
    """
    from engine.authoring.author_tests import collect, run, summary

    start = time.perf_counter()
    if not paths:
        examples = library.root / "examples"
        if not examples.is_dir():
            raise UsageError(f"{library.root} has no examples/ folder: name the dossiers or folders to test")
        paths = (Path(os.path.relpath(examples)) if examples.is_relative_to(Path.cwd()) else examples,)
    files = collect(paths, library.limits)
    if not files:
        raise UsageError(f"no dossier with an expect: block in {', '.join(map(str, paths))}")
    results = [run(library, path, runtime) for path in files]
    counts = summary(results)
    if output_format == "json":
        _emit({"runtime": runtime, **counts, "results": [r.to_json() for r in results]}, output_format, str)
    else:
        for result in results:
            said = f"  {result.dossier_id} → {result.outcome}" if result.outcome else ""
            click.echo(f"{click.style(f'{result.status.upper():<7}', fg=_STATUS_COLOURS[result.status], bold=True)} {result.file}{said}")
            click.echo("".join(f"    {line}\n" for line in result.details()), nl=False)
        seconds = time.perf_counter() - start
        click.echo(f"{len(results)} author tests: {counts['passed']} passed, {counts['failed']} failed, {counts['errors']} in error ({runtime}, {seconds:.1f} s)")
    return 0 if counts["passed"] == len(results) else 1


_STATUS_COLOURS = {"passed": "green", "failed": "red", "error": "magenta"}


@main.command()
@click.argument("decision_file", metavar="DECISION.json", type=click.Path(path_type=Path))
@click.option("--fact", default="outcome", show_default=True, help="The conclusion to explain.")
@click.option("--lines", "category", metavar="CATEGORY", help="Instead, list the ledger (FEC) lines behind one category of the decision.")
@click.option(
    "--ledger", type=click.Path(dir_okay=False, path_type=Path), metavar="FEC",
    help="The FEC the decision read (default: its recorded name, beside the decision file); checked by its sha256.",
)
@FORMAT
@click.pass_obj
@guarded
def explain(library: Library, decision_file: Path, fact: str, category: str | None, ledger: Path | None, output_format: str) -> None:
    """Show how a decision reached a conclusion, down to the dossier's facts and the referential's values.

    With --lines CATEGORY, read again the FEC a decision was computed from
    and list the lines of that category's accounts, with their total: the
    invoices behind a figure (e.g. a group "FEC other_invoices (93 lines …)").

    A decision is checked against its seal: one changed since it was
    written is refused ("decision altered", exit 1). A referee.decision/1
    file, older than seals, is explained with a warning.
    """
    from engine.decision.explain import derivation_tree, ledger_lines, render_ledger_lines, render_tree

    decision, _sealed = read_decision(library, decision_file)
    if category is None:
        _emit(derivation_tree(decision, library, fact), output_format, render_tree)
        return
    _emit(ledger_lines(decision, category, ledger, decision_file.parent, library.limits), output_format, render_ledger_lines)


def read_decision(library: Library, decision_file: Path) -> tuple[Decision, bool]:
    """A decision file, checked against its seal; a /1 file (never sealed) is read with a warning. -> (decision, sealed)."""
    return decision_of(load_document(decision_file, DecisionFileError, library.limits), decision_file)


def decision_of(data: Any, decision_file: Path) -> tuple[Decision, bool]:
    """The decision a file's document holds, checked against its seal (see read_decision)."""
    decision = Decision.from_json(data, str(decision_file))
    if data["format"] == FORMAT_1:  # from_json read it: a mapping with a known format
        unsealed = f"{decision_file} is a {FORMAT_1} decision, written before decisions were sealed: referee cannot tell whether it was altered"
        click.echo(f"warning: {unsealed}", err=True)
        return decision, False
    return decision, True


@main.command()
@click.argument("decision_file", metavar="DECISION.json", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the page to this file (default: standard output).")
@click.option("--lang", type=click.Choice(["fr", "en"]), help="Language of the page (default: the referential's, else en).")
@click.option("--force", is_flag=True, help="Overwrite the -o file if it exists.")
@STORE
@click.pass_obj
@guarded
def report(library: Library, decision_file: Path, output: Path | None, lang: str | None, force: bool, store: str | None) -> None:
    """Make the applicant's report of a decision: one HTML page, self-contained, ready to print to PDF (A4).

    It shows the outcome, the values, the findings, the versions applied and
    why, the trail step by step with each clause quoted and the readings
    applied, the digests and the seal. A decision changed since it was
    written is refused ("decision altered", exit 1). With a store (--store,
    REFEREE_STORE, or referee.db in the working folder; never made here), the
    decision is replayed as `referee replay DECISION.json` does, and the page
    shows the verdict, and who decided it and when if the store holds it.
    See docs/report.md.

    \b
    referee report decision.json -o report.html --lang fr
    referee report decision.json -o report.html --store referee.db
    """
    if output is not None:
        writable(output, force)
    from engine.decision.report import Provenance, report_html

    data = load_document(decision_file, DecisionFileError, library.limits)
    decision, sealed = decision_of(data, decision_file)
    provenance = _replayed(library, data, decision_file, store) if sealed and _store_named(store) else Provenance()
    page = report_html(decision, library, lang=lang, sealed=sealed, provenance=provenance)
    if output is None:
        click.echo(page, nl=False)
    else:
        write(output, page)
        click.echo(f"{output}: report of {decision.dossier_id} ({decision.outcome}){_replay_said(provenance)}", err=True)


def _replay_said(provenance: Provenance) -> str:
    """The replay's verdict for the line `report` prints: which decision was judged again, and why not if it was not."""
    replayed = provenance.replay
    if replayed is None:
        return ""
    where = f"row {replayed.row} of the store" if replayed.row is not None else "not in the store"
    return f"; replay: {replayed.verdict} ({where}){f': {replayed.reason}' if replayed.reason else ''}"


def _replayed(library: Library, data: Any, decision_file: Path, store: str | None) -> Provenance:
    """The Provenance of a decision file from the store: its replay, as `referee replay DECISION.json` gives it, and its row's evaluator and time."""
    from engine.decision.report import Provenance
    from engine.store.replay import Replayer

    opened = _open_store(store)
    with Replayer(opened, library) as replayer:
        replayed = replayer.file(data, str(decision_file))
    row = next(opened.decisions(seq=replayed.row, body=False)) if replayed.row is not None else None
    return Provenance(row.evaluator if row else None, row.decided_at if row else None, replayed)


@main.command()
@click.argument("scheme")
@click.argument("version_id", metavar="ID")
@click.option("--amend", metavar="REASON", help="Re-lock a published version whose encoding was corrected, recording why.")
@click.option(
    "--key", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
    help="Sign the lock with this Ed25519 private key (PEM or OpenSSH; encrypted: passphrase in $REFEREE_KEY_PASSPHRASE).",
)
@FORMAT
@click.pass_obj
@guarded
def publish(library: Library, scheme: str, version_id: str, amend: str | None, key: Path | None, output_format: str) -> None:
    """Freeze version ID of SCHEME: lock the digest of every file it runs, and sign the lock with --key.

    From then on, referee refuses the version if the version, a rule file it
    runs or a schema changes: a new version is the only way to change a
    judgement. Only a valid version is published. Writes
    referentials/SCHEME/ID.lock.json. With --key, a version already published
    has its lock signed as it is.
    """
    from engine.authoring.publication import publish as publish_version

    lock, done = publish_version(library, scheme, version_id, amend=amend, key=key)
    signed = f"; signed by {lock.signature.key}" if lock.signature else ""
    _emit(
        {"done": done, "lock_digest": lock.lock_digest, **lock.to_json()}, output_format,
        lambda _: f"{scheme} {version_id}: {done}, digest {lock.digest} ({len(lock.files)} files){signed} in {lock.path}",
    )


@main.command()
@click.argument("scheme", required=False)
@click.argument("version_id", metavar="[ID]", required=False)
@click.option(
    "--trust", multiple=True, type=click.Path(dir_okay=False, path_type=Path), metavar="KEY.pub",
    help="A trusted Ed25519 public key (PEM or OpenSSH; repeatable): every published version must then be signed by one.",
)
@FORMAT
@click.pass_obj
@guarded
def verify(library: Library, scheme: str | None, version_id: str | None, trust: tuple[Path, ...], output_format: str) -> int:
    """Check the locks of published versions (all, SCHEME's, or version ID) and their signatures.

    Each lock must list the digests of what its version runs now, and a
    signed lock's signature must match its content. With --trust, each
    published version must be signed by a trusted key. A draft is listed, and
    is an error only when asked for by its ID. Exit 1 naming each version
    that fails.
    """
    from engine.authoring.publication import verify as verify_versions
    from engine.authoring.reports import verification_text

    checks = verify_versions(library, scheme, version_id, trust)
    _emit([c.to_json() for c in checks], output_format, lambda _: verification_text(checks, trusting=bool(trust)))
    return 1 if any(c.problems for c in checks) else 0


@main.command()
@click.argument("key_file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a key pair that exists.")
@guarded
def keygen(key_file: Path, force: bool) -> None:
    """Make an Ed25519 key pair to sign published versions: FILE (private) and FILE.pub (public).

    FILE is readable by its owner only, and encrypted with
    $REFEREE_KEY_PASSPHRASE when that is set. Keep it out of the repository;
    publish FILE.pub, which `referee verify --trust` reads. openssl makes
    the same files: `openssl genpkey -algorithm ed25519 -out FILE` and
    `openssl pkey -in FILE -pubout -out FILE.pub`.
    """
    from engine.model.signatures import write_key_pair

    public, fingerprint = write_key_pair(key_file, force=force)
    click.echo(f"private key {key_file}, public key {public}: fingerprint {fingerprint}")


@main.command()
@click.argument("folder", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--scheme", metavar="NAME", help="The scheme's name (default: DIR's name): lower-case letters, digits and '-'.")
@click.option("--id", "version_id", metavar="ID", help="The first version's id (default: today, YYYY-MM-DD).")
@guarded
def init(folder: Path, scheme: str | None, version_id: str | None) -> None:
    """Make a repository for a new scheme in DIR: one version, its rule file, an example, the schemas, a CI workflow.

    Then, in DIR: `referee validate`, `referee test`, `referee publish SCHEME ID`.
    DIR may exist but must not hold any of the files written.
    """
    from engine.authoring.scaffold import scaffold

    name, version = scheme or folder.resolve().name, version_id or dt.date.today().isoformat()
    written = scaffold(folder, name, version)
    click.echo(f"{name}: {len(written)} files in {folder}")
    click.echo("\n".join(f"  {path.relative_to(folder).as_posix()}" for path in written))
    click.echo(f"next, in {folder}: referee validate; referee test; referee publish {name} {version}")


def _parse_settings(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    settings: dict[str, str] = {}
    for item in values:
        name, equals, value = item.partition("=")
        if not equals or not name.strip():
            raise click.BadParameter(f"{item!r} is not NAME=VALUE")
        if name.strip() in settings:
            raise click.BadParameter(f"{name.strip()} is set twice")
        settings[name.strip()] = value.strip()
    return settings


@main.command("import-table")
@click.argument("csv_file", metavar="CSV", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--scheme", required=True, help="The scheme whose next version this is.")
@click.option("--table", required=True, help="The table the CSV replaces (its `key` names the CSV's key column).")
@click.option("--id", "version_id", required=True, metavar="ID", help="Id of the new version (a date, unless --in-force-from is given).")
@click.option("--from", "template_id", metavar="VERSION", help="Template version (default: the latest of the scheme).")
@click.option("--in-force-from", callback=_parse_day, metavar="DATE", help="First day it governs a cycle (default: the id).")
@click.option("--published-on", callback=_parse_day, metavar="DATE", help="Publication date (default: --in-force-from).")
@click.option("--clause", metavar="TEXT", help="New id of the provision the table cites, renamed wherever it is cited.")
@click.option("--title", metavar="TEXT", help="Title of the new version (default: the template's).")
@click.option(
    "--set", "settings", multiple=True, callback=_parse_settings, metavar="NAME=VALUE", help="Set a parameter of the table's section (repeatable)."
)
@click.option("--allow-new-columns", is_flag=True, help="Add the CSV's columns that the template's rows lack.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE", help="Write the version here (default: standard output)."
)
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@click.pass_obj
@guarded
def import_table_command(
    library: Library, csv_file: Path, version_id: str, template_id: str | None, output: Path | None, force: bool, **options: Any
) -> None:
    """Make the next version of a referential from a table supplied as CSV (e.g. a new release of a factor base).

    The latest version of SCHEME is the template: the new version keeps its
    sources, decisions and other sections, and replaces the rows of TABLE by
    the CSV's. The CSV (UTF-8, `,` or `;`) has a header naming the columns:
    one named as the table's key, one per field of the template's rows (more
    with --allow-new-columns). A cell is null when empty, a boolean for
    true/false, a number or a date where the template's values are (decimal
    point or comma). The change log (rows added, removed, changed) is
    computed, the result is checked as `referee validate` would, and a summary
    goes to standard error. Exit 1 on a bad CSV, naming each line and column.

    \b
    referee import-table release-2026.csv --scheme label-transmission-factors \\
        --table emission_factors --id 2026-01-01 --published-on 2025-12-15 \\
        --clause "release 2026.1" --set "factor_release=sample 2026.1" \\
        -o referentials/label-transmission-factors/2026-01-01.yaml
    """
    if output is not None:
        writable(output, force)
    from engine.authoring.table_import import import_table

    text, changes = import_table(library, csv_file, version_id=version_id, template_id=template_id, **options)
    if output is None:
        click.echo(text, nl=False)
    else:
        write(output, text)
    click.echo(changes.summary(), err=True)


@main.command("diff")
@click.argument("scheme")
@click.argument("old_id", metavar="A")
@click.argument("new_id", metavar="B")
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True,
    help="text for people, json for programs, markdown for a change log to publish.",
)
@click.pass_obj
@guarded
def diff_command(library: Library, scheme: str, old_id: str, new_id: str, output_format: str) -> None:
    """Show what changed from version A to version B of SCHEME, item by item.

    Parameters (value, unit, clause), table rows by key, band bounds,
    criteria, procedures (outcomes, input fields), rules (condition,
    conclusion), provisions, readings and time policies. When B supersedes A,
    says whether B's change log mentions every change, and only changes (as
    `referee validate` checks). See docs/diff-and-impact.md.

    \b
    referee diff bilan-carbone-compliance 2014-05-19 2025-12-01 --format markdown
    """
    from engine.authoring.diff import diff_markdown, diff_text, diff_versions

    old, new = library.versions_named(scheme, old_id, new_id)
    diff = diff_versions(library, old, new)
    if output_format == "markdown":
        click.echo(diff_markdown(diff), nl=False)
    else:
        _emit(diff.to_json(), output_format, lambda _: diff_text(diff))


def _open_store(store: str | None) -> Any:
    """The store to read: the one named, else REFEREE_STORE, else referee.db in the working folder (which must exist)."""
    from engine.store import store_location
    from engine.store.repository import Store

    return Store.open(store_location(store))


@main.command()
@click.argument("decision_file", required=False, metavar="[DECISION.json]", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--id", "row", type=click.IntRange(min=1), metavar="ID", help="The decision of this row of the store (referee history shows rows).")
@click.option("--dossier", metavar="DOSSIER_ID", help="Every decision the store holds on this dossier (its dossier_id, or its digest).")
@click.option("--all", "every", is_flag=True, help="Every decision of the store.")
@click.option("--since", callback=_parse_day, metavar="DATE", help="With --all or --dossier: only the decisions recorded on or after this day.")
@STORE
@FORMAT
@click.pass_obj
@guarded
def replay(
    library: Library, decision_file: Path | None, row: int | None, dossier: str | None, every: bool, since: dt.date | None, store: str | None,
    output_format: str,
) -> int:
    """Judge a decision again under what judged it, and say whether it is reproduced.

    A recorded decision is judged again under its library as it was recorded
    (every version it held, from the store's copies: later edits of the tree
    and versions added since do not reach it), with its dossier as received.
    "reproduced" (exit 0), or the first difference and the recorded digests
    that explain it (exit 1). A DECISION.json file is checked against its
    seal first: one altered is refused (exit 1). With --all, the counts of
    reproduced, differing and unverifiable decisions, and the rate.

    \b
    referee replay decision.json
    referee replay --id 12
    referee replay --dossier OC2-2024-017
    referee replay --all [--since 2026-01-01]
    """
    from engine.store.replay import REPRODUCED, Replayer
    from engine.store.reports import replays_json, replays_text

    chosen = [name for name, given in (("DECISION.json", decision_file), ("--id", row), ("--dossier", dossier), ("--all", every)) if given]
    if len(chosen) != 1:
        raise UsageError("name what to replay: one of DECISION.json, --id ID, --dossier DOSSIER_ID or --all", [Problem(f"given: {', '.join(chosen) or 'none'}")])
    if since is not None and not (every or dossier):
        raise UsageError("--since chooses among many decisions: give it with --all or --dossier")
    if decision_file is not None:
        data = load_document(decision_file, DecisionFileError, library.limits)
        with Replayer(_open_store(store) if _store_named(store) else None, library) as replayer:
            one = replayer.file(data, str(decision_file))
        _emit(one.to_json(), output_format, lambda _: one.text())
        return 0 if one.verdict == REPRODUCED else 1
    opened = _open_store(store)
    start = time.perf_counter()
    counts: Counter[str] = Counter()
    listed = []
    with Replayer(opened, library) as replayer:
        for recorded in opened.decisions(seq=row, dossier=dossier, since=since):
            done = replayer.row(recorded)
            counts[done.verdict] += 1
            if not every or done.verdict != REPRODUCED:
                listed.append(done)
    if not counts:
        raise UsageError(f"the store {opened.name} holds no such decision", [Problem("referee history DOSSIER_ID lists a dossier's decisions with their rows")])
    if row is not None:
        _emit(listed[0].to_json(), output_format, lambda _: listed[0].text())
    else:
        _emit(replays_json(listed, counts, time.perf_counter() - start), output_format, lambda d: replays_text(listed, d))
    return 0 if counts[REPRODUCED] == sum(counts.values()) else 1


def _store_named(store: str | None) -> bool:
    """Whether a store is to be read: named by --store or REFEREE_STORE, or referee.db found in the working folder."""
    from engine.store import DEFAULT_STORE, STORE_ENV

    return bool(store or os.environ.get(STORE_ENV) or Path(DEFAULT_STORE).is_file())


@main.command()
@click.argument("dossier")
@STORE
@FORMAT
@click.pass_obj
@guarded
def history(library: Library, dossier: str, store: str | None, output_format: str) -> int:
    """The decisions the store holds on DOSSIER (its dossier_id, or its digest), oldest first: when, by whom, under which versions, with what outcome."""
    from engine.store.reports import history_json, history_text

    opened = _open_store(store)
    rows = list(opened.decisions(dossier=dossier, body=False))
    if not rows:
        click.echo(f"the store {opened.name} holds no decision on {dossier}", err=True)
        return 1
    _emit(history_json(dossier, rows), output_format, history_text)
    return 0


@main.group("store")
def store_group() -> None:
    """The decision store: check its chain, count what it holds (docs/store.md)."""


@store_group.command("verify")
@click.option("--deep", is_flag=True, help="Also read every decision against its seal, and every dossier against its digest (slower).")
@STORE
@FORMAT
@click.pass_obj
@guarded
def store_verify(library: Library, deep: bool, store: str | None, output_format: str) -> int:
    """Walk the chain of decisions and report any row altered or removed; check every file against its digest.

    Exit 1 if anything is wrong. The head printed (the last row's hash) is
    worth noting elsewhere: rows removed from the end leave no gap to find.
    """
    from engine.store.reports import verification_json, verification_text

    opened = _open_store(store)
    data = verification_json(opened.name, opened.verify(deep))
    _emit(data, output_format, verification_text)
    return 0 if data["intact"] else 1


@store_group.command("stats")
@STORE
@FORMAT
@click.pass_obj
@guarded
def store_stats(library: Library, store: str | None, output_format: str) -> None:
    """Count the decisions per scheme, procedure and outcome, and what else the store holds."""
    from engine.store.reports import stats_text

    _emit(_open_store(store).stats(), output_format, stats_text)


@main.command()
@click.argument("scheme")
@click.argument("portfolio", nargs=-1, metavar="[PORTFOLIO...]", type=click.Path(exists=True, path_type=Path))
@click.option("--to", "new_id", required=True, metavar="NEW", help="The new version, usually a draft.")
@click.option("--from", "old_id", metavar="OLD", help="The version to compare it with (default: the one NEW supersedes).")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True, help="Processes judging in parallel, for each of the three judgements.")
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.csv", help="Write one row per dossier and group.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.html", help="Write the matrices and the dossiers that change as one page.")
@click.option("--force", is_flag=True, help="Overwrite the --csv and --html files if they exist.")
@click.option(
    "--store", metavar="PATH|URL",
    help="Instead of PORTFOLIO, the dossiers a decision store holds (a SQLite file, or postgresql://USER@HOST/DB), as received.",
)
@FORMAT
@click.pass_obj
@guarded
def impact(
    library: Library, scheme: str, portfolio: tuple[Path, ...], new_id: str, old_id: str | None, jobs: int,
    csv_file: Path | None, html_file: Path | None, force: bool, store: str | None, output_format: str,
) -> None:
    """What version NEW of SCHEME changes on a portfolio of dossiers, before it is published.

    Each dossier (files, folders, JSON Lines, as `batch` reads them) is judged
    with OLD as the latest version, then with NEW by the rules of time, then
    with NEW forced. Prints the outcome transitions in three groups: running
    cycles (pinning should keep them unchanged: any change is flagged), new
    cycles, and the whole portfolio were NEW forced; then each dossier that
    changes, with the first conclusion of its trail that differs, and each
    dossier refused as input. See docs/diff-and-impact.md.

    \b
    referee impact bilan-carbone-compliance --to 2025-12-01 portfolio.jsonl --html impact.html
    referee impact bilan-carbone-compliance --to 2025-12-01 --store referee.db
    """
    from engine.authoring.impact import impact_html, impact_of, impact_text, stored_portfolio, write_csv
    from engine.running.batch import collect

    if bool(portfolio) == bool(store):
        raise UsageError("name the dossiers to judge: PORTFOLIO… (files, folders, JSON Lines) or --store, not both", [Problem(f"given: {'both' if store else 'neither'}")])
    for path in (csv_file, html_file):
        if path is not None:
            writable(path, force)
    entries = stored_portfolio(_open_store(store), library.limits) if store else collect(portfolio)
    result = impact_of(library, scheme, new_id, entries, old_id=old_id, jobs=jobs)
    if csv_file is not None:
        with csv_file.open("w", encoding="utf-8", newline="") as file:
            write_csv(result, file)
    if html_file is not None:
        write(html_file, impact_html(result))
    _emit(result.to_json(), output_format, lambda _: impact_text(result))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (127.0.0.1: this machine only).")
@click.option("--port", type=click.IntRange(min=0, max=65535), default=8000, show_default=True, help="Port to listen on.")
@STORE
@click.option(
    "--tokens", "tokens_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
    help="Bearer tokens, one `ROLE TOKEN [NAME]` a line, ROLE reader or evaluator (default: REFEREE_TOKENS).",
)
@click.pass_obj
@guarded
def serve(library: Library, host: str, port: int, store: str | None, tokens_file: Path | None) -> None:
    """Serve the HTTP API, its OpenAPI description (/openapi.json, /docs) and a page at / (docs/api.md).

    Decisions are recorded in the store (made if missing). A reader's token
    reads stored decisions, their explanation and report; an evaluator's
    also judges (evaluate, batch, impact, replay). Without a token only /,
    the docs and /schemes answer. One JSON line per request goes to
    standard error; a token never does. The --limit options apply to what
    requests send.

    \b
    referee serve --tokens tokens.txt --store referee.db
    """
    import uvicorn

    from engine.service import Tokens, create_app
    from engine.service.access_log import log_to
    from engine.store import store_location
    from engine.store.repository import Store

    tokens = Tokens.configured(tokens_file)
    if not len(tokens):
        click.echo("warning: no tokens (--tokens FILE or REFEREE_TOKENS): only /, /docs, /openapi.json and /schemes answer", err=True)
    app = create_app(library, Store.open(store_location(store), create=True), tokens)
    log_to(sys.stderr)
    uvicorn.run(app, host=host, port=port, access_log=False)

if __name__ == "__main__":
    main(prog_name=os.path.basename(sys.argv[0]))
