"""Customer accounts as CSV (:mod:`xtycore.services.transfer`).

The export holds each account with its language, registration time on the
shop's clock, state, tags, number of orders and what they spent (paid minus
refunded), all from one statement whose order figures and tags are grouped in
SQL. The import reads email, name, phone and tags: an email that has an
account updates its name, mobile number and tags (an empty cell leaves the
value as it is; a tags cell replaces the account's tags); a new email becomes
an account without a usable password (:data:`xtycore.services.accounts.NO_PASSWORD`),
whose owner sets one through "forgot password".
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable, Iterator
from zoneinfo import ZoneInfo

from flask import current_app
from marshmallow import ValidationError, validate
from sqlalchemy import func, select

from xtycore.domain.addresses import Message as _
from xtycore.domain.addresses import mobile_error
from xtycore.extensions import db
from xtycore.models.accounts import Customer
from xtycore.models.customer_notes import TAG_MAX_LENGTH, CustomerTag
from xtycore.schemas.accounts import normalise_email
from xtycore.services.accounts import NO_PASSWORD
from xtycore.services.catalog_import import LIST_SEPARATORS, RowError
from xtycore.services.orders import customer_order_figures
from xtycore.services.transfer_csv import (
    CellError, Change, Columns, CsvRow, RowCheck, amount, batches, first_lines, text_cell,
)

#: Longest email and display name (the columns' lengths).
EMAIL_LENGTH, NAME_LENGTH = 254, 50
#: How the file separates a customer's tags.
TAG_SEPARATOR = "|"
EMAIL = validate.Email()


def local_time(moment: datetime) -> str:
    """A stored (UTC) time on the shop's clock (``SHOP_TIMEZONE``), to the second."""
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(ZoneInfo(current_app.config["SHOP_TIMEZONE"])).strftime("%Y-%m-%d %H:%M:%S")


class Customers:
    """Email, name, phone, language, registration time, state, tags, orders and total spent."""

    code = "customers"
    filter_names = ()
    header = ("email", "name", "phone", "language", "registered_at", "status", "tags", "orders", "total_spent")
    columns = Columns(required=("email",), optional=("name", "phone", "tags"),
                      ignored=("language", "registered_at", "status", "orders", "total_spent"))
    audit_type = "customer"

    def rows(self) -> Iterator[list[Any]]:
        currency = current_app.config["SHOP_CURRENCY"]
        figures = customer_order_figures()
        tags = (select(CustomerTag.customer_id.label("customer_id"),
                       func.aggregate_strings(CustomerTag.tag, TAG_SEPARATOR).label("tags"))
                .group_by(CustomerTag.customer_id).subquery())
        query = (select(Customer.email, Customer.display_name, Customer.mobile, Customer.locale, Customer.created_at,
                        Customer.is_active, tags.c.tags, func.coalesce(figures.c.order_count, 0),
                        func.coalesce(figures.c.spent_minor, 0))
                 .outerjoin(figures, figures.c.customer_id == Customer.id)
                 .outerjoin(tags, tags.c.customer_id == Customer.id)
                 .order_by(Customer.id).execution_options(yield_per=1000))
        for email, name, mobile, locale, created_at, active, tag_list, orders, spent in db.session.execute(query):
            yield [email, name, mobile, locale, local_time(created_at), "active" if active else "disabled",
                   TAG_SEPARATOR.join(sorted((tag_list or "").split(TAG_SEPARATOR))).strip(TAG_SEPARATOR),
                   int(orders), amount(int(spent), currency)]

    def check(self, rows: list[CsvRow], errors: list[RowError], *, lock: bool) -> list[Change]:
        repeated = first_lines(errors, rows, lambda row: _email_key(row.cells.get("email")), "email") | \
            first_lines(errors, rows, lambda row: row.cells.get("phone"), "phone")
        emails = list(dict.fromkeys(key for row in rows if (key := _email_key(row.cells.get("email")))))
        phones = list(dict.fromkeys(row.cells["phone"] for row in rows if "phone" in row.cells))
        accounts = _lookup(Customer.email, emails)
        phone_owners = {customer.mobile: customer for customer in _lookup(Customer.mobile, phones).values()}
        tags = _tags([customer.id for customer in accounts.values()])
        changes = []
        for row in rows:
            check = RowCheck(row, errors)
            email = check.get("email", _email_cell)
            if "email" not in row.cells:
                check.fail("email", _("Write the customer's email"))
            name = check.get("name", text_cell(NAME_LENGTH))
            phone = check.get("phone", _phone_cell)
            wanted_tags = check.get("tags", _tags_cell)
            customer = accounts.get(email) if email else None
            owner = phone_owners.get(phone) if phone else None
            if owner is not None and owner is not customer:
                check.fail("phone", _("Another account has the mobile number %(mobile)s", mobile=phone))
            if email is None or not check.ok or row.line in repeated:
                continue
            before = None if customer is None else {
                "name": customer.display_name, "phone": customer.mobile, "tags": tags.get(customer.id, [])}
            after = {"name": name if name is not None else (before["name"] if before else email.partition("@")[0][:50]),
                     "phone": phone if phone is not None else (before["phone"] if before else None),
                     "tags": wanted_tags if wanted_tags is not None else (before["tags"] if before else [])}
            if after != before:
                changes.append(Change(email, row.line, before, after, target=customer))
        return changes

    def apply(self, changes: list[Change], progress: Callable[[int, int], None]) -> None:
        now = datetime.now(timezone.utc)
        for done, change in enumerate(changes, start=1):
            values = change.after
            if change.creates:
                change.target = Customer(email=change.key, password_hash=NO_PASSWORD, is_active=True, created_at=now,
                                         locale=None)
                db.session.add(change.target)
            customer = change.target
            customer.display_name, customer.mobile = values["name"], values["phone"]
            db.session.flush()
            old = set(change.before["tags"]) if change.before else set()
            new = set(values["tags"])
            if old != new:
                if old - new:
                    db.session.execute(CustomerTag.__table__.delete().where(
                        CustomerTag.customer_id == customer.id, CustomerTag.tag.in_(sorted(old - new))))
                db.session.add_all(CustomerTag(customer_id=customer.id, tag=tag) for tag in sorted(new - old))
            progress(done, len(changes))
        db.session.flush()


def _lookup(column: Any, values: list[str]) -> dict[str, Customer]:
    found: dict[str, Customer] = {}
    for batch in batches(values):
        found.update((getattr(c, column.key), c)
                     for c in db.session.execute(select(Customer).where(column.in_(batch))).scalars())
    return found


def _tags(customer_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for batch in batches(customer_ids):
        for customer_id, tag in db.session.execute(select(CustomerTag.customer_id, CustomerTag.tag)
                                                   .where(CustomerTag.customer_id.in_(batch))
                                                   .order_by(CustomerTag.tag)):
            found.setdefault(customer_id, []).append(tag)
    return found


def _email_key(text: str | None) -> str | None:
    return normalise_email(text) if text else None


def _email_cell(text: str) -> str:
    email = normalise_email(text)
    try:
        EMAIL(email)
    except ValidationError:
        raise CellError(_("%(text)s is not an email address", text=text)) from None
    if len(email) > EMAIL_LENGTH:
        raise CellError(_("At most %(number)s characters", number=EMAIL_LENGTH))
    return email


def _phone_cell(text: str) -> str:
    problem = mobile_error(text)
    if problem:
        raise CellError(problem)
    return text


def _tags_cell(text: str) -> list[str]:
    for separator in LIST_SEPARATORS:
        if separator in text:
            parts = text.split(separator)
            break
    else:
        parts = [text]
    tags = sorted({" ".join(part.split()) for part in parts if part.strip()})
    if any(len(tag) > TAG_MAX_LENGTH for tag in tags):
        raise CellError(_("A tag holds at most %(count)d characters.", count=TAG_MAX_LENGTH))
    return tags
