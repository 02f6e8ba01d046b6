"""The ``kehoach`` command line."""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer
from kehoach.pipeline import analyst_cli, limit_options
from kehoach.pipeline.cli_output import LOGGER, configure, note
from kehoach.pipeline.errors import (
    EXIT_FAILED_DOCUMENTS,
    EXIT_MISSING_PATH,
    EXIT_NO_DOCUMENTS,
    EXIT_OK,
    KehoachError,
)
from kehoach.pipeline.limits import Limits, display_path
from kehoach.pipeline.review.cli import review_app

HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}
"""``-h`` as well as ``--help``, on every command (click passes it down to subcommands)."""

app = typer.Typer(
    name="kehoach",
    help="Turn Vietnamese government plans (Kế hoạch) into a queryable database.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings=HELP_OPTIONS,
)


def _show_version(value: bool) -> None:
    if value:
        from kehoach import __version__

        typer.echo(f"kehoach {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("-q", "--quiet", help="Errors only: no progress bar, no notes on stderr.")
    ] = False,
    verbose: Annotated[
        int, typer.Option("-v", "--verbose", count=True, help="Say more on stderr (-vv: debug, with the SQL).")
    ] = 0,
) -> None:
    """Turn Vietnamese government plans (Kế hoạch) into a queryable database.

    Global options go before the command: kehoach -q ingest data/raw
    """
    configure(quiet=quiet, verbose=verbose)


def report(path: Path | str, reason: str) -> None:
    """One line on stderr per failed file, the shape every command uses."""
    typer.echo(f"kehoach: {display_path(path)}: {reason}", err=True)  # a non-UTF-8 name shows as \xff


def describe_unexpected(exc: BaseException) -> str:
    return f"internal error ({exc.__class__.__name__}: {exc}); rerun with --debug for the traceback"


STDIN = Path("-")
"""``extract -`` reads the document from standard input (any supported format: the bytes say which)."""


@app.command()
def extract(
    paths: Annotated[
        list[Path], typer.Argument(help="Files or folders (walked recursively); - reads one document from stdin.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the extraction JSON (CONTRACT.md).")] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write DIR/<file name>.json for each input (a path hash is added on a name clash)."),
    ] = None,
    explain: Annotated[
        bool,
        typer.Option("--explain", help="Print each task with its agencies, roles, dates and the rules behind them."),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    max_pages: limit_options.MaxPages = limit_options.DEFAULT_PAGES,
    max_chars: limit_options.MaxChars = limit_options.DEFAULT_CHARS,
    max_seconds: limit_options.MaxSeconds = limit_options.DEFAULT_SECONDS,
    max_memory: limit_options.MaxMemory = limit_options.DEFAULT_MEMORY,
) -> None:
    """Read plans and extract their metadata, tasks, agencies, dates and targets.

    Example: kehoach extract data/raw --json --out data/processed
    Example: curl -s https://…/plan.pdf | kehoach extract - --json
    """
    from kehoach.extractors.extract import extract as run_extractors
    from kehoach.pipeline.discover import discover_all
    from kehoach.pipeline.limits import memory_cap, memory_message, time_limit

    limits = limit_options.limits_from(max_pages, max_chars, max_seconds, max_memory)
    from_stdin = STDIN in paths
    found = discover_all([p for p in paths if p != STDIN])
    files, missing = ([STDIN] if from_stdin else []) + list(found.files), found.missing
    for path in missing:
        report(path, "no such file or folder")
    for folder, reason in found.unreadable:
        report(folder, reason)
    if not files:
        if not missing and not found.unreadable:
            typer.echo("kehoach: no documents found in " + ", ".join(map(str, paths)), err=True)
        refused = EXIT_FAILED_DOCUMENTS if found.unreadable else EXIT_NO_DOCUMENTS  # a FIFO, a device: exit 1
        raise typer.Exit(EXIT_MISSING_PATH if missing else refused)
    targets: dict[Path, Path] = {}
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        targets = output_names(files, out)

    failed = 0
    for path in files:
        LOGGER.info("reading %s", "standard input" if path == STDIN else path)
        try:
            with memory_cap(limits.max_memory), time_limit(path, limits.max_seconds):
                extraction = run_extractors(_read(path, limits))
        except MemoryError:
            failed += 1
            report(path, memory_message(limits))
            continue
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
            note(f"kehoach: {path}: warning: {warning}")  # -q: errors only
        payload = extraction.to_contract()
        if out is not None:
            targets[path].write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
        if explain:
            from kehoach.pipeline.explain import explain as explain_extraction

            typer.echo(explain_extraction(extraction))
        elif as_json and out is None:
            sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
        elif not as_json:
            typer.echo(
                f"{display_path(path)}: {len(extraction.tasks)} tasks, {len(extraction.targets)} targets, "
                f"{len(extraction.references)} references" + (f" -> {display_path(targets[path])}" if out else "")
            )
    if missing or failed or found.unreadable:
        raise typer.Exit(EXIT_MISSING_PATH if missing and not failed else EXIT_FAILED_DOCUMENTS)
    raise typer.Exit(EXIT_OK)


def _read(path: Path, limits: Limits | None = None):  # noqa: ANN202 - ParsedDocument, loaded with the readers
    """The parsed document at ``path``, or read from standard input for ``-`` (its source path is "-")."""
    import tempfile

    from kehoach.pipeline.errors import IngestError
    from kehoach.pipeline.ingest import read_document
    from kehoach.pipeline.limits import DEFAULT_LIMITS, format_size

    limits = limits or DEFAULT_LIMITS
    if path != STDIN:
        return read_document(path, limits=limits)
    if sys.stdin.isatty():  # nothing was piped in: waiting for the user to type a PDF helps nobody
        raise IngestError("-", "standard input is a terminal: pipe a document in (kehoach extract - < plan.pdf)")
    with tempfile.TemporaryDirectory(prefix="kehoach-stdin-") as folder:
        spooled = Path(folder) / "stdin"  # readers take a path; the format is sniffed from the bytes
        with spooled.open("wb") as sink:  # copied in chunks, and no further than the limit for one file
            copied, cap = 0, limits.max_bytes
            while chunk := sys.stdin.buffer.read(1 << 20):
                copied += len(chunk)
                if cap is not None and copied > cap:
                    raise IngestError("-", f"more than {format_size(cap)} on standard input, the limit for one file")
                sink.write(chunk)
        parsed = read_document(spooled, limits=limits)
    warnings = [w.replace(str(spooled), "-") for w in parsed.source.warnings]
    return parsed.model_copy(update={"source": parsed.source.model_copy(update={"path": "-", "warnings": warnings})})


def output_names(files: list[Path], out: Path) -> dict[Path, Path]:
    """``out/<file name>.json`` per input; inputs that share a file name get a short hash of their path added.

    ``a/plan.pdf`` and ``b/plan.pdf`` would both write ``plan.pdf.json``: each gets
    ``plan.pdf.<8 hex digits of sha1(absolute path)>.json`` instead, stable from run to run,
    and a note on stderr says which input went where.  Standard input is ``stdin.json``.
    """
    import hashlib
    from collections import Counter

    def name(path: Path) -> str:
        return "stdin" if path == STDIN else path.name

    counts = Counter(name(path) for path in files)
    targets: dict[Path, Path] = {}
    for path in files:
        if counts[name(path)] == 1:
            targets[path] = out / f"{name(path)}.json"
            continue
        digest = hashlib.sha1(str(path.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:8]
        targets[path] = out / f"{name(path)}.{digest}.json"
        note(f"kehoach: {path}: another input has the same file name: writing {targets[path].name}")
    return targets


analyst_cli.register(app)
app.add_typer(review_app, name="review")  # kehoach review, review export-gold (helper R)


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
