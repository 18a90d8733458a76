"""The sandbox's own tables: its trades and their refunds (Alembic branch ``payment_sandbox``).

They live on their own SQLAlchemy ``MetaData``, not the kernel's: the sandbox
plays a remote gateway, so the kernel neither knows nor cleans its tables,
and they exist only once the plugin is enabled (enabling upgrades the branch).
Rows are read and written through the kernel's session all the same.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint, DateTime, ForeignKey, Integer, MetaData, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from xtycore.extensions import NAMING_CONVENTION
from xtycore.models.kernel import utcnow

TRADE_STATUSES = ("open", "paid", "declined", "closed")
NOTIFY_STATUSES = ("none", "pending", "delivered", "failed")
REFUND_STATUSES = ("processing", "succeeded")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class SandboxBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class SandboxTrade(SandboxBase):
    """A payment as the sandbox gateway knows it."""

    __tablename__ = "xty_sandbox_trade"
    __table_args__ = (
        UniqueConstraint("merchant_id", "out_trade_no", name="uq_xty_sandbox_trade_merchant_out_trade_no"),
        CheckConstraint(f"status IN ({_in(TRADE_STATUSES)})", name="status"),
        CheckConstraint(f"notify_status IN ({_in(NOTIFY_STATUSES)})", name="notify_status"),
        CheckConstraint("amount_minor > 0", name="amount"),
        CheckConstraint("0 <= refunded_minor AND refunded_minor <= amount_minor", name="refunded"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trade_no: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    merchant_id: Mapped[str] = mapped_column(String(32), nullable=False)
    out_trade_no: Mapped[str] = mapped_column(String(64), nullable=False)
    order_number: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    subject: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    amount_minor: Mapped[int] = mapped_column(Integer, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
    refunded_minor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    notify_url: Mapped[str] = mapped_column(Text, nullable=False, default="")
    return_url: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: delivery of the callback announcing the customer's decision
    notify_status: Mapped[str] = mapped_column(String(20), nullable=False, default="none")
    notify_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_notify_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    last_notify_error: Mapped[str] = mapped_column(Text, nullable=False, default="")

    def as_dict(self) -> dict:
        return {c.name: getattr(self, c.name) for c in self.__table__.columns}


class SandboxRefund(SandboxBase):
    """A refund of a sandbox trade; ``refund_id`` is the merchant's idempotency key."""

    __tablename__ = "xty_sandbox_refund"
    __table_args__ = (
        UniqueConstraint("trade_id", "refund_id", name="uq_xty_sandbox_refund_trade_refund"),
        CheckConstraint("amount_minor > 0", name="amount"),
        CheckConstraint(f"status IN ({_in(REFUND_STATUSES)})", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trade_id: Mapped[int] = mapped_column(ForeignKey("xty_sandbox_trade.id"), nullable=False, index=True)
    refund_id: Mapped[str] = mapped_column(String(64), nullable=False)
    amount_minor: Mapped[int] = mapped_column(Integer, nullable=False)
    #: "processing" (asynchronous refunds, until the refund job finishes it) or "succeeded"
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="succeeded")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    def as_dict(self) -> dict:
        return {c.name: getattr(self, c.name) for c in self.__table__.columns}
