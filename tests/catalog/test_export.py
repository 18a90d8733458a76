"""The products export (`xty export products`, `/admin/products.csv`) and importing it back unchanged."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy import select

from tests.admin.test_dashboard import statements_of
from tests.catalog.conftest import make_product, variant
from xtycore.extensions import db
from xtycore.models import Product, Variant
from xtycore.services import transfer
from xtycore.services.catalog_import import CSV_COLUMNS, EXPORT_ONLY_COLUMNS, import_file


def export_products() -> bytes:
    return "".join(transfer.export_lines("products")).encode("utf-8")


def read(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def formula_shelf() -> dict[str, int]:
    """Products whose text a spreadsheet would take for formulas, each published (active) with an image."""
    return {
        "sum": make_product("=SUM(A1:A9) 礼盒", title_en="-20% off", brand="@茶人", category="茶叶/绿茶", variants=[
            variant("1299.00", sku="SUM-1", compare_at="1599.00", stock=4, 规格="250g"),
            variant("2399.50", sku="SUM-2", stock=0, 规格="500g")]),
        "plus": make_product("+1 特价", variants=[variant("9.90", sku="PLUS-1", stock=12)]),
        "plain": make_product("洞庭碧螺春", title_en="Biluochun", category="茶叶/绿茶",
                              variants=[variant("98.50", sku="BLC-1", stock=3)]),
    }


def catalogue() -> list[tuple]:
    """Every product's fields and variants as stored, read afresh from the database."""
    db.session.expire_all()
    products = db.session.execute(select(Product).order_by(Product.id)).scalars()
    return [(p.title, p.title_en, p.slug, p.status, p.published_at, p.brand.name if p.brand else None,
             p.category.path if p.category else None, len(p.images),
             [(v.sku, v.price_minor, v.compare_at_minor, v.options, v.weight_grams, v.barcode, v.stock, v.position)
              for v in p.variants])
            for p in products]


def test_the_export_has_one_row_per_variant_in_columns_the_import_reads_with_formulas_neutralised(app):
    formula_shelf()
    body = export_products()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = read(body)
    assert set(rows[0]) <= set(CSV_COLUMNS + EXPORT_ONLY_COLUMNS)
    assert [(r["title"], r["title_en"], r["brand"], r["category"], r["sku"], r["price"], r["compare_at_price"],
             r["stock"], r["status"]) for r in rows] == [
        ("'=SUM(A1:A9) 礼盒", "'-20% off", "'@茶人", "茶叶/绿茶", "SUM-1", "1299.00", "1599.00", "4", "active"),
        ("'=SUM(A1:A9) 礼盒", "'-20% off", "'@茶人", "茶叶/绿茶", "SUM-2", "2399.50", "", "0", "active"),
        ("'+1 特价", "", "", "", "PLUS-1", "9.90", "", "12", "active"),
        ("洞庭碧螺春", "Biluochun", "", "茶叶/绿茶", "BLC-1", "98.50", "", "3", "active"),
    ]


def test_the_export_reads_the_same_statements_however_many_products_there_are(app):
    formula_shelf()
    few = statements_of(app, export_products)
    for number in range(5):
        make_product(f"白茶 {number}", category="茶叶/白茶", brand=f"品牌{number}",
                     variants=[variant(sku=f"BC-{number}-1"), variant(sku=f"BC-{number}-2")])
    assert statements_of(app, export_products) == few
    assert len(read(export_products())) == 4 + 10


def test_an_exported_file_imports_back_without_changing_anything(app, tmp_path: Path):
    ids = formula_shelf()
    before = catalogue()
    body = export_products()
    path = tmp_path / "products.csv"
    path.write_bytes(body)

    checked = import_file(path, dry_run=True)
    assert (checked.errors, checked.rows, checked.would_create) == ([], 4, 0)
    assert sorted(checked.would_update) == sorted(ids.values())

    report = import_file(path)
    assert report.errors == [] and report.written
    assert (report.created, sorted(report.updated)) == ([], sorted(ids.values()))
    assert catalogue() == before
    titles = db.session.execute(select(Product.title).order_by(Product.id)).scalars().all()
    assert titles == ["=SUM(A1:A9) 礼盒", "+1 特价", "洞庭碧螺春"]
    assert export_products() == body


def test_the_import_takes_off_only_the_apostrophe_that_guarded_a_formula(app, tmp_path: Path):
    path = tmp_path / "products.csv"
    path.write_text("\r\n".join([
        "title,title_en,status,sku,price,option1_name,option1_value",
        "'+1 特价,'-30% 限时,draft,'-A1,9.90,'@规格,'=250g",
        "'引号,'English,,Q-1,1,,",
        "",
    ]), encoding="utf-8-sig")
    report = import_file(path)
    assert report.errors == [] and len(report.created) == 2
    db.session.expire_all()
    products = db.session.execute(select(Product).order_by(Product.id)).scalars().all()
    assert [(p.title, p.title_en) for p in products] == [("+1 特价", "-30% 限时"), ("'引号", "'English")]
    assert [(v.sku, v.options) for v in db.session.execute(select(Variant).order_by(Variant.id)).scalars()] == [
        ("-A1", {"@规格": "=250g"}), ("Q-1", {})]
