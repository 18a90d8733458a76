"""The shared cache: the category tree is read once per generation, and a category write invalidates it."""

from __future__ import annotations

import uuid

import pytest
import redis

from xtycore.caching import cache
from xtycore.extensions import db, transaction
from xtycore.models import Category, Product, Variant
from xtycore.state import current_generation

from tests.storefront.helpers import counting_queries, is_tree_query, make_product

REDIS_URL = "redis://127.0.0.1:6379/14"


def redis_available() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError:
        return False


def nav_links(client) -> list[str]:
    html = client.get("/").get_data(as_text=True)
    start = html.index('class="site-nav"')
    nav = html[start:html.index("</nav>", start)]
    return [part.split('"', 1)[0] for part in nav.split('href="/c/')[1:]]


def test_the_cache_is_in_process_without_redis(app):
    assert app.config["CACHE_TYPE"] == "SimpleCache"


def test_a_renamed_or_new_category_shows_on_the_next_request(app, client):
    with app.app_context():
        make_product("龙井", category="茶叶")
    assert nav_links(client) == ["cha-ye"]
    with app.app_context():
        before = current_generation()
        make_product("蛋糕", category="甜品")
        assert current_generation() > before  # the category write raised the generation
    assert nav_links(client) == ["cha-ye", "tian-pin"]
    with app.app_context(), transaction():
        db.session.execute(db.select(Category).where(Category.slug == "tian-pin")).scalar_one().sort = -1
    assert nav_links(client) == ["tian-pin", "cha-ye"]


def test_a_product_write_raises_the_generation_once_per_transaction(app):
    with app.app_context():
        make_product("龙井", category="茶叶")
        before = current_generation()
        with transaction():
            product = db.session.execute(db.select(Product).where(Product.title == "龙井")).scalar_one()
            product.title = "西湖龙井"
            db.session.flush()
            product.subtitle = "明前"
            db.session.flush()
        assert current_generation() == before + 1


def test_stock_taken_by_an_order_leaves_the_generation_alone(app):
    """Orders change stock with plain UPDATEs: a busy sale does not empty the page cache on every order."""
    with app.app_context():
        make_product("龙井", category="茶叶")
        before = current_generation()
        with transaction():
            db.session.execute(db.update(Variant).values(stock=Variant.stock - 1))
        assert current_generation() == before


def test_a_process_with_its_own_simple_cache_reads_the_tree_once(xty_make_app):
    first = xty_make_app()
    second = xty_make_app()
    with first.app_context():
        make_product("龙井", category="茶叶")
    nav_links(first.test_client())
    client = second.test_client()
    with counting_queries(second) as statements:
        client.get("/")
        client.get("/c/cha-ye")
    assert sum(is_tree_query(s) for s in statements) == 1


@pytest.mark.skipif(not redis_available(), reason="no Redis on 127.0.0.1:6379")
def test_with_redis_url_every_worker_reads_the_tree_from_redis(xty_make_app):
    config = {"REDIS_URL": REDIS_URL, "CACHE_KEY_PREFIX": f"xty-test-{uuid.uuid4().hex}:"}
    first, second = xty_make_app(config=config), xty_make_app(config=config)
    assert first.config["CACHE_TYPE"] == "RedisCache"
    with first.app_context():
        make_product("龙井", category="茶叶")
    assert nav_links(first.test_client()) == ["cha-ye"]
    with counting_queries(second) as statements:
        assert nav_links(second.test_client()) == ["cha-ye"]
    assert not any(is_tree_query(s) for s in statements)  # filled by the first worker
    with first.app_context():
        make_product("蛋糕", category="甜品")
    assert nav_links(second.test_client()) == ["cha-ye", "tian-pin"]
    with first.app_context():
        cache.clear()
