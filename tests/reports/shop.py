"""A small shop with hand-computed report figures (Asia/Shanghai, UTC+8), shared by the report tests.

Local days (Asia/Shanghai) of each row, and what the reports must say about them:

- order A, 2026-02-28 23:59 local, paid ¥100.00: February, outside a March range;
- order B, 2026-03-01 00:00 local (one minute after A), paid ¥120.00: 2 × 绿茶 at ¥50.00 and ¥20.00 shipping;
- order C, 2026-03-01 23:30 local, completed ¥30.01: 1 × 白瓷杯;
- order D, 2026-03-02 00:10 local, refunded ¥80.00: 1 × 绿茶 ¥20.00, 3 × 白瓷杯 ¥60.00; ¥30.00 refund
  succeeded 2026-03-02 10:00 local, a ¥50.00 refund failed (not counted);
- order E, 2026-03-02, still waiting for payment, and order F, cancelled unpaid: never counted;
- customers registered 2026-02-28 23:00 and 2026-03-01 00:30 local.

So for 2026-03-01 to 2026-03-02 by day: 03-01 has 2 orders, ¥150.01, average ¥75.01 (75.005 rounded half up),
no refunds, 1 new member; 03-02 has 1 order, ¥80.00, ¥30.00 refunds, net ¥50.00. 绿茶 sold 3 units for
¥120.00 (first by revenue), 白瓷杯 4 units for ¥90.01 (first by units).
"""

from __future__ import annotations

from datetime import datetime, timezone
from itertools import count

from xtycore.extensions import db, transaction
from xtycore.models import Customer, Order, OrderLine
from xtycore.models.catalog import Category, Product
from xtycore.models.payments import Payment, PaymentTransaction

_numbers = count(1)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def order(placed_at: datetime, total: int, status: str = "paid", lines=(), refunded: int = 0,
          currency: str = "CNY", paid: int | None = None) -> Order:
    n = next(_numbers)
    paid = (total if status != "pending_payment" else 0) if paid is None else paid
    made = Order(number=f"R{n:06d}", status=status, currency=currency, subtotal_minor=total, total_minor=total,
                 paid_minor=paid, refunded_minor=refunded, ship_recipient="张三", ship_mobile="13800000000",
                 ship_province="浙江省", ship_city="杭州市", ship_district="西湖区", ship_street="龙井路 1 号",
                 courier_quote_code="std", courier_label="顺丰", checkout_token=f"report-{n}", placed_at=placed_at)
    for product, quantity, unit in lines:
        made.lines.append(OrderLine(product_id=product.id if product else None,
                                    product_name=product.title if product else "已删除商品", sku=f"SKU{n}",
                                    unit_price_minor=unit, quantity=quantity, total_minor=unit * quantity))
    db.session.add(made)
    return made


def customer(email: str, created_at: datetime) -> None:
    db.session.add(Customer(email=email, password_hash="$argon2id$x", created_at=created_at))


def seed_shop() -> dict[str, int]:
    """The rows described above; returns the products' ids."""
    with transaction():
        tea_category = Category(slug="green-tea", name="绿茶", name_en="Green tea")
        db.session.add(tea_category)
        db.session.flush()
        tea = Product(title="绿茶", slug="green-tea", category_id=tea_category.id)
        cup = Product(title="白瓷杯", slug="white-cup")
        db.session.add_all([tea, cup])
        db.session.flush()
        order(utc(2026, 2, 28, 15, 59), 10000, lines=[(tea, 2, 5000)])
        order(utc(2026, 2, 28, 16, 0), 12000, lines=[(tea, 2, 5000)])
        order(utc(2026, 3, 1, 15, 30), 3001, status="completed", lines=[(cup, 1, 3001)])
        refunded = order(utc(2026, 3, 1, 16, 10), 8000, status="refunded", refunded=3000,
                         lines=[(tea, 1, 2000), (cup, 3, 2000)])
        order(utc(2026, 3, 2, 4, 0), 99999, status="pending_payment", lines=[(tea, 9, 11111)])
        order(utc(2026, 3, 2, 5, 0), 55555, status="cancelled", paid=0, lines=[(cup, 5, 11111)])
        customer("early@shop.test", utc(2026, 2, 28, 15, 0))
        customer("new@shop.test", utc(2026, 2, 28, 16, 30))
        db.session.flush()
        payment = Payment(order_id=refunded.id, instance_id=1, gateway_code="fixture", reference="pay-report-1",
                          amount_minor=8000, currency="CNY", status="succeeded", captured_minor=8000,
                          authorized_minor=8000, refunded_minor=3000, paid_order=True)
        db.session.add(payment)
        db.session.flush()
        for key, kind, status, amount, at in (
            ("capture", "capture", "succeeded", 8000, utc(2026, 3, 1, 16, 11)),
            ("refund-1", "refund", "succeeded", 3000, utc(2026, 3, 2, 2, 0)),
            ("refund-2", "refund", "failed", 5000, utc(2026, 3, 2, 3, 0)),
        ):
            db.session.add(PaymentTransaction(payment_id=payment.id, kind=kind, status=status, amount_minor=amount,
                                              currency="CNY", idempotency_key=key, created_at=at))
    return {"tea": tea.id, "cup": cup.id}
