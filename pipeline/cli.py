"""The ``kehoach`` command line."""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer
from kehoach.pipeline import analyst_cli
from kehoach.pipeline.errors import (
    EXIT_FAILED_DOCUMENTS,
    EXIT_MISSING_PATH,
    EXIT_NO_DOCUMENTS,
    EXIT_OK,
    KehoachError,
)

app = typer.Typer(
    name="kehoach",
    help="Turn Vietnamese government plans (Kế hoạch) into a queryable database.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def root() -> None:
    """Turn Vietnamese government plans (Kế hoạch) into a queryable database."""


def report(path: Path | str, reason: str) -> None:
    """One line on stderr per failed file, the shape every command uses."""
    typer.echo(f"kehoach: {path}: {reason}", err=True)


def describe_unexpected(exc: BaseException) -> str:
    return f"internal error ({exc.__class__.__name__}: {exc}); rerun with --debug for the traceback"


@app.command()
def extract(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (walked recursively).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the extraction JSON (CONTRACT.md).")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write DIR/<file name>.json for each input.")] = None,
    explain: Annotated[
        bool,
        typer.Option("--explain", help="Print each task with its agencies, roles, dates and the rules behind them."),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Read plans and extract their metadata, tasks, agencies, dates and targets.

    Example: kehoach extract data/raw --json --out data/processed
    """
    from kehoach.extractors.extract import extract as run_extractors
    from kehoach.pipeline.discover import discover_all
    from kehoach.pipeline.ingest import read_document

    found = discover_all(paths)
    files, missing = found.files, found.missing
    for path in missing:
        report(path, "no such file or folder")
    for folder, reason in found.unreadable:
        report(folder, reason)
    if not files:
        if not missing:
            typer.echo("kehoach: no documents found in " + ", ".join(map(str, paths)), err=True)
        raise typer.Exit(EXIT_MISSING_PATH if missing else EXIT_NO_DOCUMENTS)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)

    failed = 0
    for path in files:
        try:
            extraction = run_extractors(read_document(path))
        except KehoachError as exc:
            failed += 1
            report(path, getattr(exc, "reason", str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop a batch
            failed += 1
            if debug:
                traceback.print_exc()
            report(path, describe_unexpected(exc))
            continue
        for warning in extraction.source.warnings:
            report(path, f"warning: {warning}")
        payload = extraction.to_contract()
        if out is not None:
            target = out / f"{path.name}.json"
            target.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
        if explain:
            from kehoach.pipeline.explain import explain as explain_extraction

            typer.echo(explain_extraction(extraction))
        elif as_json and out is None:
            sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
        elif not as_json:
            typer.echo(
                f"{path}: {len(extraction.tasks)} tasks, {len(extraction.targets)} targets, "
                f"{len(extraction.references)} references" + (f" -> {out / (path.name + '.json')}" if out else "")
            )
    if missing or failed or found.unreadable:
        raise typer.Exit(EXIT_MISSING_PATH if missing and not failed else EXIT_FAILED_DOCUMENTS)
    raise typer.Exit(EXIT_OK)


analyst_cli.register(app)


@app.command("debug-page")
def debug_page(
    file: Annotated[Path, typer.Argument(help="A PDF.")],
    page: Annotated[int, typer.Argument(help="Page number, from 1.")],
    png: Annotated[Path, typer.Option("--png", help="Picture to write.")],
) -> None:
    """Draw the words, lines, ruling lines and table cells the PDF reader found on one page."""
    from kehoach.pipeline.debug_page import draw_page

    try:
        view = draw_page(file, page, png)
    except Exception as exc:  # a bad file or page number: one line, as every command reports
        report(file, str(exc))
        raise typer.Exit(EXIT_FAILED_DOCUMENTS) from exc
    typer.echo(
        f"{png}: {view.words} words, {view.lines} lines ({view.column_lines} in columns), "
        f"{view.edges} ruling edges, {view.tables} tables, {view.cells} cells"
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
