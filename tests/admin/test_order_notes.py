"""Staff notes on an order: added by who holds orders.note, shown in the timeline, never changed or deleted.

The database refuses deleting a note while its order exists, so these tests
empty the tables with the orders before their notes (the notes go with them).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from tests.admin.conftest import db_state, staff_client
from tests.admin.test_orders_screen import audit_rows, number_of, paid, text  # noqa: F401  (fixture)
from tests.payments.conftest import shop  # noqa: F401  (fixture)
from tests.payments.test_refunds import teas  # noqa: F401  (fixture: two variants in stock)
from xtycore.domain.staff import StaffRole
from xtycore.extensions import db, transaction
from xtycore.models import Order, OrderEvent, OrderNote, Staff
from xtycore.models.order_notes import NOTE_MAX_LENGTH, NoteImmutable


def notes_of(app, order_id: int) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(select(OrderNote).where(OrderNote.order_id == order_id)
                                  .order_by(OrderNote.id)).scalars().all()
        return [(n.staff_id, n.staff_email, n.body) for n in rows]


def add_note(client, number: str, body: str):
    return client.post(f"/admin/orders/{number}/notes", data={"body": body})


def test_a_clerk_adds_a_note_that_the_timeline_shows_between_the_events_before_and_after_it(shop, paid):  # noqa: F811
    clerk_id, client = staff_client(shop.app, StaffRole.ORDER_CLERK)
    number = number_of(shop, paid)
    body = "客户来电：请周末送货\n<script>alert(1)</script>"

    response = add_note(client, number, body + "\r\n")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/orders/{number}#timeline")
    assert notes_of(shop.app, paid) == [(clerk_id, "order-clerk@shop.test", body)]
    action, object_type, object_id, email, after = audit_rows(shop.app)[-1]
    assert (action, object_type, object_id, email) == ("order.add_note", "order", number, "order-clerk@shop.test")
    assert after == {"notes": 1, "added": {"staff_email": "order-clerk@shop.test", "body": body}}

    # shipping afterwards puts an event after the note
    assert client.post(f"/admin/orders/{number}/ship", data={
        "courier": "other", "courier_other": "顺丰速运", "waybill_number": "SF1234567890"}).status_code == 302
    page = text(client.get(f"/admin/orders/{number}"))
    assert "Note added." in page
    assert "客户来电：请周末送货\n&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    timeline = page[page.index('id="timeline"'):]
    paid_at, note_at, shipped_at = (timeline.index(marker) for marker in ("→ paid", "Staff note", "→ shipped"))
    assert paid_at < note_at < shipped_at


def test_notes_and_events_of_the_same_order_are_shown_in_time_order(shop, paid):  # noqa: F811
    _, client = staff_client(shop.app, StaffRole.SUPPORT_AGENT)
    number = number_of(shop, paid)
    assert add_note(client, number, "第一条").status_code == 302
    with shop.app.app_context(), transaction() as session:
        note_at = session.execute(select(OrderNote.created_at)).scalar_one()
        # an event that happened before the note, though written after it
        session.add(OrderEvent(order_id=paid, from_status="paid", to_status="paid", event="remark",
                               actor="system", at=note_at - timedelta(seconds=1)))
        session.add(OrderEvent(order_id=paid, from_status="paid", to_status="paid", event="late",
                               actor="system", at=note_at + timedelta(hours=1)))
    timeline = text(client.get(f"/admin/orders/{number}"))
    timeline = timeline[timeline.index('id="timeline"'):]
    assert timeline.index("remark:") < timeline.index("第一条") < timeline.index("late:")


@pytest.mark.parametrize("role", [StaffRole.SUPPORT_AGENT, StaffRole.FINANCE, StaffRole.MANAGER, StaffRole.OWNER])
def test_support_finance_managers_and_owners_add_notes_too(shop, paid, role):  # noqa: F811
    staff_id, client = staff_client(shop.app, role)
    assert 'name="body"' in text(client.get(f"/admin/orders/{number_of(shop, paid)}"))
    assert add_note(client, number_of(shop, paid), "已核对").status_code == 302
    assert [note[0] for note in notes_of(shop.app, paid)] == [staff_id]


@pytest.mark.parametrize("role", [StaffRole.READ_ONLY, StaffRole.CATALOGUE_EDITOR])
def test_staff_without_orders_note_are_refused_and_nothing_is_written(shop, paid, role):  # noqa: F811
    _, client = staff_client(shop.app, role)
    number = number_of(shop, paid)
    if role is StaffRole.READ_ONLY:  # sees the order and its notes, but no form to add one
        assert 'name="body"' not in text(client.get(f"/admin/orders/{number}"))
    before = db_state(shop.app)
    response = add_note(client, number, "不该写入")
    assert response.status_code == 403 and "Nothing was changed" in text(response)
    assert db_state(shop.app) == before and notes_of(shop.app, paid) == []


@pytest.mark.parametrize("body, message", [
    ("", "Write the note first."),
    ("  \r\n\t ", "Write the note first."),
    ("长" * (NOTE_MAX_LENGTH + 1), f"A note holds at most {NOTE_MAX_LENGTH} characters."),
])
def test_an_empty_or_too_long_note_is_refused_with_the_reason_and_nothing_is_written(shop, paid, body, message):  # noqa: F811,E501
    _, client = staff_client(shop.app, StaffRole.ORDER_CLERK)
    before = db_state(shop.app)
    response = add_note(client, number_of(shop, paid), body)
    assert response.status_code == 422
    page = text(response)
    assert f'<p class="form-error" role="alert">{message}</p>' in page
    if body.strip():
        assert body in page  # what was typed is shown again
    assert db_state(shop.app) == before and notes_of(shop.app, paid) == []


def test_a_note_of_exactly_the_longest_length_is_kept_whole(shop, paid):  # noqa: F811
    _, client = staff_client(shop.app, StaffRole.ORDER_CLERK)
    body = "长" * NOTE_MAX_LENGTH
    assert add_note(client, number_of(shop, paid), body).status_code == 302
    assert notes_of(shop.app, paid)[0][2] == body


def test_a_note_on_an_order_that_does_not_exist_is_not_found_and_nothing_is_written(shop):  # noqa: F811
    _, client = staff_client(shop.app, StaffRole.ORDER_CLERK)
    before = db_state(shop.app)
    assert add_note(client, "T000000000000", "无此订单").status_code == 404
    assert db_state(shop.app) == before


def test_the_timeline_speaks_chinese(shop, paid):  # noqa: F811
    _, client = staff_client(shop.app, StaffRole.ORDER_CLERK)
    number = number_of(shop, paid)
    add_note(client, number, "已电话确认")
    page = text(client.get(f"/admin/orders/{number}?lang=zh_CN"))
    assert "员工备注" in page and "添加备注（添加后不能修改）" in page and "打印装箱单" in page
    response = add_note(client, number, "")
    assert response.status_code == 422 and "请先填写备注内容。" in text(response)


# --------------------------------------------------------------------------
# immutability
# --------------------------------------------------------------------------


def _a_note(shop, order_id: int) -> int:  # noqa: F811
    with shop.app.app_context(), transaction() as session:
        note = OrderNote(order_id=order_id, staff_email="someone@shop.test", body="原文")
        session.add(note)
        session.flush()
        return note.id


def test_the_orm_refuses_to_change_or_delete_a_note(shop, paid):  # noqa: F811
    note_id = _a_note(shop, paid)
    with shop.app.app_context():
        with pytest.raises(NoteImmutable), transaction() as session:
            session.get(OrderNote, note_id).body = "改写"
        with pytest.raises(NoteImmutable), transaction() as session:
            session.delete(session.get(OrderNote, note_id))
    assert notes_of(shop.app, paid) == [(None, "someone@shop.test", "原文")]


@pytest.mark.parametrize("statement", [
    update(OrderNote).values(body="改写"),
    update(OrderNote).values(staff_email="other@shop.test"),
    update(OrderNote).values(created_at=datetime(2020, 1, 1, tzinfo=timezone.utc)),
    delete(OrderNote),
], ids=["body", "author", "time", "delete"])
def test_the_database_refuses_to_change_or_delete_a_note(shop, paid, statement):  # noqa: F811
    _a_note(shop, paid)
    with shop.app.app_context():
        with pytest.raises(DBAPIError, match="order notes cannot be"), db.engine.begin() as conn:
            conn.execute(statement)
    assert notes_of(shop.app, paid) == [(None, "someone@shop.test", "原文")]


def test_a_deleted_authors_id_is_forgotten_and_the_notes_go_only_with_their_order(shop, make_staff):  # noqa: F811
    order_id = shop.order()
    staff_id = make_staff(StaffRole.ORDER_CLERK, "leaver@shop.test")
    with shop.app.app_context(), transaction() as session:
        session.add(OrderNote(order_id=order_id, staff_id=staff_id, staff_email="leaver@shop.test", body="交接"))
    with shop.app.app_context(), db.engine.begin() as conn:
        conn.execute(delete(Staff.__table__).where(Staff.__table__.c.id == staff_id))
    assert notes_of(shop.app, order_id) == [(None, "leaver@shop.test", "交接")]
    with shop.app.app_context(), db.engine.begin() as conn:
        conn.execute(delete(Order.__table__).where(Order.__table__.c.id == order_id))
    assert notes_of(shop.app, order_id) == []
