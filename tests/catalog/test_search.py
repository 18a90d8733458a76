"""Product search: Chinese of any length, English, SKUs, brands, tags; filters, sorts, pages; no N+1."""

from contextlib import contextmanager

import pytest
from sqlalchemy import delete, event

from tests.catalog.conftest import make_product, variant
from xtycore.domain.catalog import CatalogError
from xtycore.domain.money import Money
from xtycore.extensions import db, transaction
from xtycore.models import Category, Product
from xtycore.services import catalog, catalog_review
from xtycore.services.search import SearchQuery, parse_query, search


@pytest.fixture
def shop(app):
    ids = {
        "longjing": make_product("西湖龙井 明前特级", title_en="West Lake Dragon Well", brand="狮峰",
                                 category="茶叶/绿茶", tags=["新品"],
                                 description="<p>明前采摘的绿茶，扁平光滑，带有豆花香气，冲泡后汤色嫩绿明亮。</p>",
                                 variants=[variant("99", sku="LJ-250", stock=0),
                                           variant("199", sku="LJ-500", stock=0)]),
        "biluochun": make_product("洞庭碧螺春", title_en="Biluochun", category="茶叶/绿茶",
                                  variants=[variant("150", sku="BLC-1")],
                                  description="<p>产地苏州，与西湖龙井齐名的绿茶，卷曲如螺，满身披毫。</p>"),
        "oolong": make_product("安溪铁观音", title_en="Tieguanyin Oolong", category="茶叶/乌龙茶", brand="八马",
                               variants=[variant("300", sku="TGY-1")], tags=["热卖"],
                               description="<p>安溪原产的乌龙茶，兰花香馥郁，七泡有余香，适合功夫茶冲泡。</p>"),
        "cup": make_product("青瓷茶杯", title_en="Celadon cup", category="茶具",
                            variants=[variant("45", sku="CUP-9")],
                            description="<p>龙泉青瓷手工拉坯，釉色温润如玉，容量约一百毫升。</p>"),
    }
    with transaction():
        for key, sales in (("longjing", 5), ("biluochun", 50), ("oolong", 20), ("cup", 1)):
            catalog.add_sales(ids[key], sales)
    return ids


def found(shop, **kwargs):
    names = {v: k for k, v in shop.items()}
    return [names[hit.id] for hit in search(SearchQuery(**kwargs)).items]


def test_a_one_character_chinese_query_finds_every_product_containing_it(shop):
    assert set(found(shop, text="茶")) == {"longjing", "biluochun", "oolong", "cup"}
    assert found(shop, text="螺") == ["biluochun"]


def test_a_two_character_chinese_query_matches_titles_before_descriptions(shop):
    assert found(shop, text="龙井") == ["longjing", "biluochun"]  # 碧螺春 names 龙井 only in its description


def test_a_query_of_three_or_more_characters_uses_the_trigram_index(shop, on_postgres):
    statements = []
    with capture(statements):
        assert found(shop, text="西湖龙井") == ["longjing", "biluochun"]
    if not on_postgres:
        assert any("xty_product_fts MATCH" in s for s in statements)
    assert found(shop, text="铁观音") == ["oolong"]
    assert found(shop, text="明前特级") == ["longjing"]


def test_english_titles_skus_brands_and_tags_are_searchable_case_insensitively(shop):
    assert found(shop, text="dragon WELL") == ["longjing"]
    assert found(shop, text="ｔｇｙ-1") == ["oolong"]
    assert found(shop, text="八马") == ["oolong"]
    assert found(shop, text="新品") == ["longjing"]
    assert found(shop, text="苏州") == ["biluochun"]
    assert found(shop, text="100%") == [] and found(shop, text='"') == []


def test_only_active_products_are_found_and_a_deleted_one_leaves_the_index(shop):
    catalog_review.archive(shop["cup"])
    assert found(shop, text="茶杯") == []
    with transaction():
        db.session.execute(delete(Product).where(Product.id == shop["oolong"]))
    assert found(shop, text="铁观音") == [] and found(shop, text="安溪") == []
    new = make_product("安溪铁观音 浓香", variants=[variant("88")])
    assert [hit.id for hit in search(SearchQuery(text="铁观音")).items] == [new]


def test_a_category_filter_includes_its_subcategories(shop):
    tea = db.session.query(Category).filter_by(name="茶叶").one()
    green = db.session.query(Category).filter_by(name="绿茶").one()
    assert set(found(shop, category_id=tea.id)) == {"longjing", "biluochun", "oolong"}
    assert set(found(shop, category_id=green.id)) == {"longjing", "biluochun"}
    assert found(shop, category_id=9999) == []


def test_price_range_brand_and_in_stock_filters(shop):
    # a product matches when any of its variants is in the range
    assert set(found(shop, price_min=Money("150"), price_max=Money("200"))) == {"longjing", "biluochun"}
    assert found(shop, price_max=Money("50")) == ["cup"]
    brand = db.session.get(Product, shop["oolong"]).brand_id
    assert found(shop, brand_id=brand) == ["oolong"]
    assert "longjing" not in found(shop, in_stock=True) and len(found(shop, in_stock=True)) == 3


def test_sorting_by_price_newest_and_best_selling(shop):
    assert found(shop, sort="price_asc") == ["cup", "longjing", "biluochun", "oolong"]
    assert found(shop, sort="price_desc") == ["oolong", "longjing", "biluochun", "cup"]
    assert found(shop, sort="newest") == ["cup", "oolong", "biluochun", "longjing"]
    assert found(shop, sort="best_selling") == ["biluochun", "oolong", "longjing", "cup"]
    assert found(shop) == found(shop, sort="best_selling")


def test_results_carry_what_a_listing_shows(shop):
    hit = next(h for h in search(SearchQuery(text="龙井")).items if h.id == shop["longjing"])
    assert (hit.title, hit.brand, hit.price_min, hit.price_max) == ("西湖龙井 明前特级", "狮峰", Money("99"), Money("199"))
    assert hit.in_stock is False and hit.sales_count == 5 and hit.compare_at is None
    assert hit.image.path == f"products/{hit.id}/img0.jpg" and set(hit.image.thumbnails) == {160, 480, 960}


def test_pages_report_the_total_and_hold_per_page_items(shop):
    first = search(SearchQuery(sort="price_asc", per_page=3))
    second = search(SearchQuery(sort="price_asc", per_page=3, page=2))
    assert (first.total, first.pages, len(first.items), len(second.items)) == (4, 2, 3, 1)
    assert [h.id for h in second.items] == [shop["oolong"]]


def test_request_arguments_are_parsed_with_clear_errors(app):
    query = parse_query({"q": "龙井", "min": "10", "max": "99.5", "in_stock": "1", "sort": "price_asc", "page": "2"})
    assert (query.text, query.price_min, query.price_max, query.in_stock, query.page) == (
        "龙井", Money("10"), Money("99.50"), True, 2)
    with pytest.raises(CatalogError, match="page must be a whole number"):
        parse_query({"page": "x"})
    with pytest.raises(CatalogError, match="min must be an amount"):
        parse_query({"min": "abc"})
    with pytest.raises(CatalogError, match="unknown sort 'cheap'"):
        parse_query({"sort": "cheap"})


@contextmanager
def capture(statements):
    engine = db.engine

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", record)


def add_products(count, start):
    with transaction():
        for i in range(start, start + count):
            product = catalog.save_product(catalog.ProductInput(
                title=f"绿茶 第{i}号", variants=[variant("10"), variant("20")], description_html="<p>x</p>",
                category="茶叶/绿茶"))
            db.session.flush()
            product.status = "active"
            from xtycore.models import ProductImage

            product.images.extend(ProductImage(path=f"p/{i}-{n}.jpg", width=1, height=1, position=n) for n in range(2))


def test_a_page_of_forty_costs_the_same_few_queries_whatever_the_catalogue_size(app):
    counts = []
    for batch in (45, 90):
        add_products(batch, start=len(counts) * 1000)
        category = db.session.query(Category).filter_by(name="绿茶").one().id
        statements = []
        db.session.expire_all()
        with capture(statements):
            page = search(SearchQuery(text="绿茶", category_id=category, price_max=Money("10"), per_page=40))
            assert len(page.items) == 40 and all(hit.image is not None for hit in page.items)
        counts.append(len([s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]))
    assert counts[0] == counts[1] <= 3


def test_the_migration_creates_the_trigram_index_of_the_database(app, on_postgres):
    from sqlalchemy import text

    if on_postgres:
        rows = db.session.execute(text(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'xty_product' AND indexname LIKE '%_trgm'")).scalars()
        assert sorted("gin_trgm_ops" in r and "USING gin" in r for r in rows) == [True, True]
    else:
        objects = db.session.execute(text(
            "SELECT type, name FROM sqlite_master WHERE name LIKE 'xty_product_fts%' AND type IN ('table', 'trigger')"
        )).all()
        assert {name for kind, name in objects if kind == "trigger"} == {
            "xty_product_fts_insert", "xty_product_fts_update", "xty_product_fts_delete"}
        assert ("table", "xty_product_fts") in objects


def test_reindex_rebuilds_the_index_after_changes_made_behind_the_service(app, xty_cli):
    from sqlalchemy import update

    from xtycore.cli import main

    pid = make_product("普洱熟茶饼")
    with transaction():
        db.session.execute(update(Product).where(Product.id == pid).values(title="白毫银针"))
    assert search(SearchQuery(text="白毫银针")).total == 0
    result = xty_cli.invoke(main, ["catalog", "reindex"])
    assert result.output.strip() == "reindexed 1 products"
    assert [hit.id for hit in search(SearchQuery(text="白毫银针")).items] == [pid]
    assert search(SearchQuery(text="普洱")).total == 0
