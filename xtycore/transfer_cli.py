"""``xty export`` and ``xty import``: the back office's import and export files from the command line.

The files and their checks are those of :mod:`xtycore.services.transfer`. An
import prints every bad row (line, column, reason) and exits 1 without
writing anything when one is bad; ``--dry-run`` checks and writes nothing.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TextIO

import click
from flask.cli import with_appcontext

from xtycore.cli_progress import progress_bar
from xtycore.services import transfer

#: Imports changing more objects than this, and exports of more rows, report their progress on stderr.
PROGRESS_FROM = 1000


@click.command("export")
@click.argument("entity", type=click.Choice(sorted(transfer.EXPORTS)))
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
              help="Write the CSV to FILE instead of standard output.")
@click.option("--since", default="", metavar="YYYY-MM-DD", help="orders: placed on this day (shop's clock) or later.")
@click.option("--until", default="", metavar="YYYY-MM-DD", help="orders: placed on this day or earlier.")
@click.option("--status", default="", help="orders: only orders in this status (e.g. paid).")
@with_appcontext
def export_command(entity: str, output: Path | None, since: str, until: str, status: str) -> None:
    """Export ENTITY as CSV (UTF-8 with a BOM): products, stock, categories, customers or orders."""
    try:
        lines = transfer.export_lines(entity, {"since": since, "until": until, "status": status})
    except transfer.TransferError as problem:
        raise click.UsageError(str(problem.message)) from None
    rows = 0
    with contextlib.ExitStack() as stack:
        out: TextIO | None = stack.enter_context(output.open("w", encoding="utf-8", newline="")) if output else None
        for piece in lines:
            click.echo(piece, file=out, nl=False)
            rows += piece.count("\n")
            if out is not None and rows >= PROGRESS_FROM:
                click.echo(f"  {rows - 1} rows", err=True)
    if output is not None:
        click.echo(f"exported {entity}: {max(rows - 1, 0)} rows to {output}", err=True)


@click.command("import")
@click.argument("entity", type=click.Choice(sorted(transfer.IMPORTS)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@with_appcontext
def import_command(entity: str, file: Path, dry_run: bool) -> None:
    """Import FILE (CSV, UTF-8) into ENTITY: stock, categories or customers; see docs/backoffice.md."""
    try:
        text = transfer.decode(file.read_bytes())
        with contextlib.ExitStack() as stack:
            report = transfer.import_text(entity, text, dry_run=dry_run,
                                          progress=progress_bar(stack, "writing", PROGRESS_FROM))
    except transfer.TransferError as problem:
        raise click.ClickException(f"{file.name}: {problem.message}") from None
    for error in report.errors:
        click.echo(f"error {error}", err=True)
    if dry_run:
        click.echo(f"dry run: {report.rows} rows; would create {report.would_create} and update "
                   f"{len(report.would_update)}; {len(report.errors)} errors; nothing written")
    elif not report.written:
        click.echo(f"{len(report.errors)} errors: nothing imported. Fix the rows above and import again.", err=True)
    else:
        click.echo(f"imported {entity} from {report.rows} rows: {len(report.created)} created, "
                   f"{len(report.updated)} updated")
    if report.errors:
        sys.exit(1)
