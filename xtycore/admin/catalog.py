"""The catalogue in the back office: the products list with search, filters and stock/price aggregates.

The list costs one query for its rows (each product with its variant count,
price range and total stock, aggregated over its variants in SQL), one for the
total and two for the filter choices (categories and brands), whatever the
shop holds. Status rules, review and writes stay in the kernel services
(:mod:`xtycore.services.catalog`, :mod:`xtycore.services.catalog_review`).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import request
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select

from xtycore.admin import bp, page
from xtycore.admin.customers import _like
from xtycore.admin.permissions import requires
from xtycore.domain.catalog import CatalogError, ProductStatus
from xtycore.extensions import db
from xtycore.models.catalog import Brand, Category, Product, Variant
from xtycore.services.catalog import subtree_ids

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
        pattern = _like(where.search.lower())
        conditions.append(or_(
            func.lower(Product.title).like(pattern, escape="\\"),
            exists().where(Variant.product_id == Product.id, func.lower(Variant.sku).like(pattern, escape="\\")),
        ))
    if where.status:
        conditions.append(Product.status == where.status)
    if where.category_id is not None:
        try:
            conditions.append(Product.category_id.in_(subtree_ids(where.category_id)))
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
def product_list():
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
    return page("products.html", rows=rows, total=total, page_number=page_number, page_size=PAGE_SIZE,
                statuses=[s.value for s in ProductStatus], categories=categories, brands=brands,
                filters={"q": where.search, "status": where.status, "category": where.category_id,
                         "brand": where.brand_id})
