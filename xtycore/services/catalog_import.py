"""Import products from CSV (one row per variant) or JSON (products with variants).

Every row goes through the normalisers (:func:`~xtycore.services.catalog.normalize_product`),
then :class:`RowSchema`. The whole file is checked before anything is written:
a file with any error writes nothing, unless ``skip_invalid`` is set, in which
case bad products are left out and reported.

Writing happens in one transaction. With ``skip_invalid`` each product also
gets a savepoint, so a product that fails while being written (an image that
turns out not to be one, a slug taken meanwhile) is rolled back and reported
alone; without it, such a failure rolls the whole import back. Existing
products are found by SKU, so importing a file again updates instead of
duplicating. Imported products are published through the automatic review,
except archived ones, which are updated but stay off sale.

A CSV file reads its cells as the transfer imports do
(:func:`~xtycore.services.csv_cells.plain_cell`): the apostrophe the products
export puts before a cell a spreadsheet would run as a formula is taken off
again, and the export's ``status`` column is read over, so an exported file
imports unchanged.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterator

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from xtycore.domain.catalog import CatalogError, ProductStatus, category_path
from xtycore.domain.errors import XtyError
from xtycore.domain.money import Money
from xtycore.extensions import db, transaction
from xtycore.models import Product, ProductImage
from xtycore.services import catalog, catalog_review, images
from xtycore.services.csv_cells import plain_cell

PRODUCT_COLUMNS = (
    "title", "title_en", "slug", "subtitle", "description", "brand", "category", "tags",
    "meta_title", "meta_description", "purchase_limit", "images",
)
VARIANT_COLUMNS = ("sku", "price", "compare_at_price", "weight", "weight_grams", "barcode", "stock")
OPTION_COLUMNS = tuple(f"option{i}_{part}" for i in (1, 2, 3) for part in ("name", "value"))
CSV_COLUMNS = PRODUCT_COLUMNS + VARIANT_COLUMNS + OPTION_COLUMNS
#: Columns of the products export that the import reads over: a product's status changes through review.
EXPORT_ONLY_COLUMNS = ("status",)
LIST_SEPARATORS = ("|", "，", ",")


@dataclass(frozen=True)
class RowError:
    line: int  #: CSV line number (the header is line 1); for JSON the product's number, from 1
    field: str
    message: str
    where: str = ""  #: "line 7" or "product 3, variant 2"

    def __str__(self) -> str:
        return f"{self.where or f'line {self.line}'}: {self.field or 'row'}: {self.message}"


@dataclass
class ImportReport:
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    statuses: dict[int, str] = field(default_factory=dict)  #: product id -> status after import
    skipped_products: int = 0
    dry_run: bool = False
    written: bool = False
    would_create: int = 0  #: a dry run's count of new products
    would_update: list[int] = field(default_factory=list)  #: a dry run's existing products it would change

    def count(self, status: ProductStatus) -> int:
        return sum(1 for s in self.statuses.values() if s == status.value)


@dataclass
class Row:
    line: int
    where: str
    data: dict[str, Any]
    #: which product the row belongs to: the JSON item, or for CSV the slug (else title) once normalised
    group: str = ""


# reading ---------------------------------------------------------------------

def read_rows(path: Path) -> Iterator[Row]:
    """Rows of a ``.csv`` or ``.json`` file; raises CatalogError for a file that cannot be read."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".json":
        return _read_json(path)
    raise CatalogError(f"{path.name}: import reads .csv or .json files")


def _split(value: str) -> list[str]:
    for separator in LIST_SEPARATORS:
        if separator in value:
            return [part.strip() for part in value.split(separator) if part.strip()]
    return [value.strip()] if value.strip() else []


def _read_csv(path: Path) -> Iterator[Row]:
    try:
        text = path.read_text(encoding="utf-8-sig")  # Excel's "CSV UTF-8" starts with a BOM
    except UnicodeDecodeError:
        raise CatalogError(
            f"{path.name} is not UTF-8; in Excel save it as 'CSV UTF-8 (逗号分隔)', not plain 'CSV'"
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    unknown = [name for name in header if name and name not in CSV_COLUMNS + EXPORT_ONLY_COLUMNS]
    if unknown or "sku" not in header:
        problem = f"unknown column(s) {', '.join(unknown)}" if unknown else "no sku column"
        raise CatalogError(f"{path.name} line 1: {problem}; columns are {', '.join(CSV_COLUMNS)}")
    reader.fieldnames = header
    for raw in reader:
        line = reader.line_num
        cells = {key: plain_cell(value) for key, value in raw.items()
                 if key and key not in EXPORT_ONLY_COLUMNS and value and value.strip()}
        if not cells:
            continue
        data: dict[str, Any] = {}
        for key, value in cells.items():
            if key not in OPTION_COLUMNS:
                data[key] = _split(value) if key in ("tags", "images") else value
        options = {}
        for i in (1, 2, 3):
            name, value = cells.get(f"option{i}_name", ""), cells.get(f"option{i}_value", "")
            if name or value:
                options[name] = value
        if options:
            data["options"] = options
        yield Row(line, f"line {line}", data)


def _read_json(path: Path) -> Iterator[Row]:
    try:
        products = json.loads(path.read_text(encoding="utf-8-sig"), parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogError(f"{path.name} is not valid UTF-8 JSON: {exc}") from None
    if not isinstance(products, list):
        raise CatalogError(f"{path.name}: the JSON must be a list of products, each with a 'variants' list")
    for i, item in enumerate(products, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("variants"), list) or not item["variants"]:
            yield Row(i, f"product {i}", {"_error": "each product is an object with a non-empty 'variants' list"},
                      f"#{i}")
            continue
        product = {k: v for k, v in item.items() if k != "variants" and v not in (None, "")}
        for j, variant in enumerate(item["variants"], start=1):
            fields_ = variant if isinstance(variant, dict) else {"_error": "a variant must be an object"}
            data = {**product, **{k: v for k, v in fields_.items() if v not in (None, "")}}
            yield Row(i, f"product {i}, variant {j}", {k: _plain(v) for k, v in data.items()}, f"#{i}")


def _plain(value: Any) -> Any:
    """JSON numbers as strings, as a CSV cell would give them (and never a float)."""
    return str(value) if isinstance(value, (int, Decimal)) and not isinstance(value, bool) else value


# validating ------------------------------------------------------------------

def _amount(value: Decimal) -> None:
    if value < 0:
        raise ValidationError("must not be negative")
    if value.as_tuple().exponent < -2:
        raise ValidationError("has more than two decimals (fen); round it")


def _category(value: str) -> None:
    try:
        category_path(value)
    except CatalogError as exc:
        raise ValidationError(str(exc)) from None


class RowSchema(Schema):
    """One normalised row: product fields plus one variant's."""

    class Meta:
        unknown = EXCLUDE

    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    title_en = fields.String(validate=validate.Length(max=200))
    slug = fields.String(validate=validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                                                  error="use lower-case letters, digits and hyphens"))
    subtitle = fields.String(validate=validate.Length(max=300))
    description = fields.String()
    brand = fields.String(validate=validate.Length(max=100))
    category = fields.String(validate=_category)
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=50)))
    meta_title = fields.String(validate=validate.Length(max=200))
    meta_description = fields.String(validate=validate.Length(max=400))
    purchase_limit = fields.Integer(validate=validate.Range(min=1))
    images = fields.List(fields.String())
    sku = fields.String(required=True, validate=[
        validate.Length(min=1, max=64), validate.Regexp(r"^\S+$", error="must not contain spaces")])
    options = fields.Dict(keys=fields.String(validate=validate.Length(min=1)), values=fields.String())
    price = fields.Decimal(required=True, validate=_amount)
    compare_at_price = fields.Decimal(validate=_amount)
    weight = fields.String()
    weight_grams = fields.Integer(validate=validate.Range(min=0))
    barcode = fields.String(validate=validate.Length(max=64))
    stock = fields.Integer(validate=validate.Range(min=0))

    @validates_schema(skip_on_field_errors=False)
    def _weight_read(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("weight") and data.get("weight_grams") is None:
            raise ValidationError(f"cannot read {data['weight']!r} as a weight; write e.g. 500g, 1.5kg, 2斤",
                                  "weight")


def _messages(errors: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = key if key != "_schema" else ""
            yield from _messages(value, f"{prefix}.{name}" if prefix and name else prefix or str(name))
    elif isinstance(errors, list):
        for item in errors:
            yield from _messages(item, prefix)
    else:
        yield prefix, str(errors)


def validate_row(row: Row) -> tuple[dict[str, Any] | None, list[RowError]]:
    """Normalise and validate one row; sets ``row.group`` for CSV rows."""
    if "_error" in row.data:
        return None, [RowError(row.line, "", row.data["_error"], row.where)]
    try:
        normalised = catalog.normalize_product(row.data)
    except XtyError as exc:  # a failing normaliser fails closed, for this row
        return None, [RowError(row.line, "", str(exc), row.where)]
    if not row.group:
        row.group = str(normalised.get("slug") or normalised.get("title") or f"line {row.line}").strip()
    try:
        return RowSchema().load(normalised), []
    except ValidationError as exc:
        return None, [RowError(row.line, f, m, row.where) for f, m in _messages(exc.messages)]


@dataclass
class Group:
    """The rows of one product."""

    key: str
    first: Row
    product: dict[str, Any]
    variants: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    has_invalid_row: bool = False  #: a row failed validation (already reported)
    existing: Product | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and not self.has_invalid_row


def group_rows(rows: list[tuple[Row, dict[str, Any] | None]]) -> list[Group]:
    """Gather rows into products; refuse conflicting product columns and repeated SKUs.

    A group with an invalid row carries no variants from it but is marked
    (``has_invalid_row``), so a product is imported whole or not at all.
    """
    groups: dict[str, Group] = {}
    sku_rows: dict[str, Row] = {}
    for row, data in rows:
        if data is None:
            groups.setdefault(row.group, Group(row.group, row, {})).has_invalid_row = True
            continue
        product = {k: v for k, v in data.items() if k in PRODUCT_COLUMNS}
        group = groups.setdefault(row.group, Group(row.group, row, product))
        for name, value in product.items():
            if group.product.get(name, value) != value:
                group.errors.append(RowError(row.line, name, f"differs from {group.first.where} of the same "
                                                             "product; repeat the same value or leave it empty",
                                             row.where))
            group.product.setdefault(name, value)
        if data["sku"] in sku_rows:
            group.errors.append(RowError(row.line, "sku", f"SKU {data['sku']} is already on "
                                                          f"{sku_rows[data['sku']].where}", row.where))
            continue
        sku_rows[data["sku"]] = row
        group.variants.append(data)
    return list(groups.values())


def _match_existing(group: Group, folder: Path) -> None:
    try:
        group.existing = catalog.product_for_skus(v["sku"] for v in group.variants)
    except CatalogError as exc:
        group.errors.append(RowError(group.first.line, "sku", str(exc), group.first.where))
        return
    slug = group.product.get("slug")
    if slug:
        by_slug = db.session.execute(select(Product).where(Product.slug == slug)).scalars().first()
        if group.existing is None:
            group.existing = by_slug
        elif by_slug is not None and by_slug.id != group.existing.id:
            group.errors.append(RowError(group.first.line, "slug", f"slug {slug} belongs to product {by_slug.id}, "
                                         f"but the SKUs to product {group.existing.id}", group.first.where))
    for name in group.product.get("images", []):
        if "://" in name:
            message = f"{name}: images are files; download it next to the import file and name it"
        elif not (folder / name).is_file():
            message = f"image file {name} not found in {folder}"
        else:
            continue
        group.errors.append(RowError(group.first.line, "images", message, group.first.where))


# writing -----------------------------------------------------------------------

def _product_input(group: Group) -> catalog.ProductInput:
    p = group.product
    return catalog.ProductInput(
        title=p["title"], title_en=p.get("title_en"), slug=p.get("slug"), subtitle=p.get("subtitle"),
        description_html=p.get("description"), brand=p.get("brand"), category=p.get("category"),
        tags=p.get("tags"), meta_title=p.get("meta_title"), meta_description=p.get("meta_description"),
        purchase_limit=p.get("purchase_limit"),
        variants=[
            catalog.VariantInput(
                sku=v["sku"], price=Money(v["price"]),
                compare_at=Money(v["compare_at_price"]) if v.get("compare_at_price") is not None else None,
                options=v.get("options"), weight_grams=v.get("weight_grams"),
                barcode=v.get("barcode"), stock=v.get("stock"),
            )
            for v in group.variants
        ],
    )


class _Abort(Exception):
    """Rolls the import's transaction back after an error was reported."""


@dataclass
class _Files:
    """Image files written (removed again if their rows roll back) and replaced (removed after commit)."""

    written: list[images.SavedImage] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)


def _write(group: Group, folder: Path, report: ImportReport, files: _Files) -> None:
    created = group.existing is None
    product = catalog.save_product(_product_input(group), group.existing)
    names = group.product.get("images")
    if names:
        for old in list(product.images):
            files.replaced.append(old.path)
            product.images.remove(old)
        for position, name in enumerate(names):
            with (folder / name).open("rb") as stream:
                saved = images.save_image(stream, name, product.id)
            files.written.append(saved)
            product.images.append(ProductImage(
                path=saved.path, width=saved.width, height=saved.height, alt=product.title[:200], position=position,
            ))
        db.session.flush()
    if product.status != ProductStatus.ARCHIVED.value:
        catalog_review.publish_in_session(product)
    (report.created if created else report.updated).append(product.id)
    report.statuses[product.id] = product.status


def import_file(
    path: str | Path, *, skip_invalid: bool = False, dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import ``path``; the report lists every bad row and what was created or updated.

    ``progress(done, total)`` is called after each product is written.
    """
    path = Path(path)
    folder = path.resolve().parent
    report = ImportReport(dry_run=dry_run)
    rows: list[tuple[Row, dict[str, Any] | None]] = []
    for row in read_rows(path):
        report.rows += 1
        data, errors = validate_row(row)
        report.errors.extend(errors)
        rows.append((row, data))
    groups = group_rows(rows)
    for group in groups:
        if group.ok:
            _match_existing(group, folder)
        report.errors.extend(group.errors)
    good = [g for g in groups if g.ok]
    report.skipped_products = len(groups) - len(good)
    report.errors.sort(key=lambda e: e.line)
    if dry_run:
        report.would_update = [g.existing.id for g in good if g.existing is not None]
        report.would_create = len(good) - len(report.would_update)
        return report
    if report.errors and not skip_invalid:
        return report
    _write_all(good, folder, report, skip_invalid, progress)
    return report


def _write_all(
    groups: list[Group], folder: Path, report: ImportReport, skip_invalid: bool,
    progress: Callable[[int, int], None] | None,
) -> None:
    files = _Files()
    try:
        with transaction() as session:
            for done, group in enumerate(groups, start=1):
                written_before, replaced_before = len(files.written), len(files.replaced)
                try:
                    if skip_invalid:
                        with session.begin_nested():
                            _write(group, folder, report, files)
                    else:
                        _write(group, folder, report, files)
                except (XtyError, IntegrityError) as exc:
                    for saved in files.written[written_before:]:
                        saved.remove()
                    del files.written[written_before:]
                    del files.replaced[replaced_before:]
                    message = str(exc.orig) if isinstance(exc, IntegrityError) else str(exc)
                    report.errors.append(RowError(group.first.line, "", message, group.first.where))
                    if not skip_invalid:
                        raise _Abort() from exc
                    report.skipped_products += 1
                if progress is not None:
                    progress(done, len(groups))
    except _Abort:
        for saved in files.written:
            saved.remove()
        report.created.clear()
        report.updated.clear()
        report.statuses.clear()
        return
    except BaseException:
        for saved in files.written:
            saved.remove()
        raise
    report.written = True
    for old in files.replaced:
        images.delete_files(old)
