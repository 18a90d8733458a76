"""``xty catalog``: import products, work the review queue, banned words, search index."""

from __future__ import annotations

import contextlib
import getpass
import sys
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from xtycore.cli_progress import progress_bar
from xtycore.domain.catalog import ProductStatus
from xtycore.services import catalog_import, catalog_review

catalog_group = AppGroup("catalog", help="Products: import, review queue (审核), banned words, search index.")

#: files with more products than this show a progress bar while writing
PROGRESS_FROM = 50


def _actor(actor: str | None) -> str:
    return actor or f"cli:{getpass.getuser()}"


@catalog_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="Import the valid products and report the bad rows.")
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
def import_command(file: Path, skip_invalid: bool, dry_run: bool) -> None:
    """Import products from a CSV (one row per variant) or JSON file; see docs/catalogue.md."""
    with contextlib.ExitStack() as stack:
        report = catalog_import.import_file(
            file, skip_invalid=skip_invalid, dry_run=dry_run,
            progress=progress_bar(stack, "writing products", PROGRESS_FROM),
        )
    for error in report.errors:
        click.echo(f"error {error}", err=True)
    products = len(report.created) + len(report.updated)
    if dry_run:
        click.echo(f"dry run: {report.rows} rows; would create {report.would_create} and update "
                   f"{len(report.would_update)} products; {len(report.errors)} errors; nothing written")
    elif not report.written:
        click.echo(f"{len(report.errors)} errors: nothing imported. Fix the rows above, "
                   "or use --skip-invalid to import the valid products", err=True)
    else:
        click.echo(
            f"imported {products} products ({len(report.created)} new, {len(report.updated)} updated) from "
            f"{report.rows} rows: {report.count(ProductStatus.ACTIVE)} active, "
            f"{report.count(ProductStatus.PENDING_REVIEW)} waiting for review (`xty catalog review`)"
            + (f"; {report.skipped_products} products skipped" if report.skipped_products else "")
        )
    if report.errors and not report.written:
        sys.exit(1)


@catalog_group.group("review", invoke_without_command=True)
@click.pass_context
@with_appcontext  # a group's own callback gets no app context from AppGroup
def review_group(ctx: click.Context) -> None:
    """List products waiting for review with their findings; approve or reject them."""
    if ctx.invoked_subcommand is not None:
        return
    queue = catalog_review.review_queue()
    if not queue:
        click.echo("the review queue is empty")
        return
    for entry in queue:
        click.echo(f"#{entry.product_id} {entry.title} ({entry.slug})")
        for f in entry.findings:
            where = f" [{f.field}]" if f.field else ""
            click.echo(f"    {f.severity:8} {f.code}{where}: {f.message}")


@review_group.command("approve")
@click.argument("product_id", type=int)
@click.option("--actor", default=None, help="Who decides; default cli:<login name>.")
@click.option("--reason", default="", help="An optional note.")
def review_approve(product_id: int, actor: str | None, reason: str) -> None:
    """Approve a waiting product: it goes on sale."""
    status = catalog_review.approve(product_id, actor=_actor(actor), reason=reason)
    click.echo(f"approved product #{product_id}: {status.value}")


@review_group.command("reject")
@click.argument("product_id", type=int)
@click.option("--reason", required=True, help="What the merchant must change (required).")
@click.option("--actor", default=None, help="Who decides; default cli:<login name>.")
def review_reject(product_id: int, reason: str, actor: str | None) -> None:
    """Reject a waiting product with a reason."""
    status = catalog_review.reject(product_id, actor=_actor(actor), reason=reason)
    click.echo(f"rejected product #{product_id}: {status.value}")


@catalog_group.command("publish")
@click.argument("product_id", type=int)
def publish_command(product_id: int) -> None:
    """Publish a product through the automatic review (上架)."""
    outcome = catalog_review.publish_product(product_id)
    click.echo(f"product #{product_id}: {outcome.status.value}")
    for plugin, f in outcome.findings:
        click.echo(f"    {f.severity.value:8} {f.code}: {f.message} ({plugin})")


@catalog_group.command("archive")
@click.argument("product_id", type=int)
def archive_command(product_id: int) -> None:
    """Take a product off sale (下架)."""
    click.echo(f"product #{product_id}: {catalog_review.archive(product_id).value}")


@catalog_group.group("banned-words", invoke_without_command=True)
@click.pass_context
@with_appcontext
def banned_group(ctx: click.Context) -> None:
    """List the words forbidden in titles and descriptions; add or remove them."""
    if ctx.invoked_subcommand is None:
        words = catalog_review.banned_words()
        for word in words:
            click.echo(f"{word.word}\t{word.note}".rstrip())
        if not words:
            click.echo("no banned words")


@banned_group.command("add")
@click.argument("words", nargs=-1, required=True)
@click.option("--note", default="", help="Why, e.g. 广告法 absolute claim.")
def banned_add(words: tuple[str, ...], note: str) -> None:
    for word in words:
        added = catalog_review.add_banned_word(word, note)
        click.echo(f"banned {word}" if added else f"{word} was already banned")


@banned_group.command("remove")
@click.argument("words", nargs=-1, required=True)
def banned_remove(words: tuple[str, ...]) -> None:
    for word in words:
        removed = catalog_review.remove_banned_word(word)
        click.echo(f"removed {word}" if removed else f"{word} was not banned")


@catalog_group.command("reindex")
def reindex_command() -> None:
    """Rebuild the product search index (after changing products outside xtycore)."""
    from xtycore.extensions import transaction
    from xtycore.services.search import rebuild_index

    with transaction():
        count = rebuild_index()
    click.echo(f"reindexed {count} products")
