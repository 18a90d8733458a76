"""The audit log: one row per staff action, never changed afterwards.

Rows are written by :mod:`xtycore.services.audit` in the same transaction as
the change they describe. Nothing in xtycore updates or deletes them: the ORM
refuses (:class:`AuditImmutable`) and the migration adds a database trigger
that refuses ``UPDATE`` statements too, so even a bulk update fails.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from xtycore.domain.errors import XtyError
from xtycore.extensions import db
from xtycore.models.kernel import utcnow


class AuditImmutable(XtyError):
    """An audit entry may be written once and read; never changed or deleted."""


class AuditEntry(db.Model):
    __tablename__ = "xty_audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow,
                                                  index=True)
    #: who acted; None for something a signed-out person did (accepting an invitation before the account exists)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("xty_staff.id", ondelete="SET NULL"), index=True)
    #: the email at the time, kept even if the account's email changes later
    staff_email: Mapped[str] = mapped_column(String(254), nullable=False, default="")
    #: what happened, ``<object type>.<verb>``: "capability.update", "staff.invite" …
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    object_type: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    object_id: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    #: the object before and after, as JSON with secrets masked; None when it did not exist
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    ip: Mapped[str] = mapped_column(String(45), nullable=False, default="")

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} {self.object_type}:{self.object_id}>"


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise AuditImmutable(f"audit entry {target.id} cannot be changed")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise AuditImmutable(f"audit entry {target.id} cannot be deleted")
