"""Plugins add entries to the back-office menu; each shows only to staff holding its permission."""

from __future__ import annotations

from tests.admin.conftest import staff_client
from xtycore import hookimpl
from xtycore.domain.contributions import MenuEntry
from xtycore.domain.staff import StaffRole


class ReportsMenu:
    @hookimpl
    def xtycore_admin_menu_entries(self):
        return [
            MenuEntry(label="Sales export", endpoint="admin.audit_entries", section="reports",
                      permission="reports.view"),
            MenuEntry(label="Broken entry", endpoint="nowhere.nothing", section="plugins"),
        ]


def test_a_plugin_entry_shows_to_staff_with_its_permission_and_a_broken_one_is_left_out(xty_make_app):
    app = xty_make_app(plugins={"reports_menu": ReportsMenu()})
    _id, finance = staff_client(app, StaffRole.FINANCE)
    _id, editor = staff_client(app, StaffRole.CATALOGUE_EDITOR)
    finance_page = finance.get("/admin/").get_data(as_text=True)
    assert '<a href="/admin/audit">Sales export</a>' in finance_page
    assert "Broken entry" not in finance_page
    editor_page = editor.get("/admin/").get_data(as_text=True)
    assert "Sales export" not in editor_page
    assert '<a href="/admin/plugins"' not in editor_page, "kernel screens follow the permissions too"


def test_every_kernel_screen_in_the_menu_exists(xty_app):
    from xtycore.admin.menu import SCREENS

    missing = [endpoint for _label, endpoint, _permission in SCREENS if endpoint not in xty_app.view_functions]
    assert missing == []
