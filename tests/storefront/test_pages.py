"""The home, category, search and product pages show the catalogue through the default theme."""

from __future__ import annotations

import re

from xtycore.extensions import db, transaction
from xtycore.services import catalog

from tests.storefront.helpers import make_product, make_products, variant


def html_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def card_titles(html: str) -> list[str]:
    return re.findall(r'<span class="card__title">([^<]*)</span>', html)


def test_home_shows_featured_new_and_best_selling_sections_and_category_tiles(app, client):
    with app.app_context():
        make_product("老白茶", sales=50, tags=["精选"])
        make_product("新茶上市", sales=1)
        make_product("桂花糕", category="甜品", sales=9)
    html = html_of(client, "/")
    sections = re.findall(r'<section class="(?:home-section|banner)" aria-labelledby="([^"]+)"', html)
    assert sections == ["banner-title", "home-categories", "home-featured", "home-new", "home-best_selling"]
    featured = html[html.index('id="home-featured"'):html.index('id="home-new"')]
    assert card_titles(featured) == ["老白茶"]
    best = html[html.index('id="home-best_selling"'):]
    assert card_titles(best) == ["老白茶", "桂花糕", "新茶上市"]
    assert 'href="/c/cha-ye"' in html and 'href="/c/tian-pin"' in html
    assert html.count("<h1") == 1


def test_home_leaves_out_the_product_sections_of_an_empty_shop(client):
    html = html_of(client, "/")
    assert 'id="banner-title"' in html
    assert "home-featured" not in html and "home-new" not in html and "product-grid" not in html


def test_the_theme_setting_orders_and_hides_home_sections(app, client):
    from xtycore.themes import save_theme_settings

    with app.app_context():
        make_product("老白茶", tags=["精选"])
        save_theme_settings("default", {"home_sections": "new, featured，unknown"})
    html = html_of(client, "/")
    assert html.index('id="home-new"') < html.index('id="home-featured"')
    assert "banner-title" not in html and "home-categories" not in html and "home-best_selling" not in html


def test_the_header_links_the_top_level_categories_and_marks_the_current_one(app, client):
    with app.app_context():
        make_product("龙井", category="茶叶/绿茶")
        make_product("蛋糕", category="甜品")
    html = html_of(client, "/c/cha-ye")
    nav = html[html.index('class="site-nav"'):html.index("</nav>", html.index('class="site-nav"'))]
    assert re.findall(r'href="/c/([^"]+)"', nav) == ["cha-ye", "tian-pin"]
    assert '<a href="/c/cha-ye" aria-current="page">茶叶</a>' in nav
    assert 'href="/c/lu-cha"' not in nav


def test_a_category_lists_its_own_and_its_subcategories_products(app, client):
    with app.app_context():
        make_product("龙井", category="茶叶/绿茶")
        make_product("铁观音", category="茶叶/乌龙茶")
        make_product("蛋糕", category="甜品")
    html = html_of(client, "/c/cha-ye")
    assert set(card_titles(html)) == {"龙井", "铁观音"}
    assert '<h1 class="page-title">茶叶</h1>' in html
    assert 'href="/c/lu-cha"' in html and 'href="/c/wu-long-cha"' in html  # subcategory chips
    child = html_of(client, "/c/lu-cha")
    assert card_titles(child) == ["龙井"]
    assert '<a href="/c/cha-ye">茶叶</a>' in child  # breadcrumb to the parent


def test_category_filters_by_brand_price_and_stock(app, client):
    with app.app_context():
        make_product("甲茶", price="30.00", brand="西湖")
        make_product("乙茶", price="80.00", brand="西湖", variants=[variant("80.00", stock=0)])
        make_product("丙茶", price="120.00", brand="狮峰")
        brand_id = db.session.execute(db.select(catalog.Brand.id).where(catalog.Brand.name == "西湖")).scalar()
    assert set(card_titles(html_of(client, f"/c/cha-ye?brand={brand_id}"))) == {"甲茶", "乙茶"}
    assert card_titles(html_of(client, "/c/cha-ye?min=50&max=100")) == ["乙茶"]
    assert set(card_titles(html_of(client, "/c/cha-ye?in_stock=1"))) == {"甲茶", "丙茶"}
    html = html_of(client, "/c/cha-ye")
    assert '<option value="%d">西湖</option>' % brand_id in html and ">狮峰</option>" in html


def test_category_sorts_by_price_newest_and_sales(app, client):
    with app.app_context():
        make_product("便宜", price="10.00", sales=5)
        make_product("中等", price="50.00", sales=50)
        make_product("最贵", price="90.00", sales=1)
    assert card_titles(html_of(client, "/c/cha-ye?sort=price_asc")) == ["便宜", "中等", "最贵"]
    assert card_titles(html_of(client, "/c/cha-ye?sort=price_desc")) == ["最贵", "中等", "便宜"]
    assert card_titles(html_of(client, "/c/cha-ye")) == ["中等", "便宜", "最贵"]  # best-selling first
    assert card_titles(html_of(client, "/c/cha-ye?sort=newest")) == ["最贵", "中等", "便宜"]
    assert '<option value="price_desc" selected>' in html_of(client, "/c/cha-ye?sort=price_desc")


def test_category_pages_split_the_products_and_link_each_page(app, client):
    from xtycore.themes import save_theme_settings

    with app.app_context():
        make_products(9)
        save_theme_settings("default", {"products_per_page": 4})
    first = html_of(client, "/c/cha-ye?sort=price_asc")
    assert card_titles(first) == ["好茶00号", "好茶01号", "好茶02号", "好茶03号"]
    assert "9 件商品" in first
    assert 'rel="next" href="/c/cha-ye?sort=price_asc&amp;page=2"' in first
    third = html_of(client, "/c/cha-ye?sort=price_asc&page=3")
    assert card_titles(third) == ["好茶08号"]
    assert 'rel="prev" href="/c/cha-ye?sort=price_asc&amp;page=2"' in third and 'rel="next"' not in third
    assert client.get("/c/cha-ye?page=4").status_code == 404


def test_filters_that_do_not_parse_are_ignored_with_a_notice(app, client):
    with app.app_context():
        make_product("龙井")
    html = html_of(client, "/c/cha-ye?min=abc&sort=nonsense")
    assert card_titles(html) == ["龙井"]
    assert "部分筛选条件无法识别，已忽略。" in html


def test_unknown_categories_and_products_answer_404(client):
    assert client.get("/c/no-such-category").status_code == 404
    assert client.get("/p/no-such-product").status_code == 404


def test_search_finds_chinese_words_of_one_two_and_three_characters(app, client):
    with app.app_context():
        make_product("西湖龙井绿茶", brand="西湖")
        make_product("桂花乌龙茶")
        make_product("抹茶蛋糕", category="甜品")
    assert set(card_titles(html_of(client, "/search?q=茶"))) == {"抹茶蛋糕", "桂花乌龙茶", "西湖龙井绿茶"}
    assert card_titles(html_of(client, "/search?q=龙井")) == ["西湖龙井绿茶"]
    assert card_titles(html_of(client, "/search?q=乌龙茶")) == ["桂花乌龙茶"]
    html = html_of(client, "/search?q=咖啡")
    assert card_titles(html) == [] and "没有符合条件的商品" in html
    assert "“龙井”的搜索结果" in html_of(client, "/search?q=龙井")


def test_search_without_text_shows_the_form_and_no_results(client):
    html = html_of(client, "/search")
    assert '<input id="search-q" type="search" name="q" value=""' in html
    assert "product-grid" not in html and '<meta name="robots" content="noindex, follow">' in html


def test_search_keeps_its_text_through_filters_and_pages(app, client):
    with app.app_context():
        make_product("龙井一号", price="20.00")
        make_product("龙井二号", price="200.00")
    html = html_of(client, "/search?q=龙井&max=100")
    assert card_titles(html) == ["龙井一号"]
    assert '<input type="hidden" name="q" value="龙井">' in html
    assert 'value="龙井"' in html[html.index('class="site-search"'):]


def test_the_product_page_shows_gallery_variants_price_and_stock(app, client):
    with app.app_context():
        make_product(
            "西湖龙井", subtitle="明前头采", brand="西湖", images=3, purchase_limit=2,
            variants=[variant("128.00", compare_at="158.00", stock=20, 规格="250g"),
                      variant("239.00", stock=3, 规格="500g"), variant("99.00", stock=0, 规格="100g")],
        )
    html = html_of(client, "/p/xi-hu-long-jing")
    assert '<h1 class="product__title">西湖龙井</h1>' in html and "明前头采" in html
    assert html.count("data-gallery-thumb") == 3 and 'alt="西湖龙井 图1"' in html
    assert '<span class="price price--large" data-price-now>¥128.00</span>' in html
    assert "¥158.00" in html  # the was-price of the chosen variant
    assert html.count("<option value=") == 3 and "100g · ¥99.00 · 已售罄" in html
    assert 'data-option="规格"' in html and html.count('class="option__input"') == 3
    assert '<p class="stock stock--in_stock" data-stock role="status"' in html
    assert "每人限购 2 件" in html and 'max="2"' in html


def test_the_variant_data_gives_each_variants_price_and_stock_state(app, client):
    import json

    with app.app_context():
        make_product("龙井", variants=[
            variant("128.00", stock=20, 规格="250g"), variant("239.00", stock=2, 规格="500g"),
            variant("99.00", stock=0, 规格="100g"),
        ])
    html = html_of(client, "/p/long-jing")
    raw = re.search(r'<script type="application/json" data-variants>(.*?)</script>', html, re.S).group(1)
    data = json.loads(raw)
    assert [(v["options"]["规格"], v["price"], v["stock_state"], v["stock_label"], v["available"]) for v in data] == [
        ("250g", "¥128.00", "in_stock", "有货", True),
        ("500g", "¥239.00", "low_stock", "仅剩 2 件", True),
        ("100g", "¥99.00", "out_of_stock", "已售罄", False),
    ]


def test_the_buy_form_posts_the_variant_and_quantity_to_the_cart_with_a_csrf_token(app, client):
    with app.app_context():
        make_product("龙井", variants=[variant("128.00", stock=0, 规格="250g"), variant("88.00", stock=5, 规格="100g")])
    html = html_of(client, "/p/long-jing")
    form = html[html.index('<form class="buy"'):html.index("</form>", html.index('<form class="buy"'))]
    assert 'method="post" action="/cart/add"' in form
    assert 'name="csrf_token"' in form and 'name="variant_id"' in form and 'name="quantity"' in form
    chosen = re.search(r'<option value="(\d+)" selected>', form).group(1)
    with app.app_context():
        in_stock = db.session.execute(db.select(catalog.Variant.id).where(catalog.Variant.stock == 5)).scalar()
    assert int(chosen) == in_stock  # the first variant in stock is chosen
    assert "disabled" not in form[form.index("data-buy-button"):]


def test_a_sold_out_product_cannot_be_added_to_the_cart(app, client):
    with app.app_context():
        make_product("龙井", variants=[variant("128.00", stock=0)])
    html = html_of(client, "/p/long-jing")
    assert re.search(r"data-buy-button\s+disabled>", html)
    assert "已售罄" in html


def test_related_products_come_from_the_same_category_best_selling_first(app, client):
    with app.app_context():
        make_product("龙井", category="茶叶/绿茶")
        make_product("碧螺春", category="茶叶/绿茶", sales=3)
        make_product("黄山毛峰", category="茶叶/绿茶", sales=9)
        make_product("蛋糕", category="甜品")
        make_product("草稿茶", category="茶叶/绿茶", publish=False)
    html = html_of(client, "/p/long-jing")
    related = html[html.index('id="related-title"'):]
    assert card_titles(related) == ["黄山毛峰", "碧螺春"]


def test_recommendations_of_plugins_come_before_the_same_category(app, xty_make_app):
    from xtycore import hookimpl
    from xtycore.domain.contributions import Recommendation

    class Recommender:
        cake_id = None

        @hookimpl
        def xtycore_recommendations(self, product_id, customer_id, limit):
            return [Recommendation(product_id=str(self.cake_id), score=0.9)]

    recommender = Recommender()
    other = xty_make_app(plugins={"recommender": recommender})
    with other.app_context():
        make_product("龙井")
        make_product("碧螺春", sales=3)
        recommender.cake_id = make_product("蛋糕", category="甜品")
    html = html_of(other.test_client(), "/p/long-jing")
    assert card_titles(html[html.index('id="related-title"'):]) == ["蛋糕", "碧螺春"]


def test_a_product_without_category_or_recommendations_has_no_related_section(app, client):
    with app.app_context():
        make_product("龙井", category="")
    html = html_of(client, "/p/long-jing")
    assert "related-title" not in html


def test_draft_and_archived_products_are_not_shown(app, client):
    with app.app_context():
        make_product("草稿", publish=False)
    assert client.get("/p/cao-gao").status_code == 404
    assert card_titles(html_of(client, "/c/cha-ye")) == [] and card_titles(html_of(client, "/search?q=草稿")) == []


def test_merchant_html_in_the_description_is_shown_sanitised(app, client):
    with app.app_context():
        make_product("龙井", description='<p>好茶<script>alert(1)</script><img src="/x.png" onerror="x()"></p>')
    html = html_of(client, "/p/long-jing")
    assert '<div class="prose"><p>好茶<img src="/x.png"></p></div>' in html
    assert "alert(1)" not in html


def test_uploaded_images_are_served_and_paths_outside_uploads_are_not(app, client, tmp_path):
    from xtycore.services.images import uploads_root

    with app.app_context():
        folder = uploads_root() / "products" / "1"
    folder.mkdir(parents=True)
    (folder / "a.jpg").write_bytes(b"jpeg bytes")
    with client.get("/media/products/1/a.jpg") as response:
        assert response.status_code == 200 and response.data == b"jpeg bytes"
        assert response.cache_control.max_age == 30 * 24 * 3600
    assert client.get("/media/../config.py").status_code == 404
    assert client.get("/media/products/1/missing.jpg").status_code == 404


def test_category_and_product_pages_render_in_english_with_english_names(app, client):
    with app.app_context():
        make_product("西湖龙井", title_en="West Lake Longjing", category="茶叶/绿茶")
        with transaction():
            for node in db.session.execute(db.select(catalog.Category)).scalars():
                node.name_en = {"茶叶": "Tea", "绿茶": "Green tea"}[node.name]
    html = html_of(client, "/c/cha-ye?lang=en")
    assert '<h1 class="page-title">Tea</h1>' in html and "West Lake Longjing" in html and "1 product<" in html
    product = html_of(client, "/p/xi-hu-long-jing")  # the cookie keeps English
    assert '<h1 class="product__title">West Lake Longjing</h1>' in product
    assert "Add to cart" in product and "CN¥99.00" in product


def test_the_featured_section_follows_the_featured_tag_setting(app, client):
    from xtycore.themes import save_theme_settings

    with app.app_context():
        make_product("老白茶", tags=["精选"])
        make_product("新茶", tags=["春茶"])

    def featured() -> list[str]:
        html = html_of(client, "/")
        return card_titles(html[html.index('id="home-featured"'):html.index('id="home-new"')])

    assert featured() == ["老白茶"]
    with app.app_context():
        save_theme_settings("default", {"featured_tag": "春茶"})
    assert featured() == ["新茶"]


def test_each_product_relates_to_its_own_category(app, client):
    with app.app_context():
        make_product("龙井", category="茶叶")
        make_product("碧螺春", category="茶叶")
        make_product("蛋糕", category="甜品")
        make_product("马卡龙", category="甜品")
    assert card_titles(html_of(client, "/p/long-jing").split('id="related-title"')[1]) == ["碧螺春"]
    assert card_titles(html_of(client, "/p/dan-gao").split('id="related-title"')[1]) == ["马卡龙"]
