"""Refunds through the sandbox: full, partial, by order lines, idempotent, refused, restocked, from the CLI."""

from __future__ import annotations

import getpass

import pytest
from sqlalchemy import select

from tests.orders.helpers import make_product, stock_of
from xtycore import signals
from xtycore.cli import main
from xtycore.domain.money import Money
from xtycore.domain.payment_states import LedgerStatus
from xtycore.domain.states import RefundStatus, refund_status
from xtycore.extensions import db, transaction
from xtycore.models import Order, OrderEvent, Payment, Variant
from xtycore.models.payments import PaymentTransaction
from xtycore.services import orders, refunds

from xtycore_payment_sandbox.models import SandboxRefund, SandboxTrade


@pytest.fixture
def refunded(shop):
    """Every refund_succeeded signal: (order number, amount, lines)."""
    seen = []

    def receiver(sender, order, payment, amount, lines, transaction, **kwargs):
        seen.append((order.number, amount, [(line["sku"], line["quantity"]) for line in lines]))

    signals.refund_succeeded.connect(receiver, weak=False)
    yield seen
    signals.refund_succeeded.disconnect(receiver)


@pytest.fixture
def teas(shop):
    """Two variants in stock: (variant id, sku) each."""
    with shop.app.app_context():
        _, green = make_product("西湖龙井", price="30.00", stock=10)
        _, black = make_product("正山小种", price="28.00", stock=10)
        skus = {vid: db.session.get(Variant, vid).sku for vid in (green, black)}
        db.session.remove()
    return (green, skus[green]), (black, skus[black])


def lined_order(shop, teas) -> int:
    """2 x green at 30.00 with 10.00 off the line, 1 x black at 28.00, 10.00 shipping: 88.00 in all."""
    (green, green_sku), (black, black_sku) = teas
    return shop.order_with_lines((green, green_sku, 3000, 2, 1000), (black, black_sku, 2800, 1, 0))


def refund(shop, order_id, **kwargs):
    with shop.app.test_request_context():
        number = shop.order_row(order_id)["number"]
        return refunds.refund_order(number, reason=kwargs.pop("reason", "客户退货"), actor="staff:王店长", **kwargs)


def order_events(shop, order_id) -> list[tuple[str, str, str]]:
    with shop.app.app_context():
        rows = db.session.execute(select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id))
        return [(e.event, e.from_status, e.to_status) for e in rows.scalars()]


def sandbox_refunds(shop) -> list[tuple[str, int]]:
    with shop.app.app_context():
        return [(r.refund_id, r.amount_minor) for r in db.session.execute(select(SandboxRefund)).scalars()]


def test_a_full_refund_returns_everything_and_the_order_becomes_refunded(shop, refunded):
    order_id = shop.order()
    reference = shop.pay_sandbox(order_id)
    result = refund(shop, order_id)
    assert (result.status, result.amount, result.created) == (LedgerStatus.SUCCEEDED, Money("88.00"), True)
    [payment] = shop.payments(order_id)
    assert (payment["refunded_minor"], payment["refund_pending_minor"], payment["captured_minor"]) == (8800, 0, 8800)
    assert shop.order_row(order_id)["status"] == "refunded" and shop.order_row(order_id)["refunded_minor"] == 8800
    assert order_events(shop, order_id)[-1] == ("refund", "paid", "refunded")
    assert shop.ledger(order_id) == [("capture", "succeeded", 8800), ("refund", "succeeded", 8800)]
    assert refunded == [(shop.order_row(order_id)["number"], Money("88.00"), [])]
    [(refund_id, amount)] = sandbox_refunds(shop)
    with shop.app.app_context():
        row = db.session.execute(select(PaymentTransaction).where(PaymentTransaction.kind == "refund")).scalar_one()
        assert (row.idempotency_key, row.requested_by, row.reason) == (refund_id, "staff:王店长", "客户退货")
        assert row.response["refund_status"] == "succeeded" and row.settled_at is not None
        assert db.session.execute(select(SandboxTrade.refunded_minor)).scalar_one() == 8800
    assert amount == 8800 and reference


def test_partial_refunds_leave_the_order_partially_refunded_until_everything_is_back(shop, refunded):
    order_id = shop.order()
    shop.pay_sandbox(order_id)
    refund(shop, order_id, amount=Money("30.00"))
    row = shop.order_row(order_id)
    assert (row["status"], row["refunded_minor"]) == ("paid", 3000)
    assert refund_status(row["paid_minor"], row["refunded_minor"]) is RefundStatus.PARTIAL
    assert order_events(shop, order_id)[-1] == ("record_refund", "paid", "paid")
    refund(shop, order_id, amount=Money("58.00"))
    assert shop.order_row(order_id)["status"] == "refunded"
    assert [amount for _, amount, _ in refunded] == [Money("30.00"), Money("58.00")]
    assert shop.payments(order_id)[0]["refunded_minor"] == 8800


def test_a_refund_above_what_is_left_is_refused_with_the_amounts_and_changes_nothing(shop):
    order_id = shop.order()
    shop.pay_sandbox(order_id)
    refund(shop, order_id, amount=Money("80.00"))
    before = shop.ledger(order_id)
    with pytest.raises(refunds.RefundRefused) as refused:
        refund(shop, order_id, amount=Money("8.01"))
    assert str(refused.value) == (
        f"refund of 8.01 CNY refused: 8.00 CNY of the 88.00 CNY captured on payment "
        f"{shop.payments(order_id)[0]['reference']} is left to refund (80.00 CNY refunded)"
    )
    assert shop.ledger(order_id) == before and len(sandbox_refunds(shop)) == 1
    with pytest.raises(refunds.RefundRefused, match="positive"):
        refund(shop, order_id, amount=Money("0.00"))
    with pytest.raises(refunds.RefundRefused, match="say why"):
        refund(shop, order_id, amount=Money("1.00"), reason=" ")


def test_the_same_idempotency_key_refunds_once(shop):
    order_id = shop.order()
    shop.pay_sandbox(order_id)
    first = refund(shop, order_id, amount=Money("10.00"), idempotency_key="RMA-1001")
    again = refund(shop, order_id, amount=Money("10.00"), idempotency_key="RMA-1001")
    assert (first.transaction_id, first.created, again.created) == (again.transaction_id, True, False)
    assert sandbox_refunds(shop) == [("RMA-1001", 1000)]
    with pytest.raises(refunds.RefundRefused, match="was used for a refund of 10.00 CNY, not 20.00 CNY"):
        refund(shop, order_id, amount=Money("20.00"), idempotency_key="RMA-1001")


def test_refunding_lines_takes_their_snapshot_amount_and_restocks_an_unshipped_order(shop, teas, refunded):
    (green, green_sku), (black, black_sku) = teas
    order_id = lined_order(shop, teas)
    shop.pay_sandbox(order_id)
    result = refund(shop, order_id, lines=[refunds.RefundLine(green_sku, 1)])
    # the line is 2 x 30.00 less 10.00 off: 25.00 a unit
    assert result.amount == Money("25.00") and result.lines[0]["quantity"] == 1
    with shop.app.app_context():
        assert (stock_of(green), stock_of(black)) == (11, 10)  # REFUND_RESTOCK = "unshipped"
    second = refund(shop, order_id, lines=[refunds.RefundLine(green_sku, 1), refunds.RefundLine(black_sku, 1)],
                    shipping=True)
    assert second.amount == Money("63.00")  # 25.00 + 28.00 + 10.00 shipping
    assert shop.order_row(order_id)["status"] == "refunded"
    with shop.app.app_context():
        assert (stock_of(green), stock_of(black)) == (12, 11)
    assert refunded[-1][2] == [(green_sku, 1), (black_sku, 1)]
    with pytest.raises(refunds.RefundRefused, match="0 unit"):
        refund(shop, order_id, lines=[refunds.RefundLine(green_sku, 1)])


def test_line_refunds_are_checked_against_the_order(shop, teas):
    (green, green_sku), _ = teas
    order_id = lined_order(shop, teas)
    shop.pay_sandbox(order_id)
    with pytest.raises(refunds.RefundRefused, match="no line with SKU 'NOPE'"):
        refund(shop, order_id, lines=[refunds.RefundLine("NOPE", 1)])
    with pytest.raises(refunds.RefundRefused, match="2 unit\\(s\\) of .* are left to refund, not 3"):
        refund(shop, order_id, lines=[refunds.RefundLine(green_sku, 3)])
    with pytest.raises(refunds.RefundRefused, match="either an amount or order lines"):
        refund(shop, order_id, lines=[refunds.RefundLine(green_sku, 1)], amount=Money("1.00"))
    refund(shop, order_id, shipping=True)
    with pytest.raises(refunds.RefundRefused, match="shipping fee .* was already refunded"):
        refund(shop, order_id, shipping=True)
    with pytest.raises(refunds.RefundRefused, match="SKU:QUANTITY"):
        refunds.RefundLine.parse("SKU-ONLY")


@pytest.mark.parametrize(("policy", "ship", "restocked"), [
    ("never", False, False), ("unshipped", True, False), ("always", True, True),
])
def test_the_merchant_decides_when_refunded_lines_go_back_in_stock(shop, teas, policy, ship, restocked):
    (green, green_sku), _ = teas
    shop.app.config["REFUND_RESTOCK"] = policy
    order_id = lined_order(shop, teas)
    shop.pay_sandbox(order_id)
    if ship:
        with shop.app.test_request_context(), transaction():
            orders.transition(order_id, "ship", actor="staff:王店长")
    refund(shop, order_id, lines=[refunds.RefundLine(green_sku, 2)])
    with shop.app.app_context():
        assert stock_of(green) == (12 if restocked else 10)


def test_a_paid_order_that_is_cancelled_is_refunded(shop, refunded):
    order_id = shop.order()
    shop.pay_sandbox(order_id)
    with shop.app.test_request_context():
        orders.cancel(order_id, actor="customer", reason="不想要了")
    row = shop.order_row(order_id)
    assert (row["status"], row["refunded_minor"]) == ("cancelled", 8800)
    assert order_events(shop, order_id)[-1] == ("record_refund", "cancelled", "cancelled")
    assert sandbox_refunds(shop) == [(f"cancel-{row['number']}", 8800)]


def test_staff_refund_from_the_command_line(shop, teas):
    (green, green_sku), _ = teas
    order_id = lined_order(shop, teas)
    shop.pay_sandbox(order_id)
    number = shop.order_row(order_id)["number"]
    runner = shop.app.test_cli_runner()
    result = runner.invoke(main, ["payments", "refund", number, "--line", f"{green_sku}:1", "--reason", "破损",
                                  "--by", "王店长"])
    assert result.exit_code == 0, result.output
    assert result.output == f"order {number}: refund 25.00 CNY: succeeded\n  {green_sku} x 1: 25.00 CNY\n"
    result = runner.invoke(main, ["payments", "refund", number, "--amount", "10", "--reason", "补偿"])
    assert result.exit_code == 0 and "refund 10.00 CNY: succeeded" in result.output
    refused = runner.invoke(main, ["payments", "refund", number, "--amount", "60", "--reason", "x"])
    assert refused.exit_code == 1 and "53.00 CNY of the 88.00 CNY captured" in refused.output
    missing = runner.invoke(main, ["payments", "refund", number, "--amount", "1"])
    assert missing.exit_code == 2 and "--reason" in missing.output
    unknown = runner.invoke(main, ["payments", "refund", "NOPE", "--amount", "1", "--reason", "x"])
    assert unknown.exit_code == 1 and "no successful payment" in unknown.output
    with shop.app.app_context():
        actors = db.session.execute(select(PaymentTransaction.requested_by).where(
            PaymentTransaction.kind == "refund").order_by(PaymentTransaction.id)).scalars().all()
        assert actors == ["staff:王店长", f"staff:{getpass.getuser()}"]
        assert db.session.get(Order, order_id).refunded_minor == 3500
    listing = runner.invoke(main, ["payments", "list"]).output
    assert listing.rstrip().endswith("refunded 35.00 CNY")


def test_available_actions_follow_the_payment_and_its_gateway(shop):
    order_id = shop.order()
    shop.start(order_id)
    with shop.app.app_context():
        pending = db.session.execute(select(Payment)).scalar_one()
        assert refunds.available_actions(pending) == ["void"]
    shop.pay_sandbox(order_id)
    with shop.app.app_context():
        paid = db.session.execute(select(Payment)).scalar_one()
        assert refunds.available_actions(paid) == ["refund", "partial_refund"]
    refund(shop, order_id)
    with shop.app.app_context():
        assert refunds.available_actions(db.session.execute(select(Payment)).scalar_one()) == []


def test_an_unknown_restock_policy_is_a_configuration_error_and_restocks_nothing(shop, teas, caplog):
    (green, green_sku), _ = teas
    shop.app.config["REFUND_RESTOCK"] = "sometimes"
    order_id = lined_order(shop, teas)
    shop.pay_sandbox(order_id)
    result = refund(shop, order_id, lines=[refunds.RefundLine(green_sku, 1)])
    assert result.status is LedgerStatus.SUCCEEDED
    with shop.app.app_context():
        assert stock_of(green) == 10
    assert "REFUND_RESTOCK must be one of unshipped, always, never, not 'sometimes'" in caplog.text
