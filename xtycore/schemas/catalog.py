"""Input of the back office's product editor: one declaration drives the form, its parsing and its messages.

:class:`ProductFormSchema` is what the product page draws (through
:mod:`xtycore.admin.forms`), what the posted form is loaded with, and where
every message next to an input comes from. Its variants are a table of rows
(:class:`VariantFormSchema`). Amounts load as ``Decimal`` in the shop currency,
never float. Messages are English :class:`~xtycore.domain.addresses.Message`
strings that the back office shows in the staff member's language.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterable, Mapping

from marshmallow import ValidationError, fields, validate, validates_schema

from xtycore.domain.addresses import Message as _
from xtycore.domain.money import exponent
from xtycore.domain.staff import N_
from xtycore.schemas.accounts import REQUIRED, FormSchema, _text

#: Bounds of what a variant holds (the columns are 32-bit integers).
MAX_PRICE = Decimal("10000000")
MAX_STOCK = 1_000_000_000
MAX_WEIGHT_GRAMS = 1_000_000
#: Separators of ``颜色=红;尺码=M`` and of a tag list, half and full width (Chinese input methods type both).
OPTION_SEPARATORS = (";", "；")
OPTION_EQUALS = ("=", "＝")
TAG_SEPARATORS = (",", "，", "、")

NUMBER = {"invalid": _("Enter an amount, e.g. 12.50"), "special": _("Enter an amount, e.g. 12.50")}
WHOLE = {"invalid": _("Enter a whole number")}


def _amount(*, required: bool = False, **metadata: Any) -> fields.Decimal:
    """An amount in the shop currency: a Decimal from the text typed, never a float."""
    optional = {} if required else {"allow_none": True, "load_default": None}
    return fields.Decimal(
        required=required, **optional, error_messages={**NUMBER, **REQUIRED}, metadata={"money": True, **metadata},
        validate=validate.Range(min=Decimal(0), max=MAX_PRICE,
                                error=_("An amount from 0 to %(most)s", most=MAX_PRICE)),
    )


def _count(most: int, *, least: int = 0, **kwargs: Any) -> fields.Integer:
    return fields.Integer(
        strict=False, validate=validate.Range(min=least, max=most, error=_(
            "A whole number from %(least)s to %(most)s", least=least, most=most)),
        error_messages=WHOLE, **kwargs,
    )


def _split(text: str, separators: Iterable[str]) -> list[str]:
    for separator in separators:
        text = text.replace(separator, "\n")
    return [part.strip() for part in text.split("\n") if part.strip()]


class OptionsText(fields.Field):
    """A variant's options typed as ``颜色=红;尺码=M``: a ``{name: value}`` mapping in order."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        return ";".join(f"{name}={text}" for name, text in (value or {}).items())

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> dict:
        options: dict[str, str] = {}
        for part in _split(str(value), OPTION_SEPARATORS):
            for equals in OPTION_EQUALS[1:]:
                part = part.replace(equals, OPTION_EQUALS[0])
            name, found, text = (piece.strip() for piece in part.partition(OPTION_EQUALS[0]))
            if not found or not name or not text:
                raise ValidationError(_("Write each option as name=value, e.g. 颜色=红;尺码=M"))
            if name in options:
                raise ValidationError(_("The option %(name)s is given twice", name=name))
            if len(name) > 30 or len(text) > 60:
                raise ValidationError(_("An option name has at most 30 characters and its value at most 60"))
            options[name] = text
        return options


class TagList(fields.Field):
    """Tags typed as a comma list, ``明前, 送礼``: a list without repeats, in order."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        return ", ".join(value or ())

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> list:
        tags = list(dict.fromkeys(_split(str(value), TAG_SEPARATORS)))
        too_long = [tag for tag in tags if len(tag) > 50]
        if too_long:
            raise ValidationError(_("A tag has at most 50 characters: %(tag)s", tag=too_long[0]))
        return tags


class VariantFormSchema(FormSchema):
    """One row of the variants table: a purchasable SKU with its price and stock."""

    #: the variant the row edits; empty for a new one
    id = fields.Integer(strict=False, allow_none=True, load_default=None, metadata={"widget": "hidden"})
    sku = fields.String(required=True, error_messages=REQUIRED, validate=[
        validate.Length(min=1, max=64, error=_("A SKU has 1 to 64 characters")),
        validate.Regexp(r"^\S+$", error=_("A SKU has no spaces")),
    ], metadata={"label": N_("SKU")})
    options = OptionsText(load_default=dict, metadata={
        "label": N_("Options (name=value)"), "placeholder": "颜色=红;尺码=M"})
    price = _amount(required=True, label=N_("Price"))
    compare_at_price = _amount(label=N_("Compare-at price"))
    weight_grams = _count(MAX_WEIGHT_GRAMS, load_default=0, metadata={"label": N_("Weight (g)")})
    barcode = _text(max_length=64, metadata={"label": N_("Barcode")})
    stock = _count(MAX_STOCK, load_default=0, metadata={"label": N_("Stock")})


class ProductFormSchema(FormSchema):
    """The product page: the product's text, where it is filed, its limits and SEO, and its variants.

    :param categories: ``(id, path)`` of every category, ``path`` as shown (``茶叶 / 绿茶``)
    :param currency: the shop currency; amounts may have no more decimals than it has
    """

    untrimmed = ("description",)

    title = _text(required=True, max_length=200, metadata={"label": N_("Title")})
    title_en = _text(max_length=200, metadata={"label": N_("English title")})
    subtitle = _text(max_length=300, metadata={"label": N_("Subtitle")})
    description = fields.String(load_default="", metadata={
        "label": N_("Description"), "widget": "text",
        "help": N_("HTML is allowed: formatting, images, tables and links; scripts and styles are removed.")})
    category = fields.String(load_default="", metadata={"label": N_("Category")})
    brand = _text(max_length=100, metadata={"label": N_("Brand"), "help": N_("A brand not known yet is created.")})
    tags = TagList(load_default=list, metadata={"label": N_("Tags"), "help": N_("Separated by commas.")})
    purchase_limit = _count(MAX_STOCK, least=1, allow_none=True, load_default=None, metadata={
        "label": N_("Purchase limit (限购)"), "help": N_("Most units one customer may buy; empty for no limit.")})
    meta_title = _text(max_length=200, metadata={"label": N_("SEO title")})
    meta_description = _text(max_length=400, metadata={"label": N_("SEO description"), "widget": "text"})
    variants = fields.List(
        fields.Nested(VariantFormSchema), required=True, error_messages=REQUIRED,
        validate=validate.Length(min=1, error=_("Add at least one variant with a SKU and a price")),
        metadata={"label": N_("Variants and prices")},
    )

    def __init__(self, *, categories: Iterable[tuple[int, str]] = (), currency: str = "CNY", **kwargs: Any):
        super().__init__(**kwargs)
        self.currency = currency
        _choice(self.fields["category"], categories, _("Choose a category from the list"))

    @validates_schema(skip_on_field_errors=False)
    def _variants_consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        """No SKU twice, and no amount finer than the currency's smallest unit (the fen)."""
        errors: dict[int, dict[str, list[str]]] = {}
        seen: set[str] = set()
        places = exponent(self.currency)
        for index, row in enumerate(data.get("variants") or ()):
            sku = row.get("sku")
            if sku in seen:
                errors.setdefault(index, {})["sku"] = [_("SKU %(sku)s is on another row", sku=sku)]
            seen.add(sku)
            for name in ("price", "compare_at_price"):
                amount = row.get(name)
                if amount is not None and amount.as_tuple().exponent < -places:
                    errors.setdefault(index, {})[name] = [_("At most %(places)s decimals", places=places)]
        if errors:
            raise ValidationError(errors, "variants")


class ImageFormSchema(FormSchema):
    """One product image's alt text and the variant it shows.

    :param variants: ``(id, label)`` of the product's variants
    """

    alt = _text(max_length=200, metadata={
        "label": N_("Alt text"), "help": N_("What the image shows, for screen readers and search engines.")})
    variant = fields.String(load_default="", metadata={
        "label": N_("Shows the variant"), "help": N_("The shop shows this image when the variant is chosen.")})

    def __init__(self, *, variants: Iterable[tuple[int, str]] = (), **kwargs: Any):
        super().__init__(**kwargs)
        _choice(self.fields["variant"], variants, _("Choose one of this product's variants"))


def _choice(field: fields.Field, choices: Iterable[tuple[int, str]], error: str) -> None:
    """Offer ``choices`` (id, label) in ``field`` and accept nothing else; empty means none."""
    choices = list(choices)
    field.validators = [validate.OneOf([str(id_) for id_, _label in choices],
                                       labels=[label for _id, label in choices], error=error)]
