"""Customer accounts and their address books.

Customers are kept apart from staff (a later table): a shopper's login can
never reach the back office. Both will share Flask-Login through the session
key :meth:`Customer.get_id` returns, ``customer:<id>:<fingerprint>``, whose
prefix names the kind of account (:mod:`xtycore.security` dispatches on it).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from xtycore.domain.addresses import MAX_LENGTHS
from xtycore.extensions import db
from xtycore.models.kernel import utcnow

#: The session key prefix of customers; staff will use another.
CUSTOMER_SESSION_PREFIX = "customer"


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the stored hash, part of the session key and of reset tokens.

    Any new password gets a new hash (argon2 salts every hash), so sessions,
    remember-me cookies and reset tokens issued before a change stop working.
    """
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


class Customer(db.Model):
    """A shopper's account. Implements Flask-Login's user protocol by hand
    (``UserMixin`` would make rows unhashable through its ``__eq__``)."""

    __tablename__ = "xty_customer"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lower_case"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: lower-cased by the service before it is stored; the unique key of the account
    email: Mapped[str] = mapped_column(String(254), nullable=False, unique=True)
    #: optional mainland mobile number, unique when set (NULLs do not collide)
    mobile: Mapped[str | None] = mapped_column(String(11), nullable=True, unique=True)
    display_name: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    #: the language the customer chose (``zh_CN``, ``en``); None until they register or pick one
    locale: Mapped[str | None] = mapped_column(String(10), nullable=True)
    #: argon2id, PHC string format ``$argon2id$v=19$m=…,t=…,p=…$salt$hash``
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    # Flask-Login's user protocol -------------------------------------------
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{CUSTOMER_SESSION_PREFIX}:{self.id}:{password_fingerprint(self.password_hash)}"

    def __repr__(self) -> str:
        return f"<Customer {self.id} {self.email}>"


class CustomerAddress(db.Model):
    """One entry of a customer's address book (收货地址), in the Chinese order of parts.

    At most one address per customer is the default, backed by a partial
    unique index; :mod:`xtycore.services.addresses` keeps exactly one.
    """

    __tablename__ = "xty_customer_address"
    __table_args__ = (
        Index(
            "uq_xty_customer_address_one_default",
            "customer_id",
            unique=True,
            sqlite_where=db.text("is_default"),
            postgresql_where=db.text("is_default"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("xty_customer.id", ondelete="CASCADE"), nullable=False, index=True
    )
    recipient: Mapped[str] = mapped_column(String(MAX_LENGTHS["recipient"]), nullable=False)
    mobile: Mapped[str] = mapped_column(String(MAX_LENGTHS["mobile"]), nullable=False)
    province: Mapped[str] = mapped_column(String(MAX_LENGTHS["province"]), nullable=False)
    city: Mapped[str] = mapped_column(String(MAX_LENGTHS["city"]), nullable=False)
    district: Mapped[str] = mapped_column(String(MAX_LENGTHS["district"]), nullable=False)
    street: Mapped[str] = mapped_column(String(MAX_LENGTHS["street"]), nullable=False)
    postcode: Mapped[str | None] = mapped_column(String(MAX_LENGTHS["postcode"]), nullable=True)
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )

    @property
    def one_line(self) -> str:
        """The address as printed on a waybill: 省市区 + street (a municipality's city once)."""
        city = "" if self.city == self.province else self.city
        return f"{self.province}{city}{self.district}{self.street}"
