"""The catalogue in the back office: the products list with search, filters and stock/price aggregates.

The list costs one query for its rows (each product with its variant count,
price range and total stock, aggregated over its variants in SQL), one for the
total and two for the filter choices (categories and brands), whatever the
shop holds. Status rules, review and writes stay in the kernel services
(:mod:`xtycore.services.catalog`, :mod:`xtycore.services.catalog_review`).
"""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select

from xtycore.admin import bp, page
from xtycore.admin.auth import current_staff
from xtycore.admin.permissions import requires
from xtycore.admin.transfer import csv_download
from xtycore.domain.catalog import CatalogError, ProductStatus
from xtycore.domain.money import Money
from xtycore.extensions import db, transaction
from xtycore.models.catalog import Brand, Category, Product, Variant
from xtycore.services import audit, catalog, catalog_import, catalog_review
from xtycore.services.search import like_pattern

#: Products one page of the list shows.
PAGE_SIZE = 50

#: What staff read for each product status.
STATUS_LABELS = {ProductStatus.DRAFT: _l("Draft"), ProductStatus.PENDING_REVIEW: _l("Waiting for review"),
                 ProductStatus.ACTIVE: _l("On sale"), ProductStatus.REJECTED: _l("Rejected"),
                 ProductStatus.ARCHIVED: _l("Archived")}


@bp.app_template_global("product_status_label")
def product_status_label(status: str) -> str:
    return str(STATUS_LABELS[ProductStatus(status)])


@dataclass(frozen=True)
class ProductFilter:
    #: part of the title (any case) or of a variant's SKU
    search: str = ""
    #: a ProductStatus value, or "" for every status
    status: str = ""
    #: a category id: the products of it and of every category below it
    category_id: int | None = None
    brand_id: int | None = None


@dataclass(frozen=True)
class ProductRow:
    id: int
    title: str
    slug: str
    status: str
    category: str | None
    brand: str | None
    variant_count: int
    #: cheapest and dearest variant, in minor units of SHOP_CURRENCY (None without variants)
    min_price_minor: int | None
    max_price_minor: int | None
    stock: int


def _variant_stats():
    """Per product: how many variants, their price range and their stock added up."""
    return (
        select(Variant.product_id.label("product_id"), func.count(Variant.id).label("variant_count"),
               func.min(Variant.price_minor).label("min_price"), func.max(Variant.price_minor).label("max_price"),
               func.sum(Variant.stock).label("stock"))
        .group_by(Variant.product_id)
        .subquery()
    )


def _conditions(where: ProductFilter) -> list:
    conditions = []
    if where.search:
        pattern = like_pattern(where.search.lower())
        conditions.append(or_(
            func.lower(Product.title).like(pattern, escape="\\"),
            exists().where(Variant.product_id == Product.id, func.lower(Variant.sku).like(pattern, escape="\\")),
        ))
    if where.status:
        conditions.append(Product.status == where.status)
    if where.category_id is not None:
        try:
            conditions.append(Product.category_id.in_(catalog.subtree_ids(where.category_id)))
        except CatalogError:  # a category that no longer exists holds no products
            conditions.append(Product.id.is_(None))
    if where.brand_id is not None:
        conditions.append(Product.brand_id == where.brand_id)
    return conditions


def find_products(where: ProductFilter, *, page_number: int = 1) -> tuple[list[ProductRow], int]:
    """One page of products matching ``where``, newest first, and how many match in all."""
    conditions = _conditions(where)
    total = db.session.execute(select(func.count(Product.id)).where(*conditions)).scalar_one()
    stats = _variant_stats()
    rows = db.session.execute(
        select(Product.id, Product.title, Product.slug, Product.status, Category.name, Brand.name,
               func.coalesce(stats.c.variant_count, 0), stats.c.min_price, stats.c.max_price,
               func.coalesce(stats.c.stock, 0))
        .outerjoin(stats, stats.c.product_id == Product.id)
        .outerjoin(Category, Category.id == Product.category_id)
        .outerjoin(Brand, Brand.id == Product.brand_id)
        .where(*conditions)
        .order_by(Product.created_at.desc(), Product.id.desc())
        .limit(PAGE_SIZE).offset((max(page_number, 1) - 1) * PAGE_SIZE)
    ).all()
    return [ProductRow(row[0], row[1], row[2], row[3], row[4], row[5], int(row[6]),
                       None if row[7] is None else int(row[7]), None if row[8] is None else int(row[8]), int(row[9]))
            for row in rows], total


@bp.route("/products")
@requires("catalogue.view")
def product_list(code: int = 200, error: str | None = None):
    args = request.args
    status = args.get("status", "")
    where = ProductFilter(
        search=args.get("q", "").strip(),
        status=status if status in {s.value for s in ProductStatus} else "",
        category_id=args.get("category", None, type=int), brand_id=args.get("brand", None, type=int),
    )
    page_number = max(args.get("page", 1, type=int), 1)
    rows, total = find_products(where, page_number=page_number)
    categories = db.session.execute(select(Category.id, Category.name, Category.path)
                                    .order_by(Category.path)).all()
    brands = db.session.execute(select(Brand.id, Brand.name).order_by(Brand.name)).all()
    return page("products.html", code, error=error, rows=rows, total=total, page_number=page_number,
                page_size=PAGE_SIZE,
                statuses=[s.value for s in ProductStatus], categories=categories, brands=brands,
                filters={"q": where.search, "status": where.status, "category": where.category_id,
                         "brand": where.brand_id})


# bulk edits -------------------------------------------------------------------------

#: A price change is a percentage in this range (inclusive), at most two decimals.
PERCENT_RANGE = (Decimal("-99"), Decimal("1000"))
#: The largest stock a bulk edit sets (the column is a 32-bit integer).
MAX_STOCK = 1_000_000_000


class BulkError(Exception):
    """The bulk edit's input is wrong; nothing was written."""


def product_view(product: Product) -> dict[str, Any]:
    """What the audit log keeps of a product a bulk edit changes."""
    return {"id": product.id, "title": product.title, "status": product.status,
            "variants": [{"sku": v.sku, "price_minor": v.price_minor, "stock": v.stock} for v in product.variants]}


def _percent(text: str) -> Decimal:
    try:
        value = Decimal(text.strip().rstrip("%"))
    except InvalidOperation:
        raise BulkError(_("Enter the price change as a percentage, e.g. -10 or 15.")) from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")) or \
            not PERCENT_RANGE[0] <= value <= PERCENT_RANGE[1]:
        raise BulkError(_("A price change is a percentage from %(low)s to %(high)s with at most two decimals.",
                          low=PERCENT_RANGE[0], high=PERCENT_RANGE[1]))
    return value


def _stock(text: str) -> int:
    if not text.strip().isdigit() or int(text) > MAX_STOCK:
        raise BulkError(_("Stock is a whole number from 0 to %(most)d.", most=MAX_STOCK))
    return int(text)


def _bulk_change(action: str, form) -> Callable[[Product], None]:
    """How ``action`` changes one product, validated before anything is written."""
    currency = current_app.config["SHOP_CURRENCY"]
    if action == "publish":
        return lambda product: catalog_review.publish_in_session(product)
    if action == "archive":
        return lambda product: catalog_review.archive_in_session(product)
    if action == "price":
        factor = (Decimal(100) + _percent(form.get("percent", ""))) / Decimal(100)
        return lambda product: catalog.save_product(catalog.ProductInput(title=product.title, variants=[
            catalog.VariantInput(sku=v.sku, price=Money.from_minor(v.price_minor, currency) * factor)
            for v in product.variants]), product)
    if action == "stock":
        stock = _stock(form.get("stock", ""))
        return lambda product: catalog.save_product(catalog.ProductInput(title=product.title, variants=[
            catalog.VariantInput(sku=v.sku, price=Money.from_minor(v.price_minor, currency), stock=stock)
            for v in product.variants]), product)
    raise BulkError(_("Choose what to do with the selected products."))


def bulk_edit(product_ids: list[int], action: str, form) -> int:
    """Apply ``action`` to every product in ``product_ids`` in one transaction, one audit entry each."""
    if not product_ids:
        raise BulkError(_("Select at least one product."))
    change = _bulk_change(action, form)
    products = db.session.execute(select(Product).where(Product.id.in_(product_ids))
                                  .order_by(Product.id)).scalars().all()
    if len(products) != len(set(product_ids)):
        raise BulkError(_("Some selected products no longer exist; nothing was changed."))
    try:
        with ExitStack() as stack:
            for product in products:
                stack.enter_context(audit.recorded(
                    f"product.bulk_{action}", "product", product.id, before=product_view(product),
                    after=lambda session, product_id=product.id: product_view(session.get(Product, product_id))))
            with transaction() as session:
                for product in session.execute(select(Product).where(Product.id.in_(product_ids))
                                               .order_by(Product.id)).scalars():
                    change(product)
    except CatalogError as error:
        raise BulkError(_("Nothing was changed: %(reason)s", reason=str(error))) from None
    return len(products)


@bp.route("/products/bulk", methods=["POST"])
@requires("catalogue.edit")
def product_bulk():
    ids = [int(value) for value in request.form.getlist("product") if value.isdigit()]
    action = request.form.get("action", "")
    try:
        count = bulk_edit(ids, action, request.form)
    except BulkError as error:
        return product_list(422, str(error))
    flash(_("%(count)d products changed.", count=count))
    return redirect(url_for(".product_list", **request.args))


# the review queue -------------------------------------------------------------------

@bp.route("/review-queue")
@requires("catalogue.view")
def review_queue(code: int = 200, error: str | None = None, values: dict | None = None):
    return page("catalog_review.html", code, entries=catalog_review.review_queue(), error=error,
                values=values or {})


@bp.route("/review-queue/<int:product_id>/<any(approve, reject):decision>", methods=["POST"])
@requires("catalogue.edit")
def review_decide(product_id: int, decision: str):
    product = db.session.get(Product, product_id)  # None: the service says there is no such product (422)
    title = product.title if product is not None else ""
    reason = request.form.get("reason", "")
    decide = catalog_review.approve if decision == "approve" else catalog_review.reject
    try:
        with audit.recorded(f"product.{decision}", "product", product_id,
                            before={"id": product_id, "status": product.status if product else None},
                            after=lambda session: {"id": product_id, "status": session.get(Product, product_id).status,
                                                   "reason": reason.strip()}):
            decide(product_id, actor=current_staff().email, reason=reason)
    except CatalogError as error:
        return review_queue(422, _("Nothing was changed: %(reason)s", reason=str(error)),
                            {"product": product_id, "reason": reason})
    flash(_("%(title)s approved: it is on sale.", title=title) if decision == "approve"
          else _("%(title)s rejected.", title=title))
    return redirect(url_for(".review_queue"))


# CSV import (dry run first) and export ------------------------------------------------

#: The largest CSV the import screen accepts, in bytes.
MAX_IMPORT_BYTES = 2 * 1024 * 1024


def _import_text() -> str:
    """The CSV to import: the uploaded file on a dry run, the checked text carried by the form after it."""
    upload = request.files.get("file")
    raw = upload.read(MAX_IMPORT_BYTES + 1) if upload is not None and upload.filename else \
        request.form.get("content", "").encode("utf-8")
    if not raw.strip():
        raise BulkError(_("Choose a CSV file to import."))
    if len(raw) > MAX_IMPORT_BYTES:
        raise BulkError(_("The file is larger than %(size)d MB; import it with xty catalog import.",
                          size=MAX_IMPORT_BYTES // (1024 * 1024)))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BulkError(_("The file is not UTF-8; in Excel save it as CSV UTF-8.")) from None


def _run_import(text: str, *, dry_run: bool) -> catalog_import.ImportReport:
    with tempfile.TemporaryDirectory(prefix="xty-import-") as folder:
        path = Path(folder) / "products.csv"
        path.write_text(text, encoding="utf-8")
        return catalog_import.import_file(path, dry_run=dry_run)


@bp.route("/products/import", methods=["GET", "POST"])
@requires("catalogue.edit")
def product_import():
    if request.method == "GET":
        return page("product_import.html", report=None, content="", error=None)
    dry_run = request.form.get("step") != "import"
    try:
        text = _import_text()
        if dry_run:
            report = _run_import(text, dry_run=True)
        else:
            with audit.recorded("product.import", "import", "products.csv", after=lambda session: {
                    "created": sorted(product.id for product in audit.created(session, Product))}):
                report = _run_import(text, dry_run=False)
    except (BulkError, CatalogError) as error:
        return page("product_import.html", 422, report=None, content="", error=str(error))
    code = 422 if report.errors else 200
    return page("product_import.html", code, report=report, content=text, error=None)


@bp.route("/products.csv")
@requires("catalogue.view")
def product_csv():
    """Every product, one row per variant, in the import's columns: the file of ``xty export products``."""
    return csv_download("products")
