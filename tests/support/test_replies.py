"""Staff replies are stored first and sent after the commit; what the channel answered is recorded."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from tests.admin.conftest import PASSWORD
from tests.fixture_plugins.outbox_channel import OutboxChannel
from tests.support.conftest import message
from xtycore import signals
from xtycore.domain.support import SendResult
from xtycore.extensions import db
from xtycore.models import PluginFailure
from xtycore.services import capabilities, support
from xtycore.services import staff as staff_service


@pytest.fixture
def ticket(desk) -> str:
    """The reference of a ticket Mei opened through the outbox channel."""
    desk.push(message("M-1"))
    return desk.tickets()[0].reference


@pytest.fixture
def agent(desk):
    with desk.app.app_context():
        return staff_service.create_staff("agent@shop.test", PASSWORD, role="support_agent").id


def reply(desk, reference: str, agent_id: int, body: str = "已经发货了，运单号 SF1234567890。"):
    with desk.app.test_request_context():
        return support.reply(reference, body, staff=db.session.get(staff_service.Staff, agent_id)).id


def test_a_reply_is_delivered_through_the_channel_and_the_ticket_waits_on_the_customer(desk, ticket, agent):
    heard = []

    def receiver(sender, ticket, message, author, **kwargs):
        heard.append((ticket.reference, message.id, author))

    signals.ticket_replied.connect(receiver)
    try:
        message_id = reply(desk, ticket, agent)
    finally:
        signals.ticket_replied.disconnect(receiver)
    [letter] = desk.letters()
    assert (letter["ticket"], letter["to"], letter["body"]) == (ticket, "mei@example.cn", "已经发货了，运单号 SF1234567890。")
    assert letter["subject"] == "我的订单什么时候发货？"
    sent = desk.messages(ticket)[-1]
    assert (sent.id, sent.direction, sent.author, sent.delivery, sent.attempts) == \
        (message_id, "outbound", "agent@shop.test", "delivered", 1)
    assert sent.channel_message_id == letter["id"] and sent.sent_at is not None
    [row] = desk.tickets()
    assert row.status == "waiting" and row.last_outbound_at is not None
    assert heard == [(ticket, message_id, "staff:agent@shop.test")]


def test_a_channel_that_refuses_is_recorded_failed_with_its_reason_and_a_retry_delivers(desk, ticket, agent):
    shutil.rmtree(desk.outbox)
    message_id = reply(desk, ticket, agent)
    failed = desk.messages(ticket)[-1]
    assert failed.delivery == "failed" and failed.delivery_detail.startswith("cannot write to the outbox")
    assert desk.tickets()[0].last_outbound_at is None
    desk.outbox.mkdir()
    with desk.app.test_request_context():
        support.retry(ticket, message_id)
    again = desk.messages(ticket)[-1]
    assert (again.id, again.delivery, again.attempts, again.delivery_detail) == (message_id, "delivered", 2, "")
    assert [letter["ticket"] for letter in desk.letters()] == [ticket]


def test_a_channel_plugin_that_crashes_is_recorded_failed_and_its_error_kept(desk, ticket, agent, monkeypatch):
    def crash(self, message, settings):
        raise RuntimeError("SMTP connection reset")

    monkeypatch.setattr(OutboxChannel, "send", crash)
    reply(desk, ticket, agent)
    failed = desk.messages(ticket)[-1]
    assert (failed.delivery, failed.delivery_detail) == ("failed", support.PLUGIN_FAILED)
    with desk.app.app_context():
        [failure] = db.session.execute(select(PluginFailure)).scalars().all()
        assert failure.call == "support:fixture_outbox.send" and "SMTP connection reset" in failure.message


def test_a_channel_answering_not_delivered_is_recorded_with_its_detail(desk, ticket, agent, monkeypatch):
    monkeypatch.setattr(OutboxChannel, "send", lambda self, message, settings: SendResult(False, detail="邮箱已满"))
    reply(desk, ticket, agent)
    assert (desk.messages(ticket)[-1].delivery, desk.messages(ticket)[-1].delivery_detail) == ("failed", "邮箱已满")


def test_a_reply_through_a_disabled_channel_fails_and_goes_once_the_channel_is_back(desk, ticket, agent):
    with desk.app.app_context():
        capabilities.set_instance_enabled(desk.instance_id, False)
    message_id = reply(desk, ticket, agent)
    assert desk.messages(ticket)[-1].delivery_detail == "the support channel is disabled, or its plugin is not enabled"
    with desk.app.app_context():
        capabilities.set_instance_enabled(desk.instance_id, True)
    with desk.app.test_request_context():
        assert support.retry(ticket, message_id).delivery == "delivered"


def test_only_a_failed_reply_is_sent_again(desk, ticket, agent):
    message_id = reply(desk, ticket, agent)
    with desk.app.test_request_context(), pytest.raises(support.TicketError, match="Only a reply whose delivery"):
        support.retry(ticket, message_id)
    inbound = desk.messages(ticket)[0].id
    with desk.app.test_request_context(), pytest.raises(support.UnknownTicket):
        support.retry(ticket, inbound)
    assert len(desk.letters()) == 1


def test_notes_are_never_sent_and_leave_the_status_alone(desk, ticket, agent):
    with desk.app.test_request_context():
        support.add_note(ticket, "客户上次也催过，优先处理", staff=db.session.get(staff_service.Staff, agent))
    note = desk.messages(ticket)[-1]
    assert (note.direction, note.delivery, note.body) == ("note", None, "客户上次也催过，优先处理")
    assert desk.letters() == [] and desk.tickets()[0].status == "open"


def test_a_ticket_whose_channel_was_deleted_takes_no_reply(desk, ticket, agent):
    with desk.app.app_context():
        capabilities.delete_instance(desk.instance_id)
    with pytest.raises(support.TicketError, match="support channel was deleted"):
        reply(desk, ticket, agent)
    assert [m.direction for m in desk.messages(ticket)] == ["inbound"] and desk.tickets()[0].status == "open"


@pytest.mark.parametrize("body, problem", [("   \n ", "Write the message first."),
                                           ("长" * 10_001, "at most 10000 characters")])
def test_an_empty_or_too_long_reply_is_refused_before_anything_is_stored(desk, ticket, agent, body, problem):
    with pytest.raises(support.TicketError, match=problem):
        reply(desk, ticket, agent, body)
    assert len(desk.messages(ticket)) == 1 and desk.letters() == []
