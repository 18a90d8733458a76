"""The demo shop's data: a bilingual catalogue of 208 products in 13 categories, ready to publish.

:func:`products` expands :mod:`xtycore.demo_data.catalogue` into complete
products: variants with prices, stock (a few sold out) and compare-at prices
(划线价) on some, an HTML description in Chinese with an English paragraph,
tags. Everything is derived from a random generator seeded with the
product's SKU, so every run produces the same shop. Pictures are drawn by
:mod:`xtycore.demo_data.pictures`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from html import escape

from xtycore.demo_data.catalogue import (
    BRANDS, CATEGORIES, HELD_REVIEW_TEXTS, PARENTS, REVIEW_TEXTS, SCHEMES, TWO_OPTION_SCHEMES,
)

__all__ = [
    "BRANDS", "CATEGORIES", "HELD_REVIEW_TEXTS", "PARENTS", "REVIEW_TEXTS", "DemoProduct", "DemoVariant",
    "categories", "products",
]

#: Words the demo merchant forbids (广告法 absolute claims); no demo product uses them.
BANNED_WORDS = ("最佳", "国家级", "顶级", "绝对", "万能")
#: Every n-th product of a category carries the storefront's featured tag.
FEATURED_EVERY = 4
FEATURED_TAG = "精选"


@dataclass(frozen=True)
class DemoVariant:
    sku: str
    options: dict[str, str]
    price: Decimal
    compare_at: Decimal | None
    stock: int
    weight_grams: int


@dataclass(frozen=True)
class DemoProduct:
    code: str  #: e.g. "GT-01": category code and position
    title: str
    title_en: str
    subtitle: str
    description_html: str
    brand: str  #: the brand's Chinese name
    category: str  #: the category path, e.g. "茶叶/绿茶"
    tags: list[str]
    colours: tuple[str, str]
    variants: list[DemoVariant] = field(default_factory=list)


def categories() -> list[tuple[str, str]]:
    """Every category path with its English name, parents first."""
    found: list[tuple[str, str]] = [(name, english) for name, english in PARENTS.items()]
    found += [(category["path"], category["name_en"]) for category in CATEGORIES]
    return found


def _money(value: Decimal) -> Decimal:
    """Shop prices: whole yuan from ¥20 up, else to the jiao."""
    step = Decimal("1") if value >= 20 else Decimal("0.1")
    return value.quantize(step, ROUND_HALF_UP).quantize(Decimal("0.01"))


def _variants(code: str, scheme: str, base: Decimal, rng: random.Random) -> list[DemoVariant]:
    discounted = rng.random() < 0.3
    sold_out_all = rng.random() < 0.04
    second = TWO_OPTION_SCHEMES.get(scheme)
    variants = []
    for index, (name, value, factor, grams) in enumerate(SCHEMES[scheme], start=1):
        price = _money(base * Decimal(factor))
        options = {name: value}
        if second is not None:
            options[second[0]] = second[1][index - 1]
        compare_at = _money(price * Decimal(rng.choice(("1.2", "1.25", "1.3", "1.5")))) if discounted else None
        stock = 0 if sold_out_all or rng.random() < 0.1 else rng.choice((3, 8, 15, 30, 60, 120, 200))
        variants.append(DemoVariant(f"XTY-{code}-{index}", options, price, compare_at, stock, grams))
    return variants


def _description(title: str, point: str, title_en: str, point_en: str, category: dict) -> str:
    return (
        f"<p>{escape(title)}：{escape(point)}。{escape(category['zh'])}</p>"
        f'<p lang="en">{escape(title_en)}: {escape(point_en)}. {escape(category["en"])}</p>'
    )


def products(limit: int | None = None) -> list[DemoProduct]:
    """The demo catalogue, in a stable order (category by category).

    With ``limit``, a smaller shop of that many products taken from every category in turn
    (the first product of each category first), for quick demos and tests.
    """
    found = _all_products()
    if limit is None or limit >= len(found):
        return found
    by_position = sorted(range(len(found)), key=lambda i: (int(found[i].code[-2:]), i))
    return [found[i] for i in sorted(by_position[:max(limit, 0)])]


def _all_products() -> list[DemoProduct]:
    found = []
    for category in CATEGORIES:
        rows = [line for line in category["lines"].strip().splitlines() if line.strip()]
        for position, line in enumerate(rows, start=1):
            title, title_en, brand, price, scheme, point, point_en = (part.strip() for part in line.split("|"))
            code = f"{category['code']}-{position:02d}"
            rng = random.Random(f"xty-demo-{code}")
            tags = list(category["tags"])
            if position % FEATURED_EVERY == 1:
                tags.append(FEATURED_TAG)
            if "礼盒" in title:
                tags.append("送礼")
            found.append(DemoProduct(
                code=code, title=title, title_en=title_en, subtitle=point,
                description_html=_description(title, point, title_en, point_en, category),
                brand=BRANDS[brand][0], category=category["path"], tags=tags, colours=category["colours"],
                variants=_variants(code, category["scheme"] if scheme == "-" else scheme, Decimal(price), rng),
            ))
    return found
