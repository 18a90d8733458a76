"""Reports: sales, orders, refunds and new members per period, top products and categories, plugins' series.

One page, ``/admin/reports``, with a date-range picker (from, to, presets,
granularity), a server-drawn SVG bar chart per series (no script, no CDN; a
``<title>``, an ``aria-label`` and the same numbers in a table below each) and
a CSV download of each report, UTF-8 with a byte-order mark so that Excel reads
Chinese names correctly. The numbers come from :mod:`xtycore.services.reports`;
plugins add series through ``xtycore_report_series``. Reading changes nothing,
so nothing is written to the audit log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

from flask import abort, current_app, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from xtycore.admin import bp, page
from xtycore.admin.permissions import requires
from xtycore.domain.contributions import ReportSeries
from xtycore.domain.money import Money, exponent
from xtycore.i18n import format_money
from xtycore.services import backoffice
from xtycore.services import reports as service
from xtycore.services.reports import ReportError
from xtycore.services.transfer_csv import csv_lines

log = logging.getLogger("xtycore.admin")

PERMISSION = "reports.view"
#: the chart's drawing area, in SVG user units
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 260, 96, 40, 12
#: at most this many period labels under a chart (the table has them all)
MAX_X_LABELS = 12


class SeriesFailed(RuntimeError):
    """A plugin's series raised or returned points that cannot be shown."""


@dataclass(frozen=True)
class Query:
    start: date
    end: date
    granularity: str
    preset: str


@dataclass(frozen=True)
class Series:
    """One series as the page shows it: a chart and a table."""

    code: str
    label: str
    unit: str  #: "money", "count" or "percent"
    points: list[tuple[date, int]]

    def text(self, value: int) -> str:
        if self.unit == "money":
            return format_money(value)
        return f"{value}%" if self.unit == "percent" else str(value)


# --------------------------------------------------------------------------
# the range asked for
# --------------------------------------------------------------------------


def parse_query(args: Any) -> Query:
    """The range from the query string: a preset, or ``from`` and ``to`` (YYYY-MM-DD); last 30 days by default."""
    presets = service.presets(service.shop_today())
    preset = args.get("preset", "")
    granularity = args.get("granularity", "") or "day"
    if preset:
        if preset not in presets:
            raise ReportError(_("Unknown range %(preset)s.", preset=preset))
        start, end = presets[preset]
    elif args.get("from") or args.get("to"):
        start, end = _date(args.get("from", ""), _("From")), _date(args.get("to", ""), _("To"))
    else:
        preset = "last_30_days"
        start, end = presets[preset]
    if granularity not in service.GRANULARITIES:
        raise ReportError(_("Unknown granularity %(value)s.", value=granularity))
    try:
        service.check_range(start, end, granularity)
    except ReportError:
        if end < start:
            raise ReportError(_("The end of the range is before its start.")) from None
        raise ReportError(_("A day-by-day report covers at most %(count)d days; choose weeks or months.",
                            count=service.MAX_PERIODS)) from None
    return Query(start, end, granularity, preset)


def _date(value: str, label: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ReportError(_("%(field)s is not a date (YYYY-MM-DD).", field=label)) from None


def period_label(day: date, granularity: str) -> str:
    if granularity == "month":
        return f"{day:%Y-%m}"
    if granularity == "quarter":
        return f"{day.year} Q{(day.month - 1) // 3 + 1}"
    if granularity == "year":
        return str(day.year)
    return day.isoformat()


# --------------------------------------------------------------------------
# charts
# --------------------------------------------------------------------------


def nice_step(top: int, ticks: int = 4) -> int:
    """A round step (1, 2 or 5 times a power of ten) so that ``ticks`` steps reach ``top``."""
    raw = max(1, -(-top // ticks))
    power = 1
    while power * 10 <= raw:
        power *= 10
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return factor * power
    return 10 * power


def chart(series: Series, granularity: str) -> dict[str, Any]:
    """Geometry of a bar chart: bars, y-axis ticks with labels in the series' unit, thinned x labels.

    Money is scaled in whole currency units for the ticks, so the axis reads ¥0, ¥500, ¥1,000.
    """
    values = [v for _p, v in series.points]
    scale = 10 ** exponent(current_app.config["SHOP_CURRENCY"]) if series.unit == "money" else 1
    high = max([0, *values])
    low = min([0, *values])
    step = nice_step(max(1, -(-max(high, -low) // scale))) * scale
    top = step * max(1, -(-high // step)) if high > 0 else 0
    bottom = -step * max(1, -(-(-low) // step)) if low < 0 else 0
    span = max(top - bottom, 1)
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP

    def y(value: int) -> float:
        return round(TOP + plot_h * (top - value) / span, 2)

    slot = plot_w / max(len(values), 1)
    every = max(1, -(-len(values) // MAX_X_LABELS))
    bars = []
    for index, (period, value) in enumerate(series.points):
        x = LEFT + index * slot
        y0, y1 = sorted((y(0), y(value)))
        bars.append({"x": round(x + slot * 0.15, 2), "width": round(max(slot * 0.7, 1), 2), "y": y0,
                     "height": round(max(y1 - y0, 0), 2), "period": period_label(period, granularity),
                     "text": series.text(value), "label_x": round(x + slot / 2, 2),
                     "show_label": index % every == 0})
    ticks = [{"y": y(v), "text": series.text(v)} for v in range(bottom, top + 1, step)] if step else []
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "top": TOP, "bottom_y": HEIGHT - BOTTOM,
            "right": WIDTH - 8, "zero_y": y(0), "bars": bars, "ticks": ticks}


# --------------------------------------------------------------------------
# the reports
# --------------------------------------------------------------------------


def kernel_series(report: service.SalesReport) -> list[Series]:
    def pick(attribute: str) -> list[tuple[date, int]]:
        return [(row.period, getattr(row, attribute)) for row in report.rows]

    return [
        Series("sales", _("Sales"), "money", pick("sales_minor")),
        Series("net_sales", _("Net sales (sales - refunds)"), "money", pick("net_minor")),
        Series("orders", _("Orders"), "count", pick("orders")),
        Series("average_order_value", _("Average order value"), "money", pick("average_minor")),
        Series("refunds", _("Refunds"), "money", pick("refunds_minor")),
        Series("new_members", _("New members"), "count", pick("new_members")),
    ]


def plugin_series(query: Query) -> tuple[list[Series], list[str]]:
    """Plugins' series over the range, points summed per period; a failing plugin is named, not shown."""
    shown, failed = [], []
    starts = service.periods(query.start, query.end, query.granularity)
    for code, (plugin, contributed) in sorted(backoffice.report_series().items()):
        try:
            shown.append(_plugin_points(contributed, query, starts))
        except Exception:  # a plugin's bug must not take the reports down; it is logged and named
            log.exception("report series %r of plugin %r failed", code, plugin)
            failed.append(contributed.label or code)
    return shown, failed


def _plugin_points(contributed: ReportSeries, query: Query, starts: list[date]) -> Series:
    if contributed.unit not in ("money", "count", "percent"):
        raise ValueError(f"unit {contributed.unit!r} is not money, count or percent")
    totals = dict.fromkeys(starts, 0)
    for point in contributed.compute(query.start, query.end, query.granularity):
        period = service.period_start(point.period, query.granularity)
        if period not in totals:
            continue
        value = point.value
        if isinstance(value, Money):
            if value.currency != current_app.config["SHOP_CURRENCY"]:
                raise ValueError(f"{value.currency} is not the shop currency")
            value = value.minor
        elif not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"point value {value!r} is neither an int nor Money")
        totals[period] += value
    return Series(contributed.code, contributed.label, contributed.unit, list(totals.items()))


@bp.route("/reports")
@requires(PERMISSION)
def reports():
    try:
        query = parse_query(request.args)
    except ReportError as error:
        return page("reports.html", 400, error=str(error), query=None, form=request.args,
                    presets=service.presets(service.shop_today()), granularities=service.GRANULARITIES)
    report = service.sales_report(query.start, query.end, query.granularity)
    extra, failed = plugin_series(query)
    series = kernel_series(report) + extra
    return page("reports.html", query=query, form=request.args, report=report, totals=report.totals,
                series=[(s, chart(s, query.granularity)) for s in series], failed_series=failed,
                top=service.top_lists(query.start, query.end), presets=service.presets(service.shop_today()),
                granularities=service.GRANULARITIES, period_label=period_label,
                csv_args={"from": query.start.isoformat(), "to": query.end.isoformat(),
                          "granularity": query.granularity})


# --------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------


def _money_cell(minor: int) -> str:
    """An amount in the CSV: the decimal amount in the shop currency, e.g. 1299.00 (never a float)."""
    return str(Money.from_minor(minor, current_app.config["SHOP_CURRENCY"]).amount)


def _sales_rows(query: Query) -> tuple[list[str], list[list[Any]]]:
    report = service.sales_report(query.start, query.end, query.granularity)
    header = [_("Period"), _("Orders"), _("Sales"), _("Average order value"), _("Refunds"),
              _("Net sales (sales - refunds)"), _("New members")]
    rows = [[period_label(r.period, query.granularity), r.orders, _money_cell(r.sales_minor),
             _money_cell(r.average_minor), _money_cell(r.refunds_minor), _money_cell(r.net_minor), r.new_members]
            for r in report.rows]
    return header, rows


def _top_rows(finder: Callable[..., list[service.TopRow]]) -> Callable[[Query], tuple[list[str], list[list[Any]]]]:
    def rows(query: Query) -> tuple[list[str], list[list[Any]]]:
        by = request.args.get("by", "revenue")
        if by not in ("revenue", "units"):
            raise ReportError(_("Rank by revenue or units."))
        found = finder(query.start, query.end, by)
        return [_("Name"), _("Revenue"), _("Units")], [[r.name, _money_cell(r.revenue_minor), r.units] for r in found]

    return rows


def _series_rows(code: str) -> Callable[[Query], tuple[list[str], list[list[Any]]]]:
    def rows(query: Query) -> tuple[list[str], list[list[Any]]]:
        found = backoffice.report_series().get(code)
        if found is None:
            abort(404)
        try:
            series = _plugin_points(found[1], query, service.periods(query.start, query.end, query.granularity))
        except Exception as error:  # the plugin's failure: logged, answered 503, nothing else breaks
            log.exception("report series %r of plugin %r failed", code, found[0])
            raise SeriesFailed(_("The series %(label)s could not be computed.", label=found[1].label)) from error
        cell = _money_cell if series.unit == "money" else (lambda value: value)
        return [_("Period"), series.label], [[period_label(p, query.granularity), cell(v)] for p, v in series.points]

    return rows


CSV_REPORTS: dict[str, Callable[[Query], tuple[list[str], list[list[Any]]]]] = {
    "sales": _sales_rows,
    "products": _top_rows(service.top_products),
    "categories": _top_rows(service.top_categories),
}


@bp.route("/reports/<name>.csv")
@requires(PERMISSION)
def report_csv(name: str):
    make = CSV_REPORTS.get(name) or _series_rows(name)
    try:
        query = parse_query(request.args)
        header, rows = make(query)
    except ReportError as error:
        return Response(str(error) + "\n", status=400, mimetype="text/plain")
    except SeriesFailed as error:
        return Response(str(error) + "\n", status=503, mimetype="text/plain")
    # the BOM first, so Excel reads Chinese; product and category names that look like formulas made safe
    text = "".join(csv_lines(header, rows))
    filename = f"{name}-{query.start.isoformat()}-{query.end.isoformat()}.csv"
    return Response(text.encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Content-Type": "text/csv; charset=utf-8"})
