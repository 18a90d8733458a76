"""The customers screens: search and filters, order aggregates in one query, notes, tags, disabling, audit."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select, update

from tests.admin.conftest import staff_client
from tests.admin.test_dashboard import count_statements
from tests.orders.helpers import ADDRESS, PASSWORD, make_product, make_shop, place
from tests.schema import schema_differences
from xtycore.admin.customers import CustomerFilter, find_customers
from xtycore.domain.staff import StaffRole
from xtycore.extensions import db, transaction
from xtycore.models import Customer, Order
from xtycore.models.audit import AuditEntry
from xtycore.models.customer_notes import CustomerNote, CustomerTag, NoteImmutable
from xtycore.services import accounts, addresses
from xtycore.services import orders as order_service


@pytest.fixture
def shop(xty_make_app):
    return make_shop(xty_make_app)


def register(app, email: str, **fields) -> int:
    with app.app_context():
        return accounts.register(email=email, password=PASSWORD, **fields).id


def registered_at(app, customer_id: int, moment: datetime) -> None:
    with app.app_context(), transaction() as session:
        session.execute(update(Customer).where(Customer.id == customer_id).values(created_at=moment))


def set_active(app, customer_id: int, active: bool) -> None:
    with app.app_context(), transaction() as session:
        session.execute(update(Customer).where(Customer.id == customer_id).values(is_active=active))


def order_for(shop, customer_id: int, price: str, *, paid: bool, refunded_minor: int = 0) -> Order:
    with shop.app.app_context():
        _product, variant = make_product(f"茶{price}", price=price, stock=50)
        order = place(shop, (variant, 1), customer_id=customer_id).order
        if paid:
            with transaction():
                order_service.mark_paid(order.id, order.total_minor, actor="tests")
        if refunded_minor:
            with transaction() as session:
                session.execute(update(Order).where(Order.id == order.id).values(refunded_minor=refunded_minor))
        db.session.expire_all()
        return db.session.get(Order, order.id)


def audit_actions(app, customer_id: int) -> list[AuditEntry]:
    with app.app_context():
        db.session.remove()
        rows = db.session.execute(select(AuditEntry).where(AuditEntry.object_type == "customer",
                                                           AuditEntry.object_id == str(customer_id))
                                  .order_by(AuditEntry.id)).scalars().all()
        db.session.expunge_all()
        return list(rows)


def customer_tables(app) -> dict:
    """Every row a customers screen can change, to prove a refused request changed nothing."""
    with app.app_context():
        db.session.remove()
        state = {}
        for model in (Customer, CustomerNote, CustomerTag, AuditEntry):
            rows = db.session.execute(select(model)).scalars().all()
            state[model.__tablename__] = sorted(
                repr(sorted((c.key, repr(getattr(row, c.key))) for c in model.__table__.columns)) for row in rows)
        db.session.remove()
        return state


def ids(rows) -> list[int]:
    return [row.customer.id for row in rows]


def test_search_matches_email_mobile_and_name_and_filters_by_state_and_registration_day(xty_app):
    mei = register(xty_app, "mei@example.cn", mobile="13800138001", display_name="王美丽")
    li = register(xty_app, "li.lei@example.cn", mobile="13900139002", display_name="Li Lei")
    wang = register(xty_app, "wang_50%@example.cn", display_name="老王")
    set_active(xty_app, wang, False)
    # 01:00 on 2 March in Shanghai is still 1 March in UTC
    registered_at(xty_app, mei, datetime(2026, 3, 1, 17, tzinfo=timezone.utc))
    registered_at(xty_app, li, datetime(2026, 3, 1, 15, 59, tzinfo=timezone.utc))
    registered_at(xty_app, wang, datetime(2026, 3, 5, 4, tzinfo=timezone.utc))
    with xty_app.app_context():
        assert sorted(ids(find_customers(CustomerFilter(search="MEI@"))[0])) == [mei]
        assert ids(find_customers(CustomerFilter(search="139001"))[0]) == [li]
        assert ids(find_customers(CustomerFilter(search="美丽"))[0]) == [mei]
        assert ids(find_customers(CustomerFilter(search="li lei"))[0]) == [li]
        # LIKE wildcards typed by staff are matched literally
        assert ids(find_customers(CustomerFilter(search="50%"))[0]) == [wang]
        assert ids(find_customers(CustomerFilter(search="_"))[0]) == [wang]
        assert ids(find_customers(CustomerFilter(active=False))[0]) == [wang]
        assert sorted(ids(find_customers(CustomerFilter(active=True))[0])) == sorted([mei, li])
    _id, client = staff_client(xty_app, StaffRole.SUPPORT_AGENT)
    html = client.get("/admin/customers?since=2026-03-02&until=2026-03-02").get_data(as_text=True)
    assert f'id="customer-{mei}"' in html and f'id="customer-{li}"' not in html and f'id="customer-{wang}"' not in html
    assert "1 customers" in html
    html = client.get("/admin/customers?until=2026-03-01&status=active").get_data(as_text=True)
    assert f'id="customer-{li}"' in html and f'id="customer-{mei}"' not in html
    html = client.get("/admin/customers?status=disabled&q=wang").get_data(as_text=True)
    assert f'id="customer-{wang}"' in html and f'id="customer-{mei}"' not in html
    # unreadable filters are ignored rather than failing
    assert client.get("/admin/customers?since=yesterday&status=odd&page=x").status_code == 200


def test_the_list_is_paginated_newest_accounts_first(xty_app):
    made = [register(xty_app, f"c{index:02d}@example.cn") for index in range(53)]
    with xty_app.app_context():
        first, total = find_customers(CustomerFilter())
        second, _total = find_customers(CustomerFilter(), page_number=2)
    assert total == 53 and len(first) == 50 and len(second) == 3
    assert set(ids(first)) | set(ids(second)) == set(made)
    _id, client = staff_client(xty_app, StaffRole.READ_ONLY)
    html = client.get("/admin/customers?page=2").get_data(as_text=True)
    assert html.count('id="customer-') == 3 and "page=1" in html


def test_order_count_and_spending_come_from_one_aggregate_query(shop):
    app = shop.app
    mei = register(app, "mei@example.cn")
    li = register(app, "li@example.cn")
    quiet = register(app, "quiet@example.cn")
    _id, client = staff_client(app, StaffRole.FINANCE)
    client.get("/admin/customers")
    few = count_statements(app, client, "/admin/customers")
    paid = order_for(shop, mei, "120.00", paid=True)
    order_for(shop, mei, "30.00", paid=False)
    refunded = order_for(shop, li, "80.00", paid=True, refunded_minor=2000)
    for index in range(8):
        register(app, f"more{index}@example.cn")
    with app.app_context():
        rows = {row.customer.id: row for row in find_customers(CustomerFilter())[0]}
    assert (rows[mei].order_count, rows[mei].spent_minor) == (2, paid.paid_minor)
    assert (rows[li].order_count, rows[li].spent_minor) == (1, refunded.paid_minor - 2000)
    assert (rows[quiet].order_count, rows[quiet].spent_minor) == (0, 0)
    assert paid.paid_minor == paid.total_minor > 12000
    assert count_statements(app, client, "/admin/customers") == few
    html = client.get("/admin/customers").get_data(as_text=True)
    row = html.split(f'id="customer-{mei}"')[1].split("</tr>")[0]
    assert '<td class="order-count">2</td>' in row
    assert f"{paid.paid_minor // 100:,}.{paid.paid_minor % 100:02d}" in row


def test_the_detail_shows_profile_addresses_and_orders_on_the_shops_clock(shop):
    app = shop.app
    mei = register(app, "mei@example.cn", mobile="13800138001", display_name="王美丽")
    with app.app_context(), transaction():
        addresses.add_address(mei, ADDRESS, make_default=True)
    order = order_for(shop, mei, "66.00", paid=True)
    with app.app_context(), transaction() as session:
        session.execute(update(Order).where(Order.id == order.id)
                        .values(placed_at=datetime(2026, 3, 1, 17, 5, tzinfo=timezone.utc)))
    _id, client = staff_client(app, StaffRole.ORDER_CLERK)
    html = client.get(f"/admin/customers/{mei}").get_data(as_text=True)
    assert "王美丽" in html and "13800138001" in html and ADDRESS.street in html
    assert "2026-03-02 01:05" in html and order.number in html and "paid" in html
    if "admin.order_detail" in app.view_functions:
        assert f'href="/admin/orders/{order.number}"' in html
    else:
        assert f'href="/admin/orders/{order.number}"' not in html
    # an order clerk may look, not change: no forms to change the account
    assert "/notes" not in html and "Disable the account" not in html
    assert client.get("/admin/customers/999999").status_code == 404


def test_notes_are_appended_with_who_and_when_and_audited(xty_app):
    mei = register(xty_app, "mei@example.cn")
    _id, client = staff_client(xty_app, StaffRole.SUPPORT_AGENT)
    response = client.post(f"/admin/customers/{mei}/notes", data={"body": "  来电说快递未到，已安抚。\r\n第二行  "})
    assert response.status_code == 302
    client.post(f"/admin/customers/{mei}/notes", data={"body": "Second note"})
    html = client.get(f"/admin/customers/{mei}").get_data(as_text=True)
    assert "来电说快递未到，已安抚。\n第二行" in html and "support-agent@shop.test" in html
    assert html.index("Second note") < html.index("来电说快递未到")
    before = customer_tables(xty_app)
    for body in ("   ", "x" * 2001):
        response = client.post(f"/admin/customers/{mei}/notes", data={"body": body})
        assert response.status_code == 422
        assert "Write the note first." in response.get_data(as_text=True) or \
            "at most 2000 characters" in response.get_data(as_text=True)
    assert customer_tables(xty_app) == before
    entries = audit_actions(xty_app, mei)
    assert [e.action for e in entries] == ["customer.add_note", "customer.add_note"]
    assert entries[0].before == {"id": mei, "notes": 0}
    assert entries[0].after == {"id": mei, "notes": 1, "added": {"staff_email": "support-agent@shop.test",
                                                                 "body": "来电说快递未到，已安抚。\n第二行"}}
    assert entries[0].staff_email == "support-agent@shop.test"
    with xty_app.app_context():
        note = db.session.execute(select(CustomerNote)).scalars().first()
        note.body = "rewritten"
        with pytest.raises(NoteImmutable):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.execute(select(CustomerNote)).scalars().first())
        with pytest.raises(NoteImmutable):
            db.session.flush()
        db.session.rollback()


def test_tags_are_added_once_and_removed_audited(xty_app):
    mei = register(xty_app, "mei@example.cn")
    _id, client = staff_client(xty_app, StaffRole.MANAGER)
    assert client.post(f"/admin/customers/{mei}/tags", data={"tag": "  VIP  客户 "}).status_code == 302
    assert client.post(f"/admin/customers/{mei}/tags", data={"tag": "批发"}).status_code == 302
    before = customer_tables(xty_app)
    duplicate = client.post(f"/admin/customers/{mei}/tags", data={"tag": "VIP 客户"})
    assert duplicate.status_code == 422 and "already has the tag VIP 客户" in duplicate.get_data(as_text=True)
    assert client.post(f"/admin/customers/{mei}/tags", data={"tag": ""}).status_code == 422
    assert client.post(f"/admin/customers/{mei}/tags", data={"tag": "t" * 41}).status_code == 422
    assert client.post(f"/admin/customers/{mei}/tags/remove", data={"tag": "absent"}).status_code == 422
    assert customer_tables(xty_app) == before
    assert client.post(f"/admin/customers/{mei}/tags/remove", data={"tag": "批发"}).status_code == 302
    html = client.get(f"/admin/customers/{mei}").get_data(as_text=True)
    assert '<span class="tag">VIP 客户</span>' in html and '<span class="tag">批发</span>' not in html
    entries = audit_actions(xty_app, mei)
    assert [e.action for e in entries] == ["customer.add_tag", "customer.add_tag", "customer.remove_tag"]
    assert (entries[1].before, entries[1].after) == ({"id": mei, "tags": ["VIP 客户"]},
                                                     {"id": mei, "tags": ["VIP 客户", "批发"]})
    assert entries[2].after == {"id": mei, "tags": ["VIP 客户"]}


def test_a_disabled_customer_cannot_sign_in_and_their_session_ends(xty_app):
    mei = register(xty_app, "mei@example.cn")
    shopper = xty_app.test_client()
    assert shopper.post("/account/login", data={"identifier": "mei@example.cn", "password": PASSWORD}).status_code \
        == 302
    assert shopper.get("/account/").status_code == 200
    _id, client = staff_client(xty_app, StaffRole.SUPPORT_AGENT)
    response = client.post(f"/admin/customers/{mei}/active", data={"active": "0"})
    assert response.status_code == 302
    assert "disabled" in client.get(f"/admin/customers/{mei}").get_data(as_text=True)
    assert "/account/login" in shopper.get("/account/").headers["Location"]
    stranger = xty_app.test_client()
    refused = stranger.post("/account/login", data={"identifier": "mei@example.cn", "password": PASSWORD})
    assert refused.status_code == 422
    assert client.post(f"/admin/customers/{mei}/active", data={"active": "0"}).status_code == 422
    assert client.post(f"/admin/customers/{mei}/active", data={"active": "maybe"}).status_code == 422
    assert client.post(f"/admin/customers/{mei}/active", data={"active": "1"}).status_code == 302
    assert stranger.post("/account/login", data={"identifier": "mei@example.cn", "password": PASSWORD}).status_code \
        == 302
    entries = audit_actions(xty_app, mei)
    assert [e.action for e in entries] == ["customer.disable", "customer.enable"]
    assert (entries[0].before["is_active"], entries[0].after["is_active"]) == (True, False)
    assert entries[0].after["email"] == "mei@example.cn" and "password_hash" not in entries[0].after
    assert entries[0].staff_email == "support-agent@shop.test"


@pytest.mark.parametrize("role", [StaffRole.READ_ONLY, StaffRole.ORDER_CLERK, StaffRole.FINANCE,
                                  StaffRole.CATALOGUE_EDITOR])
def test_a_refused_change_changes_nothing(xty_app, role):
    mei = register(xty_app, "mei@example.cn")
    with xty_app.app_context(), transaction() as session:
        session.add(CustomerTag(customer_id=mei, tag="VIP"))
    _id, client = staff_client(xty_app, role)
    before = customer_tables(xty_app)
    for path, form in ((f"/admin/customers/{mei}/notes", {"body": "hello"}),
                       (f"/admin/customers/{mei}/tags", {"tag": "new"}),
                       (f"/admin/customers/{mei}/tags/remove", {"tag": "VIP"}),
                       (f"/admin/customers/{mei}/active", {"active": "0"})):
        response = client.post(path, data=form)
        assert response.status_code == 403, path
    assert customer_tables(xty_app) == before
    listed = client.get("/admin/customers")
    assert listed.status_code == (403 if role is StaffRole.CATALOGUE_EDITOR else 200)


def test_the_customers_screens_speak_chinese(xty_app):
    mei = register(xty_app, "mei@example.cn")
    _id, client = staff_client(xty_app, StaffRole.OWNER)
    html = client.get("/admin/customers?lang=zh_CN").get_data(as_text=True)
    assert "客户" in html and "注册日期从" in html
    html = client.get(f"/admin/customers/{mei}?lang=zh_CN").get_data(as_text=True)
    assert "员工备注" in html and "停用账户" in html


NOTE_TABLES = {"xty_customer_note", "xty_customer_tag"}


def test_migration_0012_builds_the_note_and_tag_tables_as_the_models_declare_them(xty_db):
    assert schema_differences(NOTE_TABLES) == []


def test_0012_follows_the_order_pickup_revision(xty_app):
    from alembic.script import ScriptDirectory

    from xtycore import database

    scripts = ScriptDirectory.from_config(database.alembic_config(xty_app))
    assert scripts.get_revision("0012_customer_notes").down_revision == "0011_order_pickup"


def test_deleting_a_customer_takes_their_notes_and_tags_along(xty_app):
    mei = register(xty_app, "mei@example.cn")
    _id, client = staff_client(xty_app, StaffRole.OWNER)
    client.post(f"/admin/customers/{mei}/notes", data={"body": "note"})
    client.post(f"/admin/customers/{mei}/tags", data={"tag": "VIP"})
    with xty_app.app_context():
        with transaction() as session:
            session.execute(Customer.__table__.delete().where(Customer.id == mei))
        assert db.session.execute(select(CustomerNote)).first() is None
        assert db.session.execute(select(CustomerTag)).first() is None


def test_a_tag_added_by_someone_else_meanwhile_is_refused_not_an_error(xty_app, monkeypatch):
    from xtycore.admin import customers

    mei = register(xty_app, "mei@example.cn")
    _id, client = staff_client(xty_app, StaffRole.SUPPORT_AGENT)
    checked = customers._tags_of

    def racing(session, customer_id):
        # what the check saw before another request added the same tag
        tags = checked(session, customer_id)
        if "VIP" not in tags:
            with transaction() as other:
                other.add(CustomerTag(customer_id=customer_id, tag="VIP"))
        return tags

    monkeypatch.setattr(customers, "_tags_of", racing)
    response = client.post(f"/admin/customers/{mei}/tags", data={"tag": "VIP"})
    assert response.status_code == 422 and "already has the tag VIP" in response.get_data(as_text=True)
    monkeypatch.setattr(customers, "_tags_of", checked)
    assert audit_actions(xty_app, mei) == []
    with xty_app.app_context():
        assert db.session.execute(select(CustomerTag.tag)).scalars().all() == ["VIP"]
