"""Kernel tables: plugin state, capability instances, failures, settings."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Boolean, CheckConstraint, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xtycore.extensions import db


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class KernelState(db.Model):
    """One row whose ``generation`` goes up whenever plugin or capability
    configuration changes, so every worker process knows to reload it."""

    __tablename__ = "xty_kernel_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, nullable=False, default=1)


class PluginState(db.Model):
    """Whether the merchant has enabled an installed plugin (installed is not enabled)."""

    __tablename__ = "xty_plugin_state"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(200), nullable=False, default="")


class CapabilityInstance(db.Model):
    """A configured instance of a capability type: an Alipay account, a courier account …"""

    __tablename__ = "xty_capability_instance"
    __table_args__ = (
        CheckConstraint("kind IN ('payment', 'courier', 'promotion', 'support')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    type_code: Mapped[str] = mapped_column(String(64), nullable=False)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: validated settings; fields the schema marks secret are stored encrypted
    settings: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class PluginFailure(db.Model):
    """A plugin call that raised: kept for ``xty plugins errors`` and the admin."""

    __tablename__ = "xty_plugin_failure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plugin: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    call: Mapped[str] = mapped_column(String(200), nullable=False)
    policy: Mapped[str] = mapped_column(String(10), nullable=False)
    error_type: Mapped[str] = mapped_column(String(200), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    traceback: Mapped[str] = mapped_column(Text, nullable=False, default="")
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


class Setting(db.Model):
    """Shop settings edited at run time (active theme, theme settings …)."""

    __tablename__ = "xty_setting"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[dict | list | str | int | bool | None] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
