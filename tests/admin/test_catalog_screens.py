"""The catalogue screens: the products list with search, filters and variant aggregates in one query."""

from __future__ import annotations

import pytest

from tests.admin.conftest import staff_client
from tests.admin.test_dashboard import count_statements
from xtycore.admin.catalog import ProductFilter, find_products
from xtycore.domain.money import Money
from xtycore.domain.staff import StaffRole
from xtycore.extensions import transaction
from xtycore.services import catalog


def product(app, title: str, *variants: tuple[str, str, int], brand: str | None = None,
            category: str | None = None) -> int:
    """A draft product with ``(sku, price, stock)`` variants, saved through the catalogue service."""
    with app.app_context(), transaction():
        return catalog.save_product(catalog.ProductInput(
            title=title, brand=brand, category=category,
            variants=[catalog.VariantInput(sku=sku, price=Money(price), stock=stock) for sku, price, stock in variants],
        )).id


@pytest.fixture
def shelf(xty_app):
    return {
        "longjing": product(xty_app, "西湖龙井 明前", ("LJ-250", "168.00", 5), ("LJ-500", "318.00", 7),
                            brand="狮峰", category="茶叶/绿茶"),
        "biluochun": product(xty_app, "洞庭碧螺春", ("BLC-1", "98.50", 3), brand="东山", category="茶叶/绿茶"),
        "teapot": product(xty_app, "Yixing Teapot", ("POT-1", "420.00", 0), category="茶具"),
    }


def titles(app, where: ProductFilter) -> list[str]:
    with app.app_context():
        rows, total = find_products(where)
        assert total == len(rows)
        return sorted(row.title for row in rows)


def test_each_row_carries_its_variant_count_price_range_and_total_stock(xty_app, shelf):
    with xty_app.app_context():
        rows = {row.id: row for row in find_products(ProductFilter())[0]}
    longjing = rows[shelf["longjing"]]
    assert (longjing.variant_count, longjing.min_price_minor, longjing.max_price_minor, longjing.stock) == \
        (2, 16800, 31800, 12)
    assert (longjing.brand, longjing.category, longjing.status) == ("狮峰", "绿茶", "draft")
    teapot = rows[shelf["teapot"]]
    assert (teapot.variant_count, teapot.min_price_minor, teapot.max_price_minor, teapot.stock) == \
        (1, 42000, 42000, 0)


def test_search_finds_titles_in_any_case_and_skus(xty_app, shelf):
    assert titles(xty_app, ProductFilter(search="龙井")) == ["西湖龙井 明前"]
    assert titles(xty_app, ProductFilter(search="yixing")) == ["Yixing Teapot"]
    assert titles(xty_app, ProductFilter(search="blc-")) == ["洞庭碧螺春"]
    assert titles(xty_app, ProductFilter(search="%")) == []  # LIKE wildcards are searched for literally


def test_filters_by_status_category_subtree_and_brand(xty_app, shelf):
    from xtycore.models.catalog import Brand, Category
    from xtycore.services import catalog_review

    with xty_app.app_context():
        catalog_review.archive(shelf["teapot"])
        tea = catalog.category_by_path("茶叶").id
        green = catalog.category_by_path("茶叶/绿茶").id
        brand = Brand.query.filter_by(name="东山").one().id
        assert Category.query.count() == 3
    assert titles(xty_app, ProductFilter(status="archived")) == ["Yixing Teapot"]
    assert titles(xty_app, ProductFilter(status="draft")) == ["洞庭碧螺春", "西湖龙井 明前"]
    assert titles(xty_app, ProductFilter(category_id=tea)) == ["洞庭碧螺春", "西湖龙井 明前"]
    assert titles(xty_app, ProductFilter(category_id=green, brand_id=brand)) == ["洞庭碧螺春"]
    assert titles(xty_app, ProductFilter(category_id=999999)) == []


def test_the_page_lists_filters_and_pages(xty_app, shelf, monkeypatch):
    _id, client = staff_client(xty_app, StaffRole.CATALOGUE_EDITOR)
    html = client.get("/admin/products?q=LJ-&status=draft").get_data(as_text=True)
    assert "西湖龙井 明前" in html and "洞庭碧螺春" not in html and "1 products" in html
    assert "CN¥168.00 – CN¥318.00" in html and 'class="stock">12<' in html
    monkeypatch.setattr("xtycore.admin.catalog.PAGE_SIZE", 2)
    first = client.get("/admin/products").get_data(as_text=True)
    second = client.get("/admin/products?page=2").get_data(as_text=True)
    assert "Yixing Teapot" in first and "洞庭碧螺春" in first and "西湖龙井" not in first  # newest first
    assert "西湖龙井 明前" in second and "Yixing Teapot" not in second
    assert "page=2" in first
    chinese = client.get("/admin/products?lang=zh_CN").get_data(as_text=True)
    assert "商品" in chinese and "草稿" in chinese


def test_the_list_costs_the_same_statements_whatever_the_shop_holds(xty_app, shelf):
    _id, client = staff_client(xty_app, StaffRole.READ_ONLY)
    path = "/admin/products?q=&category=1&brand=1"
    client.get(path)
    before = count_statements(xty_app, client, path)
    for index in range(5):
        product(xty_app, f"加量{index}", (f"MORE-{index}-A", "10.00", 1), (f"MORE-{index}-B", "12.00", 2),
                brand="狮峰", category="茶叶")
    client.get(path)  # a new brand or category raises the kernel generation: the next request reloads once
    assert count_statements(xty_app, client, path) == before


@pytest.mark.parametrize("role", [StaffRole.SUPPORT_AGENT, StaffRole.FINANCE])
def test_staff_without_catalogue_view_are_refused(xty_app, shelf, role):
    _id, client = staff_client(xty_app, role)
    response = client.get("/admin/products")
    assert response.status_code == 403 and "西湖龙井" not in response.get_data(as_text=True)
    assert "/admin/products" not in client.get("/admin/").get_data(as_text=True)
