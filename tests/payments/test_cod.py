"""Cash on delivery in the shop: instructions at checkout, `xty payments confirm` marks the order paid."""

from sqlalchemy import select

from xtycore.cli import main
from xtycore.domain.payments import Flow
from xtycore.extensions import db
from xtycore.models import OrderEvent


def confirm(shop, number, *args):
    return shop.app.test_cli_runner().invoke(main, ["payments", "confirm", number, *args])


def test_cod_tells_the_customer_to_pay_the_courier(shop):
    order_id = shop.order(instance_id=shop.cod_id)
    action = shop.start(order_id)
    assert action.flow is Flow.OFFLINE
    assert "88.00" in action.instructions and shop.order_row(order_id)["number"] in action.instructions
    [payment] = shop.payments(order_id)
    assert (payment["status"], payment["flow"], payment["instructions"]) == ("pending", "offline", action.instructions)


def test_staff_confirming_cod_marks_the_order_paid_once(shop):
    order_id = shop.order(instance_id=shop.cod_id)
    shop.start(order_id)
    number = shop.order_row(order_id)["number"]
    result = confirm(shop, number, "--by", "王店长")
    [payment] = shop.payments(order_id)
    assert result.exit_code == 0, result.output
    assert result.output == f"order {number} paid: 88.00 CNY by cod (payment {payment['reference']})\n"
    assert shop.order_row(order_id)["status"] == "paid" and shop.order_row(order_id)["paid_minor"] == 8800
    assert (payment["status"], payment["captured_minor"]) == ("succeeded", 8800)
    assert payment["responses"][-1]["verb"] == "capture"
    assert shop.succeeded == [(payment["reference"], None)]
    with shop.app.app_context():
        [event] = db.session.execute(select(OrderEvent).where(OrderEvent.event == "pay")).scalars()
        assert event.actor == "staff:王店长"
    again = confirm(shop, number)
    assert again.exit_code == 0 and "was already paid" in again.output and "nothing changed" in again.output
    assert len(shop.succeeded) == 1 and shop.pay_events(order_id) == 1


def test_staff_can_confirm_cod_even_if_the_customer_never_saw_the_instructions(shop):
    order_id = shop.order(instance_id=shop.cod_id)
    result = confirm(shop, shop.order_row(order_id)["number"])
    assert result.exit_code == 0, result.output
    assert shop.order_row(order_id)["status"] == "paid"
    assert [p["status"] for p in shop.payments(order_id)] == ["succeeded"]


def test_an_online_payment_cannot_be_confirmed_by_staff(shop):
    order_id = shop.order()
    result = confirm(shop, shop.order_row(order_id)["number"])
    assert result.exit_code == 1 and "which staff cannot confirm" in result.output
    assert shop.order_row(order_id)["status"] == "pending_payment" and shop.payments(order_id) == []


def test_confirming_an_unknown_order_says_so(shop):
    result = confirm(shop, "NO-SUCH-ORDER")
    assert result.exit_code == 1 and "no order numbered 'NO-SUCH-ORDER'" in result.output


def test_payments_list_shows_the_latest_payments_and_filters_by_status(shop):
    paid = shop.order(instance_id=shop.cod_id)
    confirm(shop, shop.order_row(paid)["number"])
    pending = shop.order(instance_id=shop.cod_id)
    shop.start(pending)
    runner = shop.app.test_cli_runner()
    listing = runner.invoke(main, ["payments", "list"]).output.splitlines()
    references = [shop.payments(pending)[0]["reference"], shop.payments(paid)[0]["reference"]]
    assert [line.split()[0] for line in listing] == references
    assert "pending" in listing[0] and "succeeded" in listing[1] and "88.00 CNY" in listing[1]
    only = runner.invoke(main, ["payments", "list", "--status", "succeeded"]).output.splitlines()
    assert len(only) == 1 and shop.order_row(paid)["number"] in only[0]
    assert runner.invoke(main, ["payments", "list", "--status", "cancelled"]).output == "no payments\n"


def test_a_capture_for_the_wrong_amount_does_not_pay_the_order_and_says_why(shop, monkeypatch):
    from xtycore.domain.money import Money
    from xtycore.domain.payments import GatewayResult, TxStatus
    from xtycore_payment_cod.gateway import CashOnDelivery

    monkeypatch.setattr(CashOnDelivery, "capture", lambda self, payment, amount, settings: GatewayResult(
        TxStatus.SUCCEEDED, Money("1.00")))
    order_id = shop.order(instance_id=shop.cod_id)
    result = confirm(shop, shop.order_row(order_id)["number"])
    assert result.exit_code == 1
    assert "not settled: capture: the gateway reported 1.00 CNY, the payment is 88.00 CNY" in result.output
    assert shop.order_row(order_id)["status"] == "pending_payment" and shop.succeeded == []
