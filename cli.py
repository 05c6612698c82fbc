"""The `referee` command: parses arguments, calls `engine`, renders the result.

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
from pathlib import Path
from typing import Any, Callable

import click

from engine import Store
from engine.checks import validate_paths
from engine.dates import parse_date
from engine.documents import load_document
from engine.errors import DecisionFileError, RefereeError, UsageError
from engine.evaluate import evaluate_file
from engine.explain import check_decision, derivation_tree, render_tree
from engine.render import decision_text, report_json, report_text, versions_table, versions_text
from engine.runtime import RUNTIMES

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
    """Run a command; turn referee errors into their message and exit code, and anything else into exit 3."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            code = command(*args, **kwargs) or 0
        except RefereeError as exc:
            click.echo(exc.render(), err=True)
            code = exc.exit_code
        except (click.exceptions.Exit, click.ClickException):
            raise
        except Exception as exc:  # a bug in referee: say so, without a traceback
            click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
            click.echo("this is a bug in referee; please report it with the command and its input files", err=True)
            code = INTERNAL_ERROR
        sys.exit(code)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--root", type=click.Path(file_okay=False, path_type=Path), envvar="REFEREE_ROOT",
    help="Project tree holding referentials/ and rules/ (default: the current directory if it has referentials/, else the referee installation).",
)
@click.version_option(package_name="referee")
@click.pass_context
def main(ctx: click.Context, root: Path | None) -> None:
    """referee — decisions of certification schemes from versioned referentials.

    \b
    Standards bodies:  referee validate referentials/
                       referee versions SCHEME
    Evaluators:        referee evaluate DOSSIER.yaml [--version ID]
    Auditors:          referee explain DECISION.json [--fact NAME]
    """
    ctx.obj = Store(root or _default_root())


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@FORMAT
@click.pass_obj
@guarded
def validate(store: Store, paths: tuple[Path, ...], output_format: str) -> int:
    """Check referential files (default: every one in referentials/).

    Beyond the JSON Schema: every rule and value cites a listed provision;
    bands cover their range without gap or overlap; rules read only
    parameters, tables and facts that exist; versions chain coherently.
    Reports the coverage of the source texts. Exit 1 if any file is invalid.
    """
    reports = validate_paths(store, paths or (store.referentials_dir,))
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
def versions(store: Store, scheme: str, as_of: dt.date | None, output_format: str) -> None:
    """List the versions of SCHEME with their dates and status."""
    day = as_of or dt.date.today()
    loaded = store.versions(scheme)
    framework = loaded[0].framework
    rows = versions_table(loaded, day)
    listing = {"scheme": scheme, "as_of": day.isoformat(), "framework": framework, "versions": rows}
    _emit(listing, output_format, lambda d: versions_text(scheme, d["versions"], day, framework))


@main.command()
@click.argument("dossier", type=click.Path(path_type=Path))
@click.option("--version", "version_id", metavar="ID", help="Force this referential version for every section (the decision says so).")
@click.option("--runtime", type=click.Choice(RUNTIMES), default="durable-rules", show_default=True, help="Forward-chaining runtime.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Also write the JSON decision to this file.")
@FORMAT
@click.pass_obj
@guarded
def evaluate(store: Store, dossier: Path, version_id: str | None, runtime: str, output: Path | None, output_format: str) -> None:
    """Judge DOSSIER (YAML or JSON) under the version in force for its cycle."""
    decision = evaluate_file(store, dossier, version=version_id, runtime=runtime)
    if output is not None:
        output.write_text(json.dumps(decision, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _emit(decision, output_format, decision_text)


@main.command()
@click.argument("decision_file", metavar="DECISION.json", type=click.Path(path_type=Path))
@click.option("--fact", default="outcome", show_default=True, help="The conclusion to explain.")
@FORMAT
@guarded
def explain(decision_file: Path, fact: str, output_format: str) -> None:
    """Show how a decision reached a conclusion, down to the dossier's facts and the referential's values."""
    decision = check_decision(load_document(decision_file, DecisionFileError), str(decision_file))
    _emit(derivation_tree(decision, fact), output_format, render_tree)


if __name__ == "__main__":
    main(prog_name=os.path.basename(sys.argv[0]))
