"""The support ticket inbox (客服工单): the list, one ticket's thread, and what staff do with it.

The list (``support.view``) filters by status, assignee (me, nobody) and
channel, searches references, contacts and subjects, newest activity first,
and costs a count and one statement for its page whatever it shows. A
ticket's page shows the thread in time order: the customer's messages with
their attachments, staff replies with where their delivery stands, and
internal notes, marked as such.

Staff with ``support.reply`` reply (the reply is stored, then sent through the
ticket's channel: :func:`xtycore.services.support.reply`), retry a failed
reply, add notes, assign, solve, reopen and link an order. Each action is
audited (object type ``ticket``) in the transaction that makes it; bad input,
or an action the ticket's status does not allow, answers 422 with the reason
and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask import flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from xtycore.admin import bp, page
from xtycore.admin.auth import current_staff
from xtycore.admin.permissions import can, requires
from xtycore.domain.states import InvalidTransition
from xtycore.domain.support_states import STAFF_EVENTS, TICKET, Delivery, TicketStatus
from xtycore.extensions import db
from xtycore.models import Order, Staff
from xtycore.models.support import BODY_MAX_LENGTH, SupportTicket, TicketAttachment, TicketMessage
from xtycore.services import audit, support
from xtycore.state import snapshot
from xtycore.services.search import like_pattern

#: Tickets one page of the list shows.
PAGE_SIZE = 50
#: The permission every action on a ticket needs.
REPLY_PERMISSION = support.REPLY_PERMISSION
#: The customer's latest orders the link form offers.
ORDER_CHOICES = 20
#: What staff read for each ticket status.
STATUS_LABELS = {TicketStatus.OPEN: _l("Open"), TicketStatus.WAITING: _l("Waiting on the customer"),
                 TicketStatus.SOLVED: _l("Solved")}


@bp.app_template_global("ticket_status_label")
def ticket_status_label(status: str) -> str:
    return str(STATUS_LABELS[TicketStatus(status)])


@dataclass(frozen=True)
class TicketFilter:
    status: str = ""
    #: "me" (assigned to ``staff_id``), "none" (assigned to nobody) or "" (anyone)
    assigned: str = ""
    staff_id: int | None = None
    channel_id: int | None = None
    #: a reference, or part of the contact or subject
    search: str = ""


@dataclass(frozen=True)
class TicketRow:
    ticket: SupportTicket
    channel: str | None
    assignee: str | None
    #: replies of the ticket whose delivery failed
    failed_replies: int


def _failed_replies():
    return (select(func.count(TicketMessage.id))
            .where(TicketMessage.ticket_id == SupportTicket.id, TicketMessage.delivery == Delivery.FAILED.value)
            .correlate(SupportTicket).scalar_subquery())


def find_tickets(where: TicketFilter, *, page_number: int = 1) -> tuple[list[TicketRow], int]:
    """One page of tickets matching ``where``, newest activity first, and how many match: two statements."""
    conditions = []
    if where.status:
        conditions.append(SupportTicket.status == where.status)
    if where.assigned == "me":
        conditions.append(SupportTicket.assignee_id == where.staff_id)
    elif where.assigned == "none":
        conditions.append(SupportTicket.assignee_id.is_(None))
    if where.channel_id is not None:
        conditions.append(SupportTicket.channel_instance_id == where.channel_id)
    if where.search:
        pattern = like_pattern(where.search.lower())
        conditions.append(or_(SupportTicket.reference == where.search.upper(),
                              func.lower(SupportTicket.contact).like(pattern, escape="\\"),
                              func.lower(SupportTicket.subject).like(pattern, escape="\\")))
    total = db.session.execute(select(func.count(SupportTicket.id)).where(*conditions)).scalar_one()
    rows = db.session.execute(
        select(SupportTicket, Staff.display_name, Staff.email, _failed_replies())
        .outerjoin(Staff, Staff.id == SupportTicket.assignee_id)
        .where(*conditions)
        .order_by(SupportTicket.updated_at.desc(), SupportTicket.id.desc())
        .limit(PAGE_SIZE).offset((max(page_number, 1) - 1) * PAGE_SIZE)
    ).all()
    channels = support_channels()
    return [TicketRow(ticket, channels.get(ticket.channel_instance_id), name or email, failed)
            for ticket, name, email, failed in rows], total


def support_channels() -> dict[int, str]:
    """Every configured support instance, enabled or not: id -> display name (from the cached kernel state)."""
    return {row.id: row.display_name for row in snapshot().instances if row.kind == "support"}


@bp.route("/tickets")
@requires("support.view")
def ticket_list():
    args = request.args
    status = args.get("status", "")
    assigned = args.get("assigned", "")
    channels = support_channels()
    channel_id = args.get("channel", type=int)
    where = TicketFilter(
        status=status if status in {s.value for s in TicketStatus} else "",
        assigned=assigned if assigned in ("me", "none") else "", staff_id=current_staff().id,
        channel_id=channel_id if channel_id in channels else None, search=args.get("q", "").strip()[:254],
    )
    page_number = max(args.get("page", 1, type=int), 1)
    rows, total = find_tickets(where, page_number=page_number)
    return page("tickets.html", rows=rows, total=total, page_number=page_number, page_size=PAGE_SIZE,
                statuses=list(TicketStatus), channels=channels,
                filters={"status": where.status, "assigned": where.assigned, "channel": where.channel_id,
                         "q": where.search})


# --------------------------------------------------------------------------
# one ticket
# --------------------------------------------------------------------------


def ticket_by_reference(reference: str) -> SupportTicket | None:
    """The ticket with its thread, attachments, channel, customer, order and assignee: three statements."""
    return db.session.execute(
        select(SupportTicket).where(SupportTicket.reference == reference)
        .options(joinedload(SupportTicket.channel), joinedload(SupportTicket.customer),
                 joinedload(SupportTicket.order), joinedload(SupportTicket.assignee),
                 selectinload(SupportTicket.messages).selectinload(TicketMessage.attachments))
    ).unique().scalar_one_or_none()


def _customer_orders(ticket: SupportTicket) -> list[str]:
    """The numbers of the ticket's customer's latest orders, for the link form."""
    if ticket.customer_id is None or not can(REPLY_PERMISSION):
        return []
    return list(db.session.execute(
        select(Order.number).where(Order.customer_id == ticket.customer_id)
        .order_by(Order.placed_at.desc(), Order.id.desc()).limit(ORDER_CHOICES)
    ).scalars())


def ticket_page(reference: str, status: int = 200, errors: dict[str, str] | None = None,
                form: dict[str, str] | None = None):
    """The ticket's page, with ``errors`` beside the forms they concern and what was posted (``form``) kept."""
    ticket = ticket_by_reference(reference)
    if ticket is None:
        return page("404.html", 404)
    may_reply = can(REPLY_PERMISSION)
    return page(
        "ticket_detail.html", status, ticket=ticket, may_reply=may_reply,
        events=[e for e in STAFF_EVENTS if TICKET.can(TicketStatus(ticket.status), e)] if may_reply else [],
        assignable=support.assignable_staff() if may_reply else [], me=current_staff(),
        customer_orders=_customer_orders(ticket), body_max=BODY_MAX_LENGTH,
        errors=errors or {}, form=form or {},
    )


@bp.route("/tickets/<reference>")
@requires("support.view")
def ticket_detail(reference: str):
    return ticket_page(reference)


def _snapshot(session: Session, reference: str) -> dict[str, Any]:
    """What the audit log keeps of a ticket around a change: status, assignee, order, and what was just added."""
    ticket = session.execute(select(SupportTicket).where(SupportTicket.reference == reference)).scalar_one()
    assignee = session.get(Staff, ticket.assignee_id) if ticket.assignee_id else None
    order = session.get(Order, ticket.order_id) if ticket.order_id else None
    added = [{"id": m.id, "direction": m.direction, "body": m.body, "delivery": m.delivery}
             for m in audit.created(session, TicketMessage)]
    return {"status": ticket.status, "assignee": assignee.email if assignee else None,
            "order": order.number if order else None, **({"added": added[-1]} if added else {})}


def _act(reference: str, action: str, call: Callable[[], Any], error_key: str):
    """Run ``call()`` (a support service) inside an audit entry; 404, or the page again with 422 when refused."""
    if db.session.execute(select(SupportTicket.id).where(SupportTicket.reference == reference)).first() is None:
        return page("404.html", 404)
    try:
        with audit.recorded(action, "ticket", reference, before=_snapshot(db.session, reference),
                            after=lambda session: _snapshot(session, reference)):
            return call()
    except support.UnknownTicket:
        return page("404.html", 404)
    except support.TicketError as exc:
        problem = str(exc)
    except InvalidTransition as exc:
        problem = _("This is not possible in the ticket's current state (%(reason)s). Nothing was changed.",
                    reason=str(exc))
    db.session.rollback()
    return ticket_page(reference, 422, errors={error_key: problem}, form=request.form.to_dict())


def _back(reference: str, anchor: str | None = None):
    return redirect(url_for(".ticket_detail", reference=reference, _anchor=anchor))


def _said(reference: str, sent: TicketMessage):
    """Flash where the reply stands with the channel, and show the ticket again."""
    if sent.delivery == Delivery.DELIVERED.value:
        flash(_("Reply sent."))
    else:
        flash(_("The reply is saved, but the channel did not deliver it: %(reason)s", reason=sent.delivery_detail),
              "error")
    return _back(reference, f"message-{sent.id}")


@bp.route("/tickets/<reference>/reply", methods=["POST"])
@requires(REPLY_PERMISSION)
def ticket_reply(reference: str):
    body = request.form.get("body", "")
    return _act(reference, "ticket.reply", lambda: _said(reference, support.reply(
        reference, body, staff=current_staff())), "reply")


@bp.route("/tickets/<reference>/messages/<int:message_id>/retry", methods=["POST"])
@requires(REPLY_PERMISSION)
def ticket_retry(reference: str, message_id: int):
    return _act(reference, "ticket.retry", lambda: _said(reference, support.retry(reference, message_id)), "thread")


@bp.route("/tickets/<reference>/notes", methods=["POST"])
@requires(REPLY_PERMISSION)
def ticket_note_add(reference: str):
    body = request.form.get("body", "")

    def add():
        note = support.add_note(reference, body, staff=current_staff())
        flash(_("Note added. Only staff see it."))
        return _back(reference, f"message-{note.id}")

    return _act(reference, "ticket.add_note", add, "note")


@bp.route("/tickets/<reference>/assign", methods=["POST"])
@requires(REPLY_PERMISSION)
def ticket_assign(reference: str):
    wanted = request.form.get("staff_id", "").strip()

    def assign():
        if wanted and not wanted.isdigit():
            raise support.TicketError(_("Choose who takes the ticket."))
        ticket = support.assign(reference, int(wanted) if wanted else None)
        flash(_("Ticket assigned.") if ticket.assignee_id else _("Nobody is assigned to the ticket now."))
        return _back(reference)

    return _act(reference, "ticket.assign", assign, "assign")


@bp.route("/tickets/<reference>/<any(solve, reopen):event>", methods=["POST"])
@requires(REPLY_PERMISSION)
def ticket_status(reference: str, event: str):
    def change():
        support.change_status(reference, event)
        flash(_("Ticket solved.") if event == "solve" else _("Ticket reopened."))
        return _back(reference)

    return _act(reference, f"ticket.{event}", change, "status")


@bp.route("/tickets/<reference>/order", methods=["POST"])
@requires(REPLY_PERMISSION)
def ticket_link_order(reference: str):
    number = request.form.get("order_number", "")

    def link():
        support.link_order(reference, number)
        flash(_("Order linked."))
        return _back(reference)

    return _act(reference, "ticket.link_order", link, "order")


@bp.route("/tickets/<reference>/attachments/<int:attachment_id>")
@requires("support.view")
def ticket_attachment(reference: str, attachment_id: int):
    """A customer's file, only ever as a download (never shown inline: it may be anything)."""
    attachment = db.session.execute(
        select(TicketAttachment).join(TicketMessage).join(SupportTicket)
        .where(TicketAttachment.id == attachment_id, SupportTicket.reference == reference)
    ).scalar_one_or_none()
    path = support.attachment_file(attachment) if attachment is not None else None
    if path is None:
        return page("404.html", 404)
    response = send_file(path, mimetype="application/octet-stream", as_attachment=True,
                         download_name=attachment.filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
