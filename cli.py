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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from engine import Library
from engine.decision.model import FORMAT_1, Decision
from engine.decision.render import decision_text
from engine.errors import DecisionFileError, RefereeError, UsageError
from engine.model.dates import parse_date
from engine.model.documents import load_document
from engine.model.limits import DEFAULT_LIMITS
from engine.running.runtimes import REFERENCE_RUNTIME, RUNTIMES

INTERNAL_ERROR = 3

FORMAT = click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="text for people, json for programs (stable, see docs/decision.md).",
)


def _default_root() -> Path:
    """The current directory when it holds referentials/, else the project this file belongs to."""
    cwd = Path.cwd()
    return cwd if (cwd / "referentials").is_dir() else Path(__file__).resolve().parent


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--root", type=click.Path(file_okay=False, path_type=Path), envvar="REFEREE_ROOT",
    help="Project tree holding referentials/ and rules/ (default: the current directory if it has referentials/, else the referee installation).",
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
    Evaluators:        referee evaluate DOSSIER.yaml [--version ID]
                       referee batch FOLDER|DOSSIERS.jsonl… [-o DECISIONS.jsonl] [--jobs N]
    Auditors:          referee explain DECISION.json [--fact NAME | --lines CATEGORY]
    New releases:      referee import-table TABLE.csv --scheme SCHEME --table NAME --id ID
    """
    if ctx.obj is None:  # a caller may hand over a library already compiled (the tests share one)
        try:
            ctx.obj = Library.open(root or _default_root(), DEFAULT_LIMITS.with_settings(limits), confine_ledgers)
        except RefereeError as exc:
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
    decision = library.evaluate(library.load_dossier(dossier), version=version_id, runtime=runtime)
    if output is not None:
        write(output, json.dumps(decision.to_json(), indent=2, ensure_ascii=False) + "\n")
    _emit(decision.to_json(), output_format, lambda _: decision_text(decision))


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
@click.pass_obj
@guarded
def batch(
    library: Library, inputs: tuple[Path, ...], output: Path | None, output_format: str, jobs: int, runtime: str,
    summary: Path | None, check_sample: float, force: bool,
) -> int:
    """Judge many dossiers: files, folders (recursively) and JSON Lines files (one dossier a line).

    Decisions go to standard output (or -o) as JSON Lines, in input order.
    Standard error shows a progress bar (at a terminal), one line per invalid
    dossier naming the path of each problem, and at the end the outcomes per
    scheme and procedure. An invalid dossier does not stop the batch. Exit 1
    if a dossier was invalid; 3 on an internal error, or if a dossier checked
    with --check-sample was decided differently by the reference runtime.

    \b
    referee batch dossiers/ more.jsonl --jobs 2 -o decisions.jsonl --summary summary.csv
    """
    from engine.running.batch import Outputs, Tally, collect, judge_all  # only batch needs them, and rich
    from engine.running.batch_view import BatchView, stderr_console

    if check_sample and runtime == REFERENCE_RUNTIME:
        raise UsageError(f"--check-sample compares with {REFERENCE_RUNTIME}: judge with another --runtime")
    entries = collect(inputs)
    tally = Tally()
    console = stderr_console()
    start = time.perf_counter()
    indent = 2 if output_format == "dir" else None
    with (
        Outputs(entries, stream=sys.stdout, output=output, folder=output_format == "dir", summary=summary, force=force) as outputs,
        BatchView(console, len(entries)) as view,
    ):
        for result in judge_all(library, entries, runtime=runtime, jobs=jobs, check_share=check_sample, indent=indent):
            outputs.write(result)
            tally.add(result)
            view.show(result)
    view.end(tally, time.perf_counter() - start, jobs, runtime)
    return tally.exit_code


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

    data = load_document(decision_file, DecisionFileError, library.limits)
    decision = Decision.from_json(data, str(decision_file))
    if data["format"] == FORMAT_1:  # from_json read it: a mapping with a known format
        unsealed = f"{decision_file} is a {FORMAT_1} decision, written before decisions were sealed: referee cannot tell whether it was altered"
        click.echo(f"warning: {unsealed}", err=True)
    if category is None:
        _emit(derivation_tree(decision, library, fact), output_format, render_tree)
        return
    _emit(ledger_lines(decision, category, ledger, decision_file.parent, library.limits), output_format, render_ledger_lines)


@main.command()
@click.argument("scheme")
@click.argument("version_id", metavar="ID")
@click.option("--amend", metavar="REASON", help="Re-lock a published version whose encoding was corrected, recording why.")
@FORMAT
@click.pass_obj
@guarded
def publish(library: Library, scheme: str, version_id: str, amend: str | None, output_format: str) -> None:
    """Freeze version ID of SCHEME: lock the digest of every file it runs.

    From then on, referee refuses the version if the version, a rule file it
    runs or a schema changes: a new version is the only way to change a
    judgement. Only a valid version is published. Writes
    referentials/SCHEME/ID.lock.json.
    """
    from engine.authoring.publication import publish as publish_version

    lock, done = publish_version(library, scheme, version_id, amend=amend)
    _emit(
        {"done": done, **lock.to_json()}, output_format,
        lambda _: f"{scheme} {version_id}: {done}, digest {lock.digest} ({len(lock.files)} files) in {lock.path}",
    )


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


if __name__ == "__main__":
    main(prog_name=os.path.basename(sys.argv[0]))
