"""The audit log: who did what to which object, before and after, from where.

A back-office view wraps the service call that makes a change in
:func:`recorded`::

    with audit.recorded("capability.update", "capability", instance_id,
                        before=snapshot_of(instance_id), after=lambda session: snapshot_of(instance_id)):
        capabilities.update_instance(instance_id, settings=...)

The entry is added by a ``before_commit`` listener to the transaction that
writes the change, so the change and its entry commit together or not at
all, while the services that make changes (:mod:`xtycore.services.capabilities`,
:mod:`xtycore.services.plugins`, :mod:`xtycore.themes`) know nothing of
auditing. ``after`` is called inside that transaction, after the change was
flushed. A block whose change never commits (refused, rolled back) leaves no
entry. Values must be JSON; callers mask secrets (see :func:`xtycore.vault.masked`).

Who acted and from which address is set once per request by the back office
(:func:`set_actor`).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterator

from flask import g, has_app_context
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from xtycore.extensions import db, transaction
from xtycore.models.audit import AuditEntry
from xtycore.models.kernel import utcnow

WROTE = "xty_wrote"
CREATED = "xty_created"
#: Most entries one page of the audit screen shows.
PAGE_SIZE = 50


@dataclass
class Actor:
    staff_id: int | None
    email: str
    ip: str


@dataclass
class _Pending:
    action: str
    object_type: str
    object_id: str
    before: Any
    after: Callable[[Session], Any] | None
    written: bool = False


def set_actor(staff_id: int | None, email: str, ip: str) -> None:
    """Who is acting in this request (the back office calls it for every request)."""
    g._xty_audit_actor = Actor(staff_id, email, ip[:45])


def _actor() -> Actor:
    actor = g.get("_xty_audit_actor")
    if actor is None:
        raise RuntimeError("audit.recorded() outside a back-office request: call audit.set_actor() first")
    return actor


@contextmanager
def recorded(
    action: str, object_type: str, object_id: Any, *,
    before: Any = None, after: Callable[[Session], Any] | None = None,
) -> Iterator[_Pending]:
    """Record ``action`` in the transaction that commits the change made inside the block.

    :param after: called with the session inside the committing transaction; its
        result is stored as the object's state after the change.
    """
    _actor()
    entry = _Pending(action, object_type, str(object_id if object_id is not None else ""), before, after)
    pending = g.setdefault("_xty_audit_pending", [])
    pending.append(entry)
    try:
        yield entry
    finally:
        pending.remove(entry)


def record_now(action: str, object_type: str, object_id: Any, *, before: Any = None, after: Any = None) -> None:
    """Write an entry for an action that changes nothing else (signing in or out), in its own transaction."""
    with transaction() as session:
        session.add(_entry(action, object_type, str(object_id), before, after))


def _entry(action: str, object_type: str, object_id: str, before: Any, after: Any) -> AuditEntry:
    actor = _actor()
    return AuditEntry(
        occurred_at=utcnow(), staff_id=actor.staff_id, staff_email=actor.email, action=action,
        object_type=object_type, object_id=object_id, before=before, after=after, ip=actor.ip,
    )


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, flush_context: Any) -> None:
    session.info[WROTE] = True
    session.info.setdefault(CREATED, []).extend(session.new)  # still the pre-flush state here


def created(session: Session, model: type) -> list[Any]:
    """Rows of ``model`` inserted in the current transaction (an ``after`` callback finds a new object's id)."""
    return [obj for obj in session.info.get(CREATED, ()) if isinstance(obj, model)]


@event.listens_for(Session, "do_orm_execute")
def _executed(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[WROTE] = True


def _unflushed(session: Session) -> bool:
    # before_commit runs before the commit's own flush: pending changes count as writes too
    return bool(session.new or session.deleted or any(session.is_modified(obj) for obj in session.dirty))


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    """Add the entries of the blocks open now to the transaction that writes their change."""
    if not has_app_context() or not (session.info.get(WROTE) or _unflushed(session)):
        return
    pending = [entry for entry in g.get("_xty_audit_pending", ()) if not entry.written]
    if not pending:
        return
    for entry in pending:
        session.flush()
        after = entry.after(session) if entry.after is not None else None
        if not entry.object_id and isinstance(after, dict) and "id" in after:
            entry.object_id = str(after["id"])
        session.add(_entry(entry.action, entry.object_type, entry.object_id, entry.before, after))
        entry.written = True
    session.flush()


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _transaction_over(session: Session) -> None:
    session.info.pop(WROTE, None)
    session.info.pop(CREATED, None)


# --------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    staff_id: int | None = None
    object_type: str = ""
    since: datetime | None = None
    until: datetime | None = None


def entries(where: AuditFilter, *, page: int = 1) -> tuple[list[AuditEntry], int]:
    """One page of entries matching ``where``, newest first, and how many match in all."""
    query = select(AuditEntry)
    if where.staff_id is not None:
        query = query.where(AuditEntry.staff_id == where.staff_id)
    if where.object_type:
        query = query.where(AuditEntry.object_type == where.object_type)
    if where.since is not None:
        query = query.where(AuditEntry.occurred_at >= where.since)
    if where.until is not None:
        query = query.where(AuditEntry.occurred_at < where.until)
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = db.session.execute(
        query.order_by(AuditEntry.id.desc()).limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)
    ).scalars().all()
    return list(rows), total


def object_types() -> list[str]:
    return list(db.session.execute(select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type))
                .scalars())


def current_email() -> str:
    """The email of whoever acts in this request."""
    return _actor().email
