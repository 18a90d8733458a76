"""A customer's address book (收货地址): add, edit, delete, choose the default.

Every function takes the owner's id and finds addresses only among that
customer's rows, so another customer's address is :class:`AddressNotFound`,
exactly as if it did not exist (the web layer answers 404).

Invariant, kept here: a customer with addresses has exactly one default. The
first address becomes the default, choosing a new default clears the old one
first (a partial unique index in the database is the backstop), and deleting
the default promotes the most recently changed remaining address. Each write
locks the customer's row first, so concurrent edits of one address book queue.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext, lazy_gettext
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from xtycore.domain.addresses import ChineseAddress, Message
from xtycore.domain.errors import XtyError
from xtycore.extensions import db, transaction
from xtycore.models.accounts import Customer, CustomerAddress
from xtycore.models.kernel import utcnow

#: More than this is a sign of abuse, not of a family with many homes.
MAX_ADDRESSES = 20


class AddressNotFound(XtyError):
    """No address with that id belongs to this customer."""

    customer_message = lazy_gettext("This address does not exist")


class AddressBookFull(XtyError):
    customer_message = lazy_gettext(
        "You can keep at most %(number)s addresses; please delete one you no longer use first",
        number=MAX_ADDRESSES)


def translated(message: Any) -> Any:
    """A validation message in the customer's language: the address rules' :class:`Message` through
    Flask-Babel; anything else (already a lazy translation) unchanged."""
    if isinstance(message, Message):
        return gettext(message.msgid, **message.values)
    return message


def translated_errors(errors: dict[str, Any]) -> dict[str, Any]:
    """Every message of a form's ``field -> messages`` errors, :func:`translated`."""
    return {field: [translated(m) for m in messages] if isinstance(messages, list) else translated(messages)
            for field, messages in errors.items()}


def list_addresses(customer_id: int) -> list[CustomerAddress]:
    """The default first, then the most recently changed."""
    return list(db.session.execute(
        select(CustomerAddress)
        .where(CustomerAddress.customer_id == customer_id)
        .order_by(CustomerAddress.is_default.desc(), CustomerAddress.updated_at.desc(), CustomerAddress.id.desc())
    ).scalars())


def default_address(customer_id: int) -> CustomerAddress | None:
    return db.session.execute(
        select(CustomerAddress).where(
            CustomerAddress.customer_id == customer_id, CustomerAddress.is_default.is_(True)
        )
    ).scalar_one_or_none()


def get_address(customer_id: int, address_id: int) -> CustomerAddress:
    """:raises AddressNotFound: no such address, or it is another customer's."""
    address = db.session.execute(
        select(CustomerAddress).where(
            CustomerAddress.id == address_id, CustomerAddress.customer_id == customer_id
        )
    ).scalar_one_or_none()
    if address is None:
        raise AddressNotFound(f"customer {customer_id} has no address {address_id}")
    return address


def add_address(customer_id: int, address: ChineseAddress, *, make_default: bool = False) -> CustomerAddress:
    """Save a validated address; the first one, or one asked to be, becomes the default.

    :raises AddressBookFull: the customer already has :data:`MAX_ADDRESSES`.
    """
    with transaction() as session:
        _lock_book(session, customer_id)
        count = len(list_addresses(customer_id))
        if count >= MAX_ADDRESSES:
            raise AddressBookFull(f"customer {customer_id} has {count} addresses")
        if make_default:
            _clear_default(session, customer_id)
        row = CustomerAddress(customer_id=customer_id, is_default=make_default or count == 0)
        _copy(address, row)
        session.add(row)
    return row


def update_address(
    customer_id: int, address_id: int, address: ChineseAddress, *, make_default: bool = False
) -> CustomerAddress:
    """Replace an address's fields. Unticking "default" on the default keeps it: there must be one.

    :raises AddressNotFound: see :func:`get_address`.
    """
    with transaction() as session:
        _lock_book(session, customer_id)
        row = get_address(customer_id, address_id)
        if make_default and not row.is_default:
            _clear_default(session, customer_id)
            row.is_default = True
        _copy(address, row)
        row.updated_at = utcnow()
    return row


def set_default_address(customer_id: int, address_id: int) -> CustomerAddress:
    """:raises AddressNotFound: see :func:`get_address`."""
    with transaction() as session:
        _lock_book(session, customer_id)
        row = get_address(customer_id, address_id)
        if not row.is_default:
            _clear_default(session, customer_id)
            row.is_default = True
            row.updated_at = utcnow()
    return row


def delete_address(customer_id: int, address_id: int) -> None:
    """Delete an address; if it was the default, the most recently changed other one takes over.

    :raises AddressNotFound: see :func:`get_address`.
    """
    with transaction() as session:
        _lock_book(session, customer_id)
        row = get_address(customer_id, address_id)
        was_default = row.is_default
        session.delete(row)
        session.flush()
        if was_default:
            remaining = list_addresses(customer_id)
            if remaining:
                remaining[0].is_default = True


def _lock_book(session: Session, customer_id: int) -> None:
    """Serialise writes to one address book (row lock on PostgreSQL; SQLite writers already queue)."""
    session.execute(select(Customer.id).where(Customer.id == customer_id).with_for_update()).first()


def _clear_default(session: Session, customer_id: int) -> None:
    # an UPDATE statement, run now: the ORM's flush could write the new default before clearing the old
    session.execute(
        update(CustomerAddress)
        .where(CustomerAddress.customer_id == customer_id, CustomerAddress.is_default.is_(True))
        .values(is_default=False)
    )


def _copy(address: ChineseAddress, row: CustomerAddress) -> None:
    row.recipient = address.recipient
    row.mobile = address.mobile
    row.province = address.province
    row.city = address.city
    row.district = address.district
    row.street = address.street
    row.postcode = address.postcode or None
