"""Payment tables: payments, the webhook inbox, and the gateway events applied.

Persistence only. Status changes follow :data:`xtycore.domain.payment_states.PAYMENT`,
writes go through :mod:`xtycore.services.payments`. Money is stored as
integers in the minor unit (fen); read it back with ``Money.from_minor``.

- :class:`Payment`: one attempt to collect an order's amount through one
  configured gateway instance. ``reference`` is the public, random id the
  gateway knows the payment by (its ``out_trade_no``).
- :class:`PaymentWebhook`: every callback exactly as it arrived, before any
  verification, with what became of it.
- :class:`PaymentEvent`: each verified gateway event applied, unique per
  instance and event id, so a repeated callback changes nothing.
- :class:`PaymentTransaction`: the ledger of money movements of a payment
  (authorisation, capture, void, refund), each pending until the gateway
  answers; ``idempotency_key`` is unique per payment and is what the
  gateway receives as ``refund_id``.

The amounts on :class:`Payment` are the ledger's running totals and the
database enforces ``0 <= refunded + refund_pending <= captured <= authorized
<= amount``: a pending refund reserves its amount, so two refunds can never
together return more than was captured, whatever runs concurrently.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text,
    UniqueConstraint, false, text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from xtycore.domain.payment_states import LedgerStatus, PaymentStatus
from xtycore.domain.payments import TxKind
from xtycore.extensions import db
from xtycore.models.kernel import utcnow

PAYMENT_STATUSES = ", ".join(f"'{s.value}'" for s in PaymentStatus)
WEBHOOK_STATUSES = ("received", "applied", "duplicate", "ignored", "rejected", "error")
TX_KINDS = ", ".join(f"'{k.value}'" for k in TxKind)
TX_STATUSES = ", ".join(f"'{s.value}'" for s in LedgerStatus)
#: the ledger invariant, also a CHECK on xty_payment (a pending refund reserves its amount)
LEDGER_CHECK = (
    "refund_pending_minor >= 0 AND refunded_minor + refund_pending_minor <= captured_minor "
    "AND captured_minor <= authorized_minor AND authorized_minor <= amount_minor"
)


class Payment(db.Model):
    __tablename__ = "xty_payment"
    __table_args__ = (
        CheckConstraint(f"status IN ({PAYMENT_STATUSES})", name="status"),
        CheckConstraint("amount_minor > 0", name="amount"),
        CheckConstraint(
            "0 <= refunded_minor AND refunded_minor <= captured_minor AND captured_minor <= amount_minor",
            name="captured_refunded",
        ),
        CheckConstraint(LEDGER_CHECK, name="ledger"),
        # one open attempt per order and gateway instance: start_payment reuses it
        Index(
            "uq_xty_payment_one_pending", "order_id", "instance_id", unique=True,
            sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("xty_order.id"), nullable=False, index=True)
    #: the configured gateway instance (no foreign key: history outlives a deleted instance)
    instance_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    gateway_code: Mapped[str] = mapped_column(String(64), nullable=False)
    reference: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    amount_minor: Mapped[int] = mapped_column(Integer, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=PaymentStatus.PENDING.value)
    captured_minor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    refunded_minor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: held for the shop: the amount once the payment succeeded (captured at once unless the gateway delays capture)
    authorized_minor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: reserved by refunds sent to the gateway and not yet answered
    refund_pending_minor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: whether this payment's money paid its order (False for money that arrived too late or twice)
    paid_order: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    gateway_reference: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    #: what the customer was asked to do: the flow and what it needs again later
    flow: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    qr_content: Mapped[str] = mapped_column(Text, nullable=False, default="")
    instructions: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: where the customer lands after the gateway sends them back (given by the storefront)
    return_url: Mapped[str] = mapped_column(Text, nullable=False, default="")
    failure_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: set when staff must act, e.g. money arrived for an order that was already paid
    attention: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: each gateway answer ({"at", "verb", "data"}), secrets masked
    responses: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    order = relationship("Order", viewonly=True)

    def __repr__(self) -> str:
        return f"<Payment {self.reference} {self.status} {self.amount_minor} {self.currency}>"


class PaymentWebhook(db.Model):
    """A callback as it arrived at ``/webhooks/payment/<instance_id>``, kept whatever it was."""

    __tablename__ = "xty_payment_webhook"
    __table_args__ = (
        CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in WEBHOOK_STATUSES) + ")", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, index=True
    )
    remote_addr: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    headers: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    query: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    body: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, default=b"")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="received")
    #: why it was rejected, ignored or failed
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    event_id: Mapped[str | None] = mapped_column(String(128))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("xty_payment.id"), index=True)
    response_status: Mapped[int | None] = mapped_column(Integer)


class PaymentEvent(db.Model):
    """A verified gateway event, applied once: the unique key makes repeats harmless."""

    __tablename__ = "xty_payment_event"
    __table_args__ = (UniqueConstraint("instance_id", "event_id", name="uq_xty_payment_event_instance_event"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer, nullable=False)
    event_id: Mapped[str] = mapped_column(String(128), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    payment_id: Mapped[int] = mapped_column(ForeignKey("xty_payment.id"), nullable=False, index=True)
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("xty_payment_webhook.id"))
    amount_minor: Mapped[int] = mapped_column(Integer, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    #: "applied" (the payment moved), "no_change" (it already had that outcome) or "ignored"
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)
    response_status: Mapped[int] = mapped_column(Integer, nullable=False)
    response_body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    response_content_type: Mapped[str] = mapped_column(String(100), nullable=False, default="text/plain")
    processed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class PaymentTransaction(db.Model):
    """One money movement of a payment, as the kernel asked for it and as the gateway answered.

    Written ``pending`` before the gateway is called and settled once, to
    ``succeeded`` or ``failed``, by the gateway's answer, a refund callback or
    a query. ``lines`` (refunds by order line) is a list of ``{"order_line_id",
    "sku", "quantity", "amount_minor"}``; ``response`` is the gateway's answer
    with secrets masked.
    """

    __tablename__ = "xty_payment_transaction"
    __table_args__ = (
        CheckConstraint(f"kind IN ({TX_KINDS})", name="kind"),
        CheckConstraint(f"status IN ({TX_STATUSES})", name="status"),
        CheckConstraint("amount_minor >= 0", name="amount"),
        UniqueConstraint("payment_id", "idempotency_key", name="uq_xty_payment_transaction_payment_key"),
        # at most one live authorisation, capture and void per payment: concurrent captures make one
        Index(
            "uq_xty_payment_transaction_one_live", "payment_id", "kind", unique=True,
            sqlite_where=text("kind != 'refund' AND status != 'failed'"),
            postgresql_where=text("kind != 'refund' AND status != 'failed'"),
        ),
        Index("ix_xty_payment_transaction_status_created_at", "status", "created_at"),
        # the reports' refunds per period, read from the index alone (migration 0017_report_speed)
        Index("ix_xty_payment_transaction_kind_status_created_at", "kind", "status", "created_at", "currency",
              "amount_minor"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("xty_payment.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=LedgerStatus.PENDING.value)
    amount_minor: Mapped[int] = mapped_column(Integer, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    #: the kernel's key for this movement, sent to the gateway as ``refund_id`` for refunds
    idempotency_key: Mapped[str] = mapped_column(String(64), nullable=False)
    gateway_reference: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    #: who asked: ``staff:<name>``, ``gateway:<code>``, ``kernel``
    requested_by: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: refunds by order line: [{"order_line_id", "sku", "quantity", "amount_minor"}]
    lines: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    #: the refund includes the order's shipping fee
    includes_shipping: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: the refunded lines' stock was put back (the restock receiver sets it once)
    restocked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: the gateway's message, or why the movement failed or is still pending
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: the gateway's last answer, secrets masked
    response: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    payment = relationship("Payment", viewonly=True)

    def __repr__(self) -> str:
        return f"<PaymentTransaction {self.kind} {self.status} {self.amount_minor} {self.currency}>"
