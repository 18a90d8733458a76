"""The back office, ``/admin``: staff sign-in, dashboard, plugins, capabilities, themes, staff, audit log.

Server-rendered Jinja pages (``xtycore/templates/admin``), styled by
``xtycore/static/admin`` (no CDN), in zh_CN and English through Flask-Babel.
Views are thin: they check a permission (:mod:`xtycore.admin.permissions`),
call the same services the command line uses, and record each change in the
audit log (:mod:`xtycore.services.audit`). docs/backoffice.md is the guide.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import Forbidden, TooManyRequests
from werkzeug.wrappers import Response

from xtycore.admin.auth import current_staff
from xtycore.admin.permissions import can
from xtycore.domain.staff import N_, ROLE_DESCRIPTIONS, ROLE_LABELS, StaffRole
from xtycore.i18n import current_locale
from xtycore.security import client_address
from xtycore.services import audit
from xtycore.web.orders import shop_time

bp = Blueprint("admin", __name__, url_prefix="/admin")


def page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """A back-office page: ``admin/<template>`` with the signed-in staff member and the menu."""
    return render_template(f"admin/{template}", **context), status


@bp.context_processor
def _shell() -> dict[str, Any]:
    from xtycore.admin.menu import menu

    who = current_staff()
    return {"staff": who, "can": can, "menu": menu(who) if who is not None else [], "shop_time": shop_time,
            "current_locale": current_locale, "pretty_json": pretty_json,
            "role_label": role_label, "role_description": role_description, "kind_label": kind_label}


def role_label(role: str) -> str:
    return gettext(ROLE_LABELS[StaffRole(role)])


def role_description(role: str) -> str:
    return gettext(ROLE_DESCRIPTIONS[StaffRole(role)])


#: What the back office calls each capability kind.
KIND_LABELS = {"payment": N_("Payment methods"), "courier": N_("Delivery methods"), "promotion": N_("Promotions"),
               "support": N_("Support channels")}


def kind_label(kind: str) -> str:
    return gettext(KIND_LABELS[kind])


def pretty_json(value: Any) -> str:
    """JSON for people (the audit log): Chinese kept readable; the template escapes it."""
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, default=str)


@bp.before_request
def _actor() -> None:
    who = current_staff()
    audit.set_actor(who.id if who else None, who.email if who else "", client_address())


@bp.after_request
def _private(response: Response) -> Response:
    """Back-office pages are never cached, framed or leaked through Referer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


@bp.errorhandler(Forbidden)
def _forbidden(error: Forbidden) -> tuple[str, int]:
    return page("403.html", 403)


@bp.errorhandler(TooManyRequests)
def _too_many(error: TooManyRequests) -> Response:
    retry_after = int(getattr(error, "retry_after", None) or 60)
    response = current_app.make_response(page("429.html", 429, wait_minutes=max(1, -(-retry_after // 60))))
    response.headers["Retry-After"] = str(retry_after)
    return response


@bp.errorhandler(CSRFError)
def _csrf(error: CSRFError) -> tuple[str, int]:
    return page("csrf.html", 400, back=request.referrer)


from xtycore.admin import (  # noqa: E402,F401  (the views register their routes on bp)
    account, audit_log, dashboard, orders, plugins, reports, staff, themes,
)
from xtycore.admin import customers  # noqa: E402,F401  (customer accounts)
from xtycore.admin import catalog  # noqa: E402,F401  (products)
from xtycore.admin import transfer  # noqa: E402,F401  (import and export)
from xtycore.admin import taxonomy  # noqa: E402,F401  (categories and brands)
from xtycore.admin import products  # noqa: E402,F401  (one product's editor)
from xtycore.admin import errors  # noqa: E402,F401  (the error monitor)
from xtycore.admin import order_actions  # noqa: E402,F401  (payments, shipping, status and notes of an order)
from xtycore.admin import order_documents  # noqa: E402,F401  (packing slips and invoices)
from xtycore.admin import tickets  # noqa: E402,F401  (the support ticket inbox)
from xtycore.admin.preview import init_preview  # noqa: E402

bp.record_once(lambda state: init_preview(state.app))
