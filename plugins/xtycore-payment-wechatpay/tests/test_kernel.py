"""Through the kernel: a shopper checks out, scans the QR code, WeChat Pay calls back, the order is paid once."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from xtycore import signals
from xtycore.domain.money import Money
from xtycore.extensions import db, transaction
from xtycore.models import Order, OrderEvent, Payment, PaymentEvent, PaymentWebhook, ProductImage
from xtycore.services import catalog, catalog_review, refunds
from xtycore.services.capabilities import create_instance

from .conftest import notification, payment_resource, refund_resource

FLAT_RATE = {"label": "顺丰标快", "price_minor": 1200, "free_over_minor": 20000}
ADDRESS = {
    "recipient": "张三", "mobile": "13800138000", "province": "广东省", "city": "深圳市", "district": "南山区",
    "street": "科技园南区高新南一道8号", "postcode": "518057", "email": "guest@example.cn",
}


class HttpsClient(FlaskClient):
    """A browser of a shop served over HTTPS: WeChat Pay accepts only an https notify_url."""

    def open(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("base_url", "https://shop.test")
        return super().open(*args, **kwargs)


@dataclass
class Shop:
    app: Any
    courier_id: int
    instance_id: int
    variant_id: int
    succeeded: list = field(default_factory=list)

    def client(self):
        return HttpsClient(self.app, self.app.response_class, use_cookies=True)

    @property
    def inbox(self) -> str:
        return f"/webhooks/payment/{self.instance_id}"

    def checkout(self, client) -> str:
        """Cart, address, courier, WeChat Pay, review, place: the page the shopper sees after placing."""
        assert client.post("/cart/add", data={"variant_id": self.variant_id, "quantity": 1}).status_code == 303
        assert client.post("/checkout/address", data=ADDRESS).headers["Location"].endswith("/checkout/shipping")
        client.post("/checkout/shipping", data={"option": f"{self.courier_id}:standard"})
        assert "微信支付" in client.get("/checkout/payment").get_data(as_text=True)
        client.post("/checkout/payment", data={"payment_instance_id": self.instance_id})
        review = client.get("/checkout/review").get_data(as_text=True)
        placed = client.post("/checkout/place", data={
            name: re.search(rf'name="{name}" value="([^"]*)"', review)[1]
            for name in ("checkout_token", "expected_total_minor")
        })
        assert placed.status_code == 200, placed.headers.get("Location")
        return placed.get_data(as_text=True)

    def rows(self) -> dict[str, Any]:
        with self.app.app_context():
            order = db.session.execute(select(Order)).scalar_one()
            return {
                "order": (order.status, order.paid_minor, order.total_minor),
                "payments": [(p.reference, p.status, p.captured_minor, p.gateway_reference, p.qr_content)
                             for p in db.session.execute(select(Payment).order_by(Payment.id)).scalars()],
                "webhooks": [(w.status, w.response_status, w.reason) for w in
                             db.session.execute(select(PaymentWebhook).order_by(PaymentWebhook.id)).scalars()],
                "events": [(e.event_id, e.outcome) for e in db.session.execute(select(PaymentEvent)).scalars()],
                "pay_events": db.session.execute(select(func.count()).select_from(OrderEvent)
                                                 .where(OrderEvent.event == "pay")).scalar_one(),
            }


def published_variant(title: str, price: str) -> int:
    data = catalog.ProductInput(
        title=title, description_html="<p>明前特级龙井，产自杭州西湖产区，手工炒制，香气清高持久。</p>",
        variants=[catalog.VariantInput(sku=f"WX-{secrets.token_hex(4)}", price=Money(price), stock=10,
                                       weight_grams=250, options={})],
    )
    with transaction():
        product = catalog.save_product(data)
        product.images.append(ProductImage(path=f"products/{product.id}/a.jpg", width=800, height=800))
        db.session.flush()
        catalog_review.publish_in_session(product)
        return product.variants[0].id


@pytest.fixture
def shop(xty_make_app, keys, wechat):
    app = xty_make_app(plugins={"courier_standard": None, "payment_wechatpay": None})
    with app.app_context():
        courier_id = create_instance("courier", "flat_rate", display_name="顺丰速运", settings=FLAT_RATE)
        instance_id = create_instance("payment", "wechatpay", display_name="微信支付",
                                      settings=keys.settings(wechat.url))
        variant_id = published_variant("西湖龙井", "49.00")
    made = Shop(app, courier_id, instance_id, variant_id)

    def on_success(sender, payment, event, **kwargs):
        made.succeeded.append((payment.reference, event.event_id if event is not None else None))

    signals.payment_succeeded.connect(on_success, weak=False)
    yield made
    signals.payment_succeeded.disconnect(on_success)


def test_a_scanned_qr_payment_is_paid_by_wechats_callback_once(shop, wechat):
    client = shop.client()
    page = shop.checkout(client)
    [(reference, status, _, _, code_url)] = shop.rows()["payments"]
    assert status == "pending" and code_url == f"weixin://wxpay/bizpayurl/up?pr={wechat.trades[reference]['prepay']}"
    assert wechat.trades[reference]["amount"] == {"total": 6100, "currency": "CNY"}  # 49.00 + 12.00 shipping
    assert wechat.requests[0]["problem"] == ""
    assert f"/payments/{reference}/qr.png" in page
    image = client.get(f"/payments/{reference}/qr.png")
    assert image.status_code == 200 and image.content_type == "image/png"
    assert image.data.startswith(b"\x89PNG\r\n\x1a\n"), "segno drew the code here, not a remote service"

    trade = wechat.pay(reference)
    callback = wechat.callback(reference, notice_id="EV-E2E-0001")
    answer = callback.post_to(client, shop.inbox)
    assert (answer.status_code, answer.data) == (204, b""), "WeChat Pay's success reply: 204 with no body"
    rows = shop.rows()
    assert rows["order"] == ("paid", 6100, 6100)
    assert rows["payments"][0][1:4] == ("succeeded", 6100, trade["transaction_id"])
    assert rows["events"] == [("EV-E2E-0001", "applied")] and rows["pay_events"] == 1
    assert shop.succeeded == [(reference, "EV-E2E-0001")]

    again = callback.post_to(client, shop.inbox)  # WeChat Pay retries when it missed our answer
    assert (again.status_code, again.data) == (204, b"")
    rows = shop.rows()
    assert [w[0] for w in rows["webhooks"]] == ["applied", "duplicate"]
    assert rows["order"] == ("paid", 6100, 6100) and rows["pay_events"] == 1 and len(shop.succeeded) == 1


def test_the_return_from_wechat_settles_by_query_and_the_late_callback_changes_nothing(shop, wechat):
    client = shop.client()
    shop.checkout(client)
    [(reference, *_)] = shop.rows()["payments"]
    assert client.get(f"/payments/return/{reference}").status_code == 303
    assert shop.rows()["order"][0] == "pending_payment", "NOTPAY: still waiting"
    wechat.pay(reference)
    assert client.get(f"/payments/return/{reference}").status_code == 303
    assert shop.rows()["order"] == ("paid", 6100, 6100)
    late = wechat.callback(reference, notice_id="EV-E2E-LATE").post_to(client, shop.inbox)
    assert late.status_code == 204
    rows = shop.rows()
    assert rows["events"] == [("EV-E2E-LATE", "no_change")] and rows["pay_events"] == 1
    assert shop.succeeded == [(reference, None)]


def test_callbacks_that_fail_verification_are_rejected_and_change_nothing(shop, wechat, keys):
    client = shop.client()
    shop.checkout(client)
    [(reference, *_)] = shop.rows()["payments"]
    wechat.pay(reference)
    forged = notification(keys.stranger, "TRANSACTION.SUCCESS", payment_resource(reference, 6100))
    wrong_amount = notification(keys.platform, "TRANSACTION.SUCCESS", payment_resource(reference, 1))
    for callback in (forged, wrong_amount):
        answer = callback.post_to(client, shop.inbox)
        # refused as WeChat Pay documents (gateway.rejection_reply); it sends the notification again later
        assert answer.status_code == 400 and answer.mimetype == "application/json"
        assert answer.get_json() == {"code": "FAIL", "message": "验签失败"}
    rows = shop.rows()
    assert [w[0] for w in rows["webhooks"]] == ["rejected", "rejected"]
    assert "does not verify" in rows["webhooks"][0][2] and "the payment is" in rows["webhooks"][1][2]
    assert rows["order"][0] == "pending_payment" and rows["events"] == [] and shop.succeeded == []


def paid_through_a_callback(shop, wechat, client) -> str:
    shop.checkout(client)
    [(reference, *_)] = shop.rows()["payments"]
    wechat.pay(reference)
    assert wechat.callback(reference).post_to(client, shop.inbox).status_code == 204
    return reference


def kernel_refund(shop, reference: str, amount: str):
    with shop.app.app_context():
        payment = db.session.execute(select(Payment).where(Payment.reference == reference)).scalar_one()
        return refunds.refund(payment.id, reason="缺货退款", actor="staff:王店长", amount=Money(amount))


def refunded(shop, reference: str) -> tuple[int, int, int]:
    with shop.app.app_context():
        payment = db.session.execute(select(Payment).where(Payment.reference == reference)).scalar_one()
        order = db.session.get(Order, payment.order_id)
        return payment.refunded_minor, payment.refund_pending_minor, order.refunded_minor


def test_the_kernels_refunds_go_through_wechat_pay_and_its_notifications_settle_them(shop, wechat, keys):
    client = shop.client()
    reference = paid_through_a_callback(shop, wechat, client)

    first = kernel_refund(shop, reference, "10.00")
    assert (first.status.value, first.amount) == ("succeeded", Money("10.00"))
    assert [r["amount"]["refund"] for r in wechat.refunds.values()] == [1000]
    assert refunded(shop, reference) == (1000, 0, 1000)

    wechat.refund_status = "PROCESSING"
    second = kernel_refund(shop, reference, "20.00")
    assert second.status.value == "pending" and refunded(shop, reference) == (1000, 2000, 1000)
    [key] = [k for k, r in wechat.refunds.items() if r["amount"]["refund"] == 2000]
    done = notification(keys.platform, "REFUND.SUCCESS", refund_resource(reference, key, 2000, 6100),
                        notice_id="EV-REFUND-2", summary="退款成功")
    assert done.post_to(client, shop.inbox).status_code == 204
    assert done.post_to(client, shop.inbox).status_code == 204  # a retry changes nothing
    assert refunded(shop, reference) == (3000, 0, 3000)
    assert shop.rows()["events"][-1] == ("EV-REFUND-2", "applied")
    assert [w[0] for w in shop.rows()["webhooks"]][-2:] == ["applied", "duplicate"]

    wechat.refund_status, wechat.refund_stall = "SUCCESS", 3.0  # the answer of the last refund is lost
    last = kernel_refund(shop, reference, "31.00")
    assert last.status.value == "succeeded" and "settled by the refund query" in last.message
    assert [r["method"] for r in wechat.requests[-2:]] == ["POST", "GET"] and len(wechat.refunds) == 3
    assert refunded(shop, reference) == (6100, 0, 6100) and shop.rows()["order"][0] == "refunded"


def test_a_refund_notification_for_no_refund_of_the_kernel_is_rejected(shop, wechat, keys):
    client = shop.client()
    reference = paid_through_a_callback(shop, wechat, client)
    stranger = notification(keys.platform, "REFUND.SUCCESS",
                            refund_resource(reference, "R0000000000000000000000099", 6100, 6100))
    assert stranger.post_to(client, shop.inbox).status_code == 400
    assert "no refund" in shop.rows()["webhooks"][-1][2] and refunded(shop, reference) == (0, 0, 0)


def test_the_kernel_voids_an_unpaid_payment_by_closing_the_trade(shop, wechat):
    client = shop.client()
    shop.checkout(client)
    [(reference, *_)] = shop.rows()["payments"]
    with shop.app.app_context():
        payment = db.session.execute(select(Payment).where(Payment.reference == reference)).scalar_one()
        result = refunds.void(payment.id, actor="staff:王店长", reason="顾客改用其他方式")
    assert result.status.value == "succeeded"
    assert wechat.trades[reference]["trade_state"] == "CLOSED"
    assert shop.rows()["payments"][0][1] == "cancelled"
