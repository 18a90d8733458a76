"""Unhandled exceptions of requests, grouped: one row per kind of failure, with how often it happened.

Written only by :mod:`xtycore.services.errors`, in one ``INSERT … ON CONFLICT``
per occurrence, so every worker process counts into the same row without
holding anything in memory. A group is keyed by its ``fingerprint``: the
exception type and the innermost frame of xtycore or plugin code. The columns
describing the request hold the latest occurrence; never a request body,
cookies or the value of a secret-looking query parameter.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xtycore.extensions import db
from xtycore.models.kernel import utcnow

OPEN = "open"
RESOLVED = "resolved"
#: Longest message and traceback kept (the traceback keeps its end, where the error is).
MESSAGE_MAX_LENGTH = 4000
TRACEBACK_MAX_LENGTH = 20000
PATH_MAX_LENGTH = 2000


class ErrorEvent(db.Model):
    __tablename__ = "xty_error_event"
    __table_args__ = (
        CheckConstraint(f"status IN ('{OPEN}', '{RESOLVED}')", name="status"),
        # the monitor lists one status newest first; the dashboard counts open groups seen lately
        Index("ix_xty_error_event_status_last_seen", "status", "last_seen"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: sha256 of the exception type and the culprit: what makes two occurrences one group
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    #: ``module.QualifiedName`` of the exception
    error_type: Mapped[str] = mapped_column(String(200), nullable=False)
    #: the innermost frame of xtycore or plugin code, ``xtycore/web/storefront.py:product``
    culprit: Mapped[str] = mapped_column(String(300), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")
    traceback: Mapped[str] = mapped_column(Text, nullable=False, default="")
    method: Mapped[str] = mapped_column(String(10), nullable=False, default="")
    #: the path with secret-looking parameters and path variables replaced by ``[filtered]``
    path: Mapped[str] = mapped_column(String(PATH_MAX_LENGTH), nullable=False, default="")
    endpoint: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    # plain ids, no foreign keys: the record outlives accounts and must never fail on them
    customer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    staff_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: the xtycore version that raised it last
    version: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow,
                                                index=True)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=OPEN)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: the email of the staff member who marked it resolved
    resolved_by: Mapped[str] = mapped_column(String(254), nullable=False, default="")
