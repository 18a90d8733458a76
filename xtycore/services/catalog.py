"""Catalogue intake: normalisation and review hooks, merchant HTML, slugs, taxonomy, product writes.

Functions named ``*_in_session`` (and :func:`save_product`, the taxonomy
look-ups) write into the current session and expect the caller's
``with transaction():``, so an import can put many products in one unit of
work. The use cases that stand alone open their own transaction.
"""

from __future__ import annotations

from html.parser import HTMLParser
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import nh3
from pypinyin import lazy_pinyin
from slugify import slugify
from sqlalchemy import select, update

from xtycore.domain.catalog import CatalogError, ProductNotFound, category_path
from xtycore.domain.contributions import Finding, Severity
from xtycore.domain.money import Money
from xtycore.extensions import db, transaction
from xtycore.kernel import get_kernel
from xtycore.models import Brand, Category, Product, Tag, Variant
from xtycore.plugins import FaultPolicy


def normalize_product(data: Mapping[str, Any]) -> dict[str, Any]:
    """Run every enabled normaliser in order; each sees the previous one's result.

    Fails closed: a failing normaliser stops the import of that product rather
    than letting unnormalised prices or codes through.
    """
    current = dict(data)
    plugins = get_kernel().plugins
    for impl in plugins.implementations("xtycore_normalize_product"):
        with plugins.guard(impl.plugin_name, "xtycore_normalize_product", FaultPolicy.CLOSED) as outcome:
            outcome.value = plugins.invoke(impl, {"data": dict(current)})
        if outcome.value:
            current.update(outcome.value)
    return current


def review_product(product: Mapping[str, Any]) -> list[tuple[str, Finding]]:
    """Every enabled reviewer's findings, as ``(plugin, finding)``, most severe first.

    A reviewer that crashes is recorded and turns into a blocking finding, so
    the product waits for a person instead of being published unreviewed.
    """
    plugins = get_kernel().plugins
    findings: list[tuple[str, Finding]] = []
    for impl in plugins.implementations("xtycore_review_product"):
        with plugins.guard(impl.plugin_name, "xtycore_review_product", FaultPolicy.OPEN) as outcome:
            outcome.value = plugins.invoke(impl, {"product": product})
        if outcome.failed:
            findings.append((impl.plugin_name, Finding(
                Severity.BLOCKING, "reviewer_failed",
                f"the reviewer of plugin {impl.plugin_name} failed; review this product by hand",
            )))
            continue
        findings.extend((impl.plugin_name, f) for f in outcome.value or ())
    rank = {Severity.BLOCKING: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted(findings, key=lambda pf: rank[pf[1].severity])


def needs_review(findings: list[tuple[str, Finding]]) -> bool:
    """Whether the findings send the product to the review queue instead of publishing it."""
    return any(f.severity is Severity.BLOCKING for _, f in findings)


# merchant HTML ---------------------------------------------------------------

ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "div", "dl", "dt",
    "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre",
    "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
    "u", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "col": {"span"},
    "ol": {"start"},
}


def sanitize_html(text: str) -> str:
    """Merchant HTML made safe to render: formatting, images, tables and links stay.

    Scripts and styles go with their content; event handlers, ``style`` and
    unknown attributes go; links get ``rel="noopener"``; only http(s), mailto
    and relative URLs survive (no ``javascript:``).
    """
    return nh3.clean(
        text or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener",
        strip_comments=True,
    )


#: Tags that separate words; inline ones (<b>, <a>) do not, so 好<b>茶</b> reads 好茶.
BLOCK_TAGS = {
    "blockquote", "br", "caption", "dd", "div", "dt", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6",
    "hr", "img", "li", "ol", "p", "pre", "table", "td", "th", "tr", "ul",
}


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self.handle_starttag(tag, [])

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(text: str) -> str:
    """The visible text of merchant HTML, whitespace collapsed: for search and review."""
    collector = _TextCollector()
    collector.feed(sanitize_html(text))
    collector.close()
    return " ".join("".join(collector.parts).split())


# slugs ---------------------------------------------------------------------------

def slug_for(text: str, *, fallback: str = "product", max_length: int = 80) -> str:
    """A readable ASCII slug; Chinese becomes pinyin: ``"龙井绿茶"`` -> ``"long-jing-lu-cha"``."""
    spelled = " ".join(lazy_pinyin(text, v_to_u=True))
    return slugify(spelled, max_length=max_length, word_boundary=True) or fallback


def unique_slug(model: type, text: str, *, exclude_id: int | None = None, fallback: str = "product") -> str:
    """:func:`slug_for` made unique in ``model``'s ``slug`` column with ``-2``, ``-3`` …"""
    base = slug_for(text, fallback=fallback)
    query = select(model.slug).where((model.slug == base) | model.slug.like(f"{base}-%"))
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    taken = set(db.session.execute(query).scalars())
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


# taxonomy ------------------------------------------------------------------------

def category_by_path(path: str) -> Category:
    """The category named by a path such as ``"茶叶/绿茶"``, creating missing levels."""
    parent: Category | None = None
    for name in category_path(path):
        query = select(Category).where(Category.name == name)
        query = query.where(Category.parent_id.is_(None) if parent is None else Category.parent_id == parent.id)
        found = db.session.execute(query).scalars().first()
        if found is None:
            found = Category(name=name, parent=parent, slug=unique_slug(Category, name, fallback="category"))
            db.session.add(found)
            db.session.flush()
            found.path = f"{parent.path if parent else '/'}{found.id}/"
        parent = found
    assert parent is not None  # category_path never returns an empty list
    return parent


def brand_by_name(name: str) -> Brand:
    found = db.session.execute(select(Brand).where(Brand.name == name)).scalars().first()
    if found is None:
        found = Brand(name=name, slug=unique_slug(Brand, name, fallback="brand"))
        db.session.add(found)
        db.session.flush()
    return found


def tags_by_names(names: Iterable[str]) -> list[Tag]:
    wanted = list(dict.fromkeys(n for n in names if n))
    if not wanted:
        return []
    found = {t.name: t for t in db.session.execute(select(Tag).where(Tag.name.in_(wanted))).scalars()}
    for name in wanted:
        if name not in found:
            found[name] = Tag(name=name, slug=unique_slug(Tag, name, fallback="tag"))
            db.session.add(found[name])
            db.session.flush()
    return [found[n] for n in wanted]


def subtree_ids(category_id: int) -> list[int]:
    """The ids of a category and every category below it."""
    root = db.session.get(Category, category_id)
    if root is None:
        raise CatalogError(f"no category with id {category_id}")
    return list(db.session.execute(select(Category.id).where(Category.path.like(f"{root.path}%"))).scalars())


# products ------------------------------------------------------------------------

PRODUCT_TEXT_FIELDS = ("title", "title_en", "subtitle", "meta_title", "meta_description")


@dataclass
class VariantInput:
    """A validated variant: what :func:`save_product` writes.

    ``None`` leaves the field as it is on an existing variant (a new one gets
    no compare-at price, no options, 0 g, no barcode, 0 in stock), so a file
    that only updates prices does not wipe stock.
    """

    sku: str
    price: Money
    compare_at: Money | None = None
    options: dict[str, str] | None = None
    weight_grams: int | None = None
    barcode: str | None = None
    stock: int | None = None


@dataclass
class ProductInput:
    """A validated product with its variants; on update, ``None`` leaves a field as it is."""

    title: str
    variants: list[VariantInput]
    title_en: str | None = None
    slug: str | None = None
    subtitle: str | None = None
    description_html: str | None = None
    brand: str | None = None
    category: str | None = None
    tags: list[str] | None = None
    meta_title: str | None = None
    meta_description: str | None = None
    purchase_limit: int | None = None


def product_for_skus(skus: Iterable[str]) -> Product | None:
    """The one existing product owning any of these SKUs; refuses SKUs spread over two products."""
    owners = set(db.session.execute(
        select(Variant.product_id).where(Variant.sku.in_(list(skus)))
    ).scalars())
    if len(owners) > 1:
        raise CatalogError(
            f"these SKUs belong to different products ({', '.join(map(str, sorted(owners)))}); "
            "a product's rows must not mix SKUs of two existing products"
        )
    return db.session.get(Product, owners.pop()) if owners else None


def save_product(data: ProductInput, product: Product | None = None) -> Product:
    """Create or update a product and its variants (matched by SKU) in the current session.

    The product keeps its status: publishing is a separate step
    (:func:`xtycore.services.catalog_review.publish_in_session`). Variants
    not named in ``data`` are kept.
    """
    from xtycore.services.search import refresh_search_text

    if product is None:
        product = Product(title=data.title, slug=data.slug or unique_slug(Product, data.title))
        db.session.add(product)
    elif data.slug and data.slug != product.slug:
        product.slug = data.slug
    for name in PRODUCT_TEXT_FIELDS:
        value = getattr(data, name)
        if value is not None:
            setattr(product, name, value)
    if data.description_html is not None:
        product.description_html = sanitize_html(data.description_html)
    if data.brand is not None:
        product.brand = brand_by_name(data.brand) if data.brand else None
    if data.category is not None:
        product.category = category_by_path(data.category) if data.category else None
    if data.tags is not None:
        product.tags = tags_by_names(data.tags)
    if data.purchase_limit is not None:
        product.purchase_limit = data.purchase_limit
    existing = {v.sku: v for v in product.variants}
    for position, item in enumerate(data.variants):
        variant = existing.get(item.sku)
        if variant is None:
            variant = Variant(sku=item.sku, options={}, weight_grams=0, barcode="", stock=0)
            product.variants.append(variant)
        variant.price_minor = item.price.minor
        variant.position = position
        if item.compare_at is not None:
            variant.compare_at_minor = item.compare_at.minor
        for name in ("options", "weight_grams", "barcode", "stock"):
            value = getattr(item, name)
            if value is not None:
                setattr(variant, name, value)
    db.session.flush()
    refresh_search_text(product)
    return product


def get_product(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None:
        raise ProductNotFound(f"no product with id {product_id}; `xty catalog review` lists waiting products")
    return product


def add_sales(product_id: int, quantity: int) -> None:
    """Count units sold for best-selling order; one UPDATE, safe under concurrent orders.

    Call inside the order's transaction.
    """
    if quantity <= 0:
        raise ValueError("quantity sold must be positive")
    db.session.execute(
        update(Product).where(Product.id == product_id).values(sales_count=Product.sales_count + quantity)
    )


def create_product(data: ProductInput) -> int:
    """Save a new draft product in its own transaction; returns its id."""
    with transaction():
        return save_product(data).id
