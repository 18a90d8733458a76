"""Input of the back office's category and brand forms, drawn by :mod:`xtycore.admin.forms`.

One declaration per form: the page draws these fields, the same schema loads
what is posted, and its messages go next to the inputs. Choices that depend
on the shop (the parent category, where a deleted category's products go) are
given to the schema when it is made and become ``OneOf`` validators, which the
form draws as choice lists. Messages are English
:class:`~xtycore.domain.addresses.Message` strings that the web layer
translates; labels are marked with ``N_`` and translated when drawn.

What needs the database (a brand's name or a slug already taken, a category
moved under itself) is checked by :mod:`xtycore.services.taxonomy`.
"""

from __future__ import annotations

from typing import Any, Sequence

from marshmallow import fields, post_load, validate

from xtycore.domain.addresses import Message as _
from xtycore.domain.staff import N_
from xtycore.models.catalog import Brand, Category
from xtycore.schemas.accounts import FormSchema, _text

#: Longest name and slug the tables hold.
NAME_MAX = Category.name.type.length
SLUG_MAX = Category.slug.type.length
#: Empty (make one from the name), or lower-case words of letters and digits joined by hyphens.
SLUG_PATTERN = r"^(?:[a-z0-9]+(?:-[a-z0-9]+)*)?$"
#: The sort orders a category may have (smaller first).
SORT_RANGE = (-1_000_000, 1_000_000)
SORT_ERROR = _("A sort order is a whole number from %(min)s to %(max)s", min=SORT_RANGE[0], max=SORT_RANGE[1])
#: What the brand delete form sends for "leave its products without a brand".
NO_BRAND = "none"

#: A choice: the value the form sends (an id) and what the list shows.
Choice = tuple[int | str, str]


def _slug(help_text: str) -> fields.String:
    return fields.String(
        load_default="",
        validate=[validate.Length(max=SLUG_MAX, error=_("At most %(number)s characters", number=SLUG_MAX)),
                  validate.Regexp(SLUG_PATTERN, error=_(
                      "Use lower-case letters, digits and hyphens only, e.g. long-jing-cha"))],
        metadata={"label": N_("Address (slug)"), "help": help_text},
    )


def _choice(field: fields.Field, choices: Sequence[Choice], error: str) -> None:
    """Offer ``choices`` in ``field`` (a fresh copy per schema instance) and accept nothing else."""
    field.validators = [validate.OneOf([str(value) for value, _label in choices],
                                       labels=[label for _value, label in choices], error=error)]


def _id_or_none(value: str) -> int | None:
    return int(value) if value else None


class CategorySchema(FormSchema):
    """A category: names, address, place in the tree and among its siblings."""

    name = _text(required=True, max_length=NAME_MAX, metadata={"label": N_("Name")})
    name_en = _text(max_length=NAME_MAX, metadata={
        "label": N_("English name"), "help": N_("Shown to visitors reading English; empty shows the name.")})
    slug = _slug(N_("The category's address, /c/<slug>. Leave empty to make one from the name (pinyin for "
                    "Chinese). Changing it changes the address: old links stop working."))
    parent_id = fields.String(load_default="", metadata={
        "label": N_("Parent category"), "help": N_("Leave empty for a top-level category.")})
    sort = fields.Integer(
        load_default=0, strict=False,
        validate=validate.Range(min=SORT_RANGE[0], max=SORT_RANGE[1], error=SORT_ERROR),
        error_messages={"invalid": SORT_ERROR},
        metadata={"label": N_("Sort order"),
                  "help": N_("Smaller numbers come first among categories with one parent, in the shop and here.")},
    )

    def __init__(self, *, parents: Sequence[Choice] = (), **kwargs: Any) -> None:
        """:param parents: the categories this one may go under, as ``(id, label)``."""
        super().__init__(**kwargs)
        _choice(self.fields["parent_id"], parents, _("Choose the parent category from the list"))

    @post_load
    def ids(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {**data, "parent_id": _id_or_none(data["parent_id"])}


class CategoryDeleteSchema(FormSchema):
    """Deleting a category: where the products it holds go."""

    move_products_to = fields.String(load_default="", metadata={
        "label": N_("Move its products to"),
        "help": N_("Needed while the category holds products; they are moved in the same step.")})

    def __init__(self, *, targets: Sequence[Choice] = (), **kwargs: Any) -> None:
        """:param targets: the categories the products may go to, as ``(id, label)``."""
        super().__init__(**kwargs)
        _choice(self.fields["move_products_to"], targets, _("Choose a category from the list"))

    @post_load
    def ids(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {"move_products_to": _id_or_none(data["move_products_to"])}


class BrandSchema(FormSchema):
    """A brand: its name (unique), English name and address."""

    name = _text(required=True, max_length=Brand.name.type.length, metadata={"label": N_("Name")})
    name_en = _text(max_length=Brand.name_en.type.length, metadata={
        "label": N_("English name"), "help": N_("Shown to visitors reading English; empty shows the name.")})
    slug = _slug(N_("Leave empty to make one from the name (pinyin for Chinese)."))


class BrandDeleteSchema(FormSchema):
    """Deleting a brand: what becomes of the products that carry it."""

    products_to = fields.String(load_default="", metadata={
        "label": N_("Its products"),
        "help": N_("Needed while products carry the brand: give them another brand, or none.")})

    def __init__(self, *, brands: Sequence[Choice] = (), **kwargs: Any) -> None:
        """:param brands: the other brands, as ``(id, label)``; "no brand" is offered first."""
        super().__init__(**kwargs)
        _choice(self.fields["products_to"], [(NO_BRAND, N_("No brand")), *brands],
                _("Choose what becomes of its products from the list"))

    @post_load
    def target(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """``reassign``: whether the products get another brand (``to_brand_id``, None for none)."""
        chosen = data["products_to"]
        return {"reassign": bool(chosen), "to_brand_id": None if chosen in ("", NO_BRAND) else int(chosen)}
