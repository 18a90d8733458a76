"""The error monitor: every unhandled exception of a request, grouped, counted and resolvable.

:func:`init_app` asks Flask to call :func:`record_request_exception` when a
request ends on an exception no handler took, the one that becomes the 500
page: storefront, back office, API and webhooks alike. It runs at the
request's teardown, after the 500 handler rolled the request's transaction
back and after the page was built, so it can neither hide the original error
nor change the page. It writes on a connection of its own and, if that fails
(the database is down), only logs.

Occurrences are grouped by a fingerprint: the exception type and the
innermost frame of xtycore or plugin code (:func:`culprit`). One
``INSERT … ON CONFLICT DO UPDATE`` per occurrence adds to the group's count
in the database, so any number of worker processes and app nodes count
exactly, on SQLite and PostgreSQL. A resolved group that happens again is
open again. At most ``ERROR_MONITOR_MAX_GROUPS`` groups are kept: those seen
longest ago go first.

What is kept of the request: method, path (values of secret-looking query
parameters and path variables replaced by ``[filtered]``), endpoint, the
signed-in customer's and staff member's ids as the session names them, and
the xtycore version; never a body or a cookie. Failing background jobs are
already recorded as plugin failures (:meth:`xtycore.plugins.Plugins.guard`),
which the monitor lists beside the exceptions.
"""

from __future__ import annotations

import hashlib
import logging
import re
import traceback as tb
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Iterable
from urllib.parse import urlencode

from flask import Flask, current_app, has_app_context, has_request_context, request, session
from flask_babel import gettext as _
from sqlalchemy import case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import defer

import xtycore
from xtycore.domain.errors import XtyError
from xtycore.extensions import db, transaction
from xtycore.kernel import get_kernel
from xtycore.models.accounts import CUSTOMER_SESSION_PREFIX
from xtycore.models.errors import (
    MESSAGE_MAX_LENGTH, OPEN, PATH_MAX_LENGTH, RESOLVED, TRACEBACK_MAX_LENGTH, ErrorEvent,
)
from xtycore.models.kernel import PluginFailure, utcnow
from xtycore.models.staff import STAFF_SESSION_PREFIX

log = logging.getLogger("xtycore.errors")

#: Rows one page of the monitor lists.
PAGE_SIZE = 50
#: How far back the dashboard counts open groups.
RECENT = timedelta(hours=24)
#: Parameter and path-variable names whose values are never stored.
SECRET_NAME = re.compile(r"pass|pwd|token|sign|key|secret|auth|credential", re.IGNORECASE)
FILTERED = "[filtered]"
#: The session keys naming the signed-in customer (Flask-Login's) and staff member (``SESSION_KEY`` of
#: xtycore.admin.auth, which imports the back office: the service must not).
CUSTOMER_SESSION_KEY = "_user_id"
STAFF_SESSION_KEY = "_xty_staff"


class ErrorMonitorError(XtyError):
    """A change to an error group that cannot be made; nothing was written. The message is for staff."""


@dataclass(frozen=True)
class Occurrence:
    """One unhandled exception, as the monitor keeps it."""

    error_type: str
    culprit: str
    message: str
    traceback: str
    method: str = ""
    path: str = ""
    endpoint: str = ""
    customer_id: int | None = None
    staff_id: int | None = None

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(f"{self.error_type}\n{self.culprit}".encode()).hexdigest()


# --------------------------------------------------------------------------
# describing an exception and the request it ended
# --------------------------------------------------------------------------


def type_name(exc: BaseException) -> str:
    kind = type(exc)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def own_packages() -> set[str]:
    """Top-level packages of xtycore and of every loaded plugin: the code a culprit is looked for in."""
    packages = {"xtycore"}
    if has_app_context():
        packages.update(record.module.split(".")[0] for record in get_kernel().plugins.loaded())
    return packages


def culprit(trace: TracebackType | None, packages: Iterable[str]) -> str:
    """``path/of/module.py:function`` of the innermost frame in ``packages``, else of the innermost frame."""
    packages = tuple(packages)
    frames = [frame for frame, _line in tb.walk_tb(trace)]
    ours = [f for f in frames if f.f_globals.get("__name__", "").split(".")[0] in packages]
    frame = (ours or frames or [None])[-1]
    if frame is None:
        return ""
    module = frame.f_globals.get("__name__", "")
    filename = frame.f_code.co_filename
    if module and module != "__main__":
        suffix = "/__init__.py" if filename.endswith("__init__.py") else ".py"
        filename = module.replace(".", "/") + suffix
    return f"{filename}:{frame.f_code.co_qualname}"


def safe_path() -> str:
    """The request's path and query, without the values of secret-looking parameters or path variables."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if SECRET_NAME.search(name) and str(value):
            path = path.replace(str(value), FILTERED)
    query = [(name, FILTERED if SECRET_NAME.search(name) else value)
             for name, value in request.args.items(multi=True)]
    return (f"{path}?{urlencode(query)}" if query else path)[:PATH_MAX_LENGTH]


def _session_account(key: str, prefix: str) -> int | None:
    """The account id a session key names (``<prefix>:<id>:<fingerprint>``), read without the database."""
    value = session.get(key)
    if not isinstance(value, str):
        return None
    kind, _sep, rest = value.partition(":")
    ident = rest.partition(":")[0]
    return int(ident) if kind == prefix and ident.isdigit() else None


def occurrence_of(exc: BaseException) -> Occurrence:
    """What the monitor keeps of ``exc`` (and of the current request, when there is one)."""
    described = {}
    if has_request_context():
        described = {
            "method": request.method[:10], "path": safe_path(), "endpoint": (request.endpoint or "")[:200],
            "customer_id": _session_account(CUSTOMER_SESSION_KEY, CUSTOMER_SESSION_PREFIX),
            "staff_id": _session_account(STAFF_SESSION_KEY, STAFF_SESSION_PREFIX),
        }
    return Occurrence(
        error_type=type_name(exc)[:200],
        culprit=culprit(exc.__traceback__, own_packages())[:300],
        message=(str(exc) or repr(exc))[:MESSAGE_MAX_LENGTH],
        traceback="".join(tb.format_exception(exc))[-TRACEBACK_MAX_LENGTH:],
        **described,
    )


# --------------------------------------------------------------------------
# recording
# --------------------------------------------------------------------------


def _upsert(dialect: str, occurrence: Occurrence, now: datetime):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    latest = {
        "message": occurrence.message, "traceback": occurrence.traceback, "method": occurrence.method,
        "path": occurrence.path, "endpoint": occurrence.endpoint, "customer_id": occurrence.customer_id,
        "staff_id": occurrence.staff_id, "version": xtycore.__version__[:50],
    }
    statement = insert(ErrorEvent).values(
        fingerprint=occurrence.fingerprint, error_type=occurrence.error_type, culprit=occurrence.culprit,
        count=1, first_seen=now, last_seen=now, status=OPEN, resolved_by="", **latest,
    )
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[ErrorEvent.fingerprint],
        set_={
            "count": ErrorEvent.count + 1,
            # workers commit in any order: the group keeps the latest time it was seen
            "last_seen": case((new.last_seen > ErrorEvent.last_seen, new.last_seen), else_=ErrorEvent.last_seen),
            "status": OPEN, "resolved_at": None, "resolved_by": "",
            **{name: getattr(new, name) for name in latest},
        },
    )


def record(occurrence: Occurrence, *, now: datetime | None = None) -> int:
    """Count ``occurrence`` into its group, then prune, each in a transaction of its own connection.

    :returns: the group's id.
    :raises sqlalchemy.exc.SQLAlchemyError: the database refused or is unreachable.
    """
    engine = db.engine
    with engine.begin() as conn:
        group_id = conn.execute(_upsert(engine.dialect.name, occurrence, now or utcnow())
                                .returning(ErrorEvent.id)).scalar_one()
    prune(current_app.config["ERROR_MONITOR_MAX_GROUPS"])
    return group_id


def prune(keep: int) -> int:
    """Delete all but the ``keep`` groups seen most recently; how many went."""
    newest = select(ErrorEvent.id).order_by(ErrorEvent.last_seen.desc(), ErrorEvent.id.desc()).limit(max(keep, 0))
    with db.engine.begin() as conn:
        return conn.execute(delete(ErrorEvent).where(ErrorEvent.id.not_in(newest))).rowcount


def record_request_exception(exc: BaseException | None) -> None:
    """Flask's ``teardown_request``: record the exception a request ended on. Never raises."""
    if exc is None:
        return
    try:
        db.session.remove()  # the request's session holds nothing the record needs, and no lock
        record(occurrence_of(exc))
    except Exception:  # recording must not replace the error being recorded; the log keeps both
        log.exception("could not record the unhandled %s in the error monitor", type(exc).__name__)


def init_app(app: Flask) -> None:
    app.teardown_request(record_request_exception)


# --------------------------------------------------------------------------
# reading and resolving (the back office)
# --------------------------------------------------------------------------


def _page(statement, count_statement, page: int) -> tuple[list[Any], int]:
    total = db.session.execute(count_statement).scalar_one()
    rows = db.session.execute(statement.limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)).scalars()
    return list(rows), total


def groups(status: str | None, *, page: int = 1) -> tuple[list[ErrorEvent], int]:
    """One page of exception groups (of one status, or all), last seen first, and how many there are."""
    where = [ErrorEvent.status == status] if status else []
    # the list shows no traceback: leave those (up to 20 kB each) in the database
    rows = select(ErrorEvent).options(defer(ErrorEvent.traceback, raiseload=True)).where(*where)
    return _page(rows.order_by(ErrorEvent.last_seen.desc(), ErrorEvent.id.desc()),
                 select(func.count(ErrorEvent.id)).where(*where), page)


def plugin_failures(plugin: str, *, page: int = 1) -> tuple[list[PluginFailure], int]:
    """One page of recorded plugin failures (of one plugin, or all), newest first, and how many there are."""
    where = [PluginFailure.plugin == plugin] if plugin else []
    return _page(select(PluginFailure).where(*where).order_by(PluginFailure.id.desc()),
                 select(func.count(PluginFailure.id)).where(*where), page)


def failing_plugins() -> list[str]:
    """The plugins with a recorded failure, by name."""
    return list(db.session.execute(select(PluginFailure.plugin).distinct().order_by(PluginFailure.plugin)).scalars())


def recently_open():
    """``WHERE`` conditions of the open groups seen in the last :data:`RECENT` (the dashboard counts them)."""
    return (ErrorEvent.status == OPEN, ErrorEvent.last_seen >= utcnow() - RECENT)


def resolve(event_id: int, *, staff_email: str) -> ErrorEvent:
    """Mark a group resolved, in a transaction of its own; it opens again if it happens again.

    :raises ErrorMonitorError: no such group, or it is resolved already; nothing is written.
    """
    with transaction() as session:
        event = session.get(ErrorEvent, event_id, with_for_update=True, populate_existing=True)
        if event is None:
            raise ErrorMonitorError(_("This error is no longer recorded."))
        if event.status == RESOLVED:
            raise ErrorMonitorError(_("This error is resolved already."))
        event.status, event.resolved_at, event.resolved_by = RESOLVED, utcnow(), staff_email[:254]
    return event
