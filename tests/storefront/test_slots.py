"""Every standard slot is rendered by the pages it applies to, with the context it promises."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from xtycore import hookimpl
from xtycore.themes import STANDARD_SLOTS

from tests.storefront.helpers import make_product

EVERY_PAGE = ["head", "body.start", "header.before", "header.after", "nav.after", "footer.before",
              "footer.after", "body.end"]
PAGE_SLOTS = {
    "/": ["home.top", "home.bottom"],
    "/c/cha-ye": ["category.before_products", "category.after_products"],
    "/search?q=茶": ["category.before_products", "category.after_products"],
    "/p/long-jing": ["product.before_title", "product.after_price", "product.after_add_to_cart",
                     "product.tabs", "product.bottom"],
}


class Marker:
    """Fills every slot with a marker naming it, and keeps the context each got."""

    def __init__(self) -> None:
        self.contexts: dict[str, dict] = {}

    @hookimpl
    def xtycore_template_slot(self, name, context):
        self.contexts[name] = context
        return Markup(f"<!--slot:{name}-->")


@pytest.fixture
def marked(xty_make_app):
    marker = Marker()
    app = xty_make_app(plugins={"marker": marker})
    with app.app_context():
        make_product("龙井")
    return app.test_client(), marker


@pytest.mark.parametrize("url", list(PAGE_SLOTS))
def test_each_page_renders_its_slots_and_the_layouts(marked, url):
    client, marker = marked
    html = client.get(url).get_data(as_text=True)
    for name in EVERY_PAGE + PAGE_SLOTS[url]:
        assert html.count(f"<!--slot:{name}-->") == 1, (url, name)


def test_product_and_category_slots_get_their_page_object(marked):
    client, marker = marked
    client.get("/p/long-jing")
    assert marker.contexts["product.after_price"]["product"].slug == "long-jing"
    client.get("/c/cha-ye")
    assert marker.contexts["category.before_products"]["category"].slug == "cha-ye"
    client.get("/search?q=茶")
    assert marker.contexts["category.before_products"] == {"category": None}


def test_the_storefront_slots_are_standard_ones():
    for names in PAGE_SLOTS.values():
        assert set(names) <= set(STANDARD_SLOTS)
