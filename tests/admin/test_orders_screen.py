"""The orders screens: the list (filters, search, pages), one order in full, and refunds, captures and voids.

Orders are paid through the sandbox gateway (tests/payments/conftest.py); each
payment action goes through the payment kernel, and its audit entry commits
with the ledger row it writes.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import event, func, select

from tests.admin.conftest import staff_client
from tests.payments.conftest import SANDBOX_SETTINGS, card, shop  # noqa: F401  (fixtures)
from tests.payments.test_ledger import authorised
from tests.payments.test_refunds import teas  # noqa: F401  (fixture: two variants in stock)
from xtycore.domain.staff import StaffRole
from xtycore.extensions import db, transaction
from xtycore.models import Order, OrderEvent, Payment
from xtycore.models.audit import AuditEntry
from xtycore.services.capabilities import update_instance


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def paid(shop, teas):  # noqa: F811
    """A paid sandbox order: 2 x green at 30.00 with 10.00 off, 1 x black at 28.00, 10.00 shipping (88.00)."""
    (green, green_sku), (black, black_sku) = teas
    order_id = shop.order_with_lines((green, green_sku, 3000, 2, 1000), (black, black_sku, 2800, 1, 0))
    shop.pay_sandbox(order_id)
    return order_id


def number_of(shop, order_id: int) -> str:  # noqa: F811
    return shop.order_row(order_id)["number"]


def lines_of(shop, order_id: int) -> dict[str, int]:  # noqa: F811
    with shop.app.app_context():
        order = db.session.get(Order, order_id)
        return {line.sku: line.id for line in order.lines}


def payment_id(shop, order_id: int) -> int:  # noqa: F811
    return shop.payments(order_id)[-1]["id"]


def audit_rows(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
        return [(e.action, e.object_type, e.object_id, e.staff_email, e.after) for e in rows]


def refund_url(shop, order_id, action="refund"):  # noqa: F811
    return f"/admin/orders/{number_of(shop, order_id)}/payments/{payment_id(shop, order_id)}/{action}"


# --------------------------------------------------------------------------
# the list
# --------------------------------------------------------------------------


def _set(shop, order_id, **values):  # noqa: F811
    with shop.app.app_context(), transaction() as session:
        order = session.get(Order, order_id)
        for key, value in values.items():
            setattr(order, key, value)


def test_the_list_is_newest_first_and_filters_by_status_shop_dates_and_search(shop, paid):  # noqa: F811
    _, client = staff_client(shop.app, StaffRole.ORDER_CLERK)
    older, other = shop.order(), shop.order()
    # 2026-03-01 17:30 UTC is 2026-03-02 01:30 in Asia/Shanghai (the shop's clock)
    _set(shop, older, placed_at=datetime(2026, 3, 1, 17, 30, tzinfo=timezone.utc), email="lin@example.cn")
    _set(shop, other, placed_at=datetime(2026, 2, 1, 4, 0, tzinfo=timezone.utc), ship_mobile="13900139000")
    _set(shop, paid, placed_at=datetime(2026, 4, 1, 4, 0, tzinfo=timezone.utc))
    numbers = {name: number_of(shop, oid) for name, oid in (("paid", paid), ("older", older), ("other", other))}

    page = text(client.get("/admin/orders"))
    assert "3 orders" in page
    positions = [page.index(numbers[name]) for name in ("paid", "older", "other")]
    assert positions == sorted(positions)  # newest first

    def listed(query: str) -> set[str]:
        response = client.get("/admin/orders?" + query)
        assert response.status_code == 200
        return {name for name, number in numbers.items() if number in text(response)}

    assert listed("status=paid") == {"paid"}
    assert listed("status=pending_payment") == {"older", "other"}
    assert listed("since=2026-03-02&until=2026-03-02") == {"older"}  # its shop date, not its UTC date
    assert listed("since=2026-03-01&until=2026-03-01") == set()
    assert listed("q=LIN@example.cn") == {"older"}
    assert listed("q=%25") == set()  # a LIKE wildcard typed by staff is matched literally
    assert listed("q=13900139000") == {"other"}
    assert listed(f"q={numbers['paid'].lower()}") == {"paid"}
    assert listed("status=nonsense") == {"paid", "older", "other"}
    assert listed("since=garbage") == {"paid", "older", "other"}


def test_the_list_costs_the_same_statements_for_few_or_many_orders(shop):  # noqa: F811
    _, client = staff_client(shop.app, StaffRole.READ_ONLY)
    statements = []

    def count(*args, **kwargs):
        statements.append(1)

    with shop.app.app_context():
        engine = db.engine
    for _ in range(2):
        shop.order()
    assert client.get("/admin/orders").status_code == 200  # caches warmed
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get("/admin/orders").status_code == 200
        few = len(statements)
        for _ in range(8):
            shop.order()
        statements.clear()
        assert "10 orders" in text(client.get("/admin/orders"))
        assert len(statements) == few
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_list_pages_by_fifty(shop):  # noqa: F811
    _, client = staff_client(shop.app, StaffRole.OWNER)
    for _ in range(51):
        shop.order()
    first = text(client.get("/admin/orders"))
    assert "51 orders" in first and "page=2" in first
    second = text(client.get("/admin/orders?page=2"))
    assert second.count('href="/admin/orders/T') == 1


# --------------------------------------------------------------------------
# one order
# --------------------------------------------------------------------------


def test_the_detail_shows_lines_totals_delivery_timeline_and_the_ledger(shop, paid, teas):  # noqa: F811
    _, client = staff_client(shop.app, StaffRole.READ_ONLY)
    (_, green_sku), (_, black_sku) = teas
    response = client.get(f"/admin/orders/{number_of(shop, paid)}")
    page = text(response)
    assert response.status_code == 200
    assert green_sku in page and black_sku in page
    assert "CN¥30.00" in page and "−CN¥10.00" in page and "CN¥50.00" in page and "CN¥88.00" in page
    assert "张三" in page and "龙井路 1 号" in page
    with shop.app.app_context():
        events = db.session.execute(select(OrderEvent).where(OrderEvent.order_id == paid)).scalars().all()
        assert events
        for e in events:
            assert f"{e.event}: {e.from_status or '—'} → {e.to_status}" in page and e.actor in page
    payment = shop.payments(paid)[-1]
    assert payment["reference"] in page
    assert '<tr class="tx-succeeded"><td>' in page and "<td>capture</td><td>CN¥88.00</td>" in page
    # read-only staff see no payment actions
    assert "refund-form" not in page and "/refund" not in page
    assert client.get("/admin/orders/NOPE").status_code == 404


# --------------------------------------------------------------------------
# payment actions
# --------------------------------------------------------------------------


@pytest.mark.parametrize("role", [StaffRole.FINANCE, StaffRole.OWNER])
def test_staff_refund_part_by_amount_then_a_line_then_the_rest(shop, paid, teas, role):  # noqa: F811
    _, client = staff_client(shop.app, role)
    (_, green_sku), (_, black_sku) = teas
    number = number_of(shop, paid)
    detail = text(client.get(f"/admin/orders/{number}"))
    assert "refund-form" in detail and "capture-form" not in detail and "void-form" not in detail

    response = client.post(refund_url(shop, paid), data={"mode": "amount", "amount": "10.00", "reason": "少发一包"})
    assert response.status_code == 302
    assert "Refund of CN¥10.00 succeeded." in text(client.get(response.headers["Location"]))
    assert shop.ledger(paid) == [("capture", "succeeded", 8800), ("refund", "succeeded", 1000)]
    assert shop.order_row(paid)["refunded_minor"] == 1000 and shop.order_row(paid)["status"] == "paid"
    assert '<strong class="refund-status" data-status="partially_refunded">Partially refunded</strong>' in \
        text(client.get(f"/admin/orders/{number}"))

    line_id = lines_of(shop, paid)[black_sku]
    response = client.post(refund_url(shop, paid), data={"mode": "lines", f"qty-{line_id}": "1", "reason": "退货",
                                                         "amount": "999"})
    assert response.status_code == 302
    assert shop.ledger(paid)[-1] == ("refund", "succeeded", 2800)
    assert shop.order_row(paid)["refunded_minor"] == 3800

    response = client.post(refund_url(shop, paid), data={"mode": "amount", "amount": "50.00", "reason": "全部退款"})
    assert response.status_code == 302
    row = shop.order_row(paid)
    assert row["refunded_minor"] == 8800 and row["status"] == "refunded"
    page = text(client.get(f"/admin/orders/{number}"))
    assert "refund-form" not in page  # nothing left to refund
    assert 'data-status="refunded">Refunded</strong>' in page

    entries = [e for e in audit_rows(shop.app) if e[0] == "order.refund"]
    assert [(e[1], e[2], e[4]["amount"], e[4]["reason"]) for e in entries] == [
        ("order", number, "10.00 CNY", "少发一包"), ("order", number, "28.00 CNY", "退货"),
        ("order", number, "50.00 CNY", "全部退款"),
    ]
    assert {e[3] for e in entries} == {f"{role.value.replace('_', '-')}@shop.test"}


def test_a_refund_above_what_is_left_or_without_a_reason_is_refused_and_writes_nothing(shop, paid, teas):  # noqa: F811
    _, client = staff_client(shop.app, StaffRole.FINANCE)
    (_, green_sku), _ = teas
    before_ledger, before_audit = shop.ledger(paid), audit_rows(shop.app)
    response = client.post(refund_url(shop, paid), data={"mode": "amount", "amount": "88.01", "reason": "多退"})
    page = text(response)
    assert response.status_code == 422
    assert "refund of 88.01 CNY refused: 88.00 CNY of the 88.00 CNY captured" in page
    assert 'value="88.01"' in page and 'value="多退"' in page  # what was typed is shown again
    for form in ({"mode": "amount", "amount": "10.00", "reason": " "},
                 {"mode": "amount", "amount": "ten", "reason": "x"},
                 {"mode": "amount", "amount": "0", "reason": "x"},
                 {"mode": "lines", "reason": "x"},
                 {"mode": "lines", f"qty-{lines_of(shop, paid)[green_sku]}": "3", "reason": "x"}):
        response = client.post(refund_url(shop, paid), data=form)
        assert response.status_code == 422, form
        assert 'class="form-error" role="alert"' in text(response)
    assert shop.ledger(paid) == before_ledger and audit_rows(shop.app) == before_audit
    assert shop.order_row(paid)["refunded_minor"] == 0


def test_a_support_agent_cannot_refund_and_nothing_changes(shop, paid):  # noqa: F811
    _, client = staff_client(shop.app, StaffRole.SUPPORT_AGENT)
    page = text(client.get(f"/admin/orders/{number_of(shop, paid)}"))
    assert "refund-form" not in page
    before_ledger, before_audit = shop.ledger(paid), audit_rows(shop.app)
    for action in ("refund", "capture", "void"):
        form = {"mode": "amount", "amount": "10.00", "reason": "x"}
        response = client.post(refund_url(shop, paid, action), data=form)
        assert response.status_code == 403
    assert shop.ledger(paid) == before_ledger and audit_rows(shop.app) == before_audit
    assert shop.order_row(paid)["refunded_minor"] == 0


def test_a_refund_the_gateway_has_not_answered_is_shown_pending(shop, paid):  # noqa: F811
    with shop.app.app_context():
        update_instance(shop.sandbox_id, settings={**SANDBOX_SETTINGS, "refund_mode": "async"})
    _, client = staff_client(shop.app, StaffRole.MANAGER)
    response = client.post(refund_url(shop, paid), data={"mode": "amount", "amount": "20.00", "reason": "破损"})
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "Refund of CN¥20.00 is pending" in page
    assert "pending: no answer from the provider yet" in page and "refund pending" in page
    assert shop.ledger(paid)[-1] == ("refund", "pending", 2000)
    assert shop.order_row(paid)["refunded_minor"] == 0
    assert [e[0] for e in audit_rows(shop.app)].count("order.refund") == 1


def test_a_repeated_refund_form_refunds_once(shop, paid):  # noqa: F811
    _, client = staff_client(shop.app, StaffRole.FINANCE)
    form = {"mode": "amount", "amount": "5.00", "reason": "补偿", "key": "adm-0123456789abcdef"}
    assert client.post(refund_url(shop, paid), data=form).status_code == 302
    assert client.post(refund_url(shop, paid), data=form).status_code == 302
    assert shop.ledger(paid).count(("refund", "succeeded", 500)) == 1
    assert shop.order_row(paid)["refunded_minor"] == 500


def test_cash_on_delivery_offers_only_what_its_gateway_declares(shop):  # noqa: F811
    order_id = shop.order(instance_id=shop.cod_id)
    shop.start(order_id)
    _, client = staff_client(shop.app, StaffRole.OWNER)
    number = number_of(shop, order_id)
    page = text(client.get(f"/admin/orders/{number}"))
    assert "void-form" in page and "refund-form" not in page and "capture-form" not in page
    assert client.post(refund_url(shop, order_id, "capture")).status_code == 422
    response = client.post(refund_url(shop, order_id, "void"), data={"reason": "客户取消"})
    assert response.status_code == 302
    assert "Void of" in text(client.get(response.headers["Location"]))
    assert shop.ledger(order_id)[-1][:2] == ("void", "succeeded")
    assert [(e[0], e[2], e[4]["reason"]) for e in audit_rows(shop.app) if e[0].startswith("order.")] == [
        ("order.void", number, "客户取消")]


def test_an_authorised_card_payment_offers_capture_and_void_and_staff_capture_it(card):  # noqa: F811
    order_id, _payment_id = authorised(card)
    _, client = staff_client(card.app, StaffRole.FINANCE)
    number = number_of(card, order_id)
    page = text(client.get(f"/admin/orders/{number}"))
    assert "capture-form" in page and "void-form" in page and "refund-form" not in page
    response = client.post(refund_url(card, order_id, "capture"))
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "Capture of CN¥88.00 succeeded." in page
    assert "capture-form" not in page and "void-form" not in page and "refund-form" in page
    assert card.ledger(order_id)[-1] == ("capture", "succeeded", 8800)
    assert [(e[0], e[2], e[4]["amount"]) for e in audit_rows(card.app)
            if e[0].startswith("order.")] == [("order.capture", number, "88.00 CNY")]


def test_a_payment_of_another_order_is_not_found(shop, paid):  # noqa: F811
    other = shop.order()
    _, client = staff_client(shop.app, StaffRole.OWNER)
    url = f"/admin/orders/{number_of(shop, other)}/payments/{payment_id(shop, paid)}/refund"
    assert client.post(url, data={"amount": "1.00", "reason": "x"}).status_code == 404
    with shop.app.app_context():
        assert db.session.execute(select(func.count()).select_from(Payment)).scalar_one() == 1
