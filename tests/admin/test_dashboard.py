"""The dashboard: today's sales on the shop's clock, what waits, in a fixed number of statements."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import event, update

from tests.admin.conftest import staff_client
from tests.orders.helpers import make_product, make_shop, place
from xtycore.admin.dashboard import figures, shop_day
from xtycore.domain.staff import StaffRole
from xtycore.extensions import db, transaction
from xtycore.models import Order, Payment, PluginFailure, Variant
from xtycore.services import orders as order_service
from xtycore.services import payments

#: 10:00 on 2 March in Shanghai
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def shop(xty_make_app):
    return make_shop(xty_make_app)


def place_orders(shop, count: int, *, price: str = "99.00") -> list[int]:
    _product, variant = make_product(f"龙井{price}", price=price, stock=100)
    return [place(shop, (variant, 1)).order.id for _ in range(count)]


def placed_at(order_ids: list[int], moment: datetime) -> None:
    with transaction() as session:
        session.execute(update(Order).where(Order.id.in_(order_ids)).values(placed_at=moment))


def test_the_shop_day_runs_from_midnight_to_midnight_in_the_shop_time_zone(xty_app):
    with xty_app.app_context():
        assert shop_day(NOW) == (datetime(2026, 3, 1, 16, tzinfo=timezone.utc),
                                 datetime(2026, 3, 2, 16, tzinfo=timezone.utc))
        xty_app.config["SHOP_TIMEZONE"] = "UTC"
        assert shop_day(NOW)[0] == datetime(2026, 3, 2, tzinfo=timezone.utc)


def test_todays_figures_count_the_shops_day_and_only_paid_orders_as_sales(shop):
    with shop.app.app_context():
        paid = place_orders(shop, 2)
        unpaid = place_orders(shop, 1, price="50.00")
        yesterday = place_orders(shop, 1, price="20.00")
        for order_id in paid:
            order = db.session.get(Order, order_id)
            order_service.mark_paid(order_id, order.total_minor, actor="tests")
        # 01:00 in Shanghai on 2 March is still 1 March in UTC
        placed_at(paid + unpaid, datetime(2026, 3, 1, 17, tzinfo=timezone.utc))
        placed_at(yesterday, datetime(2026, 3, 1, 15, 59, tzinfo=timezone.utc))
        totals = sum(db.session.get(Order, i).total_minor for i in paid)
        result = figures(NOW)
    assert (result.orders_today, result.sales_today_minor, result.to_ship) == (3, totals, 2)


def test_low_stock_review_queue_and_payments_needing_attention_are_counted(shop):
    with shop.app.app_context():
        _p, low = make_product("盖碗", stock=2)
        make_product("茶盘", stock=50)
        [order_id] = place_orders(shop, 1)
        payments.start_payment(order_id, "http://shop.test/done")
        with transaction() as session:
            session.execute(update(Payment).where(Payment.order_id == order_id)
                            .values(attention="money arrived twice: refund one"))
        result = figures(NOW)
        assert (result.low_stock, result.review_queue, result.payments_attention) == (1, 0, 1)
        assert db.session.get(Variant, low).stock == 2


def statements_of(app, read) -> int:
    """How many SQL statements ``read()`` (a whole page or download, body included) costs."""
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        read()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(statements)


def count_statements(app, client, path: str) -> int:
    """How many SQL statements a GET of ``path`` costs (it must answer 200)."""
    def read():
        assert client.get(path).status_code == 200

    return statements_of(app, read)


def test_the_dashboard_costs_the_same_statements_whatever_the_shop_holds(shop):
    app = shop.app
    _id, client = staff_client(app, StaffRole.OWNER)
    client.get("/admin/")
    empty = count_statements(app, client, "/admin/")
    with app.app_context():
        for index in range(6):
            _p, variant = make_product(f"小批量{index}", stock=1)
        order_ids = place_orders(shop, 5)
        for order_id in order_ids:
            payments.start_payment(order_id, "http://shop.test/done")
        with transaction() as session:
            session.execute(update(Payment).where(Payment.order_id.in_(order_ids)).values(attention="check"))
            session.add_all(PluginFailure(plugin="bank", call="x", policy="open", error_type="E", message="m")
                            for _ in range(6))
    busy = count_statements(app, client, "/admin/")
    assert busy == empty
    assert busy <= 8
    html = client.get("/admin/").get_data(as_text=True)
    assert 'id="payments-attention">5<' in html and 'id="low-stock">6<' in html and 'id="orders-today">5<' in html


def test_a_role_sees_only_the_panels_its_permissions_cover(shop):
    _id, client = staff_client(shop.app, StaffRole.CATALOGUE_EDITOR)
    html = client.get("/admin/").get_data(as_text=True)
    assert 'id="low-stock"' in html and 'id="sales-today"' not in html and "Recent plugin failures" not in html
    assert "Support channels" not in html
