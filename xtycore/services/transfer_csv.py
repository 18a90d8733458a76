"""The CSV both ways for :mod:`xtycore.services.transfer`: writing safe files, reading uploaded ones.

Written files are UTF-8 with a byte-order mark (Excel then opens Chinese text
as it is) and a header row. A text cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return gets a leading apostrophe, so a spreadsheet
shows it as text instead of running it as a formula (CSV injection); reading
takes such an apostrophe off again, so an exported file imports unchanged
(:mod:`xtycore.services.csv_cells`, which the products import reads with too).

Read files are UTF-8 with or without the BOM; anything else is refused with
the fix. Bad rows are reported as :class:`~xtycore.services.catalog_import.RowError`
(line, column, message), the structure the products import reports with.
Messages are :class:`~xtycore.domain.addresses.Message` strings: English for
the command line, translated by the back office
(:func:`xtycore.services.addresses.translated`).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar

from xtycore.domain.addresses import Message as _
from xtycore.domain.errors import XtyError
from xtycore.domain.money import Money, exponent
from xtycore.services.catalog_import import RowError
from xtycore.services.csv_cells import plain_cell, safe_cell

T = TypeVar("T")

BOM = "\ufeff"
#: Written lines are sent in pieces of about this many characters.
CHUNK_CHARS = 64 * 1024
#: The largest amount a price column holds, in minor units (the columns are 32-bit integers).
MAX_MINOR = 2**31 - 1
#: Rows looked up per statement (databases cap the parameters of one statement).
LOOKUP_BATCH = 500


class TransferError(XtyError):
    """A file that cannot be read at all (not UTF-8, a wrong header, too large), or a bad export filter.

    ``message`` is a :class:`~xtycore.domain.addresses.Message`. Nothing was written.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class CellError(Exception):
    """One cell cannot be read; ``message`` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# writing ----------------------------------------------------------------------------

def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV text of ``header`` and ``rows`` in pieces, the BOM first; rows are read as they are needed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        if buffer.tell() >= CHUNK_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def amount(minor: int | None, currency: str) -> Decimal | None:
    """Minor units as the decimal a file shows (``1299.00``), never a float."""
    return None if minor is None else Money.from_minor(int(minor), currency).amount


# reading ----------------------------------------------------------------------------

def decode(raw: bytes) -> str:
    """The text of an uploaded file: UTF-8, with or without Excel's BOM."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TransferError(_("The file is not UTF-8; in Excel save it as \"CSV UTF-8\".")) from None


@dataclass
class CsvRow:
    #: the file's line the row ends on (the header is line 1)
    line: int
    #: column -> trimmed text; empty cells are left out
    cells: dict[str, str]


@dataclass(frozen=True)
class Columns:
    """What an import reads: ``required`` and ``optional`` columns, and the export's ``ignored`` ones.

    ``any_of``: the header must name at least one of these.
    """

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()

    @property
    def known(self) -> tuple[str, ...]:
        return self.required + self.optional + self.ignored


def read_csv(text: str, columns: Columns) -> list[CsvRow]:
    """Every non-empty row of ``text``; raises :class:`TransferError` when the header is wrong."""
    reader = csv.DictReader(io.StringIO(text.removeprefix(BOM), newline=""))
    try:
        header = [(name or "").strip().lower() for name in reader.fieldnames or []]
        _check_header(header, columns)
        reader.fieldnames = header
        rows = []
        for raw in reader:
            extra = [cell for cell in raw.pop(None, None) or [] if cell.strip()]
            cells = {key: plain_cell(value) for key, value in raw.items()
                     if key in columns.known and key not in columns.ignored and value and value.strip()}
            if extra:
                cells["_extra"] = ""
            if cells or extra:
                rows.append(CsvRow(reader.line_num, cells))
    except csv.Error as error:
        raise TransferError(_("Line %(line)d cannot be read as CSV: %(reason)s", line=reader.line_num,
                              reason=str(error))) from None
    return rows


def _check_header(header: list[str], columns: Columns) -> None:
    names = ", ".join(columns.required + columns.optional)
    if not any(header):
        raise TransferError(_("The file is empty; its first line names the columns: %(columns)s", columns=names))
    unknown = [name for name in header if name not in columns.known]
    if unknown:
        raise TransferError(_("Line 1: unknown column(s) %(unknown)s; the columns are %(columns)s",
                              unknown=", ".join(unknown), columns=names))
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise TransferError(_("Line 1: the column %(column)s appears twice", column=repeated[0]))
    missing = [name for name in columns.required if name not in header]
    if missing:
        raise TransferError(_("Line 1: the column %(column)s is missing; the columns are %(columns)s",
                              column=missing[0], columns=names))
    if columns.any_of and not any(name in header for name in columns.any_of):
        raise TransferError(_("Line 1: name at least one of the columns %(columns)s",
                              columns=", ".join(columns.any_of)))


class RowCheck:
    """Reads one row's cells, collecting a :class:`RowError` for each cell that is wrong."""

    def __init__(self, row: CsvRow, errors: list[RowError]):
        self.row = row
        self.errors = errors
        self._count = len(errors)
        if "_extra" in row.cells:
            self.fail("", _("The row has more cells than the header has columns"))

    @property
    def ok(self) -> bool:
        return len(self.errors) == self._count

    def fail(self, column: str, message: str) -> None:
        self.errors.append(RowError(self.row.line, column, message))

    def get(self, column: str, parse: Callable[[str], T]) -> T | None:
        """The cell of ``column`` read by ``parse``; None when it is empty or wrong (then recorded)."""
        text = self.row.cells.get(column)
        if text is None:
            return None
        try:
            return parse(text)
        except CellError as error:
            self.fail(column, error.message)
            return None


def money_cell(currency: str) -> Callable[[str], Money]:
    """Reads an amount such as ``1299`` or ``1299.50`` in ``currency``: never negative, no fraction of a fen."""
    places = exponent(currency)

    def parse(text: str) -> Money:
        try:
            value = Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise CellError(_("%(text)s is not a number", text=text)) from None
        if not value.is_finite():
            raise CellError(_("%(text)s is not a number", text=text))
        if value < 0:
            raise CellError(_("An amount must not be negative"))
        if value.as_tuple().exponent < -places:  # type: ignore[operator]
            raise CellError(_("%(text)s has more than %(places)d decimals", text=text, places=places))
        money = Money(value, currency)
        if money.minor > MAX_MINOR:
            raise CellError(_("%(text)s is too large", text=text))
        return money

    return parse


WHOLE = re.compile(r"^[+-]?\d+$")


def whole_cell(low: int, high: int) -> Callable[[str], int]:
    """Reads a whole number from ``low`` to ``high``."""

    def parse(text: str) -> int:
        if not WHOLE.match(text):
            raise CellError(_("%(text)s is not a whole number", text=text))
        value = int(text)
        if value < 0 <= low:
            raise CellError(_("The number must not be negative"))
        if not low <= value <= high:
            raise CellError(_("The number must be from %(low)d to %(high)d", low=low, high=high))
        return value

    return parse


def text_cell(most: int) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if len(text) > most:
            raise CellError(_("At most %(number)s characters", number=most))
        return text

    return parse


def batches(items: Sequence[T], size: int = LOOKUP_BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass
class Change:
    """What an import will do to one object: create it (``before`` None) or change it."""

    #: what the file names it by: a SKU, a category path, an email
    key: str
    line: int
    before: dict[str, Any] | None
    after: dict[str, Any]
    #: the row to change; after writing, the row written
    target: Any = None
    #: anything else the writer needs
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def creates(self) -> bool:
        return self.before is None


def first_lines(errors: list[RowError], rows: Iterable[CsvRow], key: Callable[[CsvRow], str | None],
                column: str) -> set[int]:
    """Lines repeating the key of an earlier row (reported, one error each)."""
    seen: dict[str, int] = {}
    repeated = set()
    for row in rows:
        value = key(row)
        if value is None:
            continue
        if value in seen:
            errors.append(RowError(row.line, column, _("%(value)s is already on line %(line)d", value=value,
                                                       line=seen[value])))
            repeated.add(row.line)
        else:
            seen[value] = row.line
    return repeated
