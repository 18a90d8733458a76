"""The error monitor: unhandled exceptions grouped with their counts, and recorded plugin failures.

Both lists cost a count and one page of rows. Recording happens in
:mod:`xtycore.services.errors`; here staff read the groups, open one to see
its traceback and mark it resolved (audited; it opens again if it happens
again).
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from xtycore.admin import bp, page
from xtycore.admin.auth import current_staff
from xtycore.admin.permissions import requires
from xtycore.extensions import db
from xtycore.models.errors import OPEN, RESOLVED, ErrorEvent
from xtycore.services import audit
from xtycore.services import errors

PERMISSION = "operations.view"
TABS = ("exceptions", "plugins")
#: status filter -> the groups it lists (None: every status)
STATUSES = {OPEN: OPEN, RESOLVED: RESOLVED, "all": None}


def event_view(event: ErrorEvent) -> dict[str, Any]:
    """What the audit log keeps of a group."""
    return {"id": event.id, "error_type": event.error_type, "culprit": event.culprit, "count": event.count,
            "status": event.status, "resolved_by": event.resolved_by}


@bp.route("/errors")
@requires(PERMISSION)
def error_monitor():
    args = request.args
    tab = args.get("tab") if args.get("tab") in TABS else TABS[0]
    page_number = max(args.get("page", 1, type=int), 1)
    status = args.get("status") if args.get("status") in STATUSES else OPEN
    plugin = args.get("plugin", "").strip()
    if tab == "plugins":
        rows, total = errors.plugin_failures(plugin, page=page_number)
        context = {"plugins": errors.failing_plugins()}
    else:
        rows, total = errors.groups(STATUSES[status], page=page_number)
        context = {}
    return page("errors.html", tab=tab, rows=rows, total=total, page_number=page_number,
                page_size=errors.PAGE_SIZE, filters={"status": status, "plugin": plugin}, **context)


def _detail(event: ErrorEvent, status: int = 200, error: str | None = None):
    return page("error_detail.html", status, event=event, error=error)


@bp.route("/errors/<int:event_id>")
@requires(PERMISSION)
def error_detail(event_id: int):
    event = db.session.get(ErrorEvent, event_id)
    if event is None:
        return page("404.html", 404)
    return _detail(event)


@bp.route("/errors/<int:event_id>/resolve", methods=["POST"])
@requires(PERMISSION)
def error_resolve(event_id: int):
    event = db.session.get(ErrorEvent, event_id)
    if event is None:
        return page("404.html", 404)
    try:
        with audit.recorded("error.resolve", "error_event", event_id, before=event_view(event),
                            after=lambda session: event_view(session.get(ErrorEvent, event_id))):
            errors.resolve(event_id, staff_email=current_staff().email)
    except errors.ErrorMonitorError as exc:
        db.session.rollback()
        event = db.session.get(ErrorEvent, event_id)
        if event is None:
            return page("404.html", 404)
        return _detail(event, 422, error=str(exc))
    flash(_("Marked resolved: it opens again if it happens again."))
    return redirect(url_for(".error_detail", event_id=event_id))
