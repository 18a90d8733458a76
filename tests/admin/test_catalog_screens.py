"""The catalogue screens: the products list (search, filters, variant aggregates in one query) and bulk edits."""

from __future__ import annotations

import pytest

from tests.admin.conftest import staff_client
from tests.admin.test_dashboard import count_statements
from xtycore.admin.catalog import ProductFilter, find_products
from xtycore.domain.money import Money
from xtycore.domain.staff import StaffRole
from xtycore.extensions import db, transaction
from xtycore.models import Product, ProductImage, ReviewFinding, Variant
from xtycore.models.audit import AuditEntry
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


def catalogue(app) -> dict:
    """Every product, variant, finding and audit entry, to prove a refused or bad bulk edit changed nothing."""
    from sqlalchemy import select

    with app.app_context():
        db.session.remove()
        state = {}
        for model in (Product, Variant, ReviewFinding, AuditEntry):
            rows = db.session.execute(select(model)).scalars().all()
            state[model.__tablename__] = sorted(
                repr(sorted((c.key, repr(getattr(row, c.key))) for c in model.__table__.columns)) for row in rows)
        db.session.remove()
        return state


def variants_of(app, product_id: int) -> list[tuple[str, int, int]]:
    with app.app_context():
        db.session.remove()
        return [(v.sku, v.price_minor, v.stock) for v in db.session.get(Product, product_id).variants]


def status_of(app, product_id: int) -> str:
    with app.app_context():
        db.session.remove()
        return db.session.get(Product, product_id).status


def bulk_entries(app) -> list[tuple[str, str, dict, dict]]:
    with app.app_context():
        db.session.remove()
        return [(e.action, e.object_id, e.before, e.after)
                for e in AuditEntry.query.filter(AuditEntry.object_type == "product").order_by(AuditEntry.id)]


def test_bulk_price_change_moves_every_variant_by_the_percentage_in_one_audited_transaction(xty_app, shelf):
    _id, client = staff_client(xty_app, StaffRole.CATALOGUE_EDITOR)
    response = client.post("/admin/products/bulk?q=龙", data={
        "product": [shelf["longjing"], shelf["biluochun"]], "action": "price", "percent": "-10"})
    assert response.status_code == 302 and "/admin/products?q=" in response.headers["Location"]
    assert variants_of(xty_app, shelf["longjing"]) == [("LJ-250", 15120, 5), ("LJ-500", 28620, 7)]
    assert variants_of(xty_app, shelf["biluochun"]) == [("BLC-1", 8865, 3)]  # 88.65 rounded half up
    assert variants_of(xty_app, shelf["teapot"]) == [("POT-1", 42000, 0)]
    entries = bulk_entries(xty_app)
    assert [(action, object_id) for action, object_id, _b, _a in entries] == [
        ("product.bulk_price", str(shelf["longjing"])), ("product.bulk_price", str(shelf["biluochun"]))]
    assert entries[1][2]["variants"] == [{"sku": "BLC-1", "price_minor": 9850, "stock": 3}]
    assert entries[1][3]["variants"] == [{"sku": "BLC-1", "price_minor": 8865, "stock": 3}]


def test_bulk_stock_sets_every_variant(xty_app, shelf):
    _id, client = staff_client(xty_app, StaffRole.MANAGER)
    assert client.post("/admin/products/bulk", data={
        "product": [shelf["longjing"]], "action": "stock", "stock": "40"}).status_code == 302
    assert variants_of(xty_app, shelf["longjing"]) == [("LJ-250", 16800, 40), ("LJ-500", 31800, 40)]
    assert [e[0] for e in bulk_entries(xty_app)] == ["product.bulk_stock"]


def test_bulk_publish_goes_through_the_review_and_blocking_findings_wait_in_the_queue(xty_app, shelf):
    from tests.orders.helpers import DESCRIPTION

    with xty_app.app_context(), transaction() as session:
        longjing = session.get(Product, shelf["longjing"])
        longjing.description_html = DESCRIPTION
        longjing.images.append(ProductImage(path="products/1/a.jpg", width=800, height=800))
    _id, client = staff_client(xty_app, StaffRole.CATALOGUE_EDITOR)
    assert client.post("/admin/products/bulk", data={
        "product": [shelf["longjing"], shelf["biluochun"]], "action": "publish"}).status_code == 302
    assert status_of(xty_app, shelf["longjing"]) == "active"
    assert status_of(xty_app, shelf["biluochun"]) == "pending_review"  # no image, no description
    with xty_app.app_context():
        codes = {f.code for f in ReviewFinding.query.filter_by(product_id=shelf["biluochun"])}
    assert {"no_images", "description_empty"} <= codes
    assert [(e[0], e[3]["status"]) for e in bulk_entries(xty_app)] == [
        ("product.bulk_publish", "active"), ("product.bulk_publish", "pending_review")]
    assert client.post("/admin/products/bulk", data={
        "product": [shelf["longjing"]], "action": "archive"}).status_code == 302
    assert status_of(xty_app, shelf["longjing"]) == "archived"


@pytest.mark.parametrize("form, message", [
    ({"action": "price", "percent": "ten"}, "Enter the price change as a percentage"),
    ({"action": "price", "percent": "-100"}, "from -99 to 1000"),
    ({"action": "price", "percent": "1.005"}, "at most two decimals"),
    ({"action": "stock", "stock": "-1"}, "Stock is a whole number"),
    ({"action": "melt"}, "Choose what to do"),
    ({"action": "stock", "stock": "3", "product": []}, "Select at least one product"),
    ({"action": "stock", "stock": "3", "product": ["999999"]}, "no longer exist"),
])
def test_bad_bulk_input_is_refused_and_changes_nothing(xty_app, shelf, form, message):
    _id, client = staff_client(xty_app, StaffRole.CATALOGUE_EDITOR)
    before = catalogue(xty_app)
    data = {"product": [shelf["longjing"], shelf["teapot"]], **form}
    data["product"] = data["product"] + ([shelf["longjing"]] if form.get("product") else [])
    response = client.post("/admin/products/bulk", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert catalogue(xty_app) == before


def test_one_product_the_state_machine_refuses_rolls_back_the_whole_bulk_edit(xty_app, shelf):
    from xtycore.services import catalog_review

    with xty_app.app_context():
        catalog_review.archive(shelf["teapot"])
    _id, client = staff_client(xty_app, StaffRole.CATALOGUE_EDITOR)
    before = catalogue(xty_app)
    response = client.post("/admin/products/bulk", data={
        "product": [shelf["longjing"], shelf["teapot"]], "action": "publish"})
    assert response.status_code == 422 and "archived cannot publish" in response.get_data(as_text=True)
    assert catalogue(xty_app) == before


@pytest.mark.parametrize("role", [StaffRole.READ_ONLY, StaffRole.ORDER_CLERK, StaffRole.SUPPORT_AGENT])
def test_staff_without_catalogue_edit_cannot_bulk_edit(xty_app, shelf, role):
    _id, client = staff_client(xty_app, role)
    before = catalogue(xty_app)
    response = client.post("/admin/products/bulk", data={
        "product": [shelf["longjing"]], "action": "stock", "stock": "0"})
    assert response.status_code == 403
    assert catalogue(xty_app) == before
    if role is StaffRole.READ_ONLY:
        assert 'name="product"' not in client.get("/admin/products").get_data(as_text=True)


@pytest.fixture
def queued(xty_app, shelf):
    """洞庭碧螺春 published without image or description: it waits in the review queue."""
    from xtycore.services import catalog_review

    with xty_app.app_context():
        assert catalog_review.publish_product(shelf["biluochun"]).status.value == "pending_review"
    return shelf["biluochun"]


def test_the_queue_shows_each_waiting_product_with_its_findings(xty_app, queued):
    _id, client = staff_client(xty_app, StaffRole.READ_ONLY)
    html = client.get("/admin/review-queue").get_data(as_text=True)
    assert "洞庭碧螺春" in html and "no_images" in html and "the product has no image; add at least one" in html
    assert "blocking" in html and "西湖龙井" not in html
    assert "/approve" not in html  # read-only staff see the queue but cannot decide


def test_approving_puts_the_product_on_sale_and_is_audited(xty_app, queued):
    from xtycore.services import catalog_review

    _id, client = staff_client(xty_app, StaffRole.CATALOGUE_EDITOR)
    assert client.post(f"/admin/review-queue/{queued}/approve", data={"reason": "图片稍后补"}).status_code == 302
    assert status_of(xty_app, queued) == "active"
    assert bulk_entries(xty_app) == [("product.approve", str(queued), {"id": queued, "status": "pending_review"},
                                      {"id": queued, "status": "active", "reason": "图片稍后补"})]
    with xty_app.app_context():
        decision = catalog_review.decisions(queued)[0]
        assert (decision.decision, decision.actor) == ("approve", "catalogue-editor@shop.test")
    html = client.get("/admin/review-queue").get_data(as_text=True)
    assert "洞庭碧螺春 approved: it is on sale." in html and f'id="review-{queued}"' not in html


def test_rejecting_needs_a_reason_and_is_audited(xty_app, queued):
    _id, client = staff_client(xty_app, StaffRole.MANAGER)
    before = catalogue(xty_app)
    response = client.post(f"/admin/review-queue/{queued}/reject", data={"reason": "  "})
    assert response.status_code == 422 and "rejecting needs a reason" in response.get_data(as_text=True)
    assert catalogue(xty_app) == before
    assert client.post(f"/admin/review-queue/{queued}/reject", data={"reason": "主图模糊"}).status_code == 302
    assert status_of(xty_app, queued) == "rejected"
    assert [(e[0], e[3]["status"], e[3]["reason"]) for e in bulk_entries(xty_app)] == [
        ("product.reject", "rejected", "主图模糊")]


def test_a_product_not_waiting_cannot_be_approved(xty_app, queued, shelf):
    _id, client = staff_client(xty_app, StaffRole.CATALOGUE_EDITOR)
    before = catalogue(xty_app)
    response = client.post(f"/admin/review-queue/{shelf['teapot']}/approve")
    assert response.status_code == 422 and "cannot approve" in response.get_data(as_text=True)
    assert client.post("/admin/review-queue/999999/approve").status_code == 422
    assert catalogue(xty_app) == before


@pytest.mark.parametrize("role", [StaffRole.READ_ONLY, StaffRole.ORDER_CLERK])
def test_staff_without_catalogue_edit_cannot_decide(xty_app, queued, role):
    _id, client = staff_client(xty_app, role)
    before = catalogue(xty_app)
    for decision in ("approve", "reject"):
        response = client.post(f"/admin/review-queue/{queued}/{decision}", data={"reason": "x"})
        assert response.status_code == 403
    assert catalogue(xty_app) == before


IMPORT_HEADER = "title,category,brand,description,sku,price,stock"
IMPORT_DESC = "明前特级龙井，产自杭州西湖产区，手工炒制，香气清高持久。"


def upload(client, lines: list[str]):
    from io import BytesIO

    body = ("\ufeff" + "\r\n".join([IMPORT_HEADER, *lines, ""])).encode("utf-8")
    return client.post("/admin/products/import", data={"file": (BytesIO(body), "products.csv")},
                       content_type="multipart/form-data")


def test_a_dry_run_lists_every_bad_row_and_writes_nothing(xty_app, shelf):
    _id, client = staff_client(xty_app, StaffRole.CATALOGUE_EDITOR)
    before = catalogue(xty_app)
    response = upload(client, [f"黄山毛峰,茶叶/绿茶,,<p>{IMPORT_DESC}</p>,MF-1,abc,3",
                               f"太平猴魁,茶叶/绿茶,,<p>{IMPORT_DESC}</p>,HK-1,99,-2"])
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "2 problems found; nothing was written." in html
    assert "<td>2</td><td>price</td>" in html and "<td>3</td><td>stock</td>" in html
    assert 'name="step" value="import"' not in html
    assert catalogue(xty_app) == before


def test_a_clean_dry_run_then_import_writes_the_products_audited(xty_app, shelf):
    _id, client = staff_client(xty_app, StaffRole.CATALOGUE_EDITOR)
    before = catalogue(xty_app)
    lines = [f"黄山毛峰,茶叶/绿茶,,<p>{IMPORT_DESC}</p>,MF-1,88.00,3", "洞庭碧螺春,茶叶/绿茶,东山,,BLC-1,99.00,8"]
    checked = upload(client, lines)
    html = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "1 new products, 1 to update" in html
    assert catalogue(xty_app) == before  # the dry run wrote nothing
    content = "\r\n".join([IMPORT_HEADER, *lines, ""])
    done = client.post("/admin/products/import", data={"step": "import", "content": content})
    assert done.status_code == 200 and "Imported: 1 new products, 1 updated." in done.get_data(as_text=True)
    with xty_app.app_context():
        new = Product.query.filter_by(title="黄山毛峰").one().id
    assert variants_of(xty_app, new) == [("MF-1", 8800, 3)]
    assert variants_of(xty_app, shelf["biluochun"]) == [("BLC-1", 9900, 8)]
    assert [(e[0], e[1], e[3]) for e in bulk_entries(xty_app)] == []  # the import is audited as an import
    with xty_app.app_context():
        entry = AuditEntry.query.filter_by(action="product.import").one()
        assert (entry.object_type, entry.after, entry.staff_email) == \
            ("import", {"created": [new]}, "catalogue-editor@shop.test")


def test_bad_uploads_are_refused_and_staff_without_catalogue_edit_cannot_import(xty_app, shelf):
    from io import BytesIO

    _id, client = staff_client(xty_app, StaffRole.CATALOGUE_EDITOR)
    _id, reader = staff_client(xty_app, StaffRole.READ_ONLY)
    before = catalogue(xty_app)

    gbk = client.post("/admin/products/import", data={"file": (BytesIO("标题".encode("gbk")), "p.csv")},
                      content_type="multipart/form-data")
    assert gbk.status_code == 422 and "not UTF-8" in gbk.get_data(as_text=True)
    assert client.post("/admin/products/import", data={"content": " "}).status_code == 422
    refused = reader.post("/admin/products/import", data={
        "step": "import", "content": f"{IMPORT_HEADER}\r\n新茶,,,<p>{IMPORT_DESC}</p>,NEW-1,10,1\r\n"})
    assert refused.status_code == 403
    assert catalogue(xty_app) == before


def test_the_export_is_utf8_with_a_bom_one_row_per_variant(xty_app, shelf):
    import csv
    import io

    _id, client = staff_client(xty_app, StaffRole.READ_ONLY)
    response = client.get("/admin/products.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [(r["title"], r["sku"], r["price"], r["stock"], r["category"], r["brand"]) for r in rows] == [
        ("西湖龙井 明前", "LJ-250", "168.00", "5", "茶叶/绿茶", "狮峰"),
        ("西湖龙井 明前", "LJ-500", "318.00", "7", "茶叶/绿茶", "狮峰"),
        ("洞庭碧螺春", "BLC-1", "98.50", "3", "茶叶/绿茶", "东山"),
        ("Yixing Teapot", "POT-1", "420.00", "0", "茶具", ""),
    ]
    _id, support = staff_client(xty_app, StaffRole.SUPPORT_AGENT)
    assert support.get("/admin/products.csv").status_code == 403
