"""Small value objects that plugins return from the non-capability hooks."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Mapping, Sequence

from xtycore.domain.money import Money


@dataclass(frozen=True)
class MenuEntry:
    """An entry of the back-office menu."""

    label: str
    endpoint: str  #: a Flask endpoint, e.g. "acme_reports.index"
    section: str = "plugins"  #: catalogue, orders, customers, marketing, support, reports, plugins, settings
    icon: str = ""
    permission: str = ""  #: a permission the staff member needs to see it, e.g. "reports.view"
    order: int = 100


@dataclass(frozen=True)
class Schedule:
    """When a periodic job runs, in cron terms, in UTC; ``"*"`` means every."""

    minute: str = "*"
    hour: str = "*"
    day: str = "*"
    month: str = "*"
    day_of_week: str = "*"


@dataclass(frozen=True)
class Job:
    """A background job: a function the worker runs, on demand or on a schedule.

    The function receives the Flask app's context and the keyword arguments it
    was enqueued with; it must be idempotent, because a job may run twice.
    """

    name: str
    func: Callable[..., Any]
    schedule: Schedule | None = None
    retries: int = 0
    retry_delay_seconds: int = 60
    description: str = ""


class Severity(str, enum.Enum):
    INFO = "info"
    WARNING = "warning"
    BLOCKING = "blocking"  #: sends the product to the review queue instead of publishing it


@dataclass(frozen=True)
class Finding:
    """One result of automatic listing review."""

    severity: Severity
    code: str
    message: str
    field: str = ""


@dataclass(frozen=True)
class TaxLine:
    """Tax computed for an order; prices in China are usually tax-inclusive."""

    label: str
    amount: Money
    rate: str = ""  #: e.g. "13%"
    included_in_price: bool = True


@dataclass(frozen=True)
class Recommendation:
    product_id: str
    reason: str = ""
    score: float = 0.0  # a ranking weight, never money


@dataclass(frozen=True)
class ReportPoint:
    period: date
    value: int | Money


@dataclass(frozen=True)
class ReportSeries:
    """A report series a plugin adds to the back office's reports."""

    code: str
    label: str
    unit: str  #: "money", "count" or "percent"
    compute: Callable[[date, date, str], Sequence[ReportPoint]]  #: (start, end, granularity)
    description: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)
