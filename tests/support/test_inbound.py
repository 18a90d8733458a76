"""Customers' messages come in through a support channel's signed push: stored once, on the right ticket."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import update

from tests.admin.conftest import PASSWORD
from tests.support.conftest import RECEIVED, make_desk, message
from xtycore import signals
from xtycore.extensions import transaction
from xtycore.models import CapabilityInstance, SupportTicket
from xtycore.models.support import BODY_MAX_LENGTH
from xtycore.services import accounts, capabilities
from xtycore.services.plugins import set_enabled


@pytest.fixture
def heard(desk):
    """Every support signal sent while the test runs: (signal name, ticket reference, message id or None)."""
    sent = []

    def listen(name):
        def receiver(sender, ticket, message=None, **kwargs):
            sent.append((name, ticket.reference, message.id if message is not None else None))
        return receiver

    receivers = {sig: listen(sig.name) for sig in (signals.ticket_opened, signals.ticket_message_received)}
    for sig, receiver in receivers.items():
        sig.connect(receiver)
    yield sent
    for sig, receiver in receivers.items():
        sig.disconnect(receiver)


def register(app, email="mei@example.cn", mobile=None) -> int:
    with app.app_context():
        return accounts.register(email=email, password=PASSWORD, mobile=mobile).id


def test_a_push_opens_a_ticket_for_the_customer_whose_email_wrote(desk, heard):
    mei = register(desk.app)
    response = desk.push(message("M-1", body="\n  我的订单什么时候发货？\n订单号 20261126-ABCD", sender="Mei@Example.cn"))
    assert response.status_code == 200 and response.json == {"stored": 1, "duplicates": 0}
    [ticket] = desk.tickets()
    assert re.fullmatch(r"TK20261127-[0-9A-HJKMNP-TV-Z]{6}", ticket.reference)
    assert (ticket.status, ticket.contact, ticket.customer_id, ticket.channel_instance_id) == \
        ("open", "Mei@Example.cn", mei, desk.instance_id)
    assert ticket.subject == "我的订单什么时候发货？" and ticket.last_inbound_at is not None
    [received] = desk.messages()
    assert (received.direction, received.author, received.channel_message_id, received.delivery) == \
        ("inbound", "Mei@Example.cn", "M-1", None)
    assert received.received_at.replace(tzinfo=RECEIVED.tzinfo) == RECEIVED
    assert heard == [("ticket-opened", ticket.reference, None), ("ticket-message-received", ticket.reference,
                                                                 received.id)]


def test_a_mobile_number_in_any_common_spelling_finds_its_customer(desk):
    mei = register(desk.app, mobile="13800138000")
    desk.push(message("M-1", sender="+86 138-0013-8000"), message("M-2", sender="openid-o6_bmjrPTlm6"))
    first, second = desk.tickets()
    assert (first.customer_id, second.customer_id) == (mei, None)


def test_the_same_push_again_stores_nothing_and_signals_nothing(desk, heard):
    push = (message("M-1"), message("M-2", sender="lei@example.cn"))
    assert desk.push(*push).json == {"stored": 2, "duplicates": 0}
    before = (desk.tickets(), desk.messages(), list(heard))
    response = desk.push(*push)
    assert response.status_code == 200 and response.json == {"stored": 0, "duplicates": 2}
    assert [t.reference for t in desk.tickets()] == [t.reference for t in before[0]]
    assert [m.id for m in desk.messages()] == [m.id for m in before[1]]
    assert heard == before[2]


def test_a_message_naming_a_ticket_of_its_channel_is_appended_and_reopens_it(desk, heard):
    desk.push(message("M-1"))
    [ticket] = desk.tickets()
    with desk.app.app_context(), transaction() as session:
        session.execute(update(SupportTicket).values(status="solved"))
    response = desk.push(message("M-2", body="还是没收到", ticket=ticket.reference.lower()))
    assert response.json == {"stored": 1, "duplicates": 0}
    [again] = desk.tickets()
    assert again.id == ticket.id and again.status == "open"
    assert [m.body for m in desk.messages(ticket.reference)] == ["我的订单什么时候发货？", "还是没收到"]
    assert [name for name, *_ in heard] == ["ticket-opened", "ticket-message-received", "ticket-message-received"]


def test_a_reference_of_another_channels_ticket_or_of_none_opens_a_new_ticket(desk):
    desk.push(message("M-1"))
    [ticket] = desk.tickets()
    desk.push(message("M-2", ticket=ticket.reference), instance_id=desk.files_id)
    desk.push(message("M-3", ticket="TK20200101-NOSUCH"))
    tickets = desk.tickets()
    assert len(tickets) == 3 and [len(desk.messages(t.reference)) for t in tickets] == [1, 1, 1]
    assert tickets[1].channel_instance_id == desk.files_id


def test_the_same_message_id_through_another_instance_is_another_message(desk):
    desk.push(message("M-1"))
    assert desk.push(message("M-1"), instance_id=desk.files_id).json == {"stored": 1, "duplicates": 0}
    assert len(desk.messages()) == 2


@pytest.mark.parametrize("tamper", ["secret", "body"])
def test_a_push_that_does_not_verify_answers_400_and_stores_nothing(desk, tamper):
    if tamper == "secret":
        response = desk.push(message("M-1"), secret="not-the-robot-secret")
    else:
        response = desk.push({"id": "M-1", "from": "mei@example.cn"})  # signed, but no body or time
    assert response.status_code == 400
    assert desk.tickets() == [] and desk.messages() == [] and desk.stored_files() == []


def test_a_disabled_or_unknown_instance_answers_404_and_stores_nothing(desk):
    with desk.app.app_context():
        capabilities.set_instance_enabled(desk.instance_id, False)
    assert desk.push(message("M-1")).status_code == 404
    assert desk.push(message("M-1"), instance_id=999).status_code == 404
    with desk.app.app_context():
        capabilities.set_instance_enabled(desk.instance_id, True)
        set_enabled("support_outbox", False, actor="tests")
    assert desk.push(message("M-1")).status_code == 404
    assert desk.tickets() == []


def test_a_payment_instance_is_not_a_support_channel(desk):
    with desk.app.app_context(), transaction() as session:
        session.execute(update(CapabilityInstance).where(CapabilityInstance.id == desk.instance_id)
                        .values(kind="payment"))
    assert desk.push(message("M-1")).status_code == 404


def test_a_push_over_the_size_limit_is_refused_with_413(xty_make_app, tmp_path):
    desk = make_desk(xty_make_app, tmp_path, config={"SUPPORT_INBOUND_MAX_BYTES": 2048})
    assert desk.push(message("M-1", body="长" * 1000)).status_code == 413
    assert desk.tickets() == []


def test_a_body_longer_than_a_message_holds_is_cut(desk):
    desk.push(message("M-1", body="x" * (BODY_MAX_LENGTH + 50)))
    assert len(desk.messages()[0].body) == BODY_MAX_LENGTH


def test_a_channel_plugin_returning_nonsense_answers_503_and_stores_nothing(desk, monkeypatch):
    from tests.fixture_plugins.outbox_channel import OutboxChannel

    monkeypatch.setattr(OutboxChannel, "_messages", lambda self, push: "not a list")
    assert desk.push(message("M-1")).status_code == 503
    monkeypatch.setattr(OutboxChannel, "_messages", lambda self, push: 1 / 0)
    assert desk.push(message("M-1")).status_code == 503
    assert desk.tickets() == []


def test_the_answer_is_json_and_never_cached(desk):
    response = desk.push(message("M-1"))
    assert response.content_type == "application/json" and response.headers["Cache-Control"] == "no-store"
    assert json.loads(response.get_data(as_text=True)) == {"stored": 1, "duplicates": 0}
