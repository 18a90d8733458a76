"""Run-time configuration shared by every worker process, through the database.

Enabled plugins, capability instances and shop settings live in the database.
Each process keeps a read-only snapshot of them and compares one number, the
``generation`` of :class:`~xtycore.models.KernelState`, at most once per
request (or CLI command); any change made through :func:`bump` in any process
raises the generation in the same transaction, so every process reloads on
its next request. Nothing here is the source of truth: the database is.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g, has_app_context
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError, ProgrammingError

from xtycore.domain.errors import ConfigurationError
from xtycore.extensions import db
from xtycore.models import CapabilityInstance, KernelState, PluginState, Setting


@dataclass(frozen=True)
class InstanceRow:
    """A detached copy of a capability instance row."""

    id: int
    kind: str
    type_code: str
    display_name: str
    enabled: bool
    sort_order: int
    settings: dict[str, Any]


@dataclass(frozen=True)
class Snapshot:
    generation: int
    enabled_plugins: frozenset[str]
    instances: tuple[InstanceRow, ...]
    settings: dict[str, Any] = field(default_factory=dict)

    def setting(self, key: str, default: Any = None) -> Any:
        return self.settings.get(key, default)


class StateCache:
    """Per-process cache of the latest :class:`Snapshot`, validated per request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None

    def current(self) -> Snapshot:
        cached = g.get("_xty_snapshot")
        if cached is not None:
            return cached
        generation = current_generation()
        with self._lock:
            snap = self._snapshot
            if snap is None or snap.generation != generation:
                snap = self._snapshot = load_snapshot(generation)
        g._xty_snapshot = snap
        return snap

    def forget(self) -> None:
        """Drop this context's snapshot so the next read sees the latest change."""
        if has_app_context():
            g.pop("_xty_snapshot", None)


def current_generation() -> int:
    try:
        generation = db.session.execute(
            select(KernelState.generation).where(KernelState.id == 1)
        ).scalar()
    except (OperationalError, ProgrammingError) as exc:
        db.session.rollback()
        raise ConfigurationError(
            "the database has no xtycore tables yet: run `xty db upgrade` (or `xty init`)"
        ) from exc
    return generation or 0


def load_snapshot(generation: int) -> Snapshot:
    enabled = db.session.execute(select(PluginState.name).where(PluginState.enabled.is_(True))).scalars()
    rows = db.session.execute(
        select(CapabilityInstance).order_by(
            CapabilityInstance.kind, CapabilityInstance.sort_order, CapabilityInstance.id
        )
    ).scalars()
    instances = tuple(
        InstanceRow(
            id=r.id, kind=r.kind, type_code=r.type_code, display_name=r.display_name,
            enabled=r.enabled, sort_order=r.sort_order, settings=dict(r.settings or {}),
        )
        for r in rows
    )
    settings = {s.key: s.value for s in db.session.execute(select(Setting)).scalars()}
    return Snapshot(generation, frozenset(enabled), instances, settings)


def bump() -> None:
    """Raise the generation inside the current transaction (call it from every writer)."""
    result = db.session.execute(
        update(KernelState).where(KernelState.id == 1).values(generation=KernelState.generation + 1)
    )
    if result.rowcount == 0:
        db.session.add(KernelState(id=1, generation=2))
    cache().forget()


def cache() -> StateCache:
    return current_app.extensions["xtycore"].state


def snapshot() -> Snapshot:
    return cache().current()


def set_setting(key: str, value: Any) -> None:
    """Store a shop setting inside the current transaction and bump the generation."""
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value))
    else:
        row.value = value
    bump()
