"""``xty payments``: list payments, confirm offline ones (货到付款, transfers), capture, void, refund, reconcile."""

from __future__ import annotations

import getpass

import click
from flask.cli import AppGroup

from xtycore.domain.errors import XtyError
from xtycore.domain.money import Money
from xtycore.domain.payment_states import LedgerStatus, PaymentStatus
from xtycore.services import payments, refunds

payments_group = AppGroup(
    "payments", help="Payments: list, confirm offline ones (货到付款), capture, void, refund, reconcile."
)


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
        flag = f"  refunded {_amount(p.refunded_minor, p.currency)}" if p.refunded_minor else ""
        flag += "  ! " + p.attention if p.attention else ""
        click.echo(
            f"{p.reference}  {p.order.number:20} {p.gateway_code:16} {_amount(p.amount_minor, p.currency):>14}  "
            f"{p.status:9} {p.created_at:%Y-%m-%d %H:%M}{flag}"
        )


def _staff(actor: str) -> str:
    return actor if ":" in actor else f"staff:{actor}"


def _report(result: refunds.TxResult, what: str) -> None:
    """Print a capture, void or refund outcome; a refusal exits 1 with the gateway's reason."""
    again = "" if result.created else " (already requested; nothing sent again)"
    if result.status is LedgerStatus.SUCCEEDED:
        click.echo(f"{what} {result.amount}: succeeded{again}")
    elif result.status is LedgerStatus.PENDING:
        click.echo(f"{what} {result.amount}: pending{again}: {result.message}")
    else:
        raise click.ClickException(f"{what} {result.amount} failed{again}: {result.message}")
    for line in result.lines:
        click.echo(f"  {line['sku']} x {line['quantity']}: {_amount(line['amount_minor'], result.amount.currency)}")


def _order_payment(order_number: str):
    payment = payments.order_payment(order_number)
    if payment is None:
        raise click.ClickException(f"order {order_number} has no successful payment")
    return payment


@payments_group.command("refund")
@click.argument("order_number")
@click.option("--amount", help="Refund this amount (e.g. 12.50), in the order's currency.")
@click.option("--line", "lines", multiple=True, metavar="SKU:QTY", help="Refund units of an order line (repeatable).")
@click.option("--shipping", is_flag=True, help="Also refund the shipping fee.")
@click.option("--reason", required=True, help="Why the money goes back; kept in the ledger.")
@click.option("--key", "idempotency_key", help="Idempotency key: a repeated refund with it sends nothing again.")
@click.option("--by", "actor", default=getpass.getuser, show_default="your login name", help="Who refunds.")
def payments_refund(order_number: str, amount: str | None, lines: tuple[str, ...], shipping: bool, reason: str,
                    idempotency_key: str | None, actor: str) -> None:
    """Refund an order in full, by amount or by order lines, through the payment that paid it."""
    try:
        payment = _order_payment(order_number)
        money = Money(amount, payment.currency) if amount is not None else None
        result = refunds.refund_order(
            order_number, amount=money, lines=[refunds.RefundLine.parse(text) for text in lines],
            shipping=shipping, reason=reason, actor=_staff(actor), idempotency_key=idempotency_key,
        )
    except (XtyError, ValueError, ArithmeticError) as exc:
        raise click.ClickException(str(exc)) from None
    _report(result, f"order {order_number}: refund")


@payments_group.command("capture")
@click.argument("order_number")
@click.option("--by", "actor", default=getpass.getuser, show_default="your login name", help="Who captures.")
def payments_capture(order_number: str, actor: str) -> None:
    """Capture the authorised payment of an order (gateways with delayed capture)."""
    try:
        result = refunds.capture(_order_payment(order_number).id, actor=_staff(actor))
    except XtyError as exc:
        raise click.ClickException(str(exc)) from None
    _report(result, f"order {order_number}: capture")


@payments_group.command("void")
@click.argument("order_number")
@click.option("--reason", default="", help="Why; kept in the ledger.")
@click.option("--by", "actor", default=getpass.getuser, show_default="your login name", help="Who voids.")
def payments_void(order_number: str, reason: str, actor: str) -> None:
    """Release an order's uncaptured payment (gateways with void); an order it paid is cancelled."""
    try:
        result = refunds.void(_order_payment(order_number).id, actor=_staff(actor), reason=reason)
    except XtyError as exc:
        raise click.ClickException(str(exc)) from None
    _report(result, f"order {order_number}: void")


@payments_group.command("reconcile")
@click.option("--older-than", "older_than", type=click.IntRange(0, None), default=None,
              help="Minutes a payment or refund must have been pending (default PAYMENT_RECONCILE_AFTER_MINUTES).")
def payments_reconcile(older_than: int | None) -> None:
    """Ask the gateways about payments and refunds left pending; recover missed callbacks."""
    report = refunds.reconcile(older_than_minutes=older_than, progress=click.echo)
    click.echo(
        f"payments: {report.payments_checked} checked, {report.payments_settled} settled; "
        f"refunds: {report.refunds_checked} checked, {report.refunds_settled} settled; "
        f"{report.flagged} flagged for staff; {len(report.errors)} error(s)"
    )
