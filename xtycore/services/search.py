"""Product search for listings: text, filters, sorting, pagination, in a fixed few queries.

Text lives in two columns of ``xty_product`` in search form (NFKC, case-folded):
``search_title`` (title, English title) and ``search_text`` (subtitle, brand,
tags, SKUs, description text). :func:`refresh_search_text` keeps them current.

Each whitespace-separated term must match somewhere (AND). A term of three or
more characters is matched through the trigram index (SQLite FTS5 with the
trigram tokenizer; PostgreSQL pg_trgm GIN indexes serving ``LIKE``); shorter
terms, such as the one- and two-character Chinese words 茶 or 绿茶, which a
trigram index cannot hold, fall back to ``LIKE`` over the same columns.

Relevance: a term in the title counts 3, elsewhere 1; ties go to best-selling,
then newest. On PostgreSQL trigram similarity to the title breaks further ties.

A page costs three queries: the page of products with their price range and
stock, the total, and the first image of each product on the page; never one
query per product.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from flask import current_app
from sqlalchemy import and_, case, func, literal, or_, select, text
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from xtycore.domain.catalog import CatalogError, ProductStatus, search_form
from xtycore.domain.money import Money
from xtycore.extensions import db
from xtycore.models import Brand, Category, Product, ProductImage, Variant

SORTS = ("relevance", "price_asc", "price_desc", "newest", "best_selling")
MAX_PER_PAGE = 100
TRIGRAM = 3


def refresh_search_text(product: Product) -> None:
    """Recompute the product's search columns (call after changing its text, brand, tags or SKUs)."""
    from xtycore.services.catalog import html_to_text

    product.search_title = search_form(" ".join(filter(None, [product.title, product.title_en])))
    parts = [
        product.subtitle,
        product.brand.name if product.brand else "",
        product.brand.name_en if product.brand else "",
        " ".join(t.name for t in product.tags),
        " ".join(v.sku for v in product.variants),
        html_to_text(product.description_html),
    ]
    product.search_text = search_form(" ".join(p for p in parts if p))


def rebuild_index() -> int:
    """Recompute every product's search columns and, on SQLite, rebuild the FTS5 index.

    For after a bulk change made outside the catalogue service. Call inside
    ``transaction()``; returns the number of products.
    """
    products = db.session.execute(select(Product)).scalars().all()
    for product in products:
        refresh_search_text(product)
    db.session.flush()
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("INSERT INTO xty_product_fts(xty_product_fts) VALUES ('rebuild')"))
    return len(products)


@dataclass(frozen=True)
class SearchQuery:
    """What a listing asks for. Prices are inclusive bounds on any variant's price."""

    text: str = ""
    category_id: int | None = None  #: includes its subcategories; an unknown id matches nothing
    brand_id: int | None = None
    price_min: Money | None = None
    price_max: Money | None = None
    in_stock: bool = False
    sort: str = "relevance"
    page: int = 1
    per_page: int = 40

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise CatalogError(f"unknown sort {self.sort!r}; one of {', '.join(SORTS)}")
        if self.page < 1 or not 1 <= self.per_page <= MAX_PER_PAGE:
            raise CatalogError(f"page starts at 1 and per_page is 1 to {MAX_PER_PAGE}")


@dataclass(frozen=True)
class ImageHit:
    path: str  #: relative to ``<instance>/uploads``
    width: int
    height: int
    alt: str
    thumbnails: Mapping[int, str]  #: width -> path


@dataclass(frozen=True)
class ProductHit:
    """What a listing shows of one product; no ORM object, nothing lazy."""

    id: int
    slug: str
    title: str
    title_en: str
    subtitle: str
    brand: str | None
    price_min: Money
    price_max: Money
    compare_at: Money | None  #: the highest compare-at price above ``price_min``, for a 划线价
    in_stock: bool
    sales_count: int
    published_at: datetime | None
    image: ImageHit | None


@dataclass(frozen=True)
class SearchPage:
    items: list[ProductHit]
    total: int
    page: int
    per_page: int
    query: SearchQuery = field(repr=False)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def terms_of(text_: str) -> list[str]:
    return list(dict.fromkeys(search_form(text_).split()))


def like_pattern(term: str) -> str:
    """A LIKE pattern (with ``escape="\\"``) matching any text that contains ``term`` as typed:
    its ``%``, ``_`` and backslashes are literal."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _term_matches(term: str, dialect: str) -> ColumnElement[bool]:
    in_title = Product.search_title.like(like_pattern(term), escape="\\")
    in_text = Product.search_text.like(like_pattern(term), escape="\\")
    if dialect == "sqlite" and len(term) >= TRIGRAM:
        phrase = '"' + term.replace('"', '""') + '"'
        fts = text("SELECT rowid FROM xty_product_fts WHERE xty_product_fts MATCH :q").bindparams(q=phrase)
        return Product.id.in_(fts.columns(rowid=Product.id.type))
    return or_(in_title, in_text)


def _relevance(terms: list[str]) -> ColumnElement[int]:
    score: ColumnElement[int] = literal(0)
    for term in terms:
        score = score + case((Product.search_title.like(like_pattern(term), escape="\\"), 3), else_=1)
    return score


def price_summary():
    """Per product: lowest and highest price, highest compare-at price, largest stock (a subquery)."""
    return (
        select(
            Variant.product_id.label("product_id"),
            func.min(Variant.price_minor).label("price_min"),
            func.max(Variant.price_minor).label("price_max"),
            func.max(Variant.compare_at_minor).label("compare_at"),
            func.max(Variant.stock).label("max_stock"),
        )
        .group_by(Variant.product_id)
        .subquery("prices")
    )


def filter_conditions(query: SearchQuery, prices) -> list[ColumnElement[bool]]:
    """WHERE terms for the query's category (with subcategories), brand, stock and price filters.

    ``prices`` is the :func:`price_summary` subquery the statement joins.
    """
    conditions: list[ColumnElement[bool]] = []
    if query.category_id is not None:
        root = aliased(Category)
        prefix = select(root.path).where(root.id == query.category_id).scalar_subquery()
        subtree = select(Category.id).where(Category.path.like(prefix.concat("%")))
        conditions.append(Product.category_id.in_(subtree))
    if query.brand_id is not None:
        conditions.append(Product.brand_id == query.brand_id)
    if query.in_stock:
        conditions.append(prices.c.max_stock > 0)
    if query.price_min is not None or query.price_max is not None:
        bounds = [Variant.product_id == Product.id]
        if query.price_min is not None:
            bounds.append(Variant.price_minor >= query.price_min.minor)
        if query.price_max is not None:
            bounds.append(Variant.price_minor <= query.price_max.minor)
        conditions.append(select(Variant.id).where(and_(*bounds)).exists())
    return conditions


def search(query: SearchQuery) -> SearchPage:
    """Active products matching ``query``, one page of them, with the total."""
    dialect = db.session.get_bind().dialect.name
    terms = terms_of(query.text)
    prices = price_summary()
    conditions: list[ColumnElement[bool]] = [Product.status == ProductStatus.ACTIVE.value]
    conditions += [_term_matches(t, dialect) for t in terms]
    conditions += filter_conditions(query, prices)

    base = select(Product.id).join(prices, prices.c.product_id == Product.id).where(*conditions)
    total = db.session.execute(select(func.count()).select_from(base.subquery())).scalar_one()

    order = _order(query, terms, prices, dialect)
    rows = db.session.execute(
        select(
            Product.id, Product.slug, Product.title, Product.title_en, Product.subtitle,
            Product.sales_count, Product.published_at, Brand.name.label("brand"),
            prices.c.price_min, prices.c.price_max, prices.c.compare_at, prices.c.max_stock,
        )
        .join(prices, prices.c.product_id == Product.id)
        .outerjoin(Brand, Brand.id == Product.brand_id)
        .where(*conditions)
        .order_by(*order)
        .limit(query.per_page)
        .offset((query.page - 1) * query.per_page)
    ).all()
    images = first_images([r.id for r in rows])
    currency = current_app.config["SHOP_CURRENCY"]
    items = [card(r, currency, images.get(r.id)) for r in rows]
    return SearchPage(items=items, total=total, page=query.page, per_page=query.per_page, query=query)


def _order(query: SearchQuery, terms: list[str], prices, dialect: str) -> list:
    popular = [Product.sales_count.desc(), Product.published_at.desc().nulls_last(), Product.id.desc()]
    newest = [Product.published_at.desc().nulls_last(), Product.id.desc()]
    if query.sort == "price_asc":
        return [prices.c.price_min.asc(), Product.id.desc()]
    if query.sort == "price_desc":
        return [prices.c.price_max.desc(), Product.id.desc()]
    if query.sort == "newest":
        return newest
    if query.sort == "best_selling" or not terms:
        return popular
    order = [_relevance(terms).desc()]
    if dialect == "postgresql":
        order.append(func.similarity(Product.search_title, " ".join(terms)).desc())
    return order + popular


def first_images(product_ids: list[int]) -> dict[int, ImageHit]:
    """The first image (lowest position) of each product, in one query."""
    from xtycore.services.images import thumbnail_paths

    if not product_ids:
        return {}
    ranked = (
        select(
            ProductImage.product_id, ProductImage.path, ProductImage.width, ProductImage.height, ProductImage.alt,
            func.row_number().over(
                partition_by=ProductImage.product_id, order_by=(ProductImage.position, ProductImage.id)
            ).label("rank"),
        )
        .where(ProductImage.product_id.in_(product_ids))
        .subquery()
    )
    rows = db.session.execute(select(ranked).where(ranked.c.rank == 1)).all()
    return {
        r.product_id: ImageHit(r.path, r.width, r.height, r.alt, thumbnail_paths(r.path))
        for r in rows
    }


def card(row: Any, currency: str, image: ImageHit | None) -> ProductHit:
    """A product card from a row with the columns of a listing statement (prices in minor units)."""
    price_min = Money.from_minor(row.price_min, currency)
    compare_at = Money.from_minor(row.compare_at, currency) if row.compare_at is not None else None
    return ProductHit(
        id=row.id, slug=row.slug, title=row.title, title_en=row.title_en, subtitle=row.subtitle,
        brand=row.brand, price_min=price_min, price_max=Money.from_minor(row.price_max, currency),
        compare_at=compare_at if compare_at is not None and compare_at > price_min else None,
        in_stock=row.max_stock > 0, sales_count=row.sales_count, published_at=row.published_at, image=image,
    )


def parse_query(args: Mapping[str, str]) -> SearchQuery:
    """A :class:`SearchQuery` from request arguments (``q``, ``category``, ``brand``,
    ``min``, ``max``, ``in_stock``, ``sort``, ``page``, ``per_page``); bad values raise CatalogError."""
    def number(name: str) -> int | None:
        value = args.get(name, "").strip()
        if not value:
            return None
        if not value.isdigit():
            raise CatalogError(f"{name} must be a whole number, got {value!r}")
        return int(value)

    def price(name: str) -> Money | None:
        value = args.get(name, "").strip()
        if not value:
            return None
        try:
            return Money(value)
        except ArithmeticError:
            raise CatalogError(f"{name} must be an amount such as 99 or 99.50, got {value!r}") from None

    return SearchQuery(
        text=args.get("q", ""), category_id=number("category"), brand_id=number("brand"),
        price_min=price("min"), price_max=price("max"),
        in_stock=args.get("in_stock", "") in ("1", "true", "on", "yes"),
        sort=args.get("sort", "") or "relevance", page=number("page") or 1, per_page=number("per_page") or 40,
    )
