"""What search engines read: titles, descriptions, canonical and Open Graph tags, JSON-LD, sitemap, robots."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

from xtycore.extensions import db
from xtycore.models import Product
from xtycore.services import catalog_review

from tests.storefront.helpers import make_product, variant

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def meta(html: str, attr: str, name: str) -> str | None:
    found = re.search(rf'<meta {attr}="{re.escape(name)}" content="([^"]*)">', html)
    return found.group(1) if found else None


def json_ld(html: str) -> list[dict]:
    return [json.loads(raw) for raw in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)]


def test_a_product_page_has_its_title_description_canonical_and_open_graph_tags(app, client):
    with app.app_context():
        make_product("西湖龙井", meta_title="西湖龙井 明前特级 250g", meta_description="杭州西湖产区，明前头采。")
    html = client.get("/p/xi-hu-long-jing").get_data(as_text=True)
    assert "<title>西湖龙井 明前特级 250g · 小甜园</title>" in html
    assert meta(html, "name", "description") == "杭州西湖产区，明前头采。"
    assert '<link rel="canonical" href="http://shop.test/p/xi-hu-long-jing">' in html
    assert meta(html, "property", "og:type") == "product"
    assert meta(html, "property", "og:title") == "西湖龙井 明前特级 250g · 小甜园"
    assert meta(html, "property", "og:description") == "杭州西湖产区，明前头采。"
    assert meta(html, "property", "og:url") == "http://shop.test/p/xi-hu-long-jing"
    assert meta(html, "property", "og:image").startswith("http://shop.test/media/products/")
    assert meta(html, "property", "og:locale") == "zh_CN"
    assert '<link rel="alternate" hreflang="en" href="http://shop.test/p/xi-hu-long-jing?lang=en">' in html


def test_each_language_version_is_its_own_canonical_url_with_hreflang_alternates(app, client):
    with app.app_context():
        make_product("西湖龙井", title_en="West Lake Longjing")
    base = "http://shop.test/p/xi-hu-long-jing"
    for url, canonical in (("/p/xi-hu-long-jing", base), ("/p/xi-hu-long-jing?lang=en", f"{base}?lang=en")):
        html = client.get(url).get_data(as_text=True)
        assert f'<link rel="canonical" href="{canonical}">' in html and meta(html, "property", "og:url") == canonical
        assert f'<link rel="alternate" hreflang="zh-CN" href="{base}">' in html
        assert f'<link rel="alternate" hreflang="en" href="{base}?lang=en">' in html
        assert f'<link rel="alternate" hreflang="x-default" href="{base}">' in html
    english = client.get("/c/cha-ye?lang=en&page=1").get_data(as_text=True)
    assert '<link rel="canonical" href="http://shop.test/c/cha-ye?lang=en">' in english


def test_pages_vary_with_the_browsers_language_and_cookies(client):
    response = client.get("/")
    assert {"Accept-Language", "Cookie"} <= set(response.vary)
    assert "Accept-Language" not in client.get("/robots.txt").vary


def test_product_meta_falls_back_to_the_title_then_the_subtitle_then_the_description(app, client):
    with app.app_context():
        make_product("龙井", subtitle="明前头采")
        make_product("碧螺春", description="<p>太湖洞庭山所产，条索纤细，卷曲成螺，满身披毫，银白隐翠。</p>")
    first = client.get("/p/long-jing").get_data(as_text=True)
    assert "<title>龙井 · 小甜园</title>" in first and meta(first, "name", "description") == "明前头采"
    second = client.get("/p/bi-luo-chun").get_data(as_text=True)
    assert meta(second, "name", "description") == "太湖洞庭山所产，条索纤细，卷曲成螺，满身披毫，银白隐翠。"


def test_a_long_description_is_cut_to_a_meta_description_length(app, client):
    with app.app_context():
        make_product("龙井", description="<p>" + "好茶" * 200 + "</p>")
    description = meta(client.get("/p/long-jing").get_data(as_text=True), "name", "description")
    assert len(description) == 160 and description.endswith("…")


def test_product_json_ld_describes_the_product_offers_and_breadcrumbs(app, client):
    with app.app_context():
        make_product("西湖龙井", brand="西湖", category="茶叶/绿茶", images=2, variants=[
            variant("1299.00", stock=3, sku="LJ-1", 规格="500g"), variant("99.50", stock=0, sku="LJ-2", 规格="50g"),
        ])
    html = client.get("/p/xi-hu-long-jing").get_data(as_text=True)
    product, breadcrumbs = json_ld(html)
    assert product["@context"] == "https://schema.org" and product["@type"] == "Product"
    assert product["name"] == "西湖龙井" and product["brand"] == {"@type": "Brand", "name": "西湖"}
    assert product["url"] == "http://shop.test/p/xi-hu-long-jing" and len(product["image"]) == 2
    offers = {o["sku"]: o for o in product["offers"]}
    assert offers["LJ-1"]["price"] == "1299.00" and offers["LJ-1"]["priceCurrency"] == "CNY"
    assert offers["LJ-1"]["availability"] == "https://schema.org/InStock"
    assert offers["LJ-2"]["price"] == "99.50" and offers["LJ-2"]["availability"] == "https://schema.org/OutOfStock"
    assert breadcrumbs["@type"] == "BreadcrumbList"
    assert [(i["position"], i["name"], i["item"]) for i in breadcrumbs["itemListElement"]] == [
        (1, "首页", "http://shop.test/"), (2, "茶叶", "http://shop.test/c/cha-ye"),
        (3, "绿茶", "http://shop.test/c/lu-cha"), (4, "西湖龙井", "http://shop.test/p/xi-hu-long-jing"),
    ]


def test_json_ld_cannot_be_broken_out_of_by_merchant_text(app, client):
    with app.app_context():
        make_product("坏</script><script>alert(1)</script>茶")
        slug = db.session.execute(db.select(Product.slug)).scalar_one()
    html = client.get(f"/p/{slug}").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert json_ld(html)[0]["name"] == "坏</script><script>alert(1)</script>茶"


def test_category_pages_are_canonical_without_filters_but_with_their_page(app, client):
    from xtycore.themes import save_theme_settings

    with app.app_context():
        for n in range(5):
            make_product(f"茶{n}")
        save_theme_settings("default", {"products_per_page": 4})
    html = client.get("/c/cha-ye?sort=price_asc&in_stock=1").get_data(as_text=True)
    assert '<link rel="canonical" href="http://shop.test/c/cha-ye">' in html
    assert "<title>茶叶 · 小甜园</title>" in html
    assert meta(html, "name", "description") == "小甜园的茶叶，共 5 件商品。"
    second = client.get("/c/cha-ye?page=2&sort=newest").get_data(as_text=True)
    assert '<link rel="canonical" href="http://shop.test/c/cha-ye?page=2">' in second
    assert "<title>茶叶 · 第 2 页 · 小甜园</title>" in second


def test_search_pages_ask_not_to_be_indexed_and_have_no_canonical(client):
    html = client.get("/search?q=茶").get_data(as_text=True)
    assert '<meta name="robots" content="noindex, follow">' in html and 'rel="canonical"' not in html


def test_the_sitemap_lists_the_home_page_active_products_and_their_categories_with_lastmod(app, client):
    with app.app_context():
        make_product("龙井", category="茶叶/绿茶")
        make_product("草稿", category="甜品", publish=False)
        catalog_review.archive(make_product("旧茶", category="花茶"))
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = ElementTree.fromstring(response.data)
    urls = {u.find(f"{SITEMAP}loc").text: u.find(f"{SITEMAP}lastmod") for u in root}
    assert set(urls) == {"http://shop.test/", "http://shop.test/p/long-jing",
                         "http://shop.test/c/cha-ye", "http://shop.test/c/lu-cha"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", urls["http://shop.test/p/long-jing"].text)
    assert urls["http://shop.test/c/cha-ye"].text == urls["http://shop.test/p/long-jing"].text


def test_robots_txt_keeps_crawlers_out_of_private_pages_and_names_the_sitemap(client):
    response = client.get("/robots.txt")
    lines = response.get_data(as_text=True).splitlines()
    assert response.mimetype == "text/plain" and lines[0] == "User-agent: *"
    for path in ("/cart", "/checkout", "/account"):
        assert f"Disallow: {path}" in lines
    assert "Sitemap: http://shop.test/sitemap.xml" in lines
    assert "Disallow: /" not in lines and "Disallow: /p/" not in lines


def test_product_and_category_urls_are_readable_slugs(app, client):
    with app.app_context():
        make_product("安溪铁观音", category="茶叶/乌龙茶")
    html = client.get("/c/wu-long-cha").get_data(as_text=True)
    assert 'href="/p/an-xi-tie-guan-yin"' in html
