"""What plugins add to the back office: menu entries and report series."""

from __future__ import annotations

from collections.abc import Container

from xtycore.domain.contributions import MenuEntry, ReportSeries
from xtycore.kernel import get_kernel
from xtycore.plugins import FaultPolicy

SECTIONS = ("catalogue", "orders", "customers", "marketing", "support", "reports", "plugins", "settings")


def admin_menu(permissions: Container[str] | None = None) -> dict[str, list[MenuEntry]]:
    """Menu entries of enabled plugins by section, in order; ``permissions=None`` shows all."""
    menu: dict[str, list[MenuEntry]] = {s: [] for s in SECTIONS}
    for _plugin, entry in get_kernel().plugins.collect("xtycore_admin_menu_entries", policy=FaultPolicy.OPEN):
        if entry.permission and permissions is not None and entry.permission not in permissions:
            continue
        menu.setdefault(entry.section, []).append(entry)
    return {s: sorted(entries, key=lambda e: (e.order, e.label)) for s, entries in menu.items() if entries}


def report_series() -> dict[str, tuple[str, ReportSeries]]:
    """Report series of enabled plugins by code: ``code -> (plugin, series)``; first code wins."""
    found: dict[str, tuple[str, ReportSeries]] = {}
    for plugin, series in get_kernel().plugins.collect("xtycore_report_series", policy=FaultPolicy.OPEN):
        found.setdefault(series.code, (plugin, series))
    return found
