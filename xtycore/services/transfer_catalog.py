"""Products, stock and prices, and the category tree, as CSV (:mod:`xtycore.services.transfer`).

Products: exported only, one row per variant in the columns of ``xty catalog
import`` (:mod:`xtycore.services.catalog_import`, which imports the file back).
Stock and prices: one row per variant, found by SKU; an import changes only
the price, compare-at price and stock it names (an empty cell leaves the value
as it is). Categories: one row per category, named by the path of names from
the root (``茶叶/绿茶``); an import creates what is missing along each path and
updates the English name and sort order of what exists. A category keeps its
slug once it exists: the slug is part of its web address.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterator

from flask import current_app
from sqlalchemy import select

from xtycore.domain.addresses import Message as _
from xtycore.domain.catalog import CatalogError, category_path
from xtycore.extensions import db
from xtycore.models.catalog import Brand, Category, Product, Variant
from xtycore.services import catalog
from xtycore.services.catalog_import import RowError
from xtycore.services.transfer_csv import (
    CellError, Change, Columns, CsvRow, RowCheck, amount, batches, first_lines, money_cell, text_cell, whole_cell,
)

#: The largest stock a variant holds (the column is a 32-bit integer).
MAX_STOCK = 1_000_000_000
#: Sort positions a category may have.
SORT_RANGE = (-1_000_000_000, 1_000_000_000)
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: Longest category name and slug (the columns' lengths).
NAME_LENGTH, SLUG_LENGTH = 100, 120


def _options(options: dict[str, str] | None) -> str:
    return "; ".join(f"{name}: {value}" for name, value in (options or {}).items())


class Products:
    """One row per variant: its product's title, slug, status, category path and brand, and its own fields.

    ``status`` is there to read: the products import reads it over.
    """

    code = "products"
    filter_names = ()
    header = ("title", "title_en", "slug", "status", "category", "brand", "sku", "price", "compare_at_price",
              "weight_grams", "barcode", "stock")

    def rows(self) -> Iterator[list[Any]]:
        currency = current_app.config["SHOP_CURRENCY"]
        names = dict(db.session.execute(select(Category.id, Category.name)).all())
        query = (select(Product.title, Product.title_en, Product.slug, Product.status,
                        Category.path.label("category_path"), Brand.name.label("brand"), Variant.sku,
                        Variant.price_minor, Variant.compare_at_minor, Variant.weight_grams, Variant.barcode,
                        Variant.stock)
                 .join(Variant, Variant.product_id == Product.id)
                 .outerjoin(Category, Category.id == Product.category_id)
                 .outerjoin(Brand, Brand.id == Product.brand_id)
                 .order_by(Product.id, Variant.position, Variant.id)
                 .execution_options(yield_per=1000))
        for row in db.session.execute(query):
            yield [row.title, row.title_en, row.slug, row.status, _names_path(row.category_path or "", names),
                   row.brand, row.sku, amount(row.price_minor, currency), amount(row.compare_at_minor, currency),
                   row.weight_grams, row.barcode, row.stock]


class StockPrices:
    """SKU, product title, options, price, compare-at price and stock of every variant."""

    code = "stock"
    filter_names = ()
    header = ("sku", "title", "options", "price", "compare_at_price", "stock")
    columns = Columns(required=("sku",), optional=("price", "compare_at_price", "stock"),
                      ignored=("title", "options"), any_of=("price", "compare_at_price", "stock"))
    audit_type = "variant"

    def rows(self) -> Iterator[list[Any]]:
        currency = current_app.config["SHOP_CURRENCY"]
        query = (select(Variant.sku, Product.title, Variant.options, Variant.price_minor, Variant.compare_at_minor,
                        Variant.stock)
                 .join(Product, Product.id == Variant.product_id)
                 .order_by(Product.id, Variant.position, Variant.id)
                 .execution_options(yield_per=1000))
        for sku, title, options, price, compare_at, stock in db.session.execute(query):
            yield [sku, title, _options(options), amount(price, currency), amount(compare_at, currency), stock]

    @staticmethod
    def view(variant: Variant, currency: str) -> dict[str, Any]:
        return {"price": str(amount(variant.price_minor, currency)),
                "compare_at_price": None if variant.compare_at_minor is None
                else str(amount(variant.compare_at_minor, currency)), "stock": variant.stock}

    def check(self, rows: list[CsvRow], errors: list[RowError], *, lock: bool) -> list[Change]:
        currency = current_app.config["SHOP_CURRENCY"]
        repeated = first_lines(errors, rows, lambda row: row.cells.get("sku"), "sku")
        skus = list(dict.fromkeys(row.cells["sku"] for row in rows if "sku" in row.cells))
        variants: dict[str, Variant] = {}
        for batch in batches(skus):
            query = select(Variant).where(Variant.sku.in_(batch))
            variants.update((v.sku, v) for v in db.session.execute(
                query.with_for_update() if lock else query).scalars())
        price = money_cell(currency)
        changes = []
        for row in rows:
            check = RowCheck(row, errors)
            sku = row.cells.get("sku")
            if sku is None:
                check.fail("sku", _("Write the SKU of the variant to change"))
            elif sku not in variants and row.line not in repeated:
                check.fail("sku", _("No variant has the SKU %(sku)s", sku=sku))
            new_price = check.get("price", price)
            compare_at = check.get("compare_at_price", price)
            stock = check.get("stock", whole_cell(0, MAX_STOCK))
            if not check.ok or row.line in repeated:
                continue
            variant = variants[sku]
            before = self.view(variant, currency)
            after = dict(before)
            if new_price is not None:
                after["price"] = str(new_price.amount)
            if compare_at is not None:
                after["compare_at_price"] = str(compare_at.amount)
            if stock is not None:
                after["stock"] = stock
            if after != before:
                changes.append(Change(sku, row.line, before, after, target=variant,
                                      extra={"price": new_price, "compare_at": compare_at, "stock": stock}))
        return changes

    def apply(self, changes: list[Change], progress: Callable[[int, int], None]) -> None:
        for done, change in enumerate(changes, start=1):
            variant, values = change.target, change.extra
            if values["price"] is not None:
                variant.price_minor = values["price"].minor
            if values["compare_at"] is not None:
                variant.compare_at_minor = values["compare_at"].minor
            if values["stock"] is not None:
                variant.stock = values["stock"]
            progress(done, len(changes))


class Categories:
    """The category tree: path of names from the root, English name, slug and sort order."""

    code = "categories"
    filter_names = ()
    header = ("path", "name_en", "slug", "sort")
    columns = Columns(required=("path",), optional=("name_en", "slug", "sort"))
    audit_type = "category"

    def rows(self) -> Iterator[list[Any]]:
        names = dict(db.session.execute(select(Category.id, Category.name)).all())
        query = select(Category.path, Category.name_en, Category.slug, Category.sort).order_by(Category.path)
        for path, name_en, slug, sort in db.session.execute(query.execution_options(yield_per=1000)):
            yield [_names_path(path, names), name_en, slug, sort]

    @staticmethod
    def view(category: Category) -> dict[str, Any]:
        return {"name_en": category.name_en, "slug": category.slug, "sort": category.sort}

    def check(self, rows: list[CsvRow], errors: list[RowError], *, lock: bool) -> list[Change]:
        existing = _tree()
        slugs = dict(db.session.execute(select(Category.slug, Category.id)).all())
        repeated = first_lines(errors, rows, _path_key, "path") | \
            first_lines(errors, rows, lambda row: row.cells.get("slug"), "slug")
        changes: dict[tuple[str, ...], Change] = {}
        for row in rows:
            check = RowCheck(row, errors)
            path = _path(check)
            name_en = check.get("name_en", text_cell(NAME_LENGTH))
            sort = check.get("sort", whole_cell(*SORT_RANGE))
            slug = check.get("slug", _slug_cell)
            category = existing.get(path) if path else None
            if slug is not None and slug in slugs and (category is None or slugs[slug] != category.id):
                check.fail("slug", _("The slug %(slug)s belongs to another category", slug=slug))
            elif category is not None and slug is not None and slug != category.slug:
                check.fail("slug", _("A category keeps its slug (%(slug)s): it is part of its web address",
                                     slug=category.slug))
            if path is None or not check.ok or row.line in repeated:
                continue
            if category is None:
                changes[path] = Change("/".join(path), row.line, None,
                                       {"name_en": name_en or "", "slug": slug, "sort": sort or 0})
                continue
            before = self.view(category)
            after = {**before, **({"name_en": name_en} if name_en is not None else {}),
                     **({"sort": sort} if sort is not None else {})}
            if after != before:
                changes[path] = Change("/".join(path), row.line, before, after, target=category)
        return self._with_parents(changes, existing)

    @staticmethod
    def _with_parents(changes: dict[tuple[str, ...], Change], existing: dict) -> list[Change]:
        """The changes, each new category's missing parents added, parents before children."""
        for path, change in list(changes.items()):
            for depth in range(1, len(path)):
                parent = path[:depth]
                if change.creates and parent not in existing and parent not in changes:
                    changes[parent] = Change("/".join(parent), change.line, None,
                                             {"name_en": "", "slug": None, "sort": 0})
        return sorted(changes.values(), key=lambda change: (change.key.count("/"), change.line))

    def apply(self, changes: list[Change], progress: Callable[[int, int], None]) -> None:
        reserved = {change.after["slug"] for change in changes if change.after.get("slug")}
        by_path = _tree()
        for done, change in enumerate(changes, start=1):
            path = tuple(change.key.split("/"))
            if change.creates:
                parent = by_path[path[:-1]] if len(path) > 1 else None
                slug = change.after["slug"] or _free_slug(path[-1], reserved)
                category = Category(name=path[-1], parent=parent, slug=slug, name_en=change.after["name_en"],
                                    sort=change.after["sort"])
                db.session.add(category)
                db.session.flush()
                category.path = f"{parent.path if parent else '/'}{category.id}/"
                change.after["slug"] = slug
                change.target = by_path[path] = category
            else:
                change.target.name_en = change.after["name_en"]
                change.target.sort = change.after["sort"]
            progress(done, len(changes))
        db.session.flush()


def _names_path(path: str, names: dict[int, str]) -> str:
    return "/".join(names[int(part)] for part in path.strip("/").split("/") if part)


def _tree() -> dict[tuple[str, ...], Category]:
    """Every category by its path of names."""
    categories = db.session.execute(select(Category)).scalars().all()
    names = {category.id: category.name for category in categories}
    return {tuple(_names_path(category.path, names).split("/")): category for category in categories}


def _path_names(text: str) -> list[str] | None:
    try:
        return category_path(text)
    except CatalogError:
        return None


def _path_key(row: CsvRow) -> str | None:
    names = _path_names(row.cells.get("path", ""))
    return "/".join(names) if names else None


def _path(check: RowCheck) -> tuple[str, ...] | None:
    text = check.row.cells.get("path")
    names = _path_names(text) if text is not None else None
    if text is None:
        check.fail("path", _("Write the category's path, e.g. 茶叶/绿茶"))
    elif names is None:
        check.fail("path", _("The path %(path)s has an empty name; separate names with /", path=text))
    elif any(len(name) > NAME_LENGTH for name in names):
        check.fail("path", _("A category name has at most %(number)d characters", number=NAME_LENGTH))
    else:
        return tuple(names)
    return None


def _slug_cell(text: str) -> str:
    if len(text) > SLUG_LENGTH or not SLUG.match(text):
        raise CellError(_("A slug has lower-case letters, digits and hyphens, e.g. green-tea"))
    return text


def _free_slug(name: str, reserved: set[str]) -> str:
    """A slug for a category the file names no slug for, clear of the database's and of the file's."""
    slug = catalog.unique_slug(Category, name, fallback="category")
    number = 2
    while slug in reserved:
        slug = catalog.unique_slug(Category, f"{name} {number}", fallback="category")
        number += 1
    reserved.add(slug)
    return slug
