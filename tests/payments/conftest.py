"""A shop with the sandbox and cash on delivery enabled, orders to pay, and callbacks that reach the app."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import delete, func, select

from xtycore import signals
from xtycore.domain.states import OrderStatus
from xtycore.extensions import db, transaction
from xtycore.models import Order, OrderEvent, Payment, PaymentEvent, PaymentWebhook
from xtycore.services.capabilities import create_instance

from xtycore_payment_sandbox import trades
from xtycore_payment_sandbox.models import SandboxRefund, SandboxTrade

from . import fake_gateways

SANDBOX_SETTINGS = {"merchant_id": "SHOP-TEST", "secret_key": "payments-test-key-0123456789abcdefghijklmn"}


@dataclass
class Shop:
    app: Any
    sandbox_id: int
    cod_id: int
    succeeded: list = field(default_factory=list)
    failed: list = field(default_factory=list)

    def client(self):
        return self.app.test_client()

    def order(self, *, total_minor: int = 8800, instance_id: int | None = None, province: str = "浙江省") -> int:
        """A placed, unpaid order (no lines: stock is not what these tests are about)."""
        with self.app.app_context(), transaction() as session:
            order = Order(
                number=f"T{secrets.token_hex(6).upper()}", status=OrderStatus.PENDING_PAYMENT.value,
                currency="CNY", subtotal_minor=total_minor, total_minor=total_minor, paid_minor=0,
                ship_recipient="张三", ship_mobile="13800138000", ship_province=province, ship_city="杭州市",
                ship_district="西湖区", ship_street="龙井路 1 号", courier_quote_code="standard", courier_label="快递",
                payment_instance_id=instance_id or self.sandbox_id, checkout_token=secrets.token_hex(16),
            )
            session.add(order)
            session.flush()
            return order.id

    def order_row(self, order_id: int) -> dict:
        with self.app.app_context():
            order = db.session.get(Order, order_id)
            return {"status": order.status, "paid_minor": order.paid_minor, "number": order.number,
                    "refunded_minor": order.refunded_minor}

    def payments(self, order_id: int) -> list[dict]:
        with self.app.app_context():
            rows = db.session.execute(select(Payment).where(Payment.order_id == order_id).order_by(Payment.id))
            return [{c.name: getattr(p, c.name) for c in Payment.__table__.columns} for p in rows.scalars()]

    def pay_events(self, order_id: int) -> int:
        with self.app.app_context():
            return db.session.execute(
                select(func.count()).select_from(OrderEvent).where(OrderEvent.order_id == order_id,
                                                                   OrderEvent.event == "pay")
            ).scalar_one()

    def webhooks(self) -> list[dict]:
        with self.app.app_context():
            rows = db.session.execute(select(PaymentWebhook).order_by(PaymentWebhook.id)).scalars()
            return [{c.name: getattr(w, c.name) for c in PaymentWebhook.__table__.columns} for w in rows]

    def events(self) -> list[dict]:
        with self.app.app_context():
            rows = db.session.execute(select(PaymentEvent).order_by(PaymentEvent.id)).scalars()
            return [{c.name: getattr(e, c.name) for c in PaymentEvent.__table__.columns} for e in rows]

    def order_with_lines(self, *lines: tuple[int, str, int, int, int], instance_id: int | None = None,
                         shipping_minor: int = 1000) -> int:
        """An unpaid order with lines ``(variant_id, sku, unit_price_minor, quantity, discount_minor)``."""
        from xtycore.models import OrderLine

        subtotal = sum(unit * qty for _, _, unit, qty, _ in lines)
        discount = sum(d for *_, d in lines)
        order_id = self.order(total_minor=subtotal - discount + shipping_minor, instance_id=instance_id)
        with self.app.app_context(), transaction() as session:
            order = session.get(Order, order_id)
            order.subtotal_minor, order.discount_minor, order.shipping_minor = subtotal, discount, shipping_minor
            for variant_id, sku, unit, qty, line_discount in lines:
                session.add(OrderLine(
                    order_id=order_id, variant_id=variant_id, product_name=f"商品 {sku}", sku=sku,
                    unit_price_minor=unit, quantity=qty, discount_minor=line_discount,
                    total_minor=unit * qty - line_discount,
                ))
        return order_id

    def pay_sandbox(self, order_id: int) -> str:
        """The customer paid through the sandbox; the return endpoint settled it. Returns the payment reference."""
        from xtycore.services import payments

        self.start(order_id)
        reference = self.payments(order_id)[-1]["reference"]
        with self.app.test_request_context():
            trade = trades.open_trade({
                "merchant_id": SANDBOX_SETTINGS["merchant_id"], "out_trade_no": reference, "order_number": "T",
                "subject": "test", "amount": str(self.payments(order_id)[-1]["amount_minor"]), "currency": "CNY",
                "notify_url": "", "return_url": "http://shop.test/",
            })
            trades.decide(trade.trade_no, "paid")
            assert payments.settle_from_query(reference).status == "succeeded"
        return reference

    def ledger(self, order_id: int) -> list[tuple]:
        from xtycore.models.payments import PaymentTransaction

        with self.app.app_context():
            rows = db.session.execute(
                select(PaymentTransaction).join(Payment, Payment.id == PaymentTransaction.payment_id)
                .where(Payment.order_id == order_id).order_by(PaymentTransaction.id)
            ).scalars()
            return [(t.kind, t.status, t.amount_minor) for t in rows]

    def start(self, order_id: int, return_url: str = "http://shop.test/orders/confirmation"):
        from xtycore.services import payments

        with self.app.test_request_context():
            return payments.start_payment(order_id, return_url)


def relative(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@pytest.fixture
def shop(xty_make_app):
    app = xty_make_app(plugins={"payment_sandbox": None, "payment_cod": None})
    with app.app_context():
        sandbox_id = create_instance("payment", "sandbox", display_name="沙箱支付", settings=SANDBOX_SETTINGS)
        cod_id = create_instance("payment", "cod", display_name="货到付款", settings={"max_order_minor": 100000})
    made = Shop(app, sandbox_id, cod_id)

    def on_success(sender, payment, event, **kwargs):
        made.succeeded.append((payment.reference, event.event_id if event is not None else None))

    def on_failure(sender, payment, reason, **kwargs):
        made.failed.append((payment.reference, reason))

    signals.payment_succeeded.connect(on_success, weak=False)
    signals.payment_failed.connect(on_failure, weak=False)
    yield made
    signals.payment_succeeded.disconnect(on_success)
    signals.payment_failed.disconnect(on_failure)
    clear_sandbox_tables(app)


@pytest.fixture
def card(xty_make_app, tmp_path):
    """A shop whose payment method authorises now and captures later; its gateway logs calls to a file."""
    app = xty_make_app(plugins={"test_cards": fake_gateways})
    calls_file = str(tmp_path / "card-calls.jsonl")
    with app.app_context():
        card_id = create_instance("payment", "test_card", display_name="银行卡",
                                  settings={"calls_file": calls_file})
    shop = Shop(app, card_id, cod_id=0)
    shop.calls_file = calls_file
    return shop


@dataclass
class Callbacks:
    """Sandbox callbacks, delivered to the app itself over WSGI (or dropped, to make them late)."""

    app: Any
    drop: bool = False
    sent: list = field(default_factory=list)
    answers: list = field(default_factory=list)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handle))

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.url.path, request.content, dict(request.headers)))
        if self.drop:
            raise httpx.ConnectError("the shop is unreachable")
        response = self.app.test_client().post(request.url.path, data=request.content, headers=dict(request.headers))
        self.answers.append((response.status_code, response.get_data(as_text=True), response.content_type))
        return httpx.Response(response.status_code, content=response.get_data(),
                              headers={"Content-Type": response.content_type})


@pytest.fixture
def callbacks_for(monkeypatch):
    """Deliver sandbox callbacks to the given app; clean the sandbox's tables afterwards."""
    apps = []

    def deliver_to(app) -> Callbacks:
        delivered = Callbacks(app)
        monkeypatch.setattr(trades, "http_client", delivered.client)
        apps.append(app)
        return delivered

    yield deliver_to
    for app in apps:
        clear_sandbox_tables(app)


@pytest.fixture
def callbacks(shop, callbacks_for):
    return callbacks_for(shop.app)


def clear_sandbox_tables(app) -> None:
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            conn.execute(delete(SandboxRefund))
            conn.execute(delete(SandboxTrade))
