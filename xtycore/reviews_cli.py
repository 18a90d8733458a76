"""``xty reviews``: moderate the customer reviews that screening held (评价审核)."""

from __future__ import annotations

import getpass
import textwrap

import click
from flask.cli import AppGroup

from xtycore.domain.errors import XtyError

reviews_group = AppGroup("reviews", help="Customer product reviews (评价): moderation.")


def _actor(actor: str | None) -> str:
    return actor or f"cli:{getpass.getuser()}"


def _show(entry) -> None:
    review = entry.review
    stars = "★" * review.rating + "☆" * (5 - review.rating)
    click.echo(f"#{review.id}  {stars}  {entry.product_title}  (product {review.product_id}, "
               f"by {review.author_name or 'customer ' + str(review.customer_id)}, "
               f"{review.created_at:%Y-%m-%d %H:%M} UTC)")
    body = review.body or "(no text)"
    click.echo(textwrap.indent(textwrap.fill(body, 78, replace_whitespace=False), "    "))
    if review.photos:
        click.echo(f"    photos: {', '.join(p['path'] for p in review.photos)}")
    for reason in review.hold_reasons:
        click.echo(f"    held: {reason['message']}")


@reviews_group.command("moderate")
@click.option("--list", "list_only", is_flag=True, help="Only list the reviews waiting; decide nothing.")
@click.option("--approve", "approve_ids", type=int, multiple=True, metavar="ID", help="Publish this review.")
@click.option("--reject", "reject_ids", type=int, multiple=True, metavar="ID",
              help="Reject this review (or take a published one down); needs --reason.")
@click.option("--reason", default="", help="Why the reviews given with --reject are rejected.")
@click.option("--actor", default=None, help="Who decides; default cli:<login name>.")
def moderate(list_only: bool, approve_ids: tuple[int, ...], reject_ids: tuple[int, ...], reason: str,
             actor: str | None) -> None:
    """List the reviews waiting for moderation and approve or reject them.

    Without options, asks about each waiting review in turn:
    [a]pprove, [r]eject (asks for a reason), [s]kip, [q]uit.
    """
    from xtycore.services import reviews

    who = _actor(actor)
    if approve_ids or reject_ids:
        if reject_ids and not reason.strip():
            raise click.UsageError("--reject needs --reason, e.g. --reason '含广告链接'")
        try:
            for review_id in approve_ids:
                reviews.approve(review_id, actor=who)
                click.echo(f"approved review #{review_id}: it is published")
            for review_id in reject_ids:
                reviews.reject(review_id, actor=who, reason=reason)
                click.echo(f"rejected review #{review_id}")
        except XtyError as exc:
            raise click.ClickException(str(exc)) from None
        return
    waiting = reviews.pending_reviews()
    if not waiting:
        click.echo("no reviews waiting for moderation")
        return
    click.echo(f"{len(waiting)} review(s) waiting for moderation:")
    for entry in waiting:
        click.echo("")
        _show(entry)
        if list_only:
            continue
        choice = click.prompt("    [a]pprove, [r]eject, [s]kip, [q]uit", type=click.Choice(list("arsq")),
                              show_choices=False, default="s")
        if choice == "q":
            break
        if choice == "a":
            reviews.approve(entry.review.id, actor=who)
            click.echo(f"    approved #{entry.review.id}")
        elif choice == "r":
            why = click.prompt("    reason", type=str).strip()
            reviews.reject(entry.review.id, actor=who, reason=why)
            click.echo(f"    rejected #{entry.review.id}")
