"""Storefront page data: what the home, category, search and product pages show.

Every function here answers in a small fixed number of SQL statements, however
many products a page shows: no ORM object reaches a template (pages get plain
views, nothing lazy), listings fetch their cards in one statement, and what
repeats across requests, the category tree, comes from the shared cache
(:mod:`xtycore.caching`). docs/storefront.md lists the count of each page.

A product card is a :class:`xtycore.services.search.ProductHit`, whether it
comes from text search or from a listing here, so one template shows both.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import Integer, Select, String, bindparam, case, func, or_, select
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from xtycore.caching import remember
from xtycore.domain.catalog import CatalogError, ProductStatus
from xtycore.domain.money import Money
from xtycore.extensions import db
from xtycore.models import Brand, Category, Product, ProductImage, Tag
from xtycore.services.images import thumbnail_paths
from xtycore.services.search import (
    MAX_PER_PAGE, ImageHit, ProductHit, SearchPage, SearchQuery, card, filter_conditions, parse_query, price_summary,
)

ACTIVE = ProductStatus.ACTIVE.value
#: Sorts a category page offers; ``relevance`` (the search default) means best-selling there.
LISTING_SORTS = ("best_selling", "newest", "price_asc", "price_desc")
#: Home page sections a theme may order through its ``home_sections`` setting.
HOME_SECTIONS = ("banner", "categories", "featured", "new", "best_selling")
#: Sections that list products.
PRODUCT_SECTIONS = ("featured", "new", "best_selling")
#: A variant with this many units or fewer shows "only N left".
LOW_STOCK = 5
DESCRIPTION_CHARS = 160


# --------------------------------------------------------------------------
# the category tree (cached)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryNode:
    id: int
    parent_id: int | None
    slug: str
    name: str
    name_en: str
    sort: int
    #: ids from the root down, ``/1/4/9/``
    path: str


class CategoryTree:
    """Every category, indexed; built from one query and kept in the shared cache."""

    def __init__(self, nodes: Iterable[CategoryNode]) -> None:
        ordered = sorted(nodes, key=lambda n: (n.sort, n.id))  # the merchant's order, then creation
        self.by_id = {n.id: n for n in ordered}
        self.by_slug = {n.slug: n for n in ordered}
        self._children: dict[int | None, list[CategoryNode]] = {}
        for node in ordered:
            parent = node.parent_id if node.parent_id in self.by_id else None
            self._children.setdefault(parent, []).append(node)

    def roots(self) -> list[CategoryNode]:
        return list(self._children.get(None, []))

    def children(self, node: CategoryNode) -> list[CategoryNode]:
        return list(self._children.get(node.id, []))

    def ancestors(self, node: CategoryNode) -> list[CategoryNode]:
        """From the root down to the node's parent."""
        ids = [int(part) for part in node.path.strip("/").split("/") if part]
        return [self.by_id[i] for i in ids[:-1] if i in self.by_id]

    def subtree_ids(self, node: CategoryNode) -> list[int]:
        """The node and every category below it."""
        if not node.path:
            return [node.id]
        return [n.id for n in self.by_id.values() if n.path.startswith(node.path)]


def category_tree() -> CategoryTree:
    """The category tree of this kernel generation (one query on a cache miss, none otherwise)."""
    return remember("catalog.category_tree", _load_tree)


def _load_tree() -> CategoryTree:
    rows = db.session.execute(select(
        Category.id, Category.parent_id, Category.slug, Category.name, Category.name_en, Category.sort,
        Category.path,
    )).all()
    return CategoryTree(CategoryNode(*row) for row in rows)


# --------------------------------------------------------------------------
# product cards: one statement per list
# --------------------------------------------------------------------------


def _popular() -> list:
    return [Product.sales_count.desc(), Product.published_at.desc().nulls_last(), Product.id.desc()]


def _order(sort: str, prices) -> list:
    if sort == "newest":
        return [Product.published_at.desc().nulls_last(), Product.id.desc()]
    if sort == "price_asc":
        return [prices.c.price_min.asc(), Product.id.desc()]
    if sort == "price_desc":
        return [prices.c.price_max.desc(), Product.id.desc()]
    return _popular()


def cards(
    conditions: Sequence[ColumnElement[bool]] = (), *, sort: str = "best_selling", limit: int,
    offset: int = 0, order: Sequence[Any] | None = None, prices=None,
) -> tuple[list[ProductHit], int]:
    """Active products as cards with their price range, stock and first image, and the total.

    One statement (:func:`card_statement`).
    :param conditions: extra WHERE conditions on :class:`Product` (and on ``prices`` when given).
    :param order: ORDER BY terms; default the ``sort``'s.
    """
    prices = prices if prices is not None else price_summary()
    order = list(order) if order is not None else _order(sort, prices)
    return run_cards(card_statement(conditions, order, prices, limit=limit, offset=offset))


def card_statement(conditions: Sequence[ColumnElement[bool]], order: Sequence[Any], prices, *,
                   limit: int | BindParameter, offset: int | BindParameter) -> Select:
    """The page of active products (the total counted by a window over the same rows) joined to
    each product's first image. ``limit`` and ``offset`` may be bound parameters."""
    page = (
        select(
            Product.id, Product.slug, Product.title, Product.title_en, Product.subtitle,
            Product.sales_count, Product.published_at, Brand.name.label("brand"),
            prices.c.price_min, prices.c.price_max, prices.c.compare_at, prices.c.max_stock,
            func.count().over().label("total"),
            func.row_number().over(order_by=order).label("position"),
        )
        .join(prices, prices.c.product_id == Product.id)
        .outerjoin(Brand, Brand.id == Product.brand_id)
        .where(Product.status == ACTIVE, *conditions)
        .order_by(*order)
        .limit(limit)
        .offset(offset)
        .subquery("page")
    )
    first_image = (
        select(ProductImage.id)
        .where(ProductImage.product_id == page.c.id)
        .order_by(ProductImage.position, ProductImage.id)
        .limit(1)
        .correlate(page)
        .scalar_subquery()
    )
    return (
        select(
            page, ProductImage.path.label("image_path"), ProductImage.width.label("image_width"),
            ProductImage.height.label("image_height"), ProductImage.alt.label("image_alt"),
        )
        .select_from(page.outerjoin(ProductImage, ProductImage.id == first_image))
        .order_by(page.c.position)
    )


def run_cards(statement: Select, params: Mapping[str, Any] | None = None) -> tuple[list[ProductHit], int]:
    """Execute a :func:`card_statement`: the cards and the total."""
    rows = db.session.execute(statement, dict(params or {})).all()
    currency = _currency()
    total = rows[0].total if rows else 0
    return [_card(row, currency) for row in rows], total


def _card(row: Any, currency: str) -> ProductHit:
    image = None
    if row.image_path is not None:
        image = ImageHit(row.image_path, row.image_width, row.image_height, row.image_alt,
                         thumbnail_paths(row.image_path))
    return card(row, currency, image)


def _currency() -> str:
    from flask import current_app

    return current_app.config["SHOP_CURRENCY"]


# --------------------------------------------------------------------------
# home
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class HomeSection:
    """One block of the home page: ``key`` is one of :data:`HOME_SECTIONS`."""

    key: str
    products: list[ProductHit] = field(default_factory=list)
    categories: list[CategoryNode] = field(default_factory=list)


def section_keys(setting: str) -> list[str]:
    """The known section names of a ``home_sections`` setting, in its order, each once."""
    names = [part.strip() for part in (setting or "").replace("，", ",").split(",")]
    return list(dict.fromkeys(name for name in names if name in HOME_SECTIONS))


def home_sections(keys: Sequence[str], *, featured_tag: str = "", limit: int = 8) -> list[HomeSection]:
    """The home page's sections in order; one statement per product section, empty ones left out."""
    sections = []
    for key in keys:
        if key == "banner":
            sections.append(HomeSection(key))
        elif key == "categories":
            roots = category_tree().roots()
            if roots:
                sections.append(HomeSection(key, categories=roots))
        elif key in PRODUCT_SECTIONS:
            products = _section_products(key, featured_tag, limit)
            if products:
                sections.append(HomeSection(key, products=products))
    return sections


def _section_products(key: str, featured_tag: str, limit: int) -> list[ProductHit]:
    if key == "featured" and not featured_tag:
        return []
    return run_cards(_section_statement(key), {"tag": featured_tag, "limit": limit})[0]


#: Home sections differ between requests only in bound values, so each statement is built once
#: per process (building one costs more than running it); SQLAlchemy caches their SQL as well.
_SECTION_STATEMENTS: dict[str, Select] = {}


def _section_statement(key: str) -> Select:
    statement = _SECTION_STATEMENTS.get(key)
    if statement is None:
        prices = price_summary()
        conditions = []
        if key == "featured":
            tag = bindparam("tag", type_=String)
            conditions.append(Product.tags.any(or_(Tag.name == tag, Tag.slug == tag)))
        order = _order("newest" if key == "new" else "best_selling", prices)
        limit = bindparam("limit", type_=Integer)
        statement = _SECTION_STATEMENTS[key] = card_statement(conditions, order, prices, limit=limit, offset=0)
    return statement


# --------------------------------------------------------------------------
# category and search listings
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class BrandOption:
    id: int
    name: str
    name_en: str
    slug: str


@dataclass(frozen=True)
class CategoryPage:
    category: CategoryNode
    ancestors: list[CategoryNode]
    children: list[CategoryNode]
    brands: list[BrandOption]
    listing: SearchPage
    #: some filters in the URL could not be read and were ignored
    filter_error: bool = False


def read_query(args: Mapping[str, str], *, per_page: int, sorts: Sequence[str]) -> tuple[SearchQuery, bool]:
    """A query from request arguments; filters that do not parse are dropped (second value True)."""
    try:
        query, bad = parse_query(args), False
    except CatalogError:
        keep = {k: v for k, v in args.items() if k in ("q", "in_stock")}
        query, bad = parse_query(keep), True
    sort = query.sort if query.sort in sorts else sorts[0]
    per_page = min(max(int(per_page), 1), MAX_PER_PAGE)  # a theme's setting may allow more than search does
    return dataclasses.replace(query, per_page=per_page, sort=sort), bad


def category_page(slug: str, args: Mapping[str, str], *, per_page: int) -> CategoryPage | None:
    """A category's page: its products filtered, sorted and paginated; None when no category has the slug.

    Statements: the brands of the category's products, and the cards.
    """
    tree = category_tree()
    node = tree.by_slug.get(slug)
    if node is None:
        return None
    query, bad = read_query(args, per_page=per_page, sorts=("relevance", *LISTING_SORTS))
    query = dataclasses.replace(
        query, category_id=node.id, sort="best_selling" if query.sort == "relevance" else query.sort,
    )
    ids = tree.subtree_ids(node)
    brands = [BrandOption(*row) for row in db.session.execute(
        select(Brand.id, Brand.name, Brand.name_en, Brand.slug)
        .where(Brand.id.in_(
            select(Product.brand_id).where(Product.status == ACTIVE, Product.category_id.in_(ids))
        ))
        .order_by(Brand.name)
    )]
    listing = listing_page(query)
    return CategoryPage(node, tree.ancestors(node), tree.children(node), brands, listing, bad)


def listing_page(query: SearchQuery) -> SearchPage:
    """A page of a listing without search text: the filters of ``query`` (the search service's own)."""
    prices = price_summary()
    conditions = filter_conditions(query, prices)
    offset = (query.page - 1) * query.per_page
    items, total = cards(conditions, sort=query.sort, limit=query.per_page, offset=offset, prices=prices)
    if not items and offset:
        total = _count(conditions, prices)  # past the last page: the window counted nothing
    return SearchPage(items=items, total=total, page=query.page, per_page=query.per_page, query=query)


def _count(conditions: Sequence[ColumnElement[bool]], prices) -> int:
    base = select(Product.id).join(prices, prices.c.product_id == Product.id)
    base = base.where(Product.status == ACTIVE, *conditions)
    return db.session.execute(select(func.count()).select_from(base.subquery())).scalar_one()


# --------------------------------------------------------------------------
# product
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageView:
    id: int
    path: str  #: relative to ``<instance>/uploads``
    width: int
    height: int
    alt: str
    thumbnails: Mapping[int, str]  #: width -> path
    variant_id: int | None = None


@dataclass(frozen=True)
class VariantView:
    id: int
    sku: str
    #: option name -> value, e.g. {"规格": "250g"}
    options: Mapping[str, str]
    price: Money
    compare_at: Money | None
    stock: int

    @property
    def stock_state(self) -> str:
        """``in_stock``, ``low_stock`` (:data:`LOW_STOCK` or fewer) or ``out_of_stock``."""
        if self.stock <= 0:
            return "out_of_stock"
        return "low_stock" if self.stock <= LOW_STOCK else "in_stock"


@dataclass(frozen=True)
class OptionView:
    """A product option (规格) and its values, in the order the variants first use them."""

    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class BrandView:
    name: str
    name_en: str
    slug: str


@dataclass(frozen=True)
class ProductView:
    id: int
    slug: str
    title: str
    title_en: str
    subtitle: str
    #: sanitised merchant HTML (the catalogue cleans it on the way in)
    description_html: str
    brand: BrandView | None
    category: CategoryNode | None
    meta_title: str
    meta_description: str
    #: meta description, else subtitle, else the description's first words
    summary: str
    updated_at: datetime
    purchase_limit: int | None
    variants: tuple[VariantView, ...]
    images: tuple[ImageView, ...]
    options: tuple[OptionView, ...]

    @property
    def price_min(self) -> Money | None:
        return min((v.price for v in self.variants), default=None)

    @property
    def price_max(self) -> Money | None:
        return max((v.price for v in self.variants), default=None)

    @property
    def in_stock(self) -> bool:
        return any(v.stock > 0 for v in self.variants)

    @property
    def default_variant(self) -> VariantView | None:
        """The variant selected when the page opens: the first one in stock, else the first."""
        return next((v for v in self.variants if v.stock > 0), self.variants[0] if self.variants else None)

    def seo_title(self, locale: str) -> str:
        if locale != "zh_CN" and self.title_en:
            return self.title_en
        return self.meta_title or self.title


@dataclass(frozen=True)
class ProductPage:
    product: ProductView
    #: the categories from the root down to the product's own
    breadcrumbs: list[CategoryNode]
    related: list[ProductHit]


def product_page(slug: str, *, related_limit: int = 4, customer_id: str | None = None) -> ProductPage | None:
    """An active product's page, or None. Statements: product with brand, variants and images; related cards."""
    product = db.session.execute(
        select(Product)
        .where(Product.slug == slug, Product.status == ACTIVE)
        .options(joinedload(Product.brand), joinedload(Product.variants), joinedload(Product.images))
    ).unique().scalar_one_or_none()
    if product is None:
        return None
    tree = category_tree()
    node = tree.by_id.get(product.category_id) if product.category_id is not None else None
    view = product_view(product, node)
    breadcrumbs = [*tree.ancestors(node), node] if node is not None else []
    related = related_products(view, limit=related_limit, customer_id=customer_id)
    return ProductPage(view, breadcrumbs, related)


def product_view(product: Product, category: CategoryNode | None) -> ProductView:
    from xtycore.services.catalog import html_to_text

    currency = _currency()
    variants = tuple(
        VariantView(
            id=v.id, sku=v.sku, options=dict(v.options or {}), price=Money.from_minor(v.price_minor, currency),
            compare_at=Money.from_minor(v.compare_at_minor, currency) if v.compare_at_minor is not None else None,
            stock=v.stock,
        )
        for v in product.variants
    )
    images = tuple(
        ImageView(i.id, i.path, i.width, i.height, i.alt, thumbnail_paths(i.path), i.variant_id)
        for i in product.images
    )
    summary = product.meta_description or product.subtitle or _shorten(html_to_text(product.description_html))
    brand = BrandView(product.brand.name, product.brand.name_en, product.brand.slug) if product.brand else None
    return ProductView(
        id=product.id, slug=product.slug, title=product.title, title_en=product.title_en,
        subtitle=product.subtitle, description_html=product.description_html, brand=brand, category=category,
        meta_title=product.meta_title, meta_description=product.meta_description, summary=summary,
        updated_at=product.updated_at, purchase_limit=product.purchase_limit, variants=variants, images=images,
        options=options_of(variants),
    )


def options_of(variants: Iterable[VariantView]) -> tuple[OptionView, ...]:
    """The option names and their values across variants, in first-seen order."""
    values: dict[str, list[str]] = {}
    for variant in variants:
        for name, value in variant.options.items():
            seen = values.setdefault(name, [])
            if value not in seen:
                seen.append(value)
    return tuple(OptionView(name, tuple(vals)) for name, vals in values.items())


def _shorten(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def related_products(product: ProductView, *, limit: int, customer_id: str | None = None) -> list[ProductHit]:
    """Recommendations of enabled plugins first, then best sellers of the same category; one statement."""
    from xtycore.services.storefront import recommend

    recommended = [
        int(r.product_id) for r in recommend(str(product.id), customer_id, limit) if str(r.product_id).isdigit()
    ]
    if limit <= 0 or (not recommended and product.category is None):
        return []
    if not recommended:  # the usual case: one statement shape, built once
        params = {"product_id": product.id, "category_id": product.category.id, "limit": limit}
        return run_cards(_same_category_statement(), params)[0]
    either = [Product.id.in_(recommended)]
    if product.category is not None:
        either.append(Product.category_id == product.category.id)
    rank = case({pid: n for n, pid in enumerate(recommended)}, value=Product.id, else_=len(recommended))
    return cards([Product.id != product.id, or_(*either)], order=[rank, *_popular()], limit=limit)[0]


_SAME_CATEGORY: list[Select] = []


def _same_category_statement() -> Select:
    if not _SAME_CATEGORY:
        conditions = [Product.id != bindparam("product_id", type_=Integer),
                      Product.category_id == bindparam("category_id", type_=Integer)]
        _SAME_CATEGORY.append(card_statement(
            conditions, _popular(), price_summary(), limit=bindparam("limit", type_=Integer), offset=0,
        ))
    return _SAME_CATEGORY[0]


# --------------------------------------------------------------------------
# sitemap
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class SitemapEntry:
    kind: str  #: "product" or "category"
    slug: str
    lastmod: datetime | None


def sitemap_entries(limit: int = 50_000) -> list[SitemapEntry]:
    """Active products and the categories that hold any, with the time they last changed; two statements."""
    products = db.session.execute(
        select(Product.slug, Product.updated_at).where(Product.status == ACTIVE).order_by(Product.id).limit(limit)
    ).all()
    latest = dict(db.session.execute(
        select(Product.category_id, func.max(Product.updated_at))
        .where(Product.status == ACTIVE, Product.category_id.is_not(None))
        .group_by(Product.category_id)
    ).all())
    tree = category_tree()
    categories = []
    for node in tree.by_id.values():
        times = [latest[i] for i in tree.subtree_ids(node) if i in latest]
        if times:
            categories.append(SitemapEntry("category", node.slug, max(times)))
    return categories + [SitemapEntry("product", slug, updated) for slug, updated in products]
