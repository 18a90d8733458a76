"""Each storefront page runs the same small number of SQL statements for 5 products as for 40."""

from __future__ import annotations

from xtycore.extensions import db
from xtycore.models import Product

from tests.storefront.helpers import counting_queries, is_tree_query, make_product, make_products, variant

#: The most statements a page may run to render, once the shared cache is warm (the page cache off:
#: a page it serves runs one); docs/storefront.md lists each page's.
BUDGET = 4
#: Every page rendered afresh: the budget is about rendering, test_page_cache.py about serving stored pages.
NO_PAGE_CACHE = {"STOREFRONT_PAGE_CACHE_SECONDS": 0}
PAGES = ["/", "/c/cha-ye", "/c/lu-cha?sort=price_desc&min=1&max=9999&in_stock=1", "/search?q=好茶",
         "/search?q=茶&sort=newest", "/p/{slug}"]


def shop_with(app, count: int) -> str:
    """``count`` products, each with several variants and images and a featured tag; the slug of one."""
    from xtycore.themes import save_theme_settings

    with app.app_context():
        save_theme_settings("default", {"products_per_page": 48})  # all 40 on one page
        ids = make_products(count, category="茶叶/绿茶")
        make_product("主角", category="茶叶/绿茶", images=4, tags=["精选"], variants=[
            variant("10.00", 规格="小"), variant("20.00", 规格="中"), variant("30.00", 规格="大", stock=0),
        ])
        assert len(ids) == count
        return db.session.execute(db.select(Product.slug).where(Product.title == "主角")).scalar_one()


def statements_per_page(app, slug: str) -> dict[str, int]:
    client = app.test_client()
    counts = {}
    for page in PAGES:
        url = page.format(slug=slug)
        assert client.get(url).status_code == 200, url  # warms the shared cache
        with counting_queries(app) as statements:
            assert client.get(url).status_code == 200
        counts[url.replace(slug, "<slug>")] = len(statements)
    return counts


def test_pages_run_the_same_few_statements_for_5_products_as_for_40(xty_make_app):
    app = xty_make_app(config=NO_PAGE_CACHE)
    few = statements_per_page(app, shop_with(app, 5))
    with app.app_context():
        db.session.execute(db.delete(Product))
        db.session.commit()
    many = statements_per_page(app, shop_with(app, 40))
    assert few == many, (few, many)
    assert max(few.values()) <= BUDGET
    assert few == {
        "/": 4,  # generation, featured, new, best-selling
        "/c/cha-ye": 3,  # generation, brands, cards
        "/c/lu-cha?sort=price_desc&min=1&max=9999&in_stock=1": 3,
        "/search?q=好茶": 4,  # generation, count, page, first images (services.search)
        "/search?q=茶&sort=newest": 4,
        "/p/<slug>": 4,  # generation, product with variants and images, related cards, reviews (services.reviews)
    }


def test_a_cold_cache_costs_one_statement_for_the_category_tree(xty_make_app):
    app = xty_make_app(config=NO_PAGE_CACHE)
    shop_with(app, 5)
    client = app.test_client()
    with counting_queries(app) as cold:
        client.get("/c/cha-ye")
    with counting_queries(app) as warm:
        client.get("/c/cha-ye")
    assert len(cold) == len(warm) + 1
    assert any(is_tree_query(s) for s in cold) and not any(is_tree_query(s) for s in warm)
