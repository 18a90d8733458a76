"""Customer accounts in the back office: find them, see their orders, keep notes and tags, disable them.

The list costs one query for its rows (each customer with their order count
and what they spent, aggregated in SQL) and one for the total. Every change
is audited in the transaction that makes it; a disabled customer cannot sign
in and their open sessions end at their next request
(:func:`xtycore.security.load_account` drops inactive accounts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from xtycore.admin import bp, page
from xtycore.admin.audit_log import _day
from xtycore.admin.auth import current_staff
from xtycore.admin.permissions import requires
from xtycore.extensions import db, transaction
from xtycore.models.accounts import Customer, CustomerAddress
from xtycore.models.customer_notes import NOTE_MAX_LENGTH, TAG_MAX_LENGTH, CustomerNote, CustomerTag
from xtycore.models.orders import Order
from xtycore.services import audit
from xtycore.services.orders import customer_order_figures
from xtycore.services.search import like_pattern

#: Customers one page of the list shows.
PAGE_SIZE = 50
#: Orders the detail page lists (newest first).
ORDER_LIMIT = 100


@dataclass(frozen=True)
class CustomerFilter:
    #: part of the email, mobile number or name
    search: str = ""
    #: None for every account, True for active ones, False for disabled ones
    active: bool | None = None
    registered_since: datetime | None = None
    registered_until: datetime | None = None


@dataclass(frozen=True)
class CustomerRow:
    customer: Customer
    order_count: int
    #: paid minus refunded over all their orders, in minor units of SHOP_CURRENCY
    spent_minor: int


def find_customers(where: CustomerFilter, *, page_number: int = 1) -> tuple[list[CustomerRow], int]:
    """One page of customers matching ``where``, newest accounts first, and how many match in all."""
    conditions = []
    if where.search:
        pattern = like_pattern(where.search.lower())
        conditions.append(or_(Customer.email.like(pattern, escape="\\"), Customer.mobile.like(pattern, escape="\\"),
                              func.lower(Customer.display_name).like(pattern, escape="\\")))
    if where.active is not None:
        conditions.append(Customer.is_active.is_(where.active))
    if where.registered_since is not None:
        conditions.append(Customer.created_at >= where.registered_since)
    if where.registered_until is not None:
        conditions.append(Customer.created_at < where.registered_until)
    total = db.session.execute(select(func.count(Customer.id)).where(*conditions)).scalar_one()
    stats = customer_order_figures()
    rows = db.session.execute(
        select(Customer, func.coalesce(stats.c.order_count, 0), func.coalesce(stats.c.spent_minor, 0))
        .outerjoin(stats, stats.c.customer_id == Customer.id)
        .where(*conditions)
        .order_by(Customer.created_at.desc(), Customer.id.desc())
        .limit(PAGE_SIZE).offset((max(page_number, 1) - 1) * PAGE_SIZE)
    ).all()
    return [CustomerRow(customer, int(count), int(spent)) for customer, count, spent in rows], total


def customer_view(customer: Customer) -> dict[str, Any]:
    """What the audit log keeps of an account (never the password hash)."""
    return {"id": customer.id, "email": customer.email, "mobile": customer.mobile,
            "display_name": customer.display_name, "is_active": customer.is_active}


def _tags_of(session, customer_id: int) -> list[str]:
    return list(session.execute(select(CustomerTag.tag).where(CustomerTag.customer_id == customer_id)
                                .order_by(CustomerTag.tag)).scalars())


@bp.route("/customers")
@requires("customers.view")
def customer_list():
    zone = ZoneInfo(current_app.config["SHOP_TIMEZONE"])
    args = request.args
    status = args.get("status", "")
    where = CustomerFilter(
        search=args.get("q", "").strip(), active={"active": True, "disabled": False}.get(status),
        registered_since=_day(args.get("since"), zone), registered_until=_day(args.get("until"), zone, end=True),
    )
    page_number = max(args.get("page", 1, type=int), 1)
    rows, total = find_customers(where, page_number=page_number)
    return page("customers.html", rows=rows, total=total, page_number=page_number, page_size=PAGE_SIZE,
                filters={"q": where.search, "status": status if where.active is not None else "",
                         "since": args.get("since", ""), "until": args.get("until", "")})


def _detail(customer: Customer, status: int = 200, error: str | None = None, values: dict | None = None):
    session = db.session
    addresses = session.execute(select(CustomerAddress).where(CustomerAddress.customer_id == customer.id)
                                .order_by(CustomerAddress.is_default.desc(), CustomerAddress.id)).scalars().all()
    orders = session.execute(select(Order).where(Order.customer_id == customer.id)
                             .order_by(Order.placed_at.desc(), Order.id.desc()).limit(ORDER_LIMIT)).scalars().all()
    notes = session.execute(select(CustomerNote).where(CustomerNote.customer_id == customer.id)
                            .order_by(CustomerNote.id.desc())).scalars().all()
    return page("customer_detail.html", status, customer=customer, addresses=addresses,
                orders=orders, notes=notes,
                tags=_tags_of(session, customer.id), error=error, values=values or {},
                note_max=NOTE_MAX_LENGTH, tag_max=TAG_MAX_LENGTH)


@bp.route("/customers/<int:customer_id>")
@requires("customers.view")
def customer_detail(customer_id: int):
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        return page("404.html", 404)
    return _detail(customer)


def _change(customer_id: int, action: str, check, apply, done: str, *, snapshot=None):
    """Validate with ``check(customer)`` (an error message or None), then ``apply(session, customer)``, audited.

    ``snapshot(session, customer)`` is what the audit log keeps before and after (default: the account).
    """
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        return page("404.html", 404)
    error = check(customer)
    if error:
        return _detail(customer, 422, error=error, values=request.form.to_dict())
    snapshot = snapshot or (lambda session, row: customer_view(row))
    before = snapshot(db.session, customer)
    try:
        with audit.recorded(action, "customer", customer_id, before=before,
                            after=lambda session: snapshot(session, session.get(Customer, customer_id))):
            with transaction() as session:
                apply(session, session.get(Customer, customer_id))
    except IntegrityError:
        # another request got there first (the same tag added twice at once): say what the check now finds
        error = check(db.session.get(Customer, customer_id))
        if not error:
            raise
        return _detail(customer, 422, error=error, values=request.form.to_dict())
    flash(done)
    return redirect(url_for(".customer_detail", customer_id=customer_id))


def _note_text() -> str:
    return request.form.get("body", "").replace("\r\n", "\n").strip()


def _note_error(customer: Customer) -> str | None:
    body = _note_text()
    if not body:
        return _("Write the note first.")
    if len(body) > NOTE_MAX_LENGTH:
        return _("A note holds at most %(count)d characters.", count=NOTE_MAX_LENGTH)
    return None


def _notes_view(session, customer: Customer) -> dict[str, Any]:
    count = session.execute(select(func.count(CustomerNote.id))
                            .where(CustomerNote.customer_id == customer.id)).scalar_one()
    return {"id": customer.id, "notes": count}


@bp.route("/customers/<int:customer_id>/notes", methods=["POST"])
@requires("customers.edit")
def customer_note_add(customer_id: int):
    body = _note_text()
    who = current_staff()

    def add(session, customer: Customer) -> None:
        session.add(CustomerNote(customer_id=customer.id, staff_id=who.id, staff_email=who.email, body=body))

    def snapshot(session, customer: Customer) -> dict[str, Any]:
        added = [{"staff_email": note.staff_email, "body": note.body} for note in audit.created(session, CustomerNote)]
        return {**_notes_view(session, customer), **({"added": added[0]} if added else {})}

    return _change(customer_id, "customer.add_note", _note_error, add, _("Note added."), snapshot=snapshot)


def _tag_text() -> str:
    return " ".join(request.form.get("tag", "").split())


def _tags_view(session, customer: Customer) -> dict[str, Any]:
    return {"id": customer.id, "tags": _tags_of(session, customer.id)}


@bp.route("/customers/<int:customer_id>/tags", methods=["POST"])
@requires("customers.edit")
def customer_tag_add(customer_id: int):
    tag = _tag_text()

    def check(customer: Customer) -> str | None:
        if not tag:
            return _("Enter a tag.")
        if len(tag) > TAG_MAX_LENGTH:
            return _("A tag holds at most %(count)d characters.", count=TAG_MAX_LENGTH)
        if tag in _tags_of(db.session, customer.id):
            return _("The customer already has the tag %(tag)s.", tag=tag)
        return None

    return _change(customer_id, "customer.add_tag", check,
                   lambda session, customer: session.add(CustomerTag(customer_id=customer.id, tag=tag)),
                   _("Tag added."), snapshot=_tags_view)


@bp.route("/customers/<int:customer_id>/tags/remove", methods=["POST"])
@requires("customers.edit")
def customer_tag_remove(customer_id: int):
    tag = _tag_text()

    def check(customer: Customer) -> str | None:
        if tag not in _tags_of(db.session, customer.id):
            return _("The customer has no tag %(tag)s.", tag=tag)
        return None

    def remove(session, customer: Customer) -> None:
        session.delete(session.execute(select(CustomerTag).where(CustomerTag.customer_id == customer.id,
                                                                 CustomerTag.tag == tag)).scalar_one())

    return _change(customer_id, "customer.remove_tag", check, remove, _("Tag removed."), snapshot=_tags_view)


@bp.route("/customers/<int:customer_id>/active", methods=["POST"])
@requires("customers.edit")
def customer_active(customer_id: int):
    wanted = request.form.get("active", "")

    def check(customer: Customer) -> str | None:
        if wanted not in ("0", "1"):
            return _("Choose whether the account is enabled or disabled.")
        if customer.is_active == (wanted == "1"):
            return _("The account is already enabled.") if customer.is_active else \
                _("The account is already disabled.")
        return None

    def apply(session, customer: Customer) -> None:
        customer.is_active = wanted == "1"

    if wanted == "1":
        return _change(customer_id, "customer.enable", check, apply, _("Account enabled."))
    return _change(customer_id, "customer.disable", check, apply, _("Account disabled."))
