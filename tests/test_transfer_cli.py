"""``xty export`` and ``xty import``: the back office's files from the command line."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from tests.admin.conftest import staff_client
from tests.admin.test_transfer import place_order
from xtycore.cli import main
from xtycore.domain.money import Money
from xtycore.domain.staff import StaffRole
from xtycore.extensions import db, transaction
from xtycore.models import Customer, Product, Variant
from xtycore.services import accounts, catalog, catalog_review


@pytest.fixture
def shelf(xty_app):
    with xty_app.app_context(), transaction():
        catalog.save_product(catalog.ProductInput(title="西湖龙井", category="茶叶/绿茶", variants=[
            catalog.VariantInput(sku="LJ-250", price=Money("168.00"), stock=5),
            catalog.VariantInput(sku="LJ-500", price=Money("318.00"), stock=7)]))


def stock(app) -> dict[str, tuple[int, int]]:
    with app.app_context():
        db.session.remove()
        return {v.sku: (v.price_minor, v.stock) for v in db.session.execute(select(Variant)).scalars()}


def products(app) -> list[tuple]:
    with app.app_context():
        db.session.remove()
        return [tuple(row) for row in db.session.execute(
            select(Product.title, Product.title_en, Product.slug, Product.status, Product.published_at)
            .order_by(Product.id))]


def write(tmp_path, text: str, name: str = "file.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_export_writes_the_file_with_a_bom_and_reports_how_many_rows(xty_app, xty_cli, shelf, tmp_path):
    output = tmp_path / "stock.csv"
    result = xty_cli.invoke(main, ["export", "stock", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert "exported stock: 2 rows" in result.output
    body = output.read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [(r["sku"], r["price"], r["stock"]) for r in rows] == [("LJ-250", "168.00", "5"), ("LJ-500", "318.00", "7")]


def test_export_products_writes_the_back_office_file_which_imports_back_unchanged(xty_app, xty_cli, shelf, tmp_path,
                                                                                  monkeypatch):
    with xty_app.app_context(), transaction():
        catalog.save_product(catalog.ProductInput(title="+1 特价", title_en="-30% 限时", variants=[
            catalog.VariantInput(sku="PLUS-1", price=Money("9.90"), stock=12)]))
        for product in db.session.execute(select(Product)).scalars():  # an import publishes what it imports
            catalog_review.publish_in_session(product)
    before = products(xty_app)
    monkeypatch.setattr("xtycore.transfer_cli.PROGRESS_FROM", 2)
    output = tmp_path / "products.csv"
    result = xty_cli.invoke(main, ["export", "products", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert "  3 rows\n" in result.output and f"exported products: 3 rows to {output}" in result.output
    body = output.read_bytes()
    _id, client = staff_client(xty_app, StaffRole.READ_ONLY)
    assert client.get("/admin/products.csv").get_data() == body
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [(r["title"], r["title_en"], r["sku"], r["price"], r["stock"]) for r in rows] == [
        ("西湖龙井", "", "LJ-250", "168.00", "5"), ("西湖龙井", "", "LJ-500", "318.00", "7"),
        ("'+1 特价", "'-30% 限时", "PLUS-1", "9.90", "12")]

    dry_run = xty_cli.invoke(main, ["catalog", "import", str(output), "--dry-run"])
    assert dry_run.exit_code == 0, dry_run.output
    assert "dry run: 3 rows; would create 0 and update 2 products; 0 errors; nothing written" in dry_run.output
    imported = xty_cli.invoke(main, ["catalog", "import", str(output)])
    assert imported.exit_code == 0 and "imported 2 products (0 new, 2 updated)" in imported.output
    assert products(xty_app) == before
    assert [(title, title_en) for title, title_en, *_rest in before] == [("西湖龙井", ""), ("+1 特价", "-30% 限时")]
    assert stock(xty_app) == {"LJ-250": (16800, 5), "LJ-500": (31800, 7), "PLUS-1": (990, 12)}
    again = xty_cli.invoke(main, ["export", "products"])
    assert again.exit_code == 0 and again.stdout_bytes == body


def test_export_to_standard_output_and_order_filters(xty_app, xty_cli):
    place_order(xty_app, "A1", customer_id=None, placed_at=datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc))
    place_order(xty_app, "A2", customer_id=None, placed_at=datetime(2026, 4, 2, 2, 0, tzinfo=timezone.utc),
                status="shipped")
    result = xty_cli.invoke(main, ["export", "orders", "--since", "2026-04-01"])
    assert result.exit_code == 0, result.output
    assert [row["number"] for row in csv.DictReader(io.StringIO(result.output.lstrip("\ufeff")))] == ["A2"]
    by_status = xty_cli.invoke(main, ["export", "orders", "--status", "paid"])
    assert [row["number"] for row in csv.DictReader(io.StringIO(by_status.output.lstrip("\ufeff")))] == ["A1"]
    bad = xty_cli.invoke(main, ["export", "orders", "--until", "April"])
    assert bad.exit_code == 2 and "April is not a date" in bad.output
    unfiltered = xty_cli.invoke(main, ["export", "customers", "--status", "paid"])
    assert unfiltered.exit_code == 2 and "has no filter status" in unfiltered.output


def test_a_dry_run_names_every_bad_row_and_writes_nothing(xty_app, xty_cli, shelf, tmp_path):
    path = write(tmp_path, "sku,price,stock\nLJ-250,abc,1\nNOPE,1,1\nLJ-500,1,-4\n")
    result = xty_cli.invoke(main, ["import", "stock", str(path), "--dry-run"])
    assert result.exit_code == 1
    assert "error line 2: price: abc is not a number" in result.output
    assert "error line 3: sku: No variant has the SKU NOPE" in result.output
    assert "error line 4: stock: The number must not be negative" in result.output
    assert "dry run: 3 rows; would create 0 and update 0; 3 errors; nothing written" in result.output
    failed = xty_cli.invoke(main, ["import", "stock", str(path)])
    assert failed.exit_code == 1 and "3 errors: nothing imported" in failed.output
    assert stock(xty_app) == {"LJ-250": (16800, 5), "LJ-500": (31800, 7)}


def test_an_import_writes_everything_and_shows_progress_on_large_files(xty_app, xty_cli, tmp_path, monkeypatch):
    monkeypatch.setattr("xtycore.transfer_cli.PROGRESS_FROM", 2)
    path = write(tmp_path, "path,name_en,sort\n茶叶/绿茶,Green tea,1\n茶叶/红茶,Black tea,2\n")
    result = xty_cli.invoke(main, ["import", "categories", str(path)])
    assert result.exit_code == 0, result.output
    assert "imported categories from 2 rows: 3 created, 0 updated" in result.output
    assert "writing" in result.output


def test_customers_import_and_unreadable_files(xty_app, xty_cli, tmp_path):
    path = write(tmp_path, "email,name,phone,tags\nnew@example.cn,新客,13700002222,首单|VIP\n")
    assert xty_cli.invoke(main, ["import", "customers", str(path)]).exit_code == 0
    with xty_app.app_context():
        customer = db.session.execute(select(Customer)).scalar_one()
        assert (customer.email, customer.mobile, accounts.has_password(customer)) == \
            ("new@example.cn", "13700002222", False)
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("email,name\nmei@example.cn,梅花\n".encode("gbk"))
    result = xty_cli.invoke(main, ["import", "customers", str(gbk)])
    assert result.exit_code == 1 and "gbk.csv: The file is not UTF-8" in result.output
    typo = write(tmp_path, "email,nmae\na@example.cn,x\n", "typo.csv")
    result = xty_cli.invoke(main, ["import", "customers", str(typo)])
    assert result.exit_code == 1 and "unknown column(s) nmae" in result.output
