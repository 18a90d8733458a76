"""The categories and brands screens: the tree in one query, forms from schemas, moves, refusals, audit."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.admin.browser import BROWSER_CONFIG, browser, fits, live_shop, shopper, staff_page  # noqa: F401  (fixtures)
from tests.admin.conftest import staff_client
from tests.admin.test_catalog_screens import product
from tests.admin.test_dashboard import count_statements
from xtycore.domain.staff import StaffRole
from xtycore.extensions import db
from xtycore.models import Brand, Category, Product
from xtycore.models.audit import AuditEntry
from xtycore.services import catalog, taxonomy
from xtycore.services.taxonomy import BrandInput, CategoryInput, TaxonomyError

ROW = re.compile(r'<tr id="category-(\d+)" data-depth="(\d+)">')


@pytest.fixture
def editor(xty_app):
    return staff_client(xty_app, StaffRole.CATALOGUE_EDITOR)[1]


@pytest.fixture
def tree(xty_app):
    """茶叶 (sort 1) > 绿茶 > 龙井, 茶叶 > 乌龙茶 (sort -1); 茶具 (sort 0); a product in 龙井, one in 乌龙茶, one in 茶具."""
    product(xty_app, "西湖龙井", ("LJ-1", "168.00", 5), brand="狮峰", category="茶叶/绿茶/龙井")
    product(xty_app, "大红袍", ("DHP-1", "98.00", 3), brand="武夷", category="茶叶/乌龙茶")
    product(xty_app, "紫砂壶", ("POT-1", "420.00", 1), category="茶具")
    with xty_app.app_context():
        ids = {c.name: c.id for c in Category.query.all()}
        taxonomy.update_category(ids["茶叶"], CategoryInput(name="茶叶", slug="cha-ye", sort=1))
        taxonomy.update_category(ids["乌龙茶"], CategoryInput(name="乌龙茶", parent_id=ids["茶叶"], sort=-1))
    return ids


def category(app, category_id: int) -> Category | None:
    with app.app_context():
        db.session.remove()
        found = db.session.get(Category, category_id)
        if found is not None:
            db.session.expunge(found)
        return found


def paths(app) -> dict[str, str]:
    with app.app_context():
        db.session.remove()
        return {c.name: c.path for c in Category.query.all()}


def state(app) -> list[str]:
    """Every category, brand, product and audit entry, to prove a refused request changed nothing."""
    with app.app_context():
        db.session.remove()
        return sorted(repr(sorted((c.key, repr(getattr(row, c.key))) for c in model.__table__.columns))
                      for model in (Category, Brand, Product, AuditEntry)
                      for row in db.session.execute(select(model)).scalars())


def audit_entries(app, object_type: str) -> list[tuple[str, str, dict | None, dict | None]]:
    with app.app_context():
        return [(e.action, e.object_id, e.before, e.after) for e in AuditEntry.query.filter(
            AuditEntry.object_type == object_type).order_by(AuditEntry.id)]


# the tree ------------------------------------------------------------------------------

def test_the_tree_lists_parents_before_children_indented_by_depth_in_the_merchants_order(xty_app, tree, editor):
    html = editor.get("/admin/categories").get_data(as_text=True)
    shown = [(int(found), int(depth)) for found, depth in ROW.findall(html)]
    assert shown == [(tree["茶具"], 0), (tree["茶叶"], 0), (tree["乌龙茶"], 1), (tree["绿茶"], 1), (tree["龙井"], 2)]
    assert '<span aria-hidden="true">— — </span><a href="/admin/categories/%d"' % tree["龙井"] in html


def test_each_category_counts_its_products_with_those_below_it_and_links_the_filtered_list(xty_app, tree, editor):
    html = editor.get("/admin/categories").get_data(as_text=True)
    tea = html.split(f'id="category-{tree["茶叶"]}"')[1].split("</tr>")[0]
    assert f'<a href="/admin/products?category={tree["茶叶"]}"' in tea and ">2</a> <small>(0 directly)" in tea
    longjing = html.split(f'id="category-{tree["龙井"]}"')[1].split("</tr>")[0]
    assert ">1</a></td>" in longjing
    listed = editor.get(f"/admin/products?category={tree['茶叶']}").get_data(as_text=True)
    assert "西湖龙井" in listed and "大红袍" in listed and "紫砂壶" not in listed


def test_the_tree_costs_the_same_statements_however_many_categories_and_products(xty_app, tree, editor):
    editor.get("/admin/categories")
    before = count_statements(xty_app, editor, "/admin/categories")
    for index in range(6):
        product(xty_app, f"新茶{index}", (f"NEW-{index}", "10.00", 1), category=f"茶叶/新品{index}/第{index}批")
    editor.get("/admin/categories")  # the new categories raised the kernel generation: one reload
    assert count_statements(xty_app, editor, "/admin/categories") == before


def test_staff_who_may_only_look_see_the_tree_without_edit_links(xty_app, tree):
    _id, reader = staff_client(xty_app, StaffRole.READ_ONLY)
    html = reader.get("/admin/categories").get_data(as_text=True)
    assert "龙井" in html and "/admin/categories/new" not in html and f"/admin/categories/{tree['龙井']}" not in html
    assert reader.get(f"/admin/categories/{tree['龙井']}").status_code == 403


# creating and editing categories --------------------------------------------------------

def test_a_new_chinese_category_gets_a_pinyin_slug_and_an_audit_entry(xty_app, tree, editor):
    form = editor.get(f"/admin/categories/new?parent={tree['茶叶']}").get_data(as_text=True)
    assert f'<option value="{tree["茶叶"]}" selected>茶叶</option>' in form
    assert f'<option value="{tree["龙井"]}">茶叶 / 绿茶 / 龙井</option>' in form
    response = editor.post("/admin/categories/new", data={
        "name": " 白茶 ", "name_en": "White tea", "slug": "", "parent_id": str(tree["茶叶"]), "sort": "3"})
    assert response.status_code == 302
    with xty_app.app_context():
        white = Category.query.filter_by(name="白茶").one()
        assert (white.slug, white.name_en, white.parent_id, white.sort, white.path) == \
            ("bai-cha", "White tea", tree["茶叶"], 3, f"/{tree['茶叶']}/{white.id}/")
    [(action, object_id, before, after)] = audit_entries(xty_app, "category")[-1:]
    assert (action, object_id, before) == ("category.create", str(white.id), None)
    assert after == {"id": white.id, "name": "白茶", "name_en": "White tea", "slug": "bai-cha",
                     "parent_id": tree["茶叶"], "sort": 3, "path": white.path}


def test_a_second_category_of_the_same_name_elsewhere_gets_a_numbered_slug(xty_app, tree, editor):
    assert editor.post("/admin/categories/new", data={"name": "绿茶"}).status_code == 302
    with xty_app.app_context():
        top = Category.query.filter_by(name="绿茶", parent_id=None).one()
        assert top.slug == "lu-cha-2" and top.path == f"/{top.id}/"


@pytest.mark.parametrize("form, field, message", [
    ({"name": ""}, "name", "Please fill in this field"),
    ({"name": "茶" * 101}, "name", "At most 100 characters"),
    ({"name": "白茶", "slug": "Bai Cha"}, "slug", "Use lower-case letters, digits and hyphens only"),
    ({"name": "白茶", "slug": "cha-ye"}, "slug", "The address cha-ye is already used by another one"),
    ({"name": "白茶", "sort": "first"}, "sort", "A sort order is a whole number from -1000000 to 1000000"),
    ({"name": "白茶", "parent_id": "999999"}, "parent_id", "Choose the parent category from the list"),
    ({"name": "绿茶", "parent_id": "{茶叶}"}, "name", "A category named 绿茶 already exists under 茶叶"),
])
def test_bad_category_input_answers_422_next_to_its_field_and_writes_nothing(
        xty_app, tree, editor, form, field, message):
    before = state(xty_app)
    form = {key: value.format(**tree) for key, value in form.items()}
    response = editor.post("/admin/categories/new", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(rf'<p class="field-error" id="f-{field}-error">{re.escape(message)}', html), html
    assert state(xty_app) == before


def test_renaming_a_category_is_audited_before_and_after(xty_app, tree, editor):
    response = editor.post(f"/admin/categories/{tree['茶具']}", data={
        "name": "茶器", "name_en": "Teaware", "slug": "", "parent_id": "", "sort": "5"})
    assert response.status_code == 302
    renamed = category(xty_app, tree["茶具"])
    assert (renamed.name, renamed.name_en, renamed.slug, renamed.sort) == ("茶器", "Teaware", "cha-qi", 5)
    [(action, object_id, before, after)] = audit_entries(xty_app, "category")
    assert (action, object_id) == ("category.update", str(tree["茶具"]))
    assert (before["name"], before["slug"], before["sort"]) == ("茶具", "cha-ju", 0)
    assert (after["name"], after["slug"], after["sort"]) == ("茶器", "cha-qi", 5)


def test_a_renamed_category_shows_on_its_storefront_page_at_once(xty_app, tree, editor):
    from tests.storefront.helpers import counting_queries, make_product

    with xty_app.app_context():
        make_product("明前龙井", category="茶叶/绿茶")
    visitor, title = xty_app.test_client(), '<h1 class="page-title">茶叶</h1>'
    assert title in visitor.get("/c/cha-ye").get_data(as_text=True)
    with counting_queries(xty_app) as statements:
        assert title in visitor.get("/c/cha-ye").get_data(as_text=True)
    assert len(statements) == 1  # the stored page, checked against the kernel generation
    renamed = editor.post(f"/admin/categories/{tree['茶叶']}", data={"name": "中国茶", "slug": "cha-ye", "sort": "1"})
    assert renamed.status_code == 302
    page = visitor.get("/c/cha-ye").get_data(as_text=True)
    assert '<h1 class="page-title">中国茶</h1>' in page and '<h1 class="page-title">茶叶</h1>' not in page


# moving categories -------------------------------------------------------------------

def test_moving_a_category_rewrites_the_paths_of_its_whole_subtree_in_one_audited_change(xty_app, tree, editor):
    green, longjing, teaware = tree["绿茶"], tree["龙井"], tree["茶具"]
    response = editor.post(f"/admin/categories/{green}", data={"name": "绿茶", "slug": "lu-cha",
                                                               "parent_id": str(teaware)})
    assert response.status_code == 302
    assert paths(xty_app) == {"茶叶": f"/{tree['茶叶']}/", "乌龙茶": f"/{tree['茶叶']}/{tree['乌龙茶']}/",
                              "茶具": f"/{teaware}/", "绿茶": f"/{teaware}/{green}/",
                              "龙井": f"/{teaware}/{green}/{longjing}/"}
    assert category(xty_app, green).parent_id == teaware
    [(action, _id, before, after)] = audit_entries(xty_app, "category")[-1:]
    assert action == "category.update"
    assert (before["parent_id"], before["path"]) == (tree["茶叶"], f"/{tree['茶叶']}/{green}/")
    assert (after["parent_id"], after["path"]) == (teaware, f"/{teaware}/{green}/")
    listed = editor.get(f"/admin/products?category={teaware}").get_data(as_text=True)
    assert "西湖龙井" in listed and "紫砂壶" in listed  # the subtree filter follows the new paths


def test_moving_a_category_to_the_top_level(xty_app, tree):
    with xty_app.app_context():
        taxonomy.update_category(tree["绿茶"], CategoryInput(name="绿茶", slug="lu-cha", parent_id=None))
    assert paths(xty_app)["龙井"] == f"/{tree['绿茶']}/{tree['龙井']}/"


def test_the_form_offers_no_parent_inside_the_category_and_refuses_one_posted(xty_app, tree, editor):
    form = editor.get(f"/admin/categories/{tree['茶叶']}").get_data(as_text=True)
    options = re.findall(r'<option value="(\d+)"', form.split('id="f-parent_id"')[1].split("</select>")[0])
    assert sorted(int(option) for option in options) == [tree["茶具"]]
    before = state(xty_app)
    response = editor.post(f"/admin/categories/{tree['茶叶']}", data={"name": "茶叶", "parent_id": str(tree["龙井"])})
    assert response.status_code == 422 and "Choose the parent category from the list" in response.get_data(as_text=True)
    assert state(xty_app) == before


@pytest.mark.parametrize("under", ["茶叶", "绿茶", "龙井"])
def test_the_service_refuses_to_move_a_category_under_itself_or_a_category_inside_it(xty_app, tree, under):
    before = state(xty_app)
    with xty_app.app_context(), pytest.raises(TaxonomyError) as refused:
        taxonomy.update_category(tree["茶叶"], CategoryInput(name="茶叶", slug="cha-ye", parent_id=tree[under]))
    assert str(refused.value) == (f"茶叶 cannot go under {under}: a category cannot be moved under itself or a "
                                  "category inside it")
    assert refused.value.field == "parent_id"
    assert state(xty_app) == before


def test_a_move_that_would_make_a_path_longer_than_the_column_is_refused(xty_app, tree, monkeypatch):
    monkeypatch.setattr(taxonomy, "PATH_MAX", len(paths(xty_app)["龙井"]))
    with xty_app.app_context(), pytest.raises(TaxonomyError, match="too deep"):
        taxonomy.update_category(tree["绿茶"], CategoryInput(name="绿茶", slug="lu-cha", parent_id=tree["乌龙茶"]))
    assert paths(xty_app)["龙井"] == f"/{tree['茶叶']}/{tree['绿茶']}/{tree['龙井']}/"


# deleting categories -----------------------------------------------------------------

def test_a_category_with_subcategories_is_not_deleted(xty_app, tree, editor):
    before = state(xty_app)
    response = editor.post(f"/admin/categories/{tree['绿茶']}/delete", data={"move_products_to": str(tree["茶具"])})
    assert response.status_code == 422
    assert "绿茶 has 1 subcategories; move or delete them first" in response.get_data(as_text=True)
    assert state(xty_app) == before


def test_a_category_holding_products_is_deleted_only_when_they_have_somewhere_to_go(xty_app, tree, editor):
    before = state(xty_app)
    refused = editor.post(f"/admin/categories/{tree['龙井']}/delete", data={})
    assert refused.status_code == 422
    assert re.search(r'id="f-move_products_to-error">龙井 holds 1 products; choose a category to move them to',
                     refused.get_data(as_text=True))
    assert state(xty_app) == before
    same = editor.post(f"/admin/categories/{tree['龙井']}/delete", data={"move_products_to": str(tree["龙井"])})
    assert same.status_code == 422 and state(xty_app) == before  # not offered: refused by the form's choices

    moved = editor.post(f"/admin/categories/{tree['龙井']}/delete", data={"move_products_to": str(tree["绿茶"])})
    assert moved.status_code == 302
    assert category(xty_app, tree["龙井"]) is None
    with xty_app.app_context():
        longjing = Product.query.filter_by(title="西湖龙井").one()
        assert longjing.category_id == tree["绿茶"]
    [(action, object_id, before_entry, after)] = audit_entries(xty_app, "category")[-1:]
    assert (action, object_id) == ("category.delete", str(tree["龙井"]))
    assert before_entry["name"] == "龙井" and before_entry["products"] == [longjing.id]
    assert after == {"products_moved_to": tree["绿茶"]}


def test_an_empty_category_is_deleted_and_audited(xty_app, tree, editor):
    with xty_app.app_context():
        empty = taxonomy.create_category(CategoryInput(name="花茶")).id
    assert editor.post(f"/admin/categories/{empty}/delete", data={}).status_code == 302
    assert category(xty_app, empty) is None
    assert audit_entries(xty_app, "category")[-1][:2] == ("category.delete", str(empty))


def test_a_category_that_does_not_exist_answers_404(xty_app, editor):
    assert editor.get("/admin/categories/999999").status_code == 404
    assert editor.post("/admin/categories/999999/delete").status_code == 404


# brands --------------------------------------------------------------------------------

def brand_id(app, name: str) -> int:
    with app.app_context():
        return Brand.query.filter_by(name=name).one().id


def test_the_brand_list_counts_products_and_links_the_filtered_list(xty_app, tree, editor):
    html = editor.get("/admin/brands").get_data(as_text=True)
    shifeng = brand_id(xty_app, "狮峰")
    row = html.split(f'id="brand-{shifeng}"')[1].split("</tr>")[0]
    assert f'<a href="/admin/products?brand={shifeng}"' in row and ">1</a>" in row


def test_a_new_brand_gets_a_pinyin_slug_and_an_audit_entry(xty_app, editor):
    assert editor.post("/admin/brands/new", data={"name": "小罐茶", "name_en": "Xiaoguan"}).status_code == 302
    with xty_app.app_context():
        brand = Brand.query.filter_by(name="小罐茶").one()
        assert (brand.slug, brand.name_en) == ("xiao-guan-cha", "Xiaoguan")
    assert audit_entries(xty_app, "brand") == [("brand.create", str(brand.id), None, {
        "id": brand.id, "name": "小罐茶", "name_en": "Xiaoguan", "slug": "xiao-guan-cha"})]


@pytest.mark.parametrize("name", ["狮峰", "Lipton"])
def test_a_brand_name_is_unique_whatever_its_case(xty_app, tree, editor, name):
    with xty_app.app_context():
        taxonomy.create_brand(BrandInput(name="LIPTON"))
    before = state(xty_app)
    response = editor.post("/admin/brands/new", data={"name": name})
    taken = "狮峰" if name == "狮峰" else "LIPTON"
    assert response.status_code == 422
    assert f'id="f-name-error">There is already a brand named {taken}' in response.get_data(as_text=True)
    assert state(xty_app) == before
    renamed = editor.post(f"/admin/brands/{brand_id(xty_app, '武夷')}", data={"name": name, "slug": "wu-yi"})
    assert renamed.status_code == 422 and state(xty_app) == before


def test_renaming_a_brand_is_audited_and_its_products_are_found_by_the_new_name(xty_app, tree, editor):
    shifeng = brand_id(xty_app, "狮峰")
    response = editor.post(f"/admin/brands/{shifeng}", data={"name": "狮峰山", "name_en": "Lion Peak", "slug": ""})
    assert response.status_code == 302
    with xty_app.app_context():
        longjing = Product.query.filter_by(title="西湖龙井").one()
        assert "狮峰山" in longjing.search_text and "lion peak" in longjing.search_text
    assert audit_entries(xty_app, "brand") == [("brand.update", str(shifeng), {
        "id": shifeng, "name": "狮峰", "name_en": "", "slug": "shi-feng"}, {
        "id": shifeng, "name": "狮峰山", "name_en": "Lion Peak", "slug": "shi-feng-shan"})]


def test_a_brand_carried_by_products_is_deleted_only_when_they_get_another_brand_or_none(xty_app, tree, editor):
    shifeng, wuyi = brand_id(xty_app, "狮峰"), brand_id(xty_app, "武夷")
    before = state(xty_app)
    refused = editor.post(f"/admin/brands/{shifeng}/delete", data={})
    assert refused.status_code == 422
    assert "1 products carry 狮峰; give them another brand or none first" in refused.get_data(as_text=True)
    assert editor.post(f"/admin/brands/{shifeng}/delete", data={"products_to": "999999"}).status_code == 422
    assert state(xty_app) == before

    assert editor.post(f"/admin/brands/{shifeng}/delete", data={"products_to": str(wuyi)}).status_code == 302
    with xty_app.app_context():
        assert [p.title for p in Product.query.filter_by(brand_id=wuyi).order_by(Product.title)] == ["大红袍", "西湖龙井"]
        assert db.session.get(Brand, shifeng) is None
        longjing = Product.query.filter_by(title="西湖龙井").one()
        assert "武夷" in longjing.search_text and "狮峰" not in longjing.search_text
    assert editor.post(f"/admin/brands/{wuyi}/delete", data={"products_to": "none"}).status_code == 302
    with xty_app.app_context():
        assert Product.query.filter(Product.brand_id.is_not(None)).count() == 0
    entries = audit_entries(xty_app, "brand")
    assert [(action, object_id, after) for action, object_id, _before, after in entries] == [
        ("brand.delete", str(shifeng), {"products_moved_to": wuyi}),
        ("brand.delete", str(wuyi), {"products_moved_to": None})]
    with xty_app.app_context():
        carried = sorted(p.id for p in Product.query.filter(Product.title.in_(["大红袍", "西湖龙井"])))
    assert entries[0][2]["products"] == [longjing.id] and entries[1][2]["products"] == carried


def test_an_unused_brand_is_deleted_without_a_choice(xty_app, editor):
    with xty_app.app_context():
        spare = taxonomy.create_brand(BrandInput(name="备用")).id
    assert editor.post(f"/admin/brands/{spare}/delete", data={}).status_code == 302
    assert audit_entries(xty_app, "brand")[-1] == ("brand.delete", str(spare), {
        "id": spare, "name": "备用", "name_en": "", "slug": "bei-yong", "products": []}, None)


def test_the_screens_speak_chinese(xty_app, tree, editor):
    html = editor.get("/admin/categories?lang=zh_CN").get_data(as_text=True)
    assert "分类" in html and "新建分类" in html
    form = editor.post("/admin/brands/new?lang=zh_CN", data={"name": ""}).get_data(as_text=True)
    assert "请填写此项" in form and "英文名称" in form


def test_the_catalogue_service_still_files_imports_under_moved_categories(xty_app, tree):
    with xty_app.app_context():
        taxonomy.update_category(tree["绿茶"], CategoryInput(name="绿茶", slug="lu-cha", parent_id=tree["茶具"]))
    product(xty_app, "龙井二号", ("LJ-2", "10.00", 1), category="茶具/绿茶/龙井")
    with xty_app.app_context():
        assert Product.query.filter_by(title="龙井二号").one().category_id == tree["龙井"]
        assert set(catalog.subtree_ids(tree["茶具"])) == {tree["茶具"], tree["绿茶"], tree["龙井"]}


# in a browser ------------------------------------------------------------------------

@pytest.mark.parametrize("xty_config", [BROWSER_CONFIG])
def test_a_catalogue_editor_adds_and_moves_a_subcategory_on_a_phone(live_shop, staff_page):  # noqa: F811
    from playwright.sync_api import expect

    with live_shop.app.app_context():
        ids = {c.name: c.id for c in Category.query.all()}
    page = staff_page("editor@shop.test", "catalogue_editor")
    page.goto(live_shop("/admin/categories"))
    assert fits(page)
    page.locator(f"#category-{ids['茶叶']}").get_by_role("link", name="添加子分类").click()
    page.get_by_role("textbox", name="名称 (必填)").fill("白茶")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_contain_text("分类 白茶 已创建。")
    with live_shop.app.app_context():
        white = Category.query.filter_by(name="白茶").one()
        assert (white.parent_id, white.slug) == (ids["茶叶"], "bai-cha")
    page.get_by_role("link", name="白茶", exact=True).click()
    assert fits(page)
    page.get_by_label("上级分类").select_option(label="茶具")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_contain_text("分类 白茶 已保存。")
    assert page.locator(f"#category-{white.id}").get_attribute("data-depth") == "1"
    with live_shop.app.app_context():
        db.session.remove()
        assert db.session.get(Category, white.id).path == f"/{ids['茶具']}/{white.id}/"
