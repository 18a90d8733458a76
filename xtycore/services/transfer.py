"""Import and export of the shop's main entities as CSV, for the back office and ``xty export`` / ``xty import``.

Exports (:data:`EXPORTS`): products, stock and prices, categories, customers and orders,
each a generator of CSV text (:func:`export_lines`, UTF-8 with a BOM, formula
cells neutralised: :mod:`xtycore.services.transfer_csv`) over rows read from
the database in batches, so a large export never sits in memory whole.

Imports (:data:`IMPORTS`): stock and prices, categories and customers. An
import reads the whole file, checks every row against the database and
reports each bad one (line, column, message) before writing anything; a dry
run stops there. A real import checks again inside its write transaction and
writes every change or, when any row is bad, nothing. ``observe`` sees the
checked changes inside that transaction before they are written (the back
office records them in the audit log); ``progress(done, total)`` follows the
writing. Products keep their own import, :mod:`xtycore.services.catalog_import`,
which reads the products export back and whose
:class:`~xtycore.services.catalog_import.ImportReport` these imports report with.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Mapping, Protocol, Sequence

from xtycore.domain.addresses import Message as _

from xtycore.extensions import transaction
from xtycore.services.catalog_import import ImportReport, RowError
from xtycore.services.transfer_catalog import Categories, Products, StockPrices
from xtycore.services.transfer_csv import (  # noqa: F401  (TransferError and decode are public here)
    Change, Columns, CsvRow, TransferError, csv_lines, decode, read_csv,
)
from xtycore.services.transfer_customers import Customers
from xtycore.services.transfer_orders import OrderFilter, Orders  # noqa: F401  (public here)


class Export(Protocol):
    code: str
    header: Sequence[str]
    #: the filters it takes, as text; an export with filters has ``where(values)``, whose result ``rows`` takes
    filter_names: tuple[str, ...]

    def rows(self, *where: Any) -> Iterator[Sequence[Any]]: ...


class Import(Protocol):
    code: str
    columns: Columns
    #: the object type the audit log names the changed rows by
    audit_type: str

    def check(self, rows: list[CsvRow], errors: list[RowError], *, lock: bool) -> list[Change]: ...

    def apply(self, changes: list[Change], progress: Callable[[int, int], None]) -> None: ...


#: What can be exported, by code.
EXPORTS: dict[str, Export] = {entity.code: entity for entity in (
    Products(), StockPrices(), Categories(), Customers(), Orders())}
#: What can be imported, by code.
IMPORTS: dict[str, Import] = {entity.code: entity for entity in (StockPrices(), Categories(), Customers())}


def export_lines(code: str, filters: Mapping[str, str] | None = None) -> Iterator[str]:
    """The CSV text of export ``code`` in pieces, its rows read as the pieces are taken.

    ``filters``: text by filter name (orders: ``since``, ``until``, ``status``); empty ones are left out.

    :raises TransferError: a filter is wrong, or the export takes no such filter (before any row is read).
    """
    entity = EXPORTS[code]
    values = {name: value for name, value in (filters or {}).items() if value}
    unknown = sorted(set(values) - set(entity.filter_names))
    if unknown:
        raise TransferError(_("The %(export)s export has no filter %(names)s", export=code, names=", ".join(unknown)))
    where = (entity.where(values),) if entity.filter_names else ()  # type: ignore[attr-defined]
    return csv_lines(entity.header, entity.rows(*where))


class _Refused(Exception):
    """Rolls back an import whose check, repeated inside the write transaction, found bad rows."""


def _no_progress(done: int, total: int) -> None:
    pass


def import_text(
    code: str, text: str, *, dry_run: bool = False, observe: Callable[[list[Change]], None] | None = None,
    progress: Callable[[int, int], None] = _no_progress,
) -> ImportReport:
    """Check ``text`` as a file of import ``code`` and, unless ``dry_run`` or a row is bad, write it.

    :raises TransferError: the file cannot be read (the header is wrong); nothing was written.
    :returns: the report: every bad row, what would be or was created (``created``: new ids) and updated.
    """
    entity = IMPORTS[code]
    rows = read_csv(text, entity.columns)
    report = ImportReport(rows=len(rows), dry_run=dry_run)
    if dry_run:
        changes = entity.check(rows, report.errors, lock=False)
        report.errors.sort(key=lambda error: error.line)
        report.would_create = sum(1 for change in changes if change.creates)
        report.would_update = [change.target.id for change in changes if not change.creates]
        return report
    try:
        with transaction():
            changes = entity.check(rows, report.errors, lock=True)
            if report.errors:
                raise _Refused()
            if observe is not None:
                observe(changes)
            entity.apply(changes, progress)
            report.created = [change.target.id for change in changes if change.creates]
            report.updated = [change.target.id for change in changes if not change.creates]
    except _Refused:
        report.errors.sort(key=lambda error: error.line)
        return report
    report.written = True
    return report
