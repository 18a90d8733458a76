"""Staff accounts: the people who run the shop.

A table of its own, apart from :class:`~xtycore.models.accounts.Customer`:
a shopper's login can never reach the back office, and the same email may
be a customer and a staff member without the two accounts touching. The
back office adds sessions (session key prefix :data:`STAFF_SESSION_PREFIX`,
see :mod:`xtycore.security`) and permissions per role.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from xtycore.domain.staff import StaffRole
from xtycore.extensions import db
from xtycore.models.kernel import utcnow

#: The session key prefix staff sessions will use (customers use "customer").
STAFF_SESSION_PREFIX = "staff"
STAFF_ROLES = ", ".join(f"'{r.value}'" for r in StaffRole)


class Staff(db.Model):
    __tablename__ = "xty_staff"
    __table_args__ = (
        CheckConstraint("email = lower(email)", name="email_lower_case"),
        CheckConstraint(f"role IN ({STAFF_ROLES})", name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: lower-cased by the service; the unique key of the account
    email: Mapped[str] = mapped_column(String(254), nullable=False, unique=True)
    display_name: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    #: argon2id, PHC string format, made by :func:`xtycore.security.hash_password`
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    #: a :class:`~xtycore.domain.staff.StaffRole` value
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    def __repr__(self) -> str:
        return f"<Staff {self.id} {self.email} {self.role}>"
