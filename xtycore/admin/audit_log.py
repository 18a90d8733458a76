"""The audit log screen: read only, filtered by staff member, object type and the shop's dates."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app, request

from xtycore.admin import bp, page
from xtycore.admin.permissions import requires
from xtycore.services import audit
from xtycore.services import staff as staff_service


def _day(value: str | None, zone: ZoneInfo, *, end: bool = False) -> datetime | None:
    """Local midnight of a ``YYYY-MM-DD`` date in UTC (the next midnight for an end date); None if unreadable."""
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None
    start = datetime.combine(day + timedelta(days=1 if end else 0), time.min, tzinfo=zone)
    return start.astimezone(timezone.utc)


@bp.route("/audit")
@requires("audit.view")
def audit_entries():
    zone = ZoneInfo(current_app.config["SHOP_TIMEZONE"])
    args = request.args
    staff_id = args.get("staff", type=int)
    where = audit.AuditFilter(
        staff_id=staff_id, object_type=args.get("object_type", "").strip(),
        since=_day(args.get("since"), zone), until=_day(args.get("until"), zone, end=True),
    )
    page_number = max(args.get("page", 1, type=int), 1)
    rows, total = audit.entries(where, page=page_number)
    return page("audit.html", rows=rows, total=total, page_number=page_number, page_size=audit.PAGE_SIZE,
                staff_accounts=staff_service.list_staff(), object_types=audit.object_types(), zone=zone,
                filters={"staff": staff_id, "object_type": where.object_type, "since": args.get("since", ""),
                         "until": args.get("until", "")})
