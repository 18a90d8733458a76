"""The ticket inbox in the back office: the list, a ticket's thread, and every staff action, audited."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select, update

from tests.admin.conftest import PASSWORD, db_state, staff_client
from tests.admin.test_dashboard import count_statements
from tests.support.conftest import attachment, message
from xtycore.admin.tickets import PAGE_SIZE
from xtycore.domain.staff import StaffRole
from xtycore.extensions import db, transaction
from xtycore.models import Order, SupportTicket
from xtycore.models.audit import AuditEntry
from xtycore.models.kernel import utcnow
from xtycore.services import accounts


@pytest.fixture
def agent(desk):
    """(staff id, signed-in client) of a support agent."""
    return staff_client(desk.app, StaffRole.SUPPORT_AGENT)


def open_ticket(desk, id: str = "M-1", **fields) -> str:
    """Push one message that opens a ticket; its reference."""
    before = {t.reference for t in desk.tickets()}
    assert desk.push(message(id, **fields)).status_code == 200
    [reference] = {t.reference for t in desk.tickets()} - before
    return reference


def ticket_row(desk, reference: str) -> SupportTicket:
    return next(t for t in desk.tickets() if t.reference == reference)


def audit_of(desk, reference: str) -> list[AuditEntry]:
    with desk.app.app_context():
        db.session.remove()
        rows = db.session.execute(select(AuditEntry).where(AuditEntry.object_type == "ticket",
                                                           AuditEntry.object_id == reference)
                                  .order_by(AuditEntry.id)).scalars().all()
        db.session.expunge_all()
        return list(rows)


def order_of(desk, number: str, customer_id: int | None) -> None:
    with desk.app.app_context(), transaction() as session:
        session.add(Order(
            number=number, customer_id=customer_id, status="paid", currency="CNY", subtotal_minor=5000,
            total_minor=5000, paid_minor=5000, ship_recipient="王美丽", ship_mobile="13800138000",
            ship_province="浙江省", ship_city="杭州市", ship_district="西湖区", ship_street="龙井路 1 号",
            courier_quote_code="standard", courier_label="快递", checkout_token=f"token-{number}",
        ))


def register(desk, email="mei@example.cn") -> int:
    with desk.app.app_context():
        return accounts.register(email=email, password=PASSWORD).id


# --------------------------------------------------------------------------
# the list
# --------------------------------------------------------------------------


def test_the_list_shows_newest_activity_first_and_filters_by_status_assignee_and_channel(desk, agent):
    agent_id, client = agent
    first = open_ticket(desk, "M-1", body="退货怎么办理")
    second = open_ticket(desk, "M-2", sender="lei@example.cn", body="发票抬头写错了")
    desk.push(message("M-3", sender="wx-openid-9"), instance_id=desk.files_id)
    third = desk.tickets()[-1].reference
    with desk.app.app_context(), transaction() as session:
        session.execute(update(SupportTicket).where(SupportTicket.reference == first)
                        .values(updated_at=utcnow() + timedelta(minutes=5), assignee_id=agent_id))
        session.execute(update(SupportTicket).where(SupportTicket.reference == second).values(status="solved"))

    def listed(query: str = "") -> list[str]:
        html = client.get(f"/admin/tickets{query}").get_data(as_text=True)
        return re.findall(r'<tr id="ticket-(TK[0-9A-Z-]+)">', html)

    assert listed() == [first, third, second]
    assert listed("?status=solved") == [second]
    assert listed("?status=open") == [first, third]
    assert listed("?assigned=me") == [first]
    assert listed("?assigned=none") == [third, second]
    assert listed(f"?channel={desk.files_id}") == [third]
    assert listed("?q=LEI@") == [second] and listed("?q=发票") == [second] and listed(f"?q={first.lower()}") == [first]
    assert listed("?q=%25") == []  # typed text is matched literally
    html = client.get("/admin/tickets").get_data(as_text=True)
    assert "退货怎么办理" in html and "客服邮箱" in html and "附件邮箱" in html
    assert 'class="status-solved">Solved<' in html and 'class="status-open">Open<' in html


def test_the_list_costs_the_same_statements_whatever_it_shows_and_pages_at_fifty(desk, agent):
    _id, client = agent
    open_ticket(desk, "M-0")
    client.get("/admin/tickets")
    few = count_statements(desk.app, client, "/admin/tickets")
    desk.push(*(message(f"M-{n}", sender=f"buyer{n}@example.cn") for n in range(1, PAGE_SIZE + 5)))
    with desk.app.app_context(), transaction() as session:
        session.execute(update(SupportTicket).values(assignee_id=_id))
    assert count_statements(desk.app, client, "/admin/tickets") == few
    html = client.get("/admin/tickets").get_data(as_text=True)
    assert html.count('<tr id="ticket-') == PAGE_SIZE and "Older" in html
    assert client.get("/admin/tickets?page=2").get_data(as_text=True).count('<tr id="ticket-') == 5


def test_the_menu_lists_the_inbox_after_customers_for_who_may_see_it(desk, agent):
    _id, client = agent
    html = client.get("/admin/").get_data(as_text=True)
    assert html.index(">Customers<") < html.index(">Support tickets<") < html.index(">Import and export<")
    _id, editor = staff_client(desk.app, StaffRole.CATALOGUE_EDITOR)
    assert "/admin/tickets" not in editor.get("/admin/").get_data(as_text=True)


# --------------------------------------------------------------------------
# one ticket
# --------------------------------------------------------------------------


def test_the_page_shows_the_thread_in_order_with_notes_marked_internal_and_links(desk, agent):
    mei = register(desk)
    order_of(desk, "20261126-MEI00001", mei)
    reference = open_ticket(desk)
    _id, client = agent
    client.post(f"/admin/tickets/{reference}/order", data={"order_number": "20261126-mei00001"})
    client.post(f"/admin/tickets/{reference}/notes", data={"body": "老客户，优先处理"})
    client.post(f"/admin/tickets/{reference}/reply", data={"body": "您好，已经发货。"})
    desk.push(message("M-2", body="收到了，谢谢", ticket=reference))
    html = client.get(f"/admin/tickets/{reference}").get_data(as_text=True)
    bodies = re.findall(r'<pre class="message-body">([^<]*)</pre>', html)
    assert bodies == ["我的订单什么时候发货？", "老客户，优先处理", "您好，已经发货。", "收到了，谢谢"]
    assert "Internal note, not sent to the customer" in html and "Delivered " in html
    assert f'href="/admin/customers/{mei}"' in html and 'href="/admin/orders/20261126-MEI00001"' in html
    assert 'data-status="open"' in html


def test_a_reply_through_the_page_is_delivered_audited_and_the_ticket_waits(desk, agent):
    reference = open_ticket(desk)
    _id, client = agent
    response = client.post(f"/admin/tickets/{reference}/reply", data={"body": "已经发货了"})
    assert response.status_code == 302 and f"/admin/tickets/{reference}#message-" in response.headers["Location"]
    assert [letter["ticket"] for letter in desk.letters()] == [reference]
    assert ticket_row(desk, reference).status == "waiting"
    [entry] = audit_of(desk, reference)
    assert (entry.action, entry.staff_email, entry.before["status"], entry.after["status"]) == \
        ("ticket.reply", "support-agent@shop.test", "open", "waiting")
    assert entry.after["added"]["body"] == "已经发货了" and entry.after["added"]["direction"] == "outbound"
    assert "Reply sent." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_failed_reply_is_shown_with_its_reason_and_sent_again_from_the_page(desk, agent):
    reference = open_ticket(desk)
    _id, client = agent
    shutil.rmtree(desk.outbox)
    response = client.post(f"/admin/tickets/{reference}/reply", data={"body": "已经发货了"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "the channel did not deliver it: cannot write to the outbox" in html
    assert "Not delivered: cannot write to the outbox" in html and "Send again" in html
    failed = desk.messages(reference)[-1]
    desk.outbox.mkdir()
    response = client.post(f"/admin/tickets/{reference}/messages/{failed.id}/retry")
    assert response.status_code == 302 and desk.messages(reference)[-1].delivery == "delivered"
    assert [e.action for e in audit_of(desk, reference)] == ["ticket.reply", "ticket.retry"]
    again = client.post(f"/admin/tickets/{reference}/messages/{failed.id}/retry")
    assert again.status_code == 422 and "Only a reply whose delivery failed" in again.get_data(as_text=True)
    assert len(desk.letters()) == 1


def test_a_note_is_never_sent_and_is_audited(desk, agent):
    reference = open_ticket(desk)
    _id, client = agent
    assert client.post(f"/admin/tickets/{reference}/notes", data={"body": "内部备注"}).status_code == 302
    assert desk.letters() == [] and ticket_row(desk, reference).status == "open"
    [entry] = audit_of(desk, reference)
    assert entry.action == "ticket.add_note" and entry.after["added"] == {
        "id": desk.messages(reference)[-1].id, "direction": "note", "body": "内部备注", "delivery": None}


def test_assigning_to_self_to_another_replier_and_to_nobody(desk, agent):
    reference = open_ticket(desk)
    agent_id, client = agent
    clerk_id, _clerk = staff_client(desk.app, StaffRole.ORDER_CLERK)
    assert client.post(f"/admin/tickets/{reference}/assign", data={"staff_id": str(agent_id)}).status_code == 302
    assert ticket_row(desk, reference).assignee_id == agent_id
    assert client.post(f"/admin/tickets/{reference}/assign", data={"staff_id": str(clerk_id)}).status_code == 302
    assert client.post(f"/admin/tickets/{reference}/assign", data={"staff_id": ""}).status_code == 302
    entries = audit_of(desk, reference)
    assert [(e.before["assignee"], e.after["assignee"]) for e in entries] == [
        (None, "support-agent@shop.test"), ("support-agent@shop.test", "order-clerk@shop.test"),
        ("order-clerk@shop.test", None)]


@pytest.mark.parametrize("role_or_value", [StaffRole.FINANCE, StaffRole.READ_ONLY, "999999", "someone", "same"])
def test_a_ticket_goes_only_to_an_active_replier_and_a_refusal_changes_nothing(desk, agent, role_or_value):
    reference = open_ticket(desk)
    agent_id, client = agent
    value = role_or_value
    if isinstance(role_or_value, StaffRole):
        value = str(staff_client(desk.app, role_or_value)[0])
    elif role_or_value == "same":
        client.post(f"/admin/tickets/{reference}/assign", data={"staff_id": str(agent_id)})
        value = str(agent_id)
    before = db_state(desk.app)
    response = client.post(f"/admin/tickets/{reference}/assign", data={"staff_id": value})
    assert response.status_code == 422 and 'role="alert"' in response.get_data(as_text=True)
    assert db_state(desk.app) == before


def test_solving_and_reopening_follow_the_state_machine(desk, agent):
    reference = open_ticket(desk)
    _id, client = agent
    assert client.post(f"/admin/tickets/{reference}/solve").status_code == 302
    assert ticket_row(desk, reference).status == "solved"
    before = db_state(desk.app)
    refused = client.post(f"/admin/tickets/{reference}/solve")
    assert refused.status_code == 422
    assert "not possible in the ticket's current state (ticket: cannot solve when solved" in \
        unescape(refused.get_data(as_text=True))
    assert db_state(desk.app) == before
    assert client.post(f"/admin/tickets/{reference}/reopen").status_code == 302
    assert ticket_row(desk, reference).status == "open"
    assert client.post(f"/admin/tickets/{reference}/reopen").status_code == 422
    assert [(e.action, e.before["status"], e.after["status"]) for e in audit_of(desk, reference)] == [
        ("ticket.solve", "open", "solved"), ("ticket.reopen", "solved", "open")]


def test_only_an_order_of_the_tickets_customer_can_be_linked(desk, agent):
    mei, lei = register(desk), register(desk, "lei@example.cn")
    order_of(desk, "20261126-MEI00001", mei)
    order_of(desk, "20261126-LEI00001", lei)
    reference = open_ticket(desk)
    _id, client = agent
    before = db_state(desk.app)
    for number, problem in (("20261126-LEI00001", "is not this customer's"), ("NOPE", "There is no order NOPE"),
                            ("  ", "Enter the order number.")):
        response = client.post(f"/admin/tickets/{reference}/order", data={"order_number": number})
        assert response.status_code == 422 and problem in unescape(response.get_data(as_text=True)), number
    assert db_state(desk.app) == before
    assert client.post(f"/admin/tickets/{reference}/order", data={"order_number": "20261126-MEI00001"}).status_code \
        == 302
    [entry] = audit_of(desk, reference)
    assert (entry.action, entry.before["order"], entry.after["order"]) == \
        ("ticket.link_order", None, "20261126-MEI00001")
    guest = open_ticket(desk, "M-2", sender="guest@example.cn")
    assert client.post(f"/admin/tickets/{guest}/order", data={"order_number": "20261126-LEI00001"}).status_code == 302


@pytest.mark.parametrize("body", ["", " \r\n ", "长" * 10_001])
def test_an_empty_or_too_long_reply_or_note_answers_422_and_changes_nothing(desk, agent, body):
    reference = open_ticket(desk)
    _id, client = agent
    before = db_state(desk.app)
    for path in ("reply", "notes"):
        response = client.post(f"/admin/tickets/{reference}/{path}", data={"body": body})
        assert response.status_code == 422, path
    assert db_state(desk.app) == before and desk.letters() == []


def test_an_unknown_ticket_or_message_is_404(desk, agent):
    reference = open_ticket(desk)
    _id, client = agent
    assert client.get("/admin/tickets/TK20200101-NOSUCH").status_code == 404
    assert client.post("/admin/tickets/TK20200101-NOSUCH/reply", data={"body": "x"}).status_code == 404
    inbound = desk.messages(reference)[0].id
    assert client.post(f"/admin/tickets/{reference}/messages/{inbound}/retry").status_code == 404


# --------------------------------------------------------------------------
# attachments and permissions
# --------------------------------------------------------------------------


def download(client, url: str):
    """GET a streamed file and close it: (status, body, headers)."""
    with client.get(url) as response:
        return response.status_code, response.get_data(), response.headers


def test_attachments_are_downloads_for_staff_who_may_see_tickets_only(desk, agent):
    desk.push(message("M-1", attachments=[attachment("发票.pdf", b"%PDF-1.4", "application/pdf"),
                                          attachment("big.bin", b"x")]), instance_id=desk.files_id)
    reference = desk.tickets()[0].reference
    invoice, _big = desk.attachments()
    url = f"/admin/tickets/{reference}/attachments/{invoice.id}"
    _id, client = agent
    assert url in client.get(f"/admin/tickets/{reference}").get_data(as_text=True)
    status, body, headers = download(client, url)
    assert status == 200 and body == b"%PDF-1.4"
    assert headers["Content-Type"] == "application/octet-stream" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E5%8F%91%E7%A5%A8.pdf" in headers["Content-Disposition"]
    other = open_ticket(desk, "M-9")
    assert download(client, f"/admin/tickets/{other}/attachments/{invoice.id}")[0] == 404
    _id, read_only = staff_client(desk.app, StaffRole.READ_ONLY)
    assert download(read_only, url)[0] == 200
    for role in (StaffRole.FINANCE, StaffRole.CATALOGUE_EDITOR):
        _id, refused = staff_client(desk.app, role)
        status, body, _headers = download(refused, url)
        assert status == 403 and b"%PDF" not in body


@pytest.mark.parametrize("role", [StaffRole.FINANCE, StaffRole.READ_ONLY])
def test_a_role_without_support_reply_is_refused_and_nothing_changes(desk, role):
    reference = open_ticket(desk)
    _id, client = staff_client(desk.app, role)
    before = db_state(desk.app)
    for path, form in (("reply", {"body": "hi"}), ("notes", {"body": "hi"}), ("assign", {"staff_id": str(_id)}),
                       ("solve", {}), ("order", {"order_number": "X"})):
        assert client.post(f"/admin/tickets/{reference}/{path}", data=form).status_code == 403, path
    assert db_state(desk.app) == before and desk.letters() == []
    page = client.get(f"/admin/tickets/{reference}")
    assert page.status_code == (200 if role is StaffRole.READ_ONLY else 403)
    if role is StaffRole.READ_ONLY:
        assert "reply-form" not in page.get_data(as_text=True) and "我的订单什么时候发货？" in page.get_data(as_text=True)


# --------------------------------------------------------------------------
# dashboard and languages
# --------------------------------------------------------------------------


def test_the_dashboard_counts_the_tickets_waiting_and_the_oldest_ones_wait(desk, agent):
    first = open_ticket(desk, "M-1")
    open_ticket(desk, "M-2")
    solved = open_ticket(desk, "M-3")
    with desk.app.app_context(), transaction() as session:
        session.execute(update(SupportTicket).where(SupportTicket.reference == first)
                        .values(last_inbound_at=utcnow() - timedelta(hours=3, minutes=5)))
        session.execute(update(SupportTicket).where(SupportTicket.reference == solved).values(status="solved"))
    _id, client = agent
    html = client.get("/admin/").get_data(as_text=True)
    assert 'id="tickets-waiting">2<' in html and "the oldest has waited 3 hours" in html
    assert "No support channel is configured" not in html


def test_without_a_support_channel_the_dashboard_says_so_and_links_owners_to_configure_one(xty_app):
    _id, owner = staff_client(xty_app, StaffRole.OWNER)
    html = owner.get("/admin/").get_data(as_text=True)
    assert 'id="tickets-waiting">0<' in html and "No support channel is configured" in html
    assert 'href="/admin/capabilities">Configure a support channel' in html
    _id, agent = staff_client(xty_app, StaffRole.SUPPORT_AGENT)
    html = agent.get("/admin/").get_data(as_text=True)
    assert "No support channel is configured" in html and "Configure a support channel" not in html


def test_the_inbox_speaks_chinese(desk, agent):
    reference = open_ticket(desk)
    _id, client = agent
    html = client.get("/admin/tickets?lang=zh_CN").get_data(as_text=True)
    assert "客服工单" in html and "待处理" in html
    html = client.get(f"/admin/tickets/{reference}?lang=zh_CN").get_data(as_text=True)
    assert "回复客户" in html and "内部备注" in html and "标记为已解决" in html


def test_a_tickets_page_costs_the_same_statements_however_long_its_conversation(desk, agent):
    _id, client = agent
    desk.push(message("M-1", attachments=[attachment("a.txt", b"a")]), instance_id=desk.files_id)
    reference = desk.tickets()[0].reference
    client.get(f"/admin/tickets/{reference}")
    short = count_statements(desk.app, client, f"/admin/tickets/{reference}")
    desk.push(*(message(f"M-{n}", ticket=reference, attachments=[attachment(f"{n}.txt", b"x")])
                for n in range(2, 12)), instance_id=desk.files_id)
    for n in range(3):
        client.post(f"/admin/tickets/{reference}/notes", data={"body": f"备注 {n}"})
    assert len(desk.messages(reference)) == 14
    assert count_statements(desk.app, client, f"/admin/tickets/{reference}") == short
