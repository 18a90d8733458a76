"""The back-office menu: the kernel's screens and plugins' entries, each shown only to who may use it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import url_for
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError

from xtycore.domain.staff import permissions_of
from xtycore.models.staff import Staff
from xtycore.services.backoffice import admin_menu

log = logging.getLogger("xtycore.admin")


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    endpoint: str


#: Who may use the import and export screen: anyone who can see one of its entities.
TRANSFER_PERMISSIONS = ("catalogue.view", "orders.view", "customers.view")

#: (label, endpoint, permission: one name, a tuple of which any one will do, or None for any signed-in
#: staff member). tests/admin/test_menu.py checks that every endpoint exists.
SCREENS = (
    (_l("Dashboard"), "admin.dashboard", None),
    (_l("Products"), "admin.product_list", "catalogue.view"),
    (_l("Categories"), "admin.category_list", "catalogue.view"),
    (_l("Brands"), "admin.brand_list", "catalogue.view"),
    (_l("Review queue"), "admin.review_queue", "catalogue.view"),
    (_l("Orders"), "admin.order_list", "orders.view"),
    (_l("Customers"), "admin.customer_list", "customers.view"),
    (_l("Support tickets"), "admin.ticket_list", "support.view"),
    (_l("Import and export"), "admin.transfer", TRANSFER_PERMISSIONS),
    (_l("Plugins"), "admin.plugins", "plugins.manage"),
    (_l("Payment, delivery, promotions, support"), "admin.capability_list", "plugins.manage"),
    (_l("Themes"), "admin.themes", "themes.manage"),
    (_l("Staff"), "admin.staff_list", "staff.manage"),
    (_l("Reports"), "admin.reports", "reports.view"),
    (_l("Audit log"), "admin.audit_entries", "audit.view"),
    (_l("Errors"), "admin.error_monitor", "operations.view"),
)


def _granted(permission: str | tuple[str, ...] | None, granted: frozenset[str]) -> bool:
    if permission is None:
        return True
    if isinstance(permission, tuple):
        return any(name in granted for name in permission)
    return permission in granted


def menu(staff: Staff) -> list[Link]:
    granted = permissions_of(staff.role)
    links = [Link(str(label), url_for(endpoint), endpoint) for label, endpoint, permission in SCREENS
             if _granted(permission, granted)]
    for entries in admin_menu(granted).values():
        for entry in entries:
            try:
                links.append(Link(entry.label, url_for(entry.endpoint), entry.endpoint))
            except BuildError:  # a plugin's mistake must not take the back office down (menus fail open)
                log.error("admin menu entry %r names endpoint %r, which does not exist", entry.label, entry.endpoint)
    return links
