"""Products through the catalogue service: slugs, merchant HTML, taxonomy, database constraints."""

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from tests.catalog.conftest import make_product, variant
from xtycore.extensions import db, transaction
from xtycore.models import Category, Product, Variant
from xtycore.services import catalog


def test_a_chinese_title_becomes_a_readable_pinyin_slug(app):
    assert catalog.slug_for("龙井绿茶") == "long-jing-lu-cha"
    assert catalog.slug_for("Apple iPhone 15 苹果手机") == "apple-iphone-15-ping-guo-shou-ji"
    assert catalog.slug_for("！！！") == "product"


def test_slugs_stay_unique_with_a_numbered_suffix(app):
    ids = [make_product("龙井绿茶", publish=False) for _ in range(3)]
    slugs = [db.session.get(Product, i).slug for i in ids]
    assert slugs == ["long-jing-lu-cha", "long-jing-lu-cha-2", "long-jing-lu-cha-3"]


def test_sanitising_removes_scripts_event_handlers_and_styles_but_keeps_formatting():
    dirty = (
        '<p style="color:red" onclick="steal()">好茶<script>alert(1)</script></p>'
        '<img src="/u/a.jpg" onerror="alert(2)" alt="茶"><a href="https://example.com" target="_blank">店</a>'
        '<a href="javascript:alert(3)">x</a><table><tr><td colspan="2">规格</td></tr></table><strong>b</strong>'
    )
    clean = catalog.sanitize_html(dirty)
    assert "script" not in clean and "alert" not in clean
    assert "onerror" not in clean and "onclick" not in clean and "style" not in clean
    assert '<img src="/u/a.jpg" alt="茶">' in clean
    assert '<a href="https://example.com" rel="noopener">店</a>' in clean
    assert '<td colspan="2">规格</td>' in clean and "<strong>b</strong>" in clean
    assert catalog.html_to_text(clean) == "好茶 店x 规格 b"
    assert catalog.html_to_text("<p>好<b>茶</b></p><p>&amp; 水</p>") == "好茶 & 水"


def test_saving_a_product_sanitises_its_description_and_creates_its_category_path_brand_and_tags(app):
    pid = make_product(description='<p onmouseover="x()">好</p><script>bad()</script>', publish=False,
                       category="茶叶/绿茶", brand="狮峰", tags=["新品", "明前"])
    product = db.session.get(Product, pid)
    assert product.description_html == "<p>好</p>"
    assert [product.category.parent.name, product.category.name] == ["茶叶", "绿茶"]
    assert product.category.path == f"/{product.category.parent.id}/{product.category.id}/"
    assert product.brand.name == "狮峰" and product.brand.slug == "shi-feng"
    assert [t.name for t in product.tags] == ["新品", "明前"]  # by code point
    make_product("碧螺春", category="茶叶/绿茶", publish=False)
    assert db.session.execute(select(db.func.count()).select_from(Category)).scalar() == 2


def test_a_subtree_holds_the_category_and_everything_below_it(app):
    with transaction():
        green = catalog.category_by_path("茶叶/绿茶/龙井")
        other = catalog.category_by_path("茶具")
    tea = green.parent.parent
    assert set(catalog.subtree_ids(tea.id)) == {tea.id, green.parent.id, green.id}
    assert catalog.subtree_ids(other.id) == [other.id]


def test_the_database_refuses_negative_stock(app):
    pid = make_product(variants=[variant(sku="LJ-1", stock=1)], publish=False)
    with pytest.raises(IntegrityError):
        with transaction():
            db.session.execute(update(Variant).where(Variant.sku == "LJ-1").values(stock=Variant.stock - 2))
    stock = db.session.execute(select(Variant.stock).where(Variant.product_id == pid)).scalar_one()
    assert stock == 1


def test_resaving_a_product_updates_its_variants_by_sku_and_keeps_the_others(app):
    pid = make_product(variants=[variant("10", sku="A"), variant("20", sku="B")], publish=False)
    with transaction():
        product = db.session.get(Product, pid)
        catalog.save_product(catalog.ProductInput(title="西湖龙井 新茶", variants=[variant("12", sku="A")]), product)
    product = db.session.get(Product, pid)
    assert product.title == "西湖龙井 新茶"
    assert {v.sku: v.price_minor for v in product.variants} == {"A": 1200, "B": 2000}


def test_sales_are_counted_with_one_update(app):
    pid = make_product(publish=False)
    with transaction():
        catalog.add_sales(pid, 3)
        catalog.add_sales(pid, 2)
    db.session.expire_all()
    assert db.session.get(Product, pid).sales_count == 5
