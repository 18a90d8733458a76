"""The ledger beyond plain refunds: delayed capture, void, lost answers, refund callbacks, reconciliation,
money that arrives too late, what gateways may refuse to do, and the migration."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from tests.schema import schema_differences
from xtycore import signals
from xtycore.cli import main
from xtycore.domain.money import Money
from xtycore.domain.payment_states import LedgerStatus
from xtycore.extensions import db, transaction
from xtycore.models import Payment
from xtycore.models.kernel import utcnow
from xtycore.models.payments import PaymentTransaction
from xtycore.services import orders, payments, refunds
from xtycore.services.capabilities import update_instance

from xtycore_payment_sandbox import protocol
from xtycore_payment_sandbox.gateway import SandboxGateway
from xtycore_payment_sandbox.models import SandboxRefund

from . import fake_gateways
from .conftest import SANDBOX_SETTINGS
from .test_sandbox_flow import pay_on_the_hosted_page


def set_refund_answer(shop, answer):
    with shop.app.app_context():
        update_instance(shop.sandbox_id, settings={"calls_file": shop.calls_file, "refund_answer": answer})


def authorised(shop) -> tuple[int, int]:
    """An order paid by an authorisation on the card gateway: (order id, payment id)."""
    order_id = shop.order()
    shop.start(order_id)
    reference = shop.payments(order_id)[0]["reference"]
    with shop.app.test_request_context():
        payments.settle_from_query(reference)
    return order_id, shop.payments(order_id)[0]["id"]


def captured(shop) -> tuple[int, int]:
    order_id, payment_id = authorised(shop)
    with shop.app.test_request_context():
        refunds.capture(payment_id, actor="staff:王店长")
    return order_id, payment_id


def test_a_delayed_capture_gateway_authorises_then_staff_capture_once(card):
    order_id, payment_id = authorised(card)
    [payment] = card.payments(order_id)
    assert (payment["status"], payment["authorized_minor"], payment["captured_minor"]) == ("succeeded", 8800, 0)
    assert card.order_row(order_id)["status"] == "paid"
    assert card.ledger(order_id) == [("authorization", "succeeded", 8800)]
    with card.app.test_request_context():
        assert refunds.available_actions(db.session.get(Payment, payment_id)) == ["capture", "void"]
        with pytest.raises(refunds.RefundRefused, match="nothing captured"):
            refunds.refund(payment_id, reason="x", actor="staff:a")
    runner = card.app.test_cli_runner()
    number = card.order_row(order_id)["number"]
    first = runner.invoke(main, ["payments", "capture", number, "--by", "王店长"])
    again = runner.invoke(main, ["payments", "capture", number])
    assert first.output == f"order {number}: capture 88.00 CNY: succeeded\n"
    assert again.output == f"order {number}: capture 88.00 CNY: succeeded (already requested; nothing sent again)\n"
    assert card.payments(order_id)[0]["captured_minor"] == 8800
    assert len(fake_gateways.calls(card.calls_file, "capture")) == 1
    assert card.ledger(order_id) == [("authorization", "succeeded", 8800), ("capture", "succeeded", 8800)]


def test_an_authorised_payment_is_captured_when_its_order_ships(card):
    captures = []
    signals.payment_captured.connect(lambda sender, payment, amount, **kw: captures.append(amount), weak=False)
    order_id, _ = authorised(card)
    with card.app.test_request_context(), transaction():
        orders.transition(order_id, "ship", actor="staff:仓库")
    assert card.payments(order_id)[0]["captured_minor"] == 8800
    assert fake_gateways.calls(card.calls_file, "capture")[0]["amount"] == 8800
    assert captures[-1] == Money("88.00")


def test_voiding_an_authorisation_releases_it_and_cancels_the_unshipped_order(card):
    order_id, payment_id = authorised(card)
    result = card.app.test_cli_runner().invoke(
        main, ["payments", "void", card.order_row(order_id)["number"], "--reason", "缺货"])
    assert result.exit_code == 0, result.output
    assert card.payments(order_id)[0]["status"] == "cancelled"
    assert card.order_row(order_id)["status"] == "cancelled"
    assert [c["verb"] for c in fake_gateways.calls(card.calls_file)] == ["void"]
    with card.app.test_request_context(), pytest.raises(refunds.RefundRefused, match="only an uncaptured"):
        _, other = captured(card)
        refunds.void(other, actor="staff:a")


def test_a_refund_whose_answer_is_lost_stays_pending_reserves_its_amount_and_reconciliation_settles_it(card):
    order_id, payment_id = captured(card)
    set_refund_answer(card, "timeout")
    with card.app.test_request_context():
        lost = refunds.refund(payment_id, amount=Money("50.00"), reason="退货", actor="staff:a")
    assert lost.status is LedgerStatus.PENDING and "not sent again" in lost.message
    [payment] = card.payments(order_id)
    assert (payment["refunded_minor"], payment["refund_pending_minor"]) == (0, 5000)
    with card.app.test_request_context(), pytest.raises(refunds.RefundRefused, match="50.00 CNY pending"):
        refunds.refund(payment_id, amount=Money("40.00"), reason="x", actor="staff:a")
    assert card.order_row(order_id)["refunded_minor"] == 0
    runner = card.app.test_cli_runner()
    not_yet = runner.invoke(main, ["payments", "reconcile"])  # only entries older than 10 minutes
    assert "0 pending transaction(s) older than 10 min" in not_yet.output
    done = runner.invoke(main, ["payments", "reconcile", "--older-than", "0"])
    assert done.exit_code == 0, done.output
    assert f"refund {lost_key(card, lost)}: succeeded" in done.output
    assert done.output.splitlines()[-1] == (
        "payments: 0 checked, 0 settled; refunds: 1 checked, 1 settled; 0 flagged for staff; 0 error(s)")
    [payment] = card.payments(order_id)
    assert (payment["refunded_minor"], payment["refund_pending_minor"]) == (5000, 0)
    assert card.order_row(order_id)["refunded_minor"] == 5000
    again = runner.invoke(main, ["payments", "reconcile", "--older-than", "0"])
    assert "refunds: 0 checked" in again.output
    assert len(fake_gateways.calls(card.calls_file, "refund")) == 1, "never sent twice"


def lost_key(shop, result) -> str:
    with shop.app.app_context():
        return db.session.get(PaymentTransaction, result.transaction_id).idempotency_key


def test_a_declined_refund_fails_releases_its_reservation_and_says_so(card):
    failures = []
    signals.refund_failed.connect(lambda sender, reason, **kw: failures.append(reason), weak=False)
    order_id, payment_id = captured(card)
    set_refund_answer(card, "decline")
    result = card.app.test_cli_runner().invoke(
        main, ["payments", "refund", card.order_row(order_id)["number"], "--amount", "10", "--reason", "x"])
    assert result.exit_code == 1 and "refund 10.00 CNY failed: the card issuer refused the refund" in result.output
    [payment] = card.payments(order_id)
    assert (payment["refunded_minor"], payment["refund_pending_minor"]) == (0, 0)
    assert card.ledger(order_id)[-1] == ("refund", "failed", 1000)
    assert failures[-1] == "the card issuer refused the refund"


def test_refund_callbacks_settle_a_pending_refund_once_and_a_contradiction_is_flagged(card):
    failures = []
    signals.refund_failed.connect(lambda sender, reason, **kw: failures.append(reason), weak=False)
    order_id, payment_id = captured(card)
    set_refund_answer(card, "pending")
    with card.app.test_request_context():
        pending = refunds.refund(payment_id, amount=Money("30.00"), reason="退货", actor="staff:a")
    key, reference = lost_key(card, pending), card.payments(order_id)[0]["reference"]
    callback = {"payment_id": reference, "amount": 3000, "refund_id": key}
    body, headers = fake_gateways.card_callback(card.calls_file, event_id="E1", kind="refund.failed", **callback)
    client = card.client()
    assert client.post(f"/webhooks/payment/{card.sandbox_id}", data=body, headers=headers).data == b"OK"
    assert client.post(f"/webhooks/payment/{card.sandbox_id}", data=body, headers=headers).data == b"OK"
    assert [w["status"] for w in card.webhooks()] == ["applied", "duplicate"]
    [payment] = card.payments(order_id)
    assert (payment["refunded_minor"], payment["refund_pending_minor"]) == (0, 0)
    assert card.ledger(order_id)[-1] == ("refund", "failed", 3000) and len(failures) == 1
    body, headers = fake_gateways.card_callback(card.calls_file, event_id="E2", kind="refund.succeeded",
                                                **callback)
    assert client.post(f"/webhooks/payment/{card.sandbox_id}", data=body, headers=headers).status_code == 200
    [payment] = card.payments(order_id)
    assert payment["refunded_minor"] == 0 and card.events()[-1]["outcome"] == "no_change"
    assert payment["attention"] == (
        f"refund {key} is failed but a callback says refund.succeeded: check it with the gateway")


def test_a_pending_refund_without_a_way_to_ask_is_flagged_for_staff(card, monkeypatch):
    monkeypatch.setattr(fake_gateways.CardGateway, "features",
                        dataclasses.replace(fake_gateways.CARD.features, refund_query=False))
    order_id, payment_id = captured(card)
    set_refund_answer(card, "pending")
    with card.app.test_request_context():
        pending = refunds.refund(payment_id, amount=Money("10.00"), reason="x", actor="staff:a")
        report = refunds.reconcile(older_than_minutes=0)
    assert pending.status is LedgerStatus.PENDING
    assert (report.refunds_checked, report.refunds_settled, report.flagged) == (1, 0, 1)
    assert "cannot be asked: check it with the gateway" in card.payments(order_id)[0]["attention"]
    listing = card.app.test_cli_runner().invoke(main, ["payments", "list"]).output
    assert "  ! refund " in listing


def test_gateways_are_only_asked_for_what_they_declare(card, monkeypatch):
    order_id, payment_id = captured(card)
    features = fake_gateways.CARD.features
    with card.app.test_request_context():
        monkeypatch.setattr(fake_gateways.CardGateway, "features", dataclasses.replace(features, partial_refund=False))
        with pytest.raises(refunds.ActionNotSupported, match="refunds whole payments only: refund 88.00 CNY"):
            refunds.refund(payment_id, amount=Money("1.00"), reason="x", actor="staff:a")
        assert refunds.available_actions(db.session.get(Payment, payment_id)) == ["refund"]
        monkeypatch.setattr(fake_gateways.CardGateway, "features", dataclasses.replace(features, refunds=False))
        with pytest.raises(refunds.ActionNotSupported, match=r"银行卡 \(test_card\) cannot refund"):
            refunds.refund(payment_id, reason="x", actor="staff:a")
        monkeypatch.setattr(fake_gateways.CardGateway, "features",
                            dataclasses.replace(features, currencies=frozenset({"USD"})))
        with pytest.raises(refunds.ActionNotSupported, match="does not handle CNY"):
            refunds.refund(payment_id, reason="x", actor="staff:a")
        assert refunds.available_actions(db.session.get(Payment, payment_id)) == []
    assert fake_gateways.calls(card.calls_file, "refund") == []
    assert card.ledger(order_id) == [("authorization", "succeeded", 8800), ("capture", "succeeded", 8800)]


def test_the_database_refuses_refunds_beyond_the_capture_whatever_the_code_does(card):
    order_id, payment_id = captured(card)
    with card.app.app_context(), pytest.raises(IntegrityError):
        with transaction():
            db.session.execute(update(Payment).where(Payment.id == payment_id).values(refund_pending_minor=8801))
    with card.app.app_context(), pytest.raises(IntegrityError):
        with transaction():
            db.session.execute(update(Payment).where(Payment.id == payment_id).values(
                refunded_minor=5000, refund_pending_minor=4000))
    with card.app.app_context(), pytest.raises(IntegrityError):
        with transaction():
            db.session.add(PaymentTransaction(
                payment_id=payment_id, kind="capture", status="pending", amount_minor=1, currency="CNY",
                idempotency_key="second-capture"))


# --------------------------------------------------------------------------
# refund callbacks (the sandbox's asynchronous refunds)
# --------------------------------------------------------------------------


def test_an_asynchronous_refund_is_settled_once_by_its_callback(shop, callbacks):
    with shop.app.app_context():
        update_instance(shop.sandbox_id, settings={**SANDBOX_SETTINGS, "refund_mode": "async"})
    order_id = shop.order()
    pay_on_the_hosted_page(shop, order_id)
    assert shop.order_row(order_id)["status"] == "paid"
    with shop.app.test_request_context():
        result = refunds.refund_order(shop.order_row(order_id)["number"], amount=Money("20.00"), reason="x",
                                      actor="staff:a")
    # JOBS_BACKEND = immediate: the sandbox finished the refund and called back before it answered "processing"
    assert result.status is LedgerStatus.SUCCEEDED
    assert shop.order_row(order_id)["refunded_minor"] == 2000
    [event] = [e for e in shop.events() if e["kind"] == "refund.succeeded"]
    assert event["outcome"] == "applied" and event["amount_minor"] == 2000
    path, body, headers = callbacks.sent[-1]
    replay = shop.client().post(path, data=body, headers=headers)
    assert replay.status_code == 200 and shop.webhooks()[-1]["status"] == "duplicate"
    assert shop.payments(order_id)[0]["refunded_minor"] == 2000


def test_a_refund_callback_for_an_unknown_refund_or_the_wrong_amount_is_rejected(shop):
    order_id = shop.order()
    reference = shop.pay_sandbox(order_id)
    refund = {"refund_id": "R-NOT-OURS", "amount_minor": 100}
    trade = {"trade_no": protocol.trade_number(SANDBOX_SETTINGS["merchant_id"], reference),
             "merchant_id": SANDBOX_SETTINGS["merchant_id"], "out_trade_no": reference, "amount_minor": 8800,
             "currency": "CNY"}
    body, headers = protocol.callback(trade, "refunded", SANDBOX_SETTINGS["secret_key"], utcnow().timestamp(),
                                      refund=refund)
    answer = shop.client().post(f"/webhooks/payment/{shop.sandbox_id}", data=body, headers=headers)
    assert answer.status_code == 400
    assert shop.webhooks()[-1]["reason"] == f"no refund 'R-NOT-OURS' of payment {reference}"
    with shop.app.test_request_context():
        made = refunds.refund_order(shop.order_row(order_id)["number"], amount=Money("1.00"), reason="x",
                                    actor="staff:a")
    key = lost_key(shop, made)
    body, headers = protocol.callback(trade, "refunded", SANDBOX_SETTINGS["secret_key"], utcnow().timestamp(),
                                      refund={"refund_id": key, "amount_minor": 200})
    answer = shop.client().post(f"/webhooks/payment/{shop.sandbox_id}", data=body, headers=headers)
    assert answer.status_code == 400 and "reports 2.00 CNY" in shop.webhooks()[-1]["reason"]
    assert shop.payments(order_id)[0]["refunded_minor"] == 100


# --------------------------------------------------------------------------
# reconciliation of payments, money that arrives too late
# --------------------------------------------------------------------------


def test_reconciliation_recovers_a_payment_whose_callback_never_arrived(shop, callbacks):
    callbacks.drop = True
    order_id = shop.order()
    pay_on_the_hosted_page(shop, order_id)
    assert shop.payments(order_id)[0]["status"] == "pending"
    with shop.app.app_context(), transaction():
        db.session.execute(update(Payment).values(created_at=utcnow() - timedelta(minutes=30)))
    runner = shop.app.test_cli_runner()
    result = runner.invoke(main, ["payments", "reconcile"])
    assert result.exit_code == 0, result.output
    reference = shop.payments(order_id)[0]["reference"]
    assert result.output.splitlines()[:2] == ["1 pending payment(s) older than 10 min", f"  {reference}: succeeded"]
    assert shop.order_row(order_id)["status"] == "paid" and len(shop.succeeded) == 1
    again = runner.invoke(main, ["payments", "reconcile"])
    assert again.output.startswith("0 pending payment(s)") and len(shop.succeeded) == 1


def test_the_reconcile_job_is_registered_every_five_minutes(shop):
    from xtycore.kernel import get_kernel

    with shop.app.app_context():
        job = get_kernel().jobs.registered["xtycore.reconcile_payments"]
        assert job.job.schedule.minute == "*/5"
        assert get_kernel().jobs.run_now("xtycore.reconcile_payments")["payments_checked"] == 0


def late_paid(shop) -> int:
    """An order that expired before the customer paid on the sandbox page."""
    order_id = shop.order()
    shop.start(order_id)
    with shop.app.test_request_context(), transaction():
        orders.transition(order_id, "expire", actor="system")
    return order_id


def pay_existing(shop, order_id) -> None:
    from xtycore_payment_sandbox import trades

    reference = shop.payments(order_id)[0]["reference"]
    with shop.app.test_request_context():
        trade = trades.open_trade({
            "merchant_id": SANDBOX_SETTINGS["merchant_id"], "out_trade_no": reference, "order_number": "T",
            "subject": "t", "amount": "8800", "currency": "CNY", "notify_url": "", "return_url": "http://shop.test/"})
        trades.decide(trade.trade_no, "paid")
        payments.settle_from_query(reference)


def test_money_for_an_expired_order_is_recorded_and_refunded_automatically(shop):
    order_id = late_paid(shop)
    pay_existing(shop, order_id)
    [payment] = shop.payments(order_id)
    assert (payment["status"], payment["captured_minor"], payment["refunded_minor"]) == ("succeeded", 8800, 8800)
    assert payment["paid_order"] is False and payment["attention"] == ""
    row = shop.order_row(order_id)
    assert (row["status"], row["paid_minor"], row["refunded_minor"]) == ("cancelled", 0, 0)
    with shop.app.app_context():
        refund = db.session.execute(select(PaymentTransaction).where(PaymentTransaction.kind == "refund")).scalar_one()
        assert (refund.requested_by, refund.idempotency_key) == ("kernel", f"late-{payment['reference']}")
        assert db.session.execute(select(SandboxRefund.amount_minor)).scalar_one() == 8800


def test_money_for_an_expired_order_is_flagged_for_staff_when_the_merchant_says_so(shop):
    shop.app.config["LATE_PAYMENT_POLICY"] = "flag"
    order_id = late_paid(shop)
    pay_existing(shop, order_id)
    [payment] = shop.payments(order_id)
    assert (payment["status"], payment["refunded_minor"]) == ("succeeded", 0)
    assert payment["attention"].startswith("the money arrived but the order could not take it")
    assert "LATE_PAYMENT_POLICY is flag" in payment["attention"]
    assert shop.ledger(order_id) == [("capture", "succeeded", 8800)]
    number = shop.order_row(order_id)["number"]
    result = shop.app.test_cli_runner().invoke(main, ["payments", "refund", number, "--reason", "订单已过期"])
    assert result.exit_code == 0 and shop.payments(order_id)[0]["refunded_minor"] == 8800
    assert shop.order_row(order_id)["refunded_minor"] == 0, "the order never had this money"


def test_money_for_an_expired_order_is_flagged_when_the_gateway_cannot_refund(shop, monkeypatch):
    monkeypatch.setattr(SandboxGateway, "features",
                        dataclasses.replace(SandboxGateway.features, refunds=False, void=False))
    order_id = late_paid(shop)
    pay_existing(shop, order_id)
    [payment] = shop.payments(order_id)
    assert payment["refunded_minor"] == 0
    assert payment["attention"].endswith("(the gateway cannot refund it: return the money by hand)")


# --------------------------------------------------------------------------
# the migration
# --------------------------------------------------------------------------

TABLES = {"xty_payment", "xty_payment_transaction"}


def test_the_migrated_database_matches_the_payment_models(shop):
    with shop.app.app_context():
        diffs = schema_differences(TABLES)
    assert diffs == []


def test_the_ledger_revision_follows_the_reviews_revision(shop):
    from alembic.script import ScriptDirectory

    from xtycore import database

    script = ScriptDirectory.from_config(database.alembic_config(shop.app))
    assert script.get_revision("0008_payment_ledger").down_revision == "0006_reviews_staff"
