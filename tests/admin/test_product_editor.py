"""The single product editor: fields, variants, images and status on one page, through the import's service."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from tests.admin.conftest import staff_client
from tests.admin.test_catalog_screens import product
from tests.admin.test_dashboard import count_statements
from tests.orders.helpers import DESCRIPTION, make_product
from xtycore.domain.staff import StaffRole
from xtycore.extensions import db, transaction
from xtycore.models import (
    Brand, Category, Order, OrderLine, Product, ProductImage, ReviewFinding, Tag, Variant,
)
from xtycore.models.audit import AuditEntry
from xtycore.services import catalog, catalog_review


def png(colour: str = "#c33", size: tuple[int, int] = (64, 48)) -> BytesIO:
    out = BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    out.seek(0)
    return out


def form(title: str = "西湖龙井 明前", *rows: dict[str, str], **fields: str) -> dict[str, str]:
    """The product form as a browser posts it: the fields, each variant row and one blank row."""
    posted = {"title": title, "title_en": "", "subtitle": "", "description": "", "category": "", "brand": "",
              "tags": "", "purchase_limit": "", "meta_title": "", "meta_description": "", **fields}
    for index, row in enumerate([*rows, {}]):
        for column in ("id", "sku", "options", "price", "compare_at_price", "weight_grams", "barcode", "stock"):
            posted[f"variants.{index}.{column}"] = row.get(column, "")
        if row.get("_remove"):
            posted[f"variants.{index}._remove"] = "on"
    return posted


def uploads(app) -> list[str]:
    root = Path(app.instance_path) / "uploads"
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def catalogue(app) -> dict:
    """Every catalogue row and audit entry, to prove a refused request changed nothing."""
    with app.app_context():
        db.session.remove()
        state = {}
        for model in (Product, Variant, ProductImage, Category, Brand, Tag, ReviewFinding, AuditEntry):
            rows = db.session.execute(select(model)).scalars().all()
            state[model.__tablename__] = sorted(
                repr(sorted((c.key, repr(getattr(row, c.key))) for c in model.__table__.columns)) for row in rows)
        db.session.remove()
        return state


def entries(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        db.session.remove()
        found = AuditEntry.query.filter_by(action=action).order_by(AuditEntry.id).all()
        db.session.expunge_all()
        return found


def variants_of(app, product_id: int) -> list[tuple]:
    with app.app_context():
        db.session.remove()
        return [(v.sku, v.options, v.price_minor, v.compare_at_minor, v.weight_grams, v.barcode, v.stock)
                for v in db.session.get(Product, product_id).variants]


def ordered(app, variant_id: int) -> None:
    """An order naming the variant (its line keeps a snapshot; the variant must stay)."""
    with app.app_context(), transaction() as session:
        order = Order(number=f"T-{variant_id}", status="pending_payment", currency="CNY", subtotal_minor=100,
                      total_minor=100, ship_recipient="张三", ship_mobile="13800138000", ship_province="浙江省",
                      ship_city="杭州市", ship_district="西湖区", ship_street="龙井路 1 号", courier_quote_code="standard",
                      courier_label="快递", checkout_token=f"editor-{variant_id}")
        session.add(order)
        session.flush()
        session.add(OrderLine(order_id=order.id, variant_id=variant_id, product_name="x", sku="x",
                              unit_price_minor=100, quantity=1, total_minor=100))


@pytest.fixture
def editor(xty_app):
    return staff_client(xty_app, StaffRole.CATALOGUE_EDITOR)[1]


@pytest.fixture
def green_tea(xty_app) -> int:
    with xty_app.app_context(), transaction():
        return catalog.category_by_path("茶叶/绿茶").id


def test_a_catalogue_editor_creates_a_product_with_its_variants_through_the_catalogue_service(
        xty_app, editor, green_tea):
    first = {"sku": "LJ-250", "options": "规格＝250g；包装=罐", "price": "168.00", "compare_at_price": "198",
             "weight_grams": "300", "barcode": "6901234567892", "stock": "5"}
    response = editor.post("/admin/products/new", data=form(
        "西湖龙井 明前", first, {"sku": "LJ-500", "price": "318.5", "stock": "7"},
        title_en="Longjing", subtitle="明前特级", description='<p onclick="x()">好茶<script>alert(1)</script></p>',
        category=str(green_tea), brand="狮峰", tags="明前，送礼, 明前", purchase_limit="3",
        meta_title="龙井", meta_description="西湖龙井"))
    assert response.status_code == 302
    with xty_app.app_context():
        saved = Product.query.one()
        assert response.headers["Location"].endswith(f"/admin/products/{saved.id}")
        assert (saved.title, saved.title_en, saved.subtitle, saved.status, saved.slug) == (
            "西湖龙井 明前", "Longjing", "明前特级", "draft", "xi-hu-long-jing-ming-qian")
        assert saved.description_html == "<p>好茶</p>"  # sanitised by the catalogue service
        assert (saved.category.name, saved.brand.name, [t.name for t in saved.tags]) == ("绿茶", "狮峰", ["明前", "送礼"])
        assert (saved.purchase_limit, saved.meta_title, saved.meta_description) == (3, "龙井", "西湖龙井")
        assert "lj-250" in saved.search_text  # the service keeps the search text
        product_id = saved.id
    assert variants_of(xty_app, product_id) == [
        ("LJ-250", {"规格": "250g", "包装": "罐"}, 16800, 19800, 300, "6901234567892", 5),
        ("LJ-500", {}, 31850, None, 0, "", 7)]
    [entry] = entries(xty_app, "product.create")
    assert (entry.object_type, entry.object_id, entry.before) == ("product", str(product_id), None)
    assert [v["sku"] for v in entry.after["variants"]] == ["LJ-250", "LJ-500"]
    assert entry.staff_email == "catalogue-editor@shop.test"
    page = editor.get(f"/admin/products/{product_id}").get_data(as_text=True)
    assert "西湖龙井 明前 is saved." in page
    assert 'name="variants.0.options" value="规格=250g;包装=罐"' in page and 'value="168.00"' in page
    assert f'<option value="{green_tea}" selected>茶叶 / 绿茶</option>' in page
    assert 'name="tags" value="明前, 送礼"' in page


def test_editing_renames_adds_and_removes_variants_and_keeps_one_that_orders_name(xty_app, editor):
    product_id = product(xty_app, "洞庭碧螺春", ("BLC-1", "98.50", 3), ("BLC-2", "120.00", 4), ("BLC-3", "150.00", 6))
    with xty_app.app_context(), transaction() as session:
        saved = session.get(Product, product_id)
        saved.purchase_limit = 2
        saved.variants[0].compare_at_minor = 12000
        ids = [v.id for v in saved.variants]
    ordered(xty_app, ids[2])
    response = editor.post(f"/admin/products/{product_id}", data=form(
        "洞庭碧螺春 新茶",
        {"id": str(ids[0]), "sku": "BLC-ONE", "price": "88.00", "stock": "3"},
        {"id": str(ids[1]), "sku": "BLC-2", "price": "120.00", "stock": "4", "_remove": "on"},
        {"id": str(ids[2]), "sku": "BLC-3", "price": "150.00", "stock": "6", "_remove": "on"},
        {"sku": "BLC-NEW", "price": "66.60", "stock": "9", "options": "规格=100g"}))
    assert response.status_code == 302
    assert variants_of(xty_app, product_id) == [
        ("BLC-ONE", {}, 8800, None, 0, "", 3),  # renamed, compare-at price cleared
        ("BLC-NEW", {"规格": "100g"}, 6660, None, 0, "", 9),
        ("BLC-3", {}, 15000, None, 0, "", 0),  # named by an order: kept, with no stock
    ]
    with xty_app.app_context():
        saved = db.session.get(Product, product_id)
        assert (saved.title, saved.purchase_limit) == ("洞庭碧螺春 新茶", None)
        assert db.session.get(Variant, ids[0]).sku == "BLC-ONE" and db.session.get(Variant, ids[1]) is None
        assert OrderLine.query.one().variant_id == ids[2]
    [entry] = entries(xty_app, "product.update")
    assert [v["sku"] for v in entry.before["variants"]] == ["BLC-1", "BLC-2", "BLC-3"]
    assert [(v["sku"], v["stock"]) for v in entry.after["variants"]] == [("BLC-ONE", 3), ("BLC-NEW", 9), ("BLC-3", 0)]
    assert (entry.before["purchase_limit"], entry.after["purchase_limit"]) == (2, None)
    page = editor.get(f"/admin/products/{product_id}").get_data(as_text=True)
    assert "Kept BLC-3 with their stock set to 0: orders name them." in page


@pytest.mark.parametrize("change, field, message", [
    ({"title": ""}, "title", "Please fill in this field"),
    ({"title": "长" * 201}, "title", "At most 200 characters"),
    ({"variants.0.price": "abc"}, "variants.0.price", "Enter an amount, e.g. 12.50"),
    ({"variants.0.price": "1.234"}, "variants.0.price", "At most 2 decimals"),
    ({"variants.0.price": "-1"}, "variants.0.price", "An amount from 0 to 10000000"),
    ({"variants.0.stock": "2.5"}, "variants.0.stock", "Enter a whole number"),
    ({"variants.0.sku": "has space"}, "variants.0.sku", "A SKU has no spaces"),
    ({"variants.1.sku": "EDIT-1", "variants.1.price": "1"}, "variants.1.sku", "SKU EDIT-1 is on another row"),
    ({"variants.0.sku": "OTHER-1"}, "variants.0.sku", "SKU OTHER-1 belongs to another product."),
    ({"variants.0.options": "颜色"}, "variants.0.options", "Write each option as name=value"),
    ({"variants.0.id": "999999"}, "variants.0.sku", "This row is not a variant of this product"),
    ({"variants.0._remove": "on"}, "variants", "Add at least one variant with a SKU and a price"),
    ({"category": "999999"}, "category", "Choose a category from the list"),
    ({"purchase_limit": "0"}, "purchase_limit", "A whole number from 1 to 1000000000"),
])
def test_bad_input_answers_422_next_to_the_field_and_writes_nothing(xty_app, editor, change, field, message):
    product_id = product(xty_app, "待编辑", ("EDIT-1", "10.00", 1))
    product(xty_app, "别的商品", ("OTHER-1", "10.00", 1))
    with xty_app.app_context():
        variant_id = db.session.get(Product, product_id).variants[0].id
    posted = {**form("待编辑", {"id": str(variant_id), "sku": "EDIT-1", "price": "10.00", "stock": "1"}), **change}
    posted["images"] = (png(), "photo.png")
    before = catalogue(xty_app)
    response = editor.post(f"/admin/products/{product_id}", data=posted)
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html
    error_id = "f-" + field.replace(".", "-") + "-error"
    assert f'<p class="field-error" id="{error_id}">{message}' in html
    assert "Nothing was changed: correct the fields marked below." in html
    assert "Nothing was saved, so choose the images again." in html
    assert catalogue(xty_app) == before and uploads(xty_app) == []


def test_a_refused_form_shows_what_was_typed_with_removed_rows_still_ticked(xty_app, editor):
    posted = form("", {"sku": "A-1", "price": "1.00"}, {"sku": "A-2", "price": "x"},
                  {"sku": "GONE", "price": "2", "_remove": "on"})
    html = editor.post("/admin/products/new", data=posted).get_data(as_text=True)
    assert 'name="variants.1.price" value="x"' in html and 'id="f-variants-1-price-error"' in html
    assert 'name="variants.2.sku" value="GONE"' in html
    assert 'name="variants.2._remove" checked' in html
    with xty_app.app_context():
        assert Product.query.count() == 0


def test_an_image_that_is_not_one_refuses_the_whole_save_and_leaves_no_file(xty_app, editor):
    before = catalogue(xty_app)
    response = editor.post("/admin/products/new", data={
        **form("有图", {"sku": "IMG-1", "price": "1.00"}), "images": [(png(), "good.png"), (BytesIO(b"not"), "bad.png")]})
    assert response.status_code == 422
    assert "bad.png is not an image" in response.get_data(as_text=True)
    assert catalogue(xty_app) == before and uploads(xty_app) == []


def test_images_are_uploaded_reordered_attached_to_a_variant_and_deleted(xty_app, editor):
    product_id = product(xty_app, "紫砂壶", ("POT-1", "420.00", 2), ("POT-2", "520.00", 1))
    with xty_app.app_context():
        variant_ids = [v.id for v in db.session.get(Product, product_id).variants]
    rows = [{"id": str(i), "sku": sku, "price": price}
            for i, sku, price in zip(variant_ids, ("POT-1", "POT-2"), ("420.00", "520.00"))]
    posted = form("紫砂壶", *rows)
    posted["images"] = [(png("#c33"), "red.png"), (png("#33c"), "blue.png")]
    assert editor.post(f"/admin/products/{product_id}", data=posted).status_code == 302
    with xty_app.app_context():
        first, second = db.session.get(Product, product_id).images
        paths = first.path, second.path
        assert (first.position, second.position, first.alt) == (0, 1, "紫砂壶")
    assert paths[0] in uploads(xty_app) and len(uploads(xty_app)) == 8  # each image and three thumbnails
    page = editor.get(f"/admin/products/{product_id}").get_data(as_text=True)
    assert f'/media/{paths[0].rsplit(".", 1)[0]}-160' in page and "2 images added." in page

    assert editor.post(f"/admin/products/{product_id}/images/{second.id}/up").status_code == 302
    assert editor.post(f"/admin/products/{product_id}/images/{second.id}", data={
        f"image-{second.id}.alt": "蓝色款正面", f"image-{second.id}.variant": str(variant_ids[1])}).status_code == 302
    with xty_app.app_context():
        shown = [(i.id, i.position, i.alt, i.variant_id) for i in db.session.get(Product, product_id).images]
    assert shown == [(second.id, 0, "蓝色款正面", variant_ids[1]), (first.id, 1, "紫砂壶", None)]

    assert editor.post(f"/admin/products/{product_id}/images/{first.id}/delete").status_code == 302
    with xty_app.app_context():
        assert [i.id for i in db.session.get(Product, product_id).images] == [second.id]
    assert not any(path.startswith(paths[0].rsplit(".", 1)[0]) for path in uploads(xty_app))
    assert len(uploads(xty_app)) == 4
    moved, updated, deleted = (entries(xty_app, f"product.image_{a}") for a in ("move", "update", "delete"))
    assert [i["id"] for i in moved[0].before["images"]] == [first.id, second.id]
    assert [i["id"] for i in moved[0].after["images"]] == [second.id, first.id]
    assert updated[0].after["images"][0]["alt"] == "蓝色款正面"
    assert [i["id"] for i in deleted[0].after["images"]] == [second.id]
    [saved] = entries(xty_app, "product.update")
    assert (len(saved.before["images"]), len(saved.after["images"])) == (0, 2)


def test_an_image_form_refuses_a_variant_of_another_product_and_an_image_of_another_product(xty_app, editor):
    product_id = product(xty_app, "紫砂壶", ("POT-1", "420.00", 2))
    other_id = product(xty_app, "别的", ("OTHER-1", "1.00", 1))
    with xty_app.app_context(), transaction() as session:
        image = ProductImage(product_id=product_id, path="products/x/a.jpg", width=10, height=10, alt="壶")
        session.add(image)
        session.flush()
        image_id, other_variant = image.id, session.get(Product, other_id).variants[0].id
    before = catalogue(xty_app)
    response = editor.post(f"/admin/products/{product_id}/images/{image_id}", data={
        f"image-{image_id}.alt": "新的", f"image-{image_id}.variant": str(other_variant)})
    assert response.status_code == 422
    assert "Choose one of this product&#39;s variants" in response.get_data(as_text=True)
    assert editor.post(f"/admin/products/{other_id}/images/{image_id}/delete").status_code == 404
    assert catalogue(xty_app) == before


def test_saving_a_product_on_sale_reviews_it_again_and_a_blocking_finding_sends_it_to_the_queue(xty_app, editor):
    with xty_app.app_context():
        product_id, variant_id = make_product("西湖龙井", price="99.00")
        catalog_review.add_banned_word("最好")
    ok = form("西湖龙井 新茶", {"id": str(variant_id), "sku": "X", "price": "99.00", "stock": "10"},
              description=DESCRIPTION)
    with xty_app.app_context():
        ok["variants.0.sku"] = db.session.get(Variant, variant_id).sku
    assert editor.post(f"/admin/products/{product_id}", data=ok).status_code == 302
    with xty_app.app_context():
        assert db.session.get(Product, product_id).status == "active"
    response = editor.post(f"/admin/products/{product_id}", data={**ok, "title": "全网最好的龙井"})
    assert response.status_code == 302
    with xty_app.app_context():
        assert db.session.get(Product, product_id).status == "pending_review"
    page = editor.get(f"/admin/products/{product_id}").get_data(as_text=True)
    assert "the product waits in the review queue" in page and "banned_word" in page
    assert "Waiting for review" in page
    assert "全网最好的龙井" in editor.get("/admin/review-queue").get_data(as_text=True)


def test_status_actions_publish_through_the_review_archive_and_restore_audited(xty_app, editor):
    product_id = product(xty_app, "白茶", ("BAI-1", "50.00", 1))
    response = editor.post(f"/admin/products/{product_id}/publish")
    assert response.status_code == 302
    with xty_app.app_context():
        assert db.session.get(Product, product_id).status == "pending_review"  # no image, no description
    assert editor.post(f"/admin/products/{product_id}/archive").status_code == 302
    before = catalogue(xty_app)
    refused = editor.post(f"/admin/products/{product_id}/publish")
    assert refused.status_code == 422 and "Nothing was changed" in refused.get_data(as_text=True)
    assert catalogue(xty_app) == before
    assert editor.post(f"/admin/products/{product_id}/restore").status_code == 302
    with xty_app.app_context():
        assert db.session.get(Product, product_id).status == "draft"
    audited = [(e.action, e.before["status"], e.after["status"]) for e in entries(xty_app, "product.publish")
               + entries(xty_app, "product.archive") + entries(xty_app, "product.restore")]
    assert audited == [("product.publish", "draft", "pending_review"),
                       ("product.archive", "pending_review", "archived"), ("product.restore", "archived", "draft")]


def test_an_edited_price_shows_on_the_storefront_right_after_saving(xty_app, editor):
    with xty_app.app_context():
        product_id, variant_id = make_product("安吉白茶", price="99.00")
        slug, sku = db.session.get(Product, product_id).slug, db.session.get(Variant, variant_id).sku
    shopper = xty_app.test_client()
    assert "99.00" in shopper.get(f"/p/{slug}").get_data(as_text=True)
    posted = form("安吉白茶", {"id": str(variant_id), "sku": sku, "price": "77.70", "stock": "10"},
                  description=DESCRIPTION)
    assert editor.post(f"/admin/products/{product_id}", data=posted).status_code == 302
    shown = shopper.get(f"/p/{slug}").get_data(as_text=True)
    assert "77.70" in shown and "99.00" not in shown


def test_an_order_clerk_sees_the_product_read_only_and_cannot_save_it(xty_app):
    product_id = product(xty_app, "只读", ("RO-1", "10.00", 1))
    _id, clerk = staff_client(xty_app, StaffRole.ORDER_CLERK)
    page = clerk.get(f"/admin/products/{product_id}").get_data(as_text=True)
    assert "You may look at this product but not change it." in page
    assert 'fieldset class="bare stack" disabled' in page and 'value="RO-1"' in page
    assert "Save the product" not in page and "/publish" not in page and "New row" not in page
    before = catalogue(xty_app)
    for url in (f"/admin/products/{product_id}", "/admin/products/new", f"/admin/products/{product_id}/publish"):
        assert clerk.post(url, data=form("改了", {"sku": "RO-1", "price": "1"})).status_code == 403
    assert clerk.get("/admin/products/new").status_code == 403
    assert catalogue(xty_app) == before


def test_the_list_links_each_product_to_its_editor_and_offers_a_new_one(xty_app, editor):
    product_id = product(xty_app, "列表里的茶", ("LIST-1", "10.00", 1))
    html = editor.get("/admin/products").get_data(as_text=True)
    assert f'<a href="/admin/products/{product_id}">列表里的茶</a>' in html
    assert 'href="/admin/products/new"' in html
    assert editor.get("/admin/products/999999").status_code == 404


def test_the_editor_speaks_chinese(xty_app, editor):
    product_id = product(xty_app, "中文", ("ZH-1", "10.00", 1))
    html = editor.get(f"/admin/products/{product_id}?lang=zh_CN").get_data(as_text=True)
    assert "保存商品" in html and '<label for="f-title">标题' in html and '<label for="f-variants-0-price">价格' in html
    refused = editor.post(f"/admin/products/{product_id}?lang=zh_CN", data=form("", {"sku": "ZH-1", "price": "x"}))
    text = refused.get_data(as_text=True)
    assert 'id="f-title-error">请填写此项<' in text and 'id="f-variants-0-price-error">请输入金额，例如 12.50<' in text


def test_the_page_costs_the_same_statements_however_many_variants_and_images(xty_app, editor):
    small = product(xty_app, "小", ("S-1", "1.00", 1))
    large = product(xty_app, "大", *[(f"L-{n}", "1.00", 1) for n in range(8)])
    with xty_app.app_context(), transaction() as session:
        for position in range(5):
            session.add(ProductImage(product_id=large, path=f"products/{large}/{position}.jpg", width=10, height=10,
                                     position=position))
    editor.get(f"/admin/products/{small}")
    assert count_statements(xty_app, editor, f"/admin/products/{large}") == \
        count_statements(xty_app, editor, f"/admin/products/{small}")
