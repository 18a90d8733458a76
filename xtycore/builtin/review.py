"""Built-in listing reviewer: the checks every shop wants before a product goes on sale.

Each rule looks only at the fields present in the mapping it receives, so a
plugin or a test may review partial data; the catalogue service always passes
every field (:func:`xtycore.services.catalog_review.review_data`).

Severities (``BLOCKING`` holds the product in the review queue):

=========================  ========  ==========================================
code                       severity  why
=========================  ========  ==========================================
``no_images``              blocking  customers do not buy what they cannot see
``description_empty``      blocking  a listing with no description is unfinished
``description_short``      warning   short is allowed (snacks), but worth a look
``price_not_positive``     blocking  a free or negative price is a typo that loses money
``price_far_below_median`` blocking  under 30 % of the category median: likely 12.99 for 1299
``compare_at_not_above``   warning   a 划线价 not above the price shows no discount
``banned_word``            blocking  merchant's own list, e.g. 广告法 absolute claims
``duplicate_title``        warning   often a double import; sometimes intended
=========================  ========  ==========================================
"""

from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import func, or_, select

from xtycore import hookimpl
from xtycore.domain.catalog import (
    FAR_BELOW_MEDIAN_RATIO, MEDIAN_MIN_SAMPLE, MIN_DESCRIPTION_CHARS, ProductStatus, far_below_median,
    median_from_middle, search_form,
)
from xtycore.domain.contributions import Finding, Severity
from xtycore.domain.money import Money
from xtycore.extensions import db
from xtycore.models import BannedWord, Product, Variant

BLOCKING, WARNING = Severity.BLOCKING, Severity.WARNING


def check_images(product: Mapping[str, Any]) -> list[Finding]:
    if "images" in product and not product["images"]:
        return [Finding(BLOCKING, "no_images", "the product has no image; add at least one", "images")]
    return []


def check_description(product: Mapping[str, Any]) -> list[Finding]:
    if "description" not in product:
        return []
    length = len((product["description"] or "").strip())
    if length == 0:
        return [Finding(BLOCKING, "description_empty", "the description is empty; describe the product",
                        "description")]
    if length < MIN_DESCRIPTION_CHARS:
        return [Finding(WARNING, "description_short",
                        f"the description has {length} characters; {MIN_DESCRIPTION_CHARS} or more help buyers",
                        "description")]
    return []


def _variants(product: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if product.get("variants"):
        return list(product["variants"])
    if isinstance(product.get("price"), Money):
        return [{"sku": "", "price": product["price"], "compare_at_price": product.get("compare_at_price")}]
    return []


def check_prices(product: Mapping[str, Any]) -> list[Finding]:
    findings = []
    for variant in _variants(product):
        price, compare_at, sku = variant.get("price"), variant.get("compare_at_price"), variant.get("sku") or ""
        label = f"SKU {sku}" if sku else "the product"
        if price is not None and price.amount <= 0:
            findings.append(Finding(BLOCKING, "price_not_positive",
                                    f"{label} costs {price}; set a price above zero", "price"))
        if compare_at is not None and price is not None and compare_at <= price:
            findings.append(Finding(WARNING, "compare_at_not_above",
                                    f"{label}: compare-at price {compare_at} is not above the price {price}; "
                                    "raise it or leave it empty", "compare_at_price"))
    return findings


def category_median(category_id: int, exclude_id: int | None) -> tuple[Money, int] | None:
    """Median of the lowest variant price of active products in the category, and the sample size.

    Computed in SQL with window functions (SQLite and PostgreSQL alike);
    ``None`` when fewer than :data:`MEDIAN_MIN_SAMPLE` products make it meaningless.
    """
    lowest = (
        select(func.min(Variant.price_minor).label("p"))
        .join(Product, Product.id == Variant.product_id)
        .where(Product.category_id == category_id, Product.status == ProductStatus.ACTIVE.value)
        .group_by(Product.id)
    )
    if exclude_id is not None:
        lowest = lowest.where(Product.id != exclude_id)
    lowest = lowest.subquery()
    ranked = select(
        lowest.c.p,
        func.row_number().over(order_by=lowest.c.p).label("rn"),
        func.count().over().label("n"),
    ).subquery()
    # the middle row, or the two middle rows of an even count
    middle = or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2)
    row = db.session.execute(select(func.sum(ranked.c.p), func.count(), func.max(ranked.c.n)).where(middle)).one()
    total, count, sample = row
    if not count or sample < MEDIAN_MIN_SAMPLE:
        return None
    return median_from_middle(int(total), int(count)), int(sample)


def check_median(product: Mapping[str, Any]) -> list[Finding]:
    price, category_id = product.get("price"), product.get("category_id")
    if not isinstance(price, Money) or category_id is None or price.amount <= 0:
        return []
    found = category_median(category_id, product.get("id"))
    if found is None:
        return []
    median, sample = found
    if not far_below_median(price, median):
        return []
    share = int(FAR_BELOW_MEDIAN_RATIO * 100)
    return [Finding(BLOCKING, "price_far_below_median",
                    f"price {price} is below {share} % of the median {median} of {sample} active products in "
                    "its category; check for a missing digit, or approve it if the low price is meant",
                    "price")]


def check_banned_words(product: Mapping[str, Any]) -> list[Finding]:
    fields = [(name, product[name]) for name in ("title", "subtitle", "description") if product.get(name)]
    if not fields:
        return []
    words = db.session.execute(select(BannedWord.word)).scalars().all()
    findings = []
    for name, value in fields:
        text = search_form(value)
        for word in words:
            if search_form(word) in text:
                findings.append(Finding(BLOCKING, "banned_word",
                                        f"「{word}」 is on the shop's banned-word list; remove it from the {name}",
                                        name))
    return findings


def check_duplicate_title(product: Mapping[str, Any]) -> list[Finding]:
    title = (product.get("title") or "").strip()
    if not title:
        return []
    query = select(Product.id).where(
        func.lower(Product.title) == title.lower(), Product.status != ProductStatus.ARCHIVED.value
    )
    if product.get("id") is not None:
        query = query.where(Product.id != product["id"])
    others = db.session.execute(query.order_by(Product.id).limit(5)).scalars().all()
    if not others:
        return []
    return [Finding(WARNING, "duplicate_title",
                    f"product(s) {', '.join(map(str, others))} have the same title; merge them as variants "
                    "or tell them apart", "title")]


RULES = (check_images, check_description, check_prices, check_median, check_banned_words, check_duplicate_title)


@hookimpl
def xtycore_review_product(product: Mapping[str, Any]) -> list[Finding]:
    return [finding for rule in RULES for finding in rule(product)]
