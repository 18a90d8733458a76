"""Sample page data for ``xty theme check`` and ``xty theme preview``: made in memory, no database.

Each value has the type the real page passes (the views of
:mod:`xtycore.services.pages`), so a template that renders with the samples
renders with real data.
"""

from __future__ import annotations

from datetime import datetime, timezone

from xtycore.domain.money import Money
from xtycore.services.images import thumbnail_paths
from xtycore.services.pages import (
    BrandOption, BrandView, CategoryNode, HomeSection, ImageView, ProductView, VariantView, options_of,
)
from xtycore.services.search import ImageHit, ProductHit, SearchPage, SearchQuery

PUBLISHED = datetime(2026, 3, 1, tzinfo=timezone.utc)

TEA = CategoryNode(1, None, "cha-ye", "茶叶", "Tea", 0, "/1/")
GREEN_TEA = CategoryNode(2, 1, "lu-cha", "绿茶", "Green tea", 0, "/1/2/")
OOLONG = CategoryNode(3, 1, "wu-long-cha", "乌龙茶", "Oolong", 1, "/1/3/")
DESSERTS = CategoryNode(4, None, "tian-pin", "甜品", "Desserts", 1, "/4/")


def sample_image(path: str = "products/1/sample.jpg", alt: str = "西湖龙井 茶汤") -> ImageHit:
    return ImageHit(path, 800, 800, alt, thumbnail_paths(path))


def sample_card(n: int, title: str, title_en: str, price: str, *, compare_at: str | None = None,
                in_stock: bool = True, image: bool = True) -> ProductHit:
    return ProductHit(
        id=n, slug=f"sample-{n}", title=title, title_en=title_en, subtitle="明前头采", brand="小甜园",
        price_min=Money(price), price_max=Money(price), compare_at=Money(compare_at) if compare_at else None,
        in_stock=in_stock, sales_count=10 * n, published_at=PUBLISHED,
        image=sample_image(f"products/{n}/sample.jpg", title) if image else None,
    )


def sample_cards() -> list[ProductHit]:
    return [
        sample_card(1, "西湖龙井 250g", "West Lake Longjing 250 g", "128.00", compare_at="158.00"),
        sample_card(2, "安溪铁观音", "Anxi Tieguanyin", "89.00"),
        sample_card(3, "桂花乌龙", "Osmanthus oolong", "59.90", in_stock=False),
        sample_card(4, "抹茶蛋糕", "Matcha cake", "1299.00", image=False),
    ]


def sample_listing(query: SearchQuery | None = None) -> SearchPage:
    items = sample_cards()
    return SearchPage(items=items, total=50, page=2, per_page=len(items), query=query or SearchQuery(page=2))


def home() -> dict:
    return {"sections": [
        HomeSection("banner"),
        HomeSection("categories", categories=[TEA, DESSERTS]),
        HomeSection("featured", products=sample_cards()[:2]),
        HomeSection("new", products=sample_cards()),
        HomeSection("best_selling", products=sample_cards()[1:]),
    ]}


def sample_product() -> ProductView:
    variants = (
        VariantView(11, "LJ-250", {"规格": "250g", "等级": "特级"}, Money("128.00"), Money("158.00"), 20),
        VariantView(12, "LJ-500", {"规格": "500g", "等级": "特级"}, Money("239.00"), None, 3),
        VariantView(13, "LJ-250-1", {"规格": "250g", "等级": "一级"}, Money("98.00"), None, 0),
    )
    images = tuple(
        ImageView(20 + n, f"products/1/sample-{n}.jpg", 800, 800, f"西湖龙井 图{n + 1}",
                  thumbnail_paths(f"products/1/sample-{n}.jpg"))
        for n in range(3)
    )
    return ProductView(
        id=1, slug="xi-hu-long-jing", title="西湖龙井 明前特级", title_en="West Lake Longjing", subtitle="明前头采",
        description_html="<p>明前特级龙井，产自杭州西湖产区，手工炒制。</p>",
        brand=BrandView("小甜园", "Xiaotianyuan", "xiao-tian-yuan"), category=GREEN_TEA,
        meta_title="", meta_description="", summary="明前头采", updated_at=PUBLISHED, purchase_limit=5,
        variants=variants, images=images, options=options_of(variants),
    )


def brands() -> list[BrandOption]:
    return [BrandOption(1, "小甜园", "Xiaotianyuan", "xiao-tian-yuan"), BrandOption(2, "西湖", "West Lake", "xi-hu")]
