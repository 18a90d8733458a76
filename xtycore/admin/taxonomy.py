"""Categories and brands in the back office: the category tree and the brand list, with their forms.

The tree costs one query (every category with its number of products, counted
by a grouped subquery); the brand list one as well. Forms are drawn from the
schemas of :mod:`xtycore.schemas.taxonomy`, which also validate what is
posted; the writes and their rules live in :mod:`xtycore.services.taxonomy`.
Each change is audited (``category.*``, ``brand.*``) with the row before and
after, in the transaction that makes it; a refusal answers 422 and writes
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError
from sqlalchemy import func, select

from xtycore.admin import bp, page
from xtycore.admin.forms import FORM_ERRORS, field_errors, form_fields, form_values, parse_form, redisplayed
from xtycore.admin.permissions import requires
from xtycore.extensions import db
from xtycore.models.catalog import Brand, Category, Product
from xtycore.schemas.taxonomy import BrandDeleteSchema, BrandSchema, CategoryDeleteSchema, CategorySchema
from xtycore.services import audit, taxonomy
from xtycore.services.addresses import translated
from xtycore.services.pages import CategoryNode, CategoryTree


@dataclass(frozen=True)
class CategoryRow:
    node: CategoryNode
    #: 0 for a top-level category
    depth: int
    #: the names from the root down, "茶叶 / 绿茶"
    label: str
    #: products filed directly under it, and under it or any category below it
    own_products: int
    products: int


@dataclass(frozen=True)
class BrandRow:
    brand: Brand
    products: int


def category_rows() -> list[CategoryRow]:
    """Every category, parents before their children and siblings in the shop's order, with product counts."""
    counts = (select(Product.category_id.label("category_id"), func.count(Product.id).label("products"))
              .where(Product.category_id.is_not(None)).group_by(Product.category_id).subquery())
    rows = db.session.execute(
        select(Category.id, Category.parent_id, Category.slug, Category.name, Category.name_en, Category.sort,
               Category.path, func.coalesce(counts.c.products, 0))
        .outerjoin(counts, counts.c.category_id == Category.id).order_by(Category.path)
    ).all()
    own = {row[0]: int(row[7]) for row in rows}
    tree = CategoryTree(CategoryNode(*row[:7]) for row in rows)
    total = dict.fromkeys(own, 0)
    for node in tree.by_id.values():
        for ancestor in [*tree.ancestors(node), node]:
            total[ancestor.id] += own[node.id]

    def walk(nodes: list[CategoryNode], depth: int, names: tuple[str, ...]) -> Iterator[CategoryRow]:
        for node in nodes:
            path = (*names, node.name)
            yield CategoryRow(node, depth, " / ".join(path), own[node.id], total[node.id])
            yield from walk(tree.children(node), depth + 1, path)

    return list(walk(tree.roots(), 0, ()))


def brand_rows() -> list[BrandRow]:
    counts = (select(Product.brand_id.label("brand_id"), func.count(Product.id).label("products"))
              .where(Product.brand_id.is_not(None)).group_by(Product.brand_id).subquery())
    rows = db.session.execute(select(Brand, func.coalesce(counts.c.products, 0))
                              .outerjoin(counts, counts.c.brand_id == Brand.id).order_by(Brand.name)).all()
    return [BrandRow(brand, int(count)) for brand, count in rows]


def category_view(category: Category) -> dict[str, Any]:
    """What the audit log keeps of a category."""
    return {"id": category.id, "name": category.name, "name_en": category.name_en, "slug": category.slug,
            "parent_id": category.parent_id, "sort": category.sort, "path": category.path}


def brand_view(brand: Brand) -> dict[str, Any]:
    """What the audit log keeps of a brand."""
    return {"id": brand.id, "name": brand.name, "name_en": brand.name_en, "slug": brand.slug}


def _row_or_404(model: type, object_id: int) -> Any:
    row = db.session.get(model, object_id)
    if row is None:
        abort(404)
    return row


def _submit(schema: Schema, form, write: Callable[[dict[str, Any]], Any]) -> dict[str, list[str]]:
    """Load ``form`` through ``schema`` and give the data to ``write``; the errors to show, none on success."""
    try:
        write(schema.load(parse_form(schema, form)))
    except ValidationError as error:
        return field_errors(error.messages)
    except taxonomy.TaxonomyError as error:
        return {error.field if error.field in schema.fields else FORM_ERRORS: [translated(error.message)]}
    return {}


def _form(schema: Schema, stored: dict[str, Any], errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """A form for the template: its fields, what the inputs show (what was posted, after a refusal), errors."""
    shown = redisplayed(schema, request.form, stored) if errors else form_values(schema, stored)
    return {"fields": form_fields(schema), "values": shown, "errors": errors or {}}


def _audited_save(kind: str, model: type, view: Callable[[Any], dict[str, Any]], row: Any, schema: Schema,
                  write: Callable[[dict[str, Any]], Any]) -> dict[str, list[str]]:
    """Save what ``schema`` loads through ``write``, audited as ``<kind>.create`` (``row`` None) or
    ``<kind>.update`` with ``view`` of the row before and after."""
    if row is None:
        recorded = audit.recorded(f"{kind}.create", kind, "",
                                  after=lambda session: view(audit.created(session, model)[0]))
    else:
        row_id = row.id
        recorded = audit.recorded(f"{kind}.update", kind, row_id, before=view(row),
                                  after=lambda session: view(session.get(model, row_id)))
    with recorded:
        return _submit(schema, request.form, write)


def _audited_delete(kind: str, before: dict[str, Any], held_by: Any, schema: Schema,
                    delete: Callable[[dict[str, Any]], Any], moved_to: str) -> dict[str, list[str]]:
    """Delete through ``delete`` (given what ``schema`` loads), audited as ``<kind>.delete``: the row and the ids
    of the products it held (``held_by`` is their column) before, and where they went (``moved_to``) after."""
    before = {**before, "products": list(db.session.execute(
        select(Product.id).where(held_by == before["id"]).order_by(Product.id)).scalars())}
    chosen: dict[str, Any] = {}

    def write(data: dict[str, Any]) -> Any:
        chosen.update(data)
        return delete(data)

    with audit.recorded(f"{kind}.delete", kind, before["id"], before=before,
                        after=lambda session: {"products_moved_to": chosen[moved_to]} if before["products"] else None):
        return _submit(schema, request.form, write)


# categories ----------------------------------------------------------------------------

@bp.route("/categories")
@requires("catalogue.view")
def category_list():
    return page("categories.html", rows=category_rows())


def _category_schema(rows: list[CategoryRow], category: Category | None = None) -> CategorySchema:
    """The category form; a category may go anywhere but under itself or a category inside it."""
    return CategorySchema(parents=[(row.node.id, row.label) for row in rows
                                   if category is None or not row.node.path.startswith(category.path)])


def _delete_schema(rows: list[CategoryRow], category: Category) -> CategoryDeleteSchema:
    return CategoryDeleteSchema(targets=[(row.node.id, row.label) for row in rows if row.node.id != category.id])


@bp.route("/categories/new", methods=["GET", "POST"])
@requires("catalogue.edit")
def category_new():
    rows = category_rows()
    schema = _category_schema(rows)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        errors = _audited_save("category", Category, category_view, None, schema,
                               lambda data: taxonomy.create_category(taxonomy.CategoryInput(**data)))
        if not errors:
            flash(_("Category %(name)s created.", name=request.form.get("name", "").strip()))
            return redirect(url_for(".category_list"))
    stored = {"parent_id": request.args.get("parent", "")}
    return page("category_form.html", 422 if errors else 200, category=None, form=_form(schema, stored, errors))


def _category_page(category: Category, rows: list[CategoryRow], status: int = 200, *,
                   errors: dict | None = None, delete_errors: dict | None = None):
    row = next(row for row in rows if row.node.id == category.id)
    children = sum(1 for other in rows if other.node.parent_id == category.id)
    return page("category_form.html", status, category=category, row=row, children=children,
                form=_form(_category_schema(rows, category), category_view(category), errors),
                delete_form=_form(_delete_schema(rows, category), {}, delete_errors))


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@requires("catalogue.edit")
def category_edit(category_id: int):
    category = _row_or_404(Category, category_id)
    rows = category_rows()
    if request.method == "GET":
        return _category_page(category, rows)
    errors = _audited_save("category", Category, category_view, category, _category_schema(rows, category),
                           lambda data: taxonomy.update_category(category_id, taxonomy.CategoryInput(**data)))
    if errors:
        return _category_page(category, rows, 422, errors=errors)
    flash(_("Category %(name)s saved.", name=category.name))
    return redirect(url_for(".category_list"))


@bp.route("/categories/<int:category_id>/delete", methods=["POST"])
@requires("catalogue.edit")
def category_delete(category_id: int):
    category = _row_or_404(Category, category_id)
    rows = category_rows()
    name = category.name
    errors = _audited_delete("category", category_view(category), Product.category_id,
                             _delete_schema(rows, category),
                             lambda data: taxonomy.delete_category(category_id, **data), "move_products_to")
    if errors:
        return _category_page(category, rows, 422, delete_errors=errors)
    flash(_("Category %(name)s deleted.", name=name))
    return redirect(url_for(".category_list"))


# brands --------------------------------------------------------------------------------

@bp.route("/brands")
@requires("catalogue.view")
def brand_list():
    return page("brands.html", rows=brand_rows())


@bp.route("/brands/new", methods=["GET", "POST"])
@requires("catalogue.edit")
def brand_new():
    schema = BrandSchema()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        errors = _audited_save("brand", Brand, brand_view, None, schema,
                               lambda data: taxonomy.create_brand(taxonomy.BrandInput(**data)))
        if not errors:
            flash(_("Brand %(name)s created.", name=request.form.get("name", "").strip()))
            return redirect(url_for(".brand_list"))
    return page("brand_form.html", 422 if errors else 200, brand=None, form=_form(schema, {}, errors))


def _brand_delete_schema(brand: Brand) -> BrandDeleteSchema:
    """Where a deleted brand's products may go: any other brand, or none."""
    others = [(row.brand.id, row.brand.name) for row in brand_rows() if row.brand.id != brand.id]
    return BrandDeleteSchema(brands=others)


def _brand_page(brand: Brand, status: int = 200, *, errors: dict | None = None, delete_errors: dict | None = None):
    products = db.session.execute(select(func.count(Product.id)).where(Product.brand_id == brand.id)).scalar_one()
    return page("brand_form.html", status, brand=brand, products=products,
                form=_form(BrandSchema(), brand_view(brand), errors),
                delete_form=_form(_brand_delete_schema(brand), {}, delete_errors))


@bp.route("/brands/<int:brand_id>", methods=["GET", "POST"])
@requires("catalogue.edit")
def brand_edit(brand_id: int):
    brand = _row_or_404(Brand, brand_id)
    if request.method == "GET":
        return _brand_page(brand)
    errors = _audited_save("brand", Brand, brand_view, brand, BrandSchema(),
                           lambda data: taxonomy.update_brand(brand_id, taxonomy.BrandInput(**data)))
    if errors:
        return _brand_page(brand, 422, errors=errors)
    flash(_("Brand %(name)s saved.", name=brand.name))
    return redirect(url_for(".brand_list"))


@bp.route("/brands/<int:brand_id>/delete", methods=["POST"])
@requires("catalogue.edit")
def brand_delete(brand_id: int):
    brand = _row_or_404(Brand, brand_id)
    name = brand.name
    errors = _audited_delete("brand", brand_view(brand), Product.brand_id, _brand_delete_schema(brand),
                             lambda data: taxonomy.delete_brand(brand_id, **data), "to_brand_id")
    if errors:
        return _brand_page(brand, 422, delete_errors=errors)
    flash(_("Brand %(name)s deleted.", name=name))
    return redirect(url_for(".brand_list"))
