"""One product in the back office: its fields, variants, images, review findings and status, on one page.

The form is :class:`xtycore.schemas.catalog.ProductFormSchema`, drawn and
parsed by :mod:`xtycore.admin.forms`. Saving goes through the import's kernel
service (:func:`xtycore.services.catalog.save_product`), so normalisation,
sanitised HTML, slugs, taxonomy and search text are the import's; a product on
sale is reviewed again after each save and waits in the review queue when the
review finds a blocking problem. Images are checked and thumbnailed by
:mod:`xtycore.services.images`; a refused save writes no row and leaves no file.
Every change is audited in the transaction that makes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import FileStorage

from xtycore.admin import bp, page
from xtycore.admin.forms import field_errors, form_fields, form_values, parse_form, redisplayed
from xtycore.admin.permissions import requires
from xtycore.domain.catalog import CatalogError, ImageRejected, ProductStatus, allowed_actions
from xtycore.domain.contributions import Severity
from xtycore.domain.money import Money
from xtycore.extensions import db, transaction
from xtycore.models import Category, OrderLine, Product, ProductImage, ReviewFinding, Variant
from xtycore.schemas.catalog import ImageFormSchema, ProductFormSchema
from xtycore.services import audit, catalog, catalog_review, images
from xtycore.web.template_helpers import media_url

#: Blank variant rows the page offers for adding variants.
BLANK_ROWS = 3
#: The file input of the product form (several files at once).
IMAGE_INPUT = "images"
#: Severity order of the findings shown on the page.
SEVERITY_RANK = {Severity.BLOCKING.value: 0, Severity.WARNING.value: 1, Severity.INFO.value: 2}


class EditorError(Exception):
    """The posted product cannot be saved; ``errors`` are keyed by input name and nothing was written."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


# reading -------------------------------------------------------------------------------

def category_choices() -> list[tuple[int, str]]:
    """Every category as ``(id, "茶叶 / 绿茶")``, in the order of those paths (one query)."""
    rows = db.session.execute(select(Category.id, Category.name, Category.path)).all()
    names = {row.id: row.name for row in rows}
    paths = [(row.id, " / ".join(names[int(part)] for part in row.path.strip("/").split("/") if part)
              if row.path else row.name) for row in rows]
    return sorted(paths, key=lambda choice: choice[1])


def product_schema() -> ProductFormSchema:
    return ProductFormSchema(categories=category_choices(), currency=current_app.config["SHOP_CURRENCY"])


def load_product(product_id: int) -> Product | None:
    """The product with everything the page shows, in a fixed handful of queries."""
    return db.session.execute(
        select(Product).where(Product.id == product_id).options(
            selectinload(Product.variants), selectinload(Product.images), selectinload(Product.tags),
            joinedload(Product.category), joinedload(Product.brand))
    ).scalar_one_or_none()


def _amount(minor: int | None) -> Any:
    return None if minor is None else Money.from_minor(minor, current_app.config["SHOP_CURRENCY"]).amount


def stored_values(product: Product) -> dict[str, Any]:
    """The product as the form's schema loads it (what the inputs show, once dumped)."""
    return {
        "title": product.title, "title_en": product.title_en, "subtitle": product.subtitle,
        "description": product.description_html, "category": str(product.category_id or ""),
        "brand": product.brand.name if product.brand else "", "tags": [tag.name for tag in product.tags],
        "purchase_limit": product.purchase_limit, "meta_title": product.meta_title,
        "meta_description": product.meta_description,
        "variants": [{"id": v.id, "sku": v.sku, "options": v.options, "price": _amount(v.price_minor),
                      "compare_at_price": _amount(v.compare_at_minor), "weight_grams": v.weight_grams,
                      "barcode": v.barcode, "stock": v.stock} for v in product.variants],
    }


def _in_order(rows: list) -> list:
    """Variants or images by position (within a transaction the lists are in the order rows were added)."""
    return sorted(rows, key=lambda row: (row.position, row.id))


def images_view(product: Product) -> list[dict[str, Any]]:
    return [{"id": image.id, "path": image.path, "alt": image.alt, "position": image.position,
             "variant_id": image.variant_id} for image in _in_order(product.images)]


def editor_view(product: Product) -> dict[str, Any]:
    """What the audit log keeps of a product the editor changes: every field, variant and image."""
    return {
        "id": product.id, "title": product.title, "title_en": product.title_en, "subtitle": product.subtitle,
        "description_html": product.description_html, "status": product.status, "slug": product.slug,
        "category_id": product.category_id, "brand": product.brand.name if product.brand else None,
        "tags": [tag.name for tag in product.tags], "purchase_limit": product.purchase_limit,
        "meta_title": product.meta_title, "meta_description": product.meta_description,
        "variants": [{"id": v.id, "sku": v.sku, "options": v.options, "price_minor": v.price_minor,
                      "compare_at_minor": v.compare_at_minor, "weight_grams": v.weight_grams, "barcode": v.barcode,
                      "stock": v.stock} for v in _in_order(product.variants)],
        "images": images_view(product),
    }


def findings_of(product_id: int) -> list[ReviewFinding]:
    """The findings of the product's latest automatic review, most severe first."""
    rows = db.session.execute(select(ReviewFinding).where(ReviewFinding.product_id == product_id)
                              .order_by(ReviewFinding.id)).scalars().all()
    return sorted(rows, key=lambda finding: SEVERITY_RANK.get(finding.severity, len(SEVERITY_RANK)))


def variant_label(variant: Variant) -> str:
    options = " ".join(variant.options.values()) if variant.options else ""
    return f"{variant.sku} {options}".strip()


def _image_schema(product: Product) -> ImageFormSchema:
    return ImageFormSchema(variants=[(v.id, variant_label(v)) for v in product.variants])


def _image_prefix(image_id: int) -> str:
    return f"image-{image_id}."


# the page --------------------------------------------------------------------------------

@dataclass
class ImageForms:
    """Each image's small form (alt text, variant): its fields, what they show and their errors."""

    fields: dict[int, list] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)


def _image_forms(product: Product, refused: tuple[int, dict[str, list[str]]] | None = None) -> ImageForms:
    schema, forms = _image_schema(product), ImageForms()
    for image in product.images:
        prefix = _image_prefix(image.id)
        forms.fields[image.id] = form_fields(schema, prefix)
        stored = {"alt": image.alt, "variant": str(image.variant_id or "")}
        forms.values.update(form_values(schema, stored, prefix))
    if refused is not None:
        image_id, errors = refused
        prefix = _image_prefix(image_id)
        forms.errors = {prefix + name: messages for name, messages in errors.items()}
        forms.values.update({key: request.form.get(key, "") for key in forms.values if key.startswith(prefix)})
    return forms


def _editor(product: Product | None, schema: ProductFormSchema, values: dict[str, Any],
            errors: dict[str, list[str]], status: int = 200,
            image_refused: tuple[int, dict[str, list[str]]] | None = None, error: str | None = None):
    variants_field = next(f for f in form_fields(schema) if f.name == "variants")
    fields = [f for f in form_fields(schema) if f.name != "variants"]
    rows = values.get("variants", [])
    return page(
        "product_form.html", status, product=product, fields=fields, variants_field=variants_field,
        values=values, errors=errors, rows=rows, blank_rows=range(len(rows), len(rows) + BLANK_ROWS),
        findings=findings_of(product.id) if product else [], error=error,
        images=product.images if product else [], image_forms=_image_forms(product, image_refused) if product else None,
        actions=[a.value for a in allowed_actions(ProductStatus(product.status))] if product else [],
        media_url=media_url, image_input=IMAGE_INPUT,
    )


def product_or_404(product_id: int) -> Product:
    product = load_product(product_id)
    if product is None:
        abort(current_app.make_response(page("404.html", 404)))
    return product


@bp.route("/products/new", methods=["GET", "POST"])
@requires("catalogue.edit")
def product_new():
    schema = product_schema()
    if request.method == "GET":
        return _editor(None, schema, form_values(schema, schema.dump({"variants": []})), {})
    return _save(None, schema)


@bp.route("/products/<int:product_id>", methods=["GET"])
@requires("catalogue.view")
def product_edit(product_id: int):
    product = product_or_404(product_id)
    schema = product_schema()
    return _editor(product, schema, form_values(schema, schema.dump(stored_values(product))), {})


@bp.route("/products/<int:product_id>", methods=["POST"])
@requires("catalogue.edit")
def product_save(product_id: int):
    product = product_or_404(product_id)
    return _save(product, product_schema())


# saving ------------------------------------------------------------------------------

def _uploads() -> list[FileStorage]:
    return [upload for upload in request.files.getlist(IMAGE_INPUT) if upload.filename]


def _save(product: Product | None, schema: ProductFormSchema):
    """Load the posted form with the schema, check it against the database, write it, audited."""
    stored = schema.dump(stored_values(product)) if product else {}
    try:
        try:
            data = schema.load(parse_form(schema, request.form))
        except ValidationError as exc:
            raise EditorError(field_errors(exc.messages)) from None
        outcome = _write(product.id if product else None, data, _uploads())
    except EditorError as exc:
        errors = dict(exc.errors)
        if _uploads() and "images" not in errors:
            errors["images"] = [_("Nothing was saved, so choose the images again.")]
        return _editor(product, schema, redisplayed(schema, request.form, stored), errors, 422,
                       error=_("Nothing was changed: correct the fields marked below."))
    _say(outcome)
    return redirect(url_for(".product_edit", product_id=outcome.product_id))


@dataclass
class SaveOutcome:
    product_id: int
    title: str
    status: str
    #: SKUs asked to be removed but kept because orders name them (their stock is now 0)
    kept: list[str] = field(default_factory=list)
    images_added: int = 0


def _say(outcome: SaveOutcome) -> None:
    flash(_("%(title)s is saved.", title=outcome.title))
    if outcome.images_added:
        flash(_("%(count)d images added.", count=outcome.images_added))
    if outcome.kept:
        flash(_("Kept %(skus)s with their stock set to 0: orders name them.", skus=", ".join(outcome.kept)), "info")
    if outcome.status == ProductStatus.PENDING_REVIEW.value:
        flash(_("The review found a problem: the product waits in the review queue."), "error")


def _check_variants(product: Product | None, rows: list[dict[str, Any]]) -> None:
    """Each row edits a variant of this product, and no row takes another product's SKU."""
    own = {v.id for v in product.variants} if product else set()
    errors: dict[str, list[str]] = {}
    for index, row in enumerate(rows):
        if row.get("id") is not None and row["id"] not in own:
            errors[f"variants.{index}.sku"] = [_("This row is not a variant of this product; reload the page.")]
    taken = dict(db.session.execute(
        select(Variant.sku, Variant.product_id).where(Variant.sku.in_([row["sku"] for row in rows]))).all())
    for index, row in enumerate(rows):
        owner = taken.get(row["sku"])
        if owner is not None and (product is None or owner != product.id):
            errors[f"variants.{index}.sku"] = [_("SKU %(sku)s belongs to another product.", sku=row["sku"])]
    if errors:
        raise EditorError(errors)


def _product_input(data: dict[str, Any]) -> catalog.ProductInput:
    currency = current_app.config["SHOP_CURRENCY"]
    return catalog.ProductInput(
        title=data["title"], title_en=data["title_en"], subtitle=data["subtitle"],
        description_html=data["description"], brand=data["brand"], tags=data["tags"],
        meta_title=data["meta_title"], meta_description=data["meta_description"],
        purchase_limit=data["purchase_limit"],
        variants=[catalog.VariantInput(
            sku=row["sku"], price=Money(row["price"], currency),
            compare_at=Money(row["compare_at_price"], currency) if row["compare_at_price"] is not None else None,
            options=row["options"], weight_grams=row["weight_grams"], barcode=row["barcode"], stock=row["stock"],
        ) for row in data["variants"]],
    )


def _drop_variants(session, product: Product, rows: list[dict[str, Any]]) -> list[str]:
    """Delete the product's variants the form left out; those orders name are kept, with no stock.

    Order lines keep a snapshot of what was bought, but a cancelled order returns its stock to the
    variant, so a variant that was ordered stays. Returns the SKUs kept that way.
    """
    named = {row["id"] for row in rows if row.get("id") is not None}
    gone = [v for v in product.variants if v.id not in named]
    if not gone:
        return []
    ordered = set(session.execute(select(OrderLine.variant_id).distinct()
                                  .where(OrderLine.variant_id.in_([v.id for v in gone]))).scalars())
    kept = []
    for variant in gone:
        if variant.id in ordered:
            variant.stock = 0
            kept.append(variant)
        else:
            product.variants.remove(variant)
    session.flush()
    for image in product.images:  # the database let go of images showing a deleted variant
        session.expire(image, ["variant_id"])
    return [variant.sku for variant in kept]


def _rename_skus(session, product: Product, rows: list[dict[str, Any]]) -> None:
    """A row that changes its variant's SKU renames that variant (save_product matches variants by SKU)."""
    variants = {v.id: v for v in product.variants}
    for row in rows:
        variant = variants.get(row.get("id"))
        if variant is not None and variant.sku != row["sku"]:
            variant.sku = row["sku"]
    session.flush()


def _add_images(product: Product, uploads: list[FileStorage], written: list[images.SavedImage]) -> None:
    position = max((image.position for image in product.images), default=-1) + 1
    for offset, upload in enumerate(uploads):
        saved = images.save_image(upload.stream, upload.filename or "image", product.id)
        written.append(saved)
        product.images.append(ProductImage(path=saved.path, width=saved.width, height=saved.height,
                                           alt=product.title[:200], position=position + offset))


def _write(product_id: int | None, data: dict[str, Any], uploads: list[FileStorage]) -> SaveOutcome:
    """Save the product in one transaction, audited; the image files go again if it does not commit."""
    product = load_product(product_id) if product_id else None
    _check_variants(product, data["variants"])
    category = db.session.get(Category, int(data["category"])) if data["category"] else None
    written: list[images.SavedImage] = []
    kept: list[str] = []
    try:
        with audit.recorded("product.update" if product else "product.create", "product", product_id,
                            before=editor_view(product) if product else None,
                            after=lambda session: editor_view(session.get(Product, _created_id(session, product_id)))):
            with transaction() as session:
                existing = session.get(Product, product_id) if product_id else None
                if existing is not None:
                    kept = _drop_variants(session, existing, data["variants"])
                    _rename_skus(session, existing, data["variants"])
                saved = catalog.save_product(_product_input(data), existing)
                for position, sku in enumerate(kept, start=len(data["variants"])):
                    next(v for v in saved.variants if v.sku == sku).position = position
                saved.category = session.get(Category, category.id) if category else None
                saved.purchase_limit = data["purchase_limit"]  # save_product leaves None alone; here it clears
                by_sku = {variant.sku: variant for variant in saved.variants}
                for row in data["variants"]:  # save_product leaves a None compare-at price alone; here it clears
                    if row["compare_at_price"] is None:
                        by_sku[row["sku"]].compare_at_minor = None
                _add_images(saved, uploads, written)
                session.flush()
                if saved.status == ProductStatus.ACTIVE.value:
                    catalog_review.publish_in_session(saved)
                outcome = SaveOutcome(saved.id, saved.title, saved.status, kept, len(uploads))
    except ImageRejected as exc:
        _remove(written)
        raise EditorError({"images": [_("Nothing was saved: %(reason)s", reason=str(exc))]}) from None
    except (CatalogError, IntegrityError) as exc:
        _remove(written)
        reason = str(exc.orig) if isinstance(exc, IntegrityError) else str(exc)
        raise EditorError({"_schema": [_("Nothing was changed: %(reason)s", reason=reason)]}) from None
    except BaseException:
        _remove(written)
        raise
    return outcome


def _created_id(session, product_id: int | None) -> int:
    return product_id if product_id is not None else audit.created(session, Product)[0].id


def _remove(written: list[images.SavedImage]) -> None:
    for saved in written:
        saved.remove()


# status: publish through the review, archive, restore -----------------------------------------

STATUS_CHANGES: dict[str, Callable[[int], Any]] = {
    "publish": catalog_review.publish_product, "archive": catalog_review.archive,
    "restore": catalog_review.restore,
}


def _status_view(product: Product) -> dict[str, Any]:
    return {"id": product.id, "status": product.status}


@bp.route("/products/<int:product_id>/<any(publish, archive, restore):action>", methods=["POST"])
@requires("catalogue.edit")
def product_status(product_id: int, action: str):
    product = product_or_404(product_id)
    try:
        with audit.recorded(f"product.{action}", "product", product_id, before=_status_view(product),
                            after=lambda session: _status_view(session.get(Product, product_id))):
            STATUS_CHANGES[action](product_id)
    except CatalogError as exc:
        schema = product_schema()
        product = load_product(product_id)
        return _editor(product, schema, form_values(schema, schema.dump(stored_values(product))), {}, 422,
                       error=_("Nothing was changed: %(reason)s", reason=str(exc)))
    status = db.session.get(Product, product_id).status
    flash({ProductStatus.ACTIVE.value: _("%(title)s is on sale.", title=product.title),
           ProductStatus.PENDING_REVIEW.value: _("The review found a problem: the product waits in the review queue."),
           ProductStatus.ARCHIVED.value: _("%(title)s is taken off sale.", title=product.title),
           ProductStatus.DRAFT.value: _("%(title)s is a draft again.", title=product.title)}.get(status, ""))
    return redirect(url_for(".product_edit", product_id=product_id))


# images: alt text and variant, order, delete -------------------------------------------------

def _image_change(product_id: int, image_id: int, action: str, change: Callable[[Any, Product, ProductImage], Any],
                  done: str, *, after_commit: Callable[[], None] | None = None):
    """Apply ``change(session, product, image)`` in one transaction, audited with the images before and after.

    ``change`` raises :class:`EditorError` for bad input: the page is shown again with the errors (422).
    """
    product = product_or_404(product_id)
    if not any(image.id == image_id for image in product.images):
        abort(current_app.make_response(page("404.html", 404)))
    try:
        with audit.recorded(action, "product", product_id, before={"id": product_id, "images": images_view(product)},
                            after=lambda session: {"id": product_id,
                                                   "images": images_view(session.get(Product, product_id))}):
            with transaction() as session:
                fresh = session.get(Product, product_id)
                change(session, fresh, next(image for image in fresh.images if image.id == image_id))
    except EditorError as exc:
        schema = product_schema()
        product = load_product(product_id)
        return _editor(product, schema, form_values(schema, schema.dump(stored_values(product))), {}, 422,
                       image_refused=(image_id, exc.errors),
                       error=_("Nothing was changed: correct the fields marked below."))
    if after_commit is not None:
        after_commit()
    flash(done)
    return redirect(url_for(".product_edit", product_id=product_id) + f"#image-{image_id}")


@bp.route("/products/<int:product_id>/images/<int:image_id>", methods=["POST"])
@requires("catalogue.edit")
def product_image_update(product_id: int, image_id: int):
    def change(session, product: Product, image: ProductImage) -> None:
        schema = _image_schema(product)
        try:
            data = schema.load(parse_form(schema, request.form, _image_prefix(image_id)))
        except ValidationError as exc:
            raise EditorError(field_errors(exc.messages)) from None
        image.alt = data["alt"]
        image.variant_id = int(data["variant"]) if data["variant"] else None

    return _image_change(product_id, image_id, "product.image_update", change, _("Image saved."))


@bp.route("/products/<int:product_id>/images/<int:image_id>/<any(up, down):direction>", methods=["POST"])
@requires("catalogue.edit")
def product_image_move(product_id: int, image_id: int, direction: str):
    def change(session, product: Product, image: ProductImage) -> None:
        order = list(product.images)
        index = order.index(image)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(order):
            order[index], order[other] = order[other], order[index]
        for position, each in enumerate(order):
            each.position = position

    return _image_change(product_id, image_id, "product.image_move", change, _("Image moved."))


@bp.route("/products/<int:product_id>/images/<int:image_id>/delete", methods=["POST"])
@requires("catalogue.edit")
def product_image_delete(product_id: int, image_id: int):
    removed: list[str] = []

    def change(session, product: Product, image: ProductImage) -> None:
        removed.append(image.path)
        product.images.remove(image)
        for position, each in enumerate(product.images):
            each.position = position

    # the files go only once the row's deletion has committed
    return _image_change(product_id, image_id, "product.image_delete", change, _("Image deleted."),
                         after_commit=lambda: [images.delete_files(path) for path in removed])
