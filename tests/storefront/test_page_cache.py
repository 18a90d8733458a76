"""The page cache: catalogue pages rendered once for every visitor who is not signed in."""

from __future__ import annotations

import re

import pytest

from xtycore.extensions import db, transaction
from xtycore.models import Product, Variant
from xtycore.web.page_cache import CSRF_PLACEHOLDER, bypass, cached_page

from tests.orders.helpers import log_in, make_customer
from tests.storefront.helpers import counting_queries, make_product

PAGES = ["/", "/c/cha-ye", "/search?q=龙井", "/p/{slug}"]


@pytest.fixture
def slug(app) -> str:
    with app.app_context():
        product_id = make_product("西湖龙井", category="茶叶/绿茶")
        return db.session.get(Product, product_id).slug


def csrf_in(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.mark.parametrize("page", PAGES)
def test_a_second_visitor_gets_the_same_page_for_one_statement(app, slug, page):
    url = page.format(slug=slug)
    first = app.test_client().get(url)
    assert first.status_code == 200
    with counting_queries(app) as statements:
        again = app.test_client().get(url)
    assert again.status_code == 200
    assert len(statements) == 1  # the kernel generation: is the stored page still current?
    strip = re.compile(r'name="csrf_token" value="[^"]+"')
    assert strip.sub("", again.get_data(as_text=True)) == strip.sub("", first.get_data(as_text=True))


def test_each_visitor_gets_their_own_working_csrf_token_in_a_stored_page(xty_make_app):
    app = xty_make_app(config={"WTF_CSRF_ENABLED": True})
    with app.app_context():
        product = db.session.get(Product, make_product("西湖龙井", category="茶叶/绿茶"))
        slug, variant_id = product.slug, product.variants[0].id
    first, second = app.test_client(), app.test_client()
    token_one = csrf_in(first.get(f"/p/{slug}").get_data(as_text=True))
    html = second.get(f"/p/{slug}").get_data(as_text=True)  # served from the cache
    token_two = csrf_in(html)
    assert CSRF_PLACEHOLDER not in html
    assert token_one != token_two
    added = second.post("/cart/add", data={"csrf_token": token_two, "variant_id": variant_id, "quantity": 1})
    assert added.status_code == 303
    assert "西湖龙井" in second.get("/cart").get_data(as_text=True)
    refused = second.post("/cart/add", data={"csrf_token": token_one, "variant_id": variant_id, "quantity": 1})
    assert refused.status_code == 400  # another visitor's token is not this visitor's


def test_a_catalogue_edit_shows_on_the_next_request(app, client, slug):
    assert "西湖龙井" in client.get(f"/p/{slug}").get_data(as_text=True)
    with app.app_context(), transaction():
        db.session.execute(db.select(Product).where(Product.slug == slug)).scalar_one().title = "明前龙井"
    page = client.get(f"/p/{slug}").get_data(as_text=True)
    assert "<title>明前龙井" in page
    assert "明前龙井" in client.get("/c/cha-ye").get_data(as_text=True)


def test_stock_taken_by_orders_shows_when_the_stored_page_expires(xty_make_app):
    app = xty_make_app(config={"STOREFRONT_PAGE_CACHE_SECONDS": 60})
    with app.app_context():
        slug = db.session.get(Product, make_product("西湖龙井", category="茶叶/绿茶")).slug
    client = app.test_client()
    before = client.get(f"/p/{slug}").get_data(as_text=True)
    with app.app_context(), transaction():
        db.session.execute(db.update(Variant).values(stock=0))
    assert client.get(f"/p/{slug}").get_data(as_text=True) == before  # a stored page, at most 60 s old
    with app.app_context():
        from xtycore.caching import cache

        cache.clear()  # what the timeout does
    assert client.get(f"/p/{slug}").get_data(as_text=True) != before


def test_pages_are_stored_per_language(app, slug):
    client = app.test_client()
    english = client.get("/c/cha-ye?lang=en").get_data(as_text=True)
    chinese = app.test_client().get("/c/cha-ye").get_data(as_text=True)
    assert 'lang="en"' in english and 'lang="zh-CN"' in chinese
    assert app.test_client().get("/c/cha-ye", headers={"Accept-Language": "en"}).get_data(as_text=True) \
        .count('lang="en"') == english.count('lang="en"')


def test_a_signed_in_customer_gets_a_page_of_their_own(app, slug):
    url = f"/p/{slug}"
    app.test_client().get(url)  # stored for visitors
    with app.app_context():
        make_customer()
    client = app.test_client()
    log_in(client)
    with counting_queries(app) as statements:
        assert client.get(url).status_code == 200
    assert len(statements) > 1  # rendered for this customer, not read from the store


def test_a_visitor_with_a_message_waiting_is_not_served_a_stored_page(app, slug):
    url = f"/p/{slug}"
    app.test_client().get(url)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_flashes"] = [("message", "已加入购物车。")]
    with counting_queries(app) as statements:
        assert client.get(url).status_code == 200
    assert len(statements) > 1


def test_a_bypassed_request_neither_reads_nor_stores(app):
    calls = []

    @cached_page
    def page() -> str:
        calls.append(1)
        return f"render {len(calls)}"

    with app.test_request_context("/preview"):
        bypass()
        assert page() == "render 1"
    with app.test_request_context("/preview"):
        assert page() == "render 2"  # nothing was stored by the bypassed request
    with app.test_request_context("/preview"):
        assert page() == "render 2"


def test_a_zero_lifetime_turns_the_cache_off(xty_make_app):
    app = xty_make_app(config={"STOREFRONT_PAGE_CACHE_SECONDS": 0})
    with app.app_context():
        make_product("西湖龙井", category="茶叶/绿茶")
    client = app.test_client()
    client.get("/c/cha-ye")
    with counting_queries(app) as statements:
        client.get("/c/cha-ye")
    assert len(statements) > 1
