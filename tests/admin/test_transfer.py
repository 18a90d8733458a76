"""Import and export in the back office: what each role is offered, each export's file, each import's dry run,
its all-or-nothing write and its audit entry, and refusals that change nothing."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from tests.admin.conftest import staff_client
from tests.admin.test_dashboard import statements_of
from xtycore.domain.money import Money
from xtycore.domain.staff import StaffRole
from xtycore.extensions import db, transaction
from xtycore.models import Customer, Order, OrderLine, Variant
from xtycore.models.audit import AuditEntry
from xtycore.models.catalog import Category
from xtycore.models.customer_notes import CustomerTag
from xtycore.services import accounts, catalog

CUSTOMER_PASSWORD = "correct horse 42"


@pytest.fixture
def shelf(xty_app):
    """Two products: 西湖龙井 with two variants (LJ-250, LJ-500) in 茶叶/绿茶, and a teapot whose title is a formula."""
    with xty_app.app_context(), transaction():
        longjing = catalog.save_product(catalog.ProductInput(title="西湖龙井", category="茶叶/绿茶", variants=[
            catalog.VariantInput(sku="LJ-250", price=Money("168.00"), stock=5, options={"规格": "250g"}),
            catalog.VariantInput(sku="LJ-500", price=Money("318.00"), compare_at=Money("358.00"), stock=7)]))
        catalog.save_product(catalog.ProductInput(title="=HYPERLINK(\"http://evil.example\")", variants=[
            catalog.VariantInput(sku="POT-1", price=Money("420.00"), stock=0)]))
        return longjing.id


def download(client, path: str) -> list[dict[str, str]]:
    with client.get(path) as response:
        assert response.status_code == 200 and response.mimetype == "text/csv", response.status_code
        body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, so Excel reads Chinese"
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def upload(client, entity: str, text: str, *, bom: bool = True):
    body = (("\ufeff" if bom else "") + text).encode("utf-8")
    return client.post(f"/admin/transfer/{entity}/import", data={"file": (io.BytesIO(body), f"{entity}.csv")},
                       content_type="multipart/form-data")


def confirm(client, entity: str, text: str):
    return client.post(f"/admin/transfer/{entity}/import", data={"step": "import", "content": text})


def variants(app) -> dict[str, tuple[int, int | None, int]]:
    with app.app_context():
        db.session.remove()
        return {v.sku: (v.price_minor, v.compare_at_minor, v.stock)
                for v in db.session.execute(select(Variant)).scalars()}


def audit_entries(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        db.session.remove()
        rows = db.session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars().all()
        db.session.expunge_all()
        return list(rows)


# the screen ---------------------------------------------------------------------------

@pytest.mark.parametrize("role, offered, hidden", [
    (StaffRole.CATALOGUE_EDITOR, ["/admin/products.csv", "/admin/products/import", "/admin/transfer/stock.csv",
                                  "/admin/transfer/stock/import", "/admin/transfer/categories/import"],
     ["/admin/transfer/customers.csv", "/admin/transfer/orders.csv"]),
    (StaffRole.SUPPORT_AGENT, ["/admin/transfer/customers.csv", "/admin/transfer/customers/import",
                               "/admin/transfer/orders.csv"],
     ["/admin/products.csv", "/admin/transfer/stock.csv", "/admin/transfer/categories.csv"]),
    (StaffRole.FINANCE, ["/admin/transfer/customers.csv", "/admin/transfer/orders.csv"],
     ["/admin/transfer/customers/import", "/admin/transfer/stock.csv"]),
    (StaffRole.READ_ONLY, ["/admin/products.csv", "/admin/transfer/stock.csv", "/admin/transfer/categories.csv",
                           "/admin/transfer/customers.csv", "/admin/transfer/orders.csv"],
     ["/import"]),
])
def test_the_screen_offers_only_what_the_role_may_do(xty_app, role, offered, hidden):
    _id, client = staff_client(xty_app, role)
    html = client.get("/admin/transfer").get_data(as_text=True)
    assert "Import and export" in html
    for path in offered:
        assert f'"{path}' in html, (role, path)
    for path in hidden:
        assert path not in html, (role, path)
    assert 'href="/admin/transfer"' in client.get("/admin/").get_data(as_text=True), "the menu links the screen"


def test_the_screen_speaks_chinese(xty_app):
    _id, client = staff_client(xty_app, StaffRole.OWNER)
    html = client.get("/admin/transfer?lang=zh_CN").get_data(as_text=True)
    assert "导入和导出" in html and "库存和价格" in html


# stock and prices ---------------------------------------------------------------------

def test_the_stock_export_lists_every_variant_with_formulas_neutralised(xty_app, shelf):
    _id, client = staff_client(xty_app, StaffRole.READ_ONLY)
    rows = download(client, "/admin/transfer/stock.csv")
    assert [tuple(row.values()) for row in rows] == [
        ("LJ-250", "西湖龙井", "规格: 250g", "168.00", "", "5"),
        ("LJ-500", "西湖龙井", "", "318.00", "358.00", "7"),
        ("POT-1", "'=HYPERLINK(\"http://evil.example\")", "", "420.00", "", "0"),
    ]
    assert list(rows[0]) == ["sku", "title", "options", "price", "compare_at_price", "stock"]


def test_the_products_export_neutralises_formulas_too(xty_app, shelf):
    _id, client = staff_client(xty_app, StaffRole.READ_ONLY)
    titles = [row["title"] for row in download(client, "/admin/products.csv")]
    assert titles[-1] == "'=HYPERLINK(\"http://evil.example\")"


STOCK_HEADER = "sku,price,compare_at_price,stock"


def test_a_stock_dry_run_lists_every_bad_row_and_writes_nothing(xty_app, shelf):
    _id, client = staff_client(xty_app, StaffRole.CATALOGUE_EDITOR)
    before = variants(xty_app)
    response = upload(client, "stock", "\r\n".join([
        STOCK_HEADER, "LJ-250,abc,,3", "NOPE-1,10,,1", "LJ-500,1.234,,-2", "LJ-250,10,,1", "POT-1,,-5,", ""]))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "6 problems found; nothing was written." in html
    for line, column in [(2, "price"), (3, "sku"), (4, "price"), (4, "stock"), (5, "sku"), (6, "compare_at_price")]:
        assert f"<td>{line}</td><td>{column}</td>" in html, (line, column)
    assert "No variant has the SKU NOPE-1" in html and "1.234 has more than 2 decimals" in html
    assert "The number must not be negative" in html and "LJ-250 is already on line 2" in html
    assert 'name="step" value="import"' not in html
    assert variants(xty_app) == before and audit_entries(xty_app, "variant.import") == []


def test_a_clean_stock_import_writes_every_change_at_once_audited_per_variant(xty_app, shelf):
    _id, client = staff_client(xty_app, StaffRole.CATALOGUE_EDITOR)
    text = "\r\n".join([STOCK_HEADER, "LJ-250,170.50,,9", "LJ-500,,,7", "POT-1,,450,", ""])
    checked = upload(client, "stock", text, bom=False)
    assert checked.status_code == 200
    assert "The file is valid: 0 to create, 2 to update." in checked.get_data(as_text=True)
    assert variants(xty_app)["LJ-250"] == (16800, None, 5), "the dry run wrote nothing"
    done = confirm(client, "stock", text)
    assert done.status_code == 200 and "Imported: 0 created, 2 updated." in done.get_data(as_text=True)
    assert variants(xty_app) == {"LJ-250": (17050, None, 9), "LJ-500": (31800, 35800, 7),
                                 "POT-1": (42000, 45000, 0)}
    [entry] = audit_entries(xty_app, "variant.import")
    assert (entry.object_type, entry.object_id, entry.staff_email) == \
        ("import", "stock.csv", "catalogue-editor@shop.test")
    assert entry.before == {"LJ-250": {"price": "168.00", "compare_at_price": None, "stock": 5},
                            "POT-1": {"price": "420.00", "compare_at_price": None, "stock": 0}}
    assert entry.after["LJ-250"] == {"price": "170.50", "compare_at_price": None, "stock": 9,
                                     "id": entry.after["LJ-250"]["id"]}
    assert entry.after["POT-1"]["compare_at_price"] == "450.00"


def test_a_bad_row_makes_the_real_import_write_nothing(xty_app, shelf):
    _id, client = staff_client(xty_app, StaffRole.CATALOGUE_EDITOR)
    before = variants(xty_app)
    response = confirm(client, "stock", "\r\n".join([STOCK_HEADER, "LJ-250,1,,1", "LJ-500,1,,1", "GONE-1,1,,1", ""]))
    assert response.status_code == 422 and "No variant has the SKU GONE-1" in response.get_data(as_text=True)
    assert variants(xty_app) == before and audit_entries(xty_app, "variant.import") == []


def test_unreadable_files_are_refused_with_the_fix(xty_app, shelf, monkeypatch):
    _id, client = staff_client(xty_app, StaffRole.CATALOGUE_EDITOR)
    before = variants(xty_app)
    gbk = client.post("/admin/transfer/stock/import", data={"file": (io.BytesIO("sku,价格\n".encode("gbk")), "s.csv")},
                      content_type="multipart/form-data")
    assert gbk.status_code == 422 and "not UTF-8" in gbk.get_data(as_text=True)
    typo = upload(client, "stock", "sku,prise\r\nLJ-250,1\r\n")
    assert typo.status_code == 422 and "unknown column(s) prise" in typo.get_data(as_text=True)
    nothing = upload(client, "stock", "sku,title\r\nLJ-250,x\r\n")
    assert nothing.status_code == 422 and "price, compare_at_price, stock" in nothing.get_data(as_text=True)
    assert client.post("/admin/transfer/stock/import", data={"content": " "}).status_code == 422
    monkeypatch.setattr("xtycore.admin.transfer.MAX_IMPORT_BYTES", 20)
    large = upload(client, "stock", STOCK_HEADER + "\r\nLJ-250,1,,1\r\n")
    assert large.status_code == 422 and "xty import" in large.get_data(as_text=True)
    chinese = client.post("/admin/transfer/stock/import?lang=zh_CN", data={"content": "sku,price\r\nNOPE,1\r\n"})
    assert "没有 SKU 为 NOPE 的规格" in chinese.get_data(as_text=True)
    assert variants(xty_app) == before


# categories ---------------------------------------------------------------------------

def categories(app) -> dict[str, tuple[str, str, int]]:
    with app.app_context():
        db.session.remove()
        rows = db.session.execute(select(Category)).scalars().all()
        names = {c.id: c.name for c in rows}
        return {"/".join(names[int(i)] for i in c.path.strip("/").split("/")): (c.name_en, c.slug, c.sort)
                for c in rows}


def test_the_category_export_and_import_create_missing_paths_and_update_existing(xty_app, shelf):
    _id, client = staff_client(xty_app, StaffRole.CATALOGUE_EDITOR)
    rows = download(client, "/admin/transfer/categories.csv")
    assert [(r["path"], r["slug"], r["sort"]) for r in rows] == [("茶叶", "cha-ye", "0"), ("茶叶/绿茶", "lu-cha", "0")]
    text = "\r\n".join(["path,name_en,slug,sort", "茶叶/绿茶,Green tea,,2", "茶具/紫砂/壶,Teapots,zisha-pots,1",
                        "茶具,Teaware,tea-ware,5", ""])
    checked = upload(client, "categories", text)
    assert "The file is valid: 3 to create, 1 to update." in checked.get_data(as_text=True)
    assert len(categories(xty_app)) == 2
    done = confirm(client, "categories", text)
    assert done.status_code == 200, done.get_data(as_text=True)
    tree = categories(xty_app)
    assert tree["茶叶/绿茶"] == ("Green tea", "lu-cha", 2)
    assert tree["茶具"] == ("Teaware", "tea-ware", 5)
    assert tree["茶具/紫砂"][0:1] == ("",) and tree["茶具/紫砂/壶"] == ("Teapots", "zisha-pots", 1)
    [entry] = audit_entries(xty_app, "category.import")
    assert entry.before["茶具"] is None and entry.before["茶叶/绿茶"]["name_en"] == ""
    assert entry.after["茶具/紫砂/壶"]["slug"] == "zisha-pots"


def test_bad_category_rows_are_all_reported(xty_app, shelf):
    _id, client = staff_client(xty_app, StaffRole.CATALOGUE_EDITOR)
    before = categories(xty_app)
    text = "\r\n".join(["path,name_en,slug,sort", "茶叶//绿茶,,,", "新类,,cha-ye,", "茶叶,,other,", "花茶,,,x",
                        "花茶,,,1", ",Nothing,,", "新类2,,Bad Slug,", ""])
    html = upload(client, "categories", text).get_data(as_text=True)
    for line, column in [(2, "path"), (3, "slug"), (4, "slug"), (5, "sort"), (6, "path"), (7, "path"), (8, "slug")]:
        assert f"<td>{line}</td><td>{column}</td>" in html, (line, column)
    assert confirm(client, "categories", text).status_code == 422
    assert categories(xty_app) == before


# customers ----------------------------------------------------------------------------

def place_order(app, number: str, *, customer_id: int | None, placed_at: datetime, status: str = "paid",
                email: str = "buyer@example.cn", lines=(("LJ-250", "西湖龙井", 2, 16800),), paid: bool = True,
                refunded: int = 0) -> None:
    """An order written as it is stored (the checkout is tested elsewhere)."""
    subtotal = sum(quantity * price for _sku, _title, quantity, price in lines)
    total = subtotal + 1200
    with app.app_context(), transaction() as session:
        order = Order(number=number, customer_id=customer_id, email=email, status=status, currency="CNY",
                      subtotal_minor=subtotal, shipping_minor=1200, total_minor=total,
                      paid_minor=total if paid else 0, refunded_minor=refunded, ship_recipient="张三",
                      ship_mobile="13800138000", ship_province="浙江省", ship_city="杭州市", ship_district="西湖区",
                      ship_street="龙井路 1 号", courier_quote_code="standard", courier_label="快递",
                      checkout_token=f"token-{number}", placed_at=placed_at)
        order.lines = [OrderLine(sku=sku, product_name=title, unit_price_minor=price, quantity=quantity,
                                 total_minor=price * quantity) for sku, title, quantity, price in lines]
        session.add(order)


@pytest.fixture
def buyers(xty_app):
    with xty_app.app_context():
        mei = accounts.register(email="mei@example.cn", password=CUSTOMER_PASSWORD, display_name="=1+1",
                                mobile="13900001111", locale="zh_CN").id
        lei = accounts.register(email="lei@example.cn", password=CUSTOMER_PASSWORD, display_name="雷").id
        with transaction() as session:
            session.add_all([CustomerTag(customer_id=mei, tag="VIP"), CustomerTag(customer_id=mei, tag="批发")])
            session.get(Customer, mei).created_at = datetime(2026, 3, 1, 16, 30, tzinfo=timezone.utc)
    place_order(xty_app, "A1", customer_id=mei, placed_at=datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc))
    place_order(xty_app, "A2", customer_id=mei, placed_at=datetime(2026, 3, 5, 2, 0, tzinfo=timezone.utc),
                refunded=1200)
    return {"mei": mei, "lei": lei}


def test_the_customer_export_carries_tags_orders_and_spending_from_one_statement(xty_app, buyers):
    _id, client = staff_client(xty_app, StaffRole.FINANCE)
    rows = {row["email"]: row for row in download(client, "/admin/transfer/customers.csv")}
    mei = rows["mei@example.cn"]
    assert (mei["name"], mei["phone"], mei["language"], mei["registered_at"], mei["status"]) == \
        ("'=1+1", "13900001111", "zh_CN", "2026-03-02 00:30:00", "active")
    assert (mei["tags"], mei["orders"], mei["total_spent"]) == ("VIP|批发", "2", "684.00")
    assert (rows["lei@example.cn"]["tags"], rows["lei@example.cn"]["orders"],
            rows["lei@example.cn"]["total_spent"]) == ("", "0", "0.00")
    few = statements_of(xty_app, lambda: download(client, "/admin/transfer/customers.csv"))
    with xty_app.app_context():
        for index in range(5):
            accounts.register(email=f"more{index}@example.cn", password=CUSTOMER_PASSWORD)
    assert statements_of(xty_app, lambda: download(client, "/admin/transfer/customers.csv")) == few


CUSTOMER_HEADER = "email,name,phone,tags"


def test_the_customer_import_updates_accounts_and_creates_ones_without_a_password(xty_app, buyers):
    _id, client = staff_client(xty_app, StaffRole.SUPPORT_AGENT)
    text = "\r\n".join([CUSTOMER_HEADER, "MEI@example.cn,梅,,VIP|老客户", "new@example.cn,新客,13700002222,首单", ""])
    checked = upload(client, "customers", text)
    assert "The file is valid: 1 to create, 1 to update." in checked.get_data(as_text=True)
    assert confirm(client, "customers", text).status_code == 200
    with xty_app.app_context():
        mei = db.session.get(Customer, buyers["mei"])
        new = db.session.execute(select(Customer).where(Customer.email == "new@example.cn")).scalar_one()
        assert (mei.display_name, mei.mobile) == ("梅", "13900001111"), "an empty cell keeps the value"
        assert (new.display_name, new.mobile, new.is_active) == ("新客", "13700002222", True)
        assert new.password_hash == accounts.NO_PASSWORD and not accounts.has_password(new)
        tags = db.session.execute(select(CustomerTag.customer_id, CustomerTag.tag).order_by(CustomerTag.tag)).all()
        assert sorted((row.tag for row in tags if row.customer_id == mei.id)) == ["VIP", "老客户"]
        assert [row.tag for row in tags if row.customer_id == new.id] == ["首单"]
        new_id = new.id
    [entry] = audit_entries(xty_app, "customer.import")
    assert entry.before == {"mei@example.cn": {"name": "=1+1", "phone": "13900001111", "tags": ["VIP", "批发"]},
                            "new@example.cn": None}
    assert entry.after["new@example.cn"] == {"name": "新客", "phone": "13700002222", "tags": ["首单"], "id": new_id}
    assert "password" not in repr(entry.after)


def test_an_imported_customer_cannot_sign_in_until_they_reset_their_password(xty_app, buyers):
    _id, client = staff_client(xty_app, StaffRole.SUPPORT_AGENT)
    confirm(client, "customers", f"{CUSTOMER_HEADER}\r\nnew@example.cn,新客,,\r\n")
    shopper = xty_app.test_client()
    for password in (accounts.NO_PASSWORD, "", "correct horse 42"):
        refused = shopper.post("/account/login", data={"identifier": "new@example.cn", "password": password})
        assert refused.status_code != 302, password
    with xty_app.app_context():
        found = accounts.start_password_reset("new@example.cn")
        assert found is not None
        token = found[1]
    reset = shopper.post(f"/account/reset/{token}", data={"password": "a new password 7",
                                                          "password_confirm": "a new password 7"})
    assert reset.status_code == 302
    signed_in = shopper.post("/account/login", data={"identifier": "new@example.cn", "password": "a new password 7"})
    assert signed_in.status_code == 302


def test_bad_customer_rows_are_all_reported_and_nothing_is_written(xty_app, buyers):
    from tests.admin.test_customers_screen import customer_tables

    _id, client = staff_client(xty_app, StaffRole.SUPPORT_AGENT)
    before = customer_tables(xty_app)
    text = "\r\n".join([CUSTOMER_HEADER, "not-an-email,,,", "lei@example.cn,,13900001111,", "a@example.cn,,12345,",
                        "b@example.cn,,,", "B@example.cn,,,", ",名字,,", f"c@example.cn,{'长' * 51},,", ""])
    response = upload(client, "customers", text)
    html = response.get_data(as_text=True)
    for line, column in [(2, "email"), (3, "phone"), (4, "phone"), (6, "email"), (7, "email"), (8, "name")]:
        assert f"<td>{line}</td><td>{column}</td>" in html, (line, column)
    assert "Another account has the mobile number 13900001111" in html
    assert confirm(client, "customers", text).status_code == 422
    assert customer_tables(xty_app) == before


# orders -------------------------------------------------------------------------------

def test_the_order_export_streams_one_row_per_line_filtered_by_local_day_and_status(xty_app, buyers):
    place_order(xty_app, "B1", customer_id=None, email="=guest@example.cn", status="pending_payment", paid=False,
                placed_at=datetime(2026, 3, 4, 17, 0, tzinfo=timezone.utc),  # 5 March, 01:00 in Shanghai
                lines=(("LJ-250", "西湖龙井", 1, 16800), ("POT-1", "紫砂壶", 1, 42000)))
    _id, client = staff_client(xty_app, StaffRole.ORDER_CLERK)
    with client.get("/admin/transfer/orders.csv?since=2026-03-05&until=2026-03-05") as response:
        assert response.is_streamed
    rows = download(client, "/admin/transfer/orders.csv?since=2026-03-05&until=2026-03-05")
    assert [(r["number"], r["placed_at"], r["sku"], r["quantity"], r["unit_price"], r["line_total"]) for r in rows] == [
        ("B1", "2026-03-05 01:00:00", "LJ-250", "1", "168.00", "168.00"),
        ("B1", "2026-03-05 01:00:00", "POT-1", "1", "420.00", "420.00"),
        ("A2", "2026-03-05 10:00:00", "LJ-250", "2", "168.00", "336.00"),
    ]
    assert (rows[0]["email"], rows[0]["status"], rows[0]["total"], rows[0]["paid"]) == \
        ("'=guest@example.cn", "pending_payment", "600.00", "0.00")
    assert (rows[2]["province"], rows[2]["city"], rows[2]["shipping"], rows[2]["total"], rows[2]["paid"],
            rows[2]["refunded"]) == ("浙江省", "杭州市", "12.00", "348.00", "348.00", "12.00")
    paid = download(client, "/admin/transfer/orders.csv?status=paid")
    assert [r["number"] for r in paid] == ["A1", "A2"]
    bad = client.get("/admin/transfer/orders.csv?since=5.3.2026")
    assert bad.status_code == 422 and "is not a date" in bad.get_data(as_text=True)


# refusals -----------------------------------------------------------------------------

def test_staff_without_the_permission_are_refused_and_nothing_changes(xty_app, shelf, buyers):
    _id, reader = staff_client(xty_app, StaffRole.READ_ONLY)
    _id, finance = staff_client(xty_app, StaffRole.FINANCE)
    _id, editor = staff_client(xty_app, StaffRole.CATALOGUE_EDITOR)
    before = (variants(xty_app), categories(xty_app))
    assert confirm(reader, "stock", f"{STOCK_HEADER}\r\nLJ-250,1,,1\r\n").status_code == 403
    assert confirm(reader, "categories", "path\r\n新类\r\n").status_code == 403
    assert confirm(finance, "customers", f"{CUSTOMER_HEADER}\r\nx@example.cn,,,\r\n").status_code == 403
    assert finance.get("/admin/transfer/stock.csv").status_code == 403
    assert editor.get("/admin/transfer/customers.csv").status_code == 403
    assert editor.get("/admin/transfer/orders.csv").status_code == 403
    assert (variants(xty_app), categories(xty_app)) == before
    with xty_app.app_context():
        assert db.session.execute(select(Customer).where(Customer.email == "x@example.cn")).first() is None
    assert audit_entries(xty_app, "variant.import") == audit_entries(xty_app, "customer.import") == []
