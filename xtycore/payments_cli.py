"""``xty payments``: list payments, and confirm offline ones (货到付款, transfers) for staff."""

from __future__ import annotations

import getpass

import click
from flask.cli import AppGroup

from xtycore.domain.money import Money
from xtycore.domain.payment_states import PaymentStatus
from xtycore.services import payments

payments_group = AppGroup("payments", help="Payments: list them, confirm offline ones (货到付款, transfers).")


def _amount(minor: int, currency: str) -> str:
    return str(Money.from_minor(minor, currency))


@payments_group.command("confirm")
@click.argument("order_number")
@click.option("--by", "actor", default=getpass.getuser, show_default="your login name",
              help="Who confirms; recorded on the order's history.")
def payments_confirm(order_number: str, actor: str) -> None:
    """Confirm that the money of an offline payment arrived in full: the order becomes paid."""
    payment, changed = payments.confirm_offline(order_number, actor=actor)
    amount = _amount(payment.amount_minor, payment.currency)
    if changed:
        click.echo(f"order {order_number} paid: {amount} by {payment.gateway_code} (payment {payment.reference})")
    else:
        click.echo(f"order {order_number} was already paid: {amount} (payment {payment.reference}); nothing changed")
    if payment.attention:
        click.echo(f"attention: {payment.attention}", err=True)


@payments_group.command("list")
@click.option("--status", type=click.Choice([s.value for s in PaymentStatus]), help="Only payments in this status.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
def payments_list(status: str | None, limit: int) -> None:
    """The latest payments, newest first."""
    rows = payments.list_payments(status=status, limit=limit)
    if not rows:
        click.echo("no payments")
        return
    for p in rows:
        flag = "  ! " + p.attention if p.attention else ""
        click.echo(
            f"{p.reference}  {p.order.number:20} {p.gateway_code:16} {_amount(p.amount_minor, p.currency):>14}  "
            f"{p.status:9} {p.created_at:%Y-%m-%d %H:%M}{flag}"
        )
