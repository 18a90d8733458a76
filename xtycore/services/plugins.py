"""Enable and disable installed plugins (installed is not enabled)."""

from __future__ import annotations

from flask import current_app

from xtycore import database, signals
from xtycore.domain.errors import PluginError
from xtycore.extensions import db, transaction
from xtycore.kernel import get_kernel
from xtycore.models import PluginState
from xtycore.models.kernel import utcnow
from xtycore.plugins import PluginRecord, send_signal
from xtycore.state import bump


def toggleable(name: str) -> PluginRecord:
    """The record of a plugin the merchant may switch; a clear error otherwise."""
    record = get_kernel().plugins.get(name)
    if record is None:
        known = ", ".join(r.name for r in get_kernel().plugins.toggleable()) or "none"
        raise PluginError(f"no plugin named {name!r} is installed (installed: {known})")
    if record.builtin:
        raise PluginError(f"{name} is part of the kernel and always enabled")
    if not record.loaded:
        raise PluginError(f"{name} is blocked and cannot be enabled: {record.reason}")
    return record


def set_enabled(name: str, enabled: bool, *, actor: str = "cli") -> bool:
    """Enable or disable a plugin; returns whether anything changed.

    Enabling upgrades the plugin's own migration branch first, so its tables
    exist before any of its code runs against them.
    """
    toggleable(name)
    app = current_app._get_current_object()
    if enabled and _has_migrations(name):
        database.upgrade(app, plugins=[name])
    with transaction():
        row = db.session.get(PluginState, name)
        if row is not None and row.enabled == enabled:
            return False
        if row is None:
            row = PluginState(name=name)
            db.session.add(row)
        row.enabled = enabled
        row.changed_at = utcnow()
        row.changed_by = actor
        bump()
    send_signal(signals.plugin_toggled, app, plugin=name, enabled=enabled, actor=actor)
    return True


def _has_migrations(name: str) -> bool:
    return name in database.plugin_directories(current_app._get_current_object())
