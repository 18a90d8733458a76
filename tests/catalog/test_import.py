"""`xty catalog import`: CSV as Excel writes it and JSON, validation report, skip-invalid, re-import by SKU."""

import json
from pathlib import Path

from sqlalchemy import func, select

from tests.catalog.conftest import write_image
from xtycore.cli import main
from xtycore.extensions import db
from xtycore.models import Brand, Category, Product, ProductImage, Tag, Variant
from xtycore.services.catalog_import import import_file

HEADER = ("title,category,brand,tags,description,images,sku,option1_name,option1_value,price,compare_at_price,"
          "weight,stock")
DESC = "明前特级龙井，产自杭州西湖产区，手工炒制，香气清高持久。"
GOOD = [
    f"西湖龙井,茶叶/绿茶,狮峰,新品|明前,<p>{DESC}</p>,lj.jpg,LJ-250,规格,250g,\"¥1,299.00\",1599,250克,10",
    f"西湖龙井,茶叶/绿茶,狮峰,新品|明前,<p>{DESC}</p>,lj.jpg,LJ-500,规格,500g,２３９９.００,,1斤,5",
    f"碧螺春,茶叶/绿茶,,,<p>{DESC}</p>,blc.jpg,BLC-1,,,199,,0.5kg,0",
]


def write_csv(folder: Path, lines, *, bom=True, name="products.csv") -> Path:
    """A CSV the way Excel's "CSV UTF-8" saves it: BOM and CRLF line ends."""
    write_image(folder / "lj.jpg")
    write_image(folder / "blc.jpg", size=(400, 400))
    path = folder / name
    path.write_bytes(("\ufeff" if bom else "").encode() + "\r\n".join([HEADER, *lines, ""]).encode("utf-8"))
    return path


def count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar()


def test_a_csv_with_bom_from_excel_imports_products_variants_taxonomy_and_images(app, tmp_path):
    report = import_file(write_csv(tmp_path, GOOD))
    assert report.errors == [] and report.written
    assert (report.rows, len(report.created), len(report.updated)) == (3, 2, 0)
    longjing = db.session.execute(select(Product).where(Product.title == "西湖龙井")).scalar_one()
    assert longjing.status == "active" and longjing.slug == "xi-hu-long-jing"
    assert [(v.sku, v.price_minor, v.compare_at_minor, v.weight_grams, v.stock, v.options)
            for v in longjing.variants] == [
        ("LJ-250", 129900, 159900, 250, 10, {"规格": "250g"}),
        ("LJ-500", 239900, None, 500, 5, {"规格": "500g"}),
    ]
    assert (longjing.brand.name, longjing.category.name, longjing.category.parent.name) == ("狮峰", "绿茶", "茶叶")
    assert sorted(t.name for t in longjing.tags) == ["新品", "明前"]
    assert [(i.width, i.height) for i in longjing.images] == [(1200, 900)]
    assert (Path(app.instance_path) / "uploads" / longjing.images[0].path).is_file()
    assert (count(Category), count(Brand), count(Tag)) == (2, 1, 2)


def test_a_csv_without_bom_imports_the_same(app, tmp_path):
    report = import_file(write_csv(tmp_path, GOOD, bom=False))
    assert report.errors == [] and len(report.created) == 2


def test_bad_rows_are_reported_with_line_and_field_and_nothing_is_written(app, tmp_path):
    lines = [
        GOOD[0],
        f"西湖龙井,茶叶/绿茶,狮峰,新品|明前,<p>{DESC}</p>,lj.jpg,LJ-500,规格,500g,12.345,,3 lbs,-1",
        f",茶叶//绿茶,,,<p>{DESC}</p>,,,,,免费,,,",
    ]
    report = import_file(write_csv(tmp_path, lines))
    assert not report.written
    found = {(e.line, e.field) for e in report.errors}
    assert found == {(3, "price"), (3, "weight"), (3, "stock"), (4, "title"), (4, "category"), (4, "sku"),
                     (4, "price")}
    messages = {(e.line, e.field): e.message for e in report.errors}
    assert "more than two decimals" in messages[(3, "price")]
    assert "500g, 1.5kg, 2斤" in messages[(3, "weight")]
    assert str(next(e for e in report.errors if e.field == "stock")) == "line 3: stock: " + messages[(3, "stock")]
    assert (count(Product), count(Variant), count(Category)) == (0, 0, 0)


def test_skip_invalid_imports_the_good_products_and_reports_the_bad_rows(app, tmp_path):
    lines = [GOOD[0], GOOD[1].replace("２３９９.００", "abc"), GOOD[2]]
    report = import_file(write_csv(tmp_path, lines), skip_invalid=True)
    assert [(e.line, e.field) for e in report.errors] == [(3, "price")]
    assert report.written and report.skipped_products == 1
    # 西湖龙井 had a bad row, so the whole product is left out, not half of it
    assert db.session.execute(select(Product.title)).scalars().all() == ["碧螺春"]


def test_reimporting_updates_by_sku_instead_of_duplicating(app, tmp_path):
    import_file(write_csv(tmp_path, GOOD))
    changed = [GOOD[0].replace(",10", ",7").replace("西湖龙井", "西湖龙井 特级"), GOOD[2].replace(",0", ",3")]
    changed[0] = changed[0].replace("\"¥1,299.00\"", "1199")
    path = tmp_path / "again"
    path.mkdir()
    report = import_file(write_csv(path, changed))
    assert report.errors == [] and (len(report.created), len(report.updated)) == (0, 2)
    assert (count(Product), count(Variant)) == (2, 3)
    variant = db.session.execute(select(Variant).where(Variant.sku == "LJ-250")).scalar_one()
    assert (variant.stock, variant.price_minor, variant.product.title) == (7, 119900, "西湖龙井 特级")
    # the images were replaced, not added
    assert count(ProductImage) == 2


def test_a_dry_run_validates_and_counts_but_writes_nothing(app, tmp_path):
    path = write_csv(tmp_path, GOOD)
    report = import_file(path, dry_run=True)
    assert (report.errors, report.would_create, report.would_update, report.written) == ([], 2, [], False)
    assert count(Product) == 0
    import_file(path)
    again = import_file(path, dry_run=True)
    assert (again.would_create, sorted(again.would_update)) == (0, sorted(db.session.execute(
        select(Product.id)).scalars()))


def test_rows_of_one_product_must_agree_and_skus_must_not_repeat(app, tmp_path):
    lines = [GOOD[0], GOOD[1].replace("狮峰", "龙坞"), GOOD[2].replace("BLC-1", "LJ-250")]
    report = import_file(write_csv(tmp_path, lines))
    assert [(e.line, e.field) for e in report.errors] == [(3, "brand"), (4, "sku")]
    assert "line 2" in report.errors[1].message


def test_an_import_lacking_images_sends_the_products_to_the_review_queue(app, tmp_path):
    report = import_file(write_csv(tmp_path, [line.replace("lj.jpg", "").replace("blc.jpg", "") for line in GOOD]))
    assert report.errors == []
    assert set(report.statuses.values()) == {"pending_review"}


def test_missing_image_files_and_urls_are_reported(app, tmp_path):
    lines = [GOOD[0].replace("lj.jpg", "nope.jpg"), GOOD[1].replace("lj.jpg", "nope.jpg"),
             GOOD[2].replace("blc.jpg", "https://cdn.example.com/a.jpg")]
    report = import_file(write_csv(tmp_path, lines))
    assert [(e.line, e.field) for e in report.errors] == [(2, "images"), (4, "images")]
    assert "not found" in report.errors[0].message and "download it" in report.errors[1].message


def test_a_file_that_is_not_an_image_fails_the_import_with_a_clear_error(app, tmp_path):
    path = write_csv(tmp_path, GOOD)
    (tmp_path / "blc.jpg").write_text("not an image")
    report = import_file(path)
    assert not report.written and count(Product) == 0
    assert "blc.jpg is not an image" in report.errors[0].message
    assert not list((Path(app.instance_path) / "uploads").rglob("*.jpg"))
    skipped = import_file(path, skip_invalid=True)
    assert skipped.written and [p.title for p in db.session.execute(select(Product)).scalars()] == ["西湖龙井"]


def test_unknown_columns_and_non_utf8_files_are_refused_with_the_fix(app, tmp_path, xty_cli):
    typo = tmp_path / "typo.csv"
    typo.write_text("title,sku,prce\n茶,A,1\n", encoding="utf-8")
    result = xty_cli.invoke(main, ["catalog", "import", str(typo)])
    assert result.exit_code == 1 and "unknown column(s) prce" in result.output
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("title,sku,price\n龙井,A,1\n".encode("gbk"))
    result = xty_cli.invoke(main, ["catalog", "import", str(gbk)])
    assert "CSV UTF-8" in result.output


def test_json_products_with_variants_import_and_report_by_product_and_variant(app, tmp_path):
    write_image(tmp_path / "lj.jpg")
    products = [
        {"title": "西湖龙井", "category": "茶叶/绿茶", "tags": ["新品"], "description": f"<p>{DESC}</p>",
         "images": ["lj.jpg"], "purchase_limit": 2,
         "variants": [{"sku": "LJ-1", "price": 1299.5, "options": {"规格": "250g"}, "stock": 3, "weight": "250g"}]},
        {"title": "坏", "variants": [{"sku": "B-1", "price": "x"}]},
    ]
    path = tmp_path / "products.json"
    path.write_text(json.dumps(products, ensure_ascii=False), encoding="utf-8")
    report = import_file(path)
    assert [(e.where, e.field) for e in report.errors] == [("product 2, variant 1", "price")]
    report = import_file(path, skip_invalid=True)
    product = db.session.execute(select(Product)).scalar_one()
    assert (product.title, product.purchase_limit, product.status) == ("西湖龙井", 2, "active")
    assert (product.variants[0].price_minor, product.variants[0].weight_grams) == (129950, 250)


def test_the_import_command_prints_the_report_and_exits_non_zero_when_nothing_was_imported(app, tmp_path, xty_cli):
    path = write_csv(tmp_path, [GOOD[0], GOOD[2].replace("199", "abc")])
    failed = xty_cli.invoke(main, ["catalog", "import", str(path)])
    assert failed.exit_code == 1
    assert "error line 3: price: Not a valid number." in failed.output
    assert "nothing imported" in failed.output
    ok = xty_cli.invoke(main, ["catalog", "import", str(path), "--skip-invalid"])
    assert ok.exit_code == 0, ok.output
    assert "imported 1 products (1 new, 0 updated) from 2 rows: 1 active, 0 waiting" in ok.output


def test_a_large_import_shows_progress(app, tmp_path, xty_cli):
    lines = [f"茶 {i},茶叶,,,<p>{DESC}</p>,,T-{i},,,{10 + i},,,1" for i in range(60)]
    result = xty_cli.invoke(main, ["catalog", "import", str(write_csv(tmp_path, lines))])
    assert result.exit_code == 0, result.output
    assert "writing products" in result.output and "imported 60 products" in result.output


def test_the_dry_run_command_reports_what_it_would_do(app, tmp_path, xty_cli):
    result = xty_cli.invoke(main, ["catalog", "import", str(write_csv(tmp_path, GOOD)), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "dry run: 3 rows; would create 2 and update 0 products; 0 errors; nothing written" in result.output
    assert count(Product) == 0


def test_a_price_only_file_updates_prices_and_keeps_stock_weight_and_barcode(app, tmp_path):
    import_file(write_csv(tmp_path, GOOD))
    prices = tmp_path / "prices.csv"
    prices.write_text("title,sku,price\n西湖龙井,LJ-250,1099\n西湖龙井,LJ-500,1999\n", encoding="utf-8")
    report = import_file(prices)
    assert report.errors == [] and len(report.updated) == 1
    variants = db.session.execute(select(Variant).order_by(Variant.sku)).scalars().all()
    assert [(v.sku, v.price_minor, v.stock, v.weight_grams, v.compare_at_minor) for v in variants] == [
        ("BLC-1", 19900, 0, 500, None), ("LJ-250", 109900, 10, 250, 159900), ("LJ-500", 199900, 5, 500, None)]
    longjing = db.session.execute(select(Product).where(Product.title == "西湖龙井")).scalar_one()
    assert longjing.brand.name == "狮峰" and len(longjing.images) == 1
