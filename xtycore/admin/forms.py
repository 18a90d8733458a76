"""Forms drawn from marshmallow schemas: one declaration drives the page, the parsing and the errors.

A capability's settings schema, a theme's settings (built from theme.toml) and,
later, products are edited through the same three steps:

1. :func:`form_fields` describes each field of the schema for the template
   (``admin/_form.html`` draws them): its widget, label, help, whether it is
   required, its choices;
2. :func:`form_values` turns stored data into what the inputs show; secret
   fields show only a mask (``••••cdef``), never the value;
3. :func:`parse_form` turns the posted form back into what the *same* schema
   loads, and :func:`field_errors` puts the schema's messages next to the
   fields they belong to.

What a field may carry in ``metadata`` (docs/backoffice.md lists it for plugin
authors): ``label``, ``help`` (or ``description``), ``secret`` (masked,
encrypted at rest), ``money`` (a Decimal amount in the shop currency),
``widget`` (``"text"`` for a multi-line box, ``"color"``, ``"hidden"``), ``placeholder``.
A ``OneOf`` validator makes a choice list (its ``labels`` are shown), a
``Range`` validator sets the input's min and max.

``fields.List(fields.Nested(RowSchema))`` is a table of rows (a product's
variants): row ``i``'s inputs are named ``field.i.column``, a row whose inputs
are all empty is left out (the blank rows for adding one), and a row with its
``field.i._remove`` box ticked is dropped. ``admin/_form_rows.html`` draws it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from marshmallow import Schema, fields, missing, validate
from werkzeug.datastructures import MultiDict

from xtycore import vault
from xtycore.services.addresses import translated

#: widgets the template knows
WIDGETS = ("string", "text", "integer", "decimal", "money", "boolean", "choice", "email", "url", "list",
           "nested", "secret", "color", "hidden", "rows")
#: an error of the whole form rather than one field
FORM_ERRORS = "_schema"
#: the column of a row of a ``rows`` field that asks for the row to be dropped
ROW_REMOVE = "_remove"


@dataclass(frozen=True)
class FormField:
    name: str  #: the input's name; nested fields are dotted, ``address.city``
    widget: str
    label: str
    help: str = ""
    required: bool = False
    placeholder: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    minimum: Any = None
    maximum: Any = None
    children: tuple["FormField", ...] = ()

    @property
    def input_id(self) -> str:
        return "f-" + self.name.replace(".", "-")


def _widget(field: fields.Field) -> str:
    meta = field.metadata
    hint = meta.get("widget") or meta.get("type")
    if meta.get("secret"):
        return "secret"
    if hint == "hidden":
        return "hidden"
    if isinstance(field, fields.Boolean):
        return "boolean"
    if isinstance(field, fields.Nested):
        return "nested"
    if isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
        return "rows"
    if isinstance(field, fields.List):
        return "list"
    if isinstance(field, fields.Integer):
        return "integer"
    if isinstance(field, fields.Decimal):
        return "money" if meta.get("money") else "decimal"
    if isinstance(field, fields.Email):
        return "email"
    if isinstance(field, fields.Url):
        return "url"
    if _one_of(field) is not None:
        return "choice"
    if hint in ("text", "color"):
        return hint
    return "string"


def _one_of(field: fields.Field) -> validate.OneOf | None:
    return next((v for v in field.validators if isinstance(v, validate.OneOf)), None)


def _range(field: fields.Field) -> validate.Range | None:
    return next((v for v in field.validators if isinstance(v, validate.Range)), None)


def _label(name: str, field: fields.Field) -> str:
    return field.metadata.get("label") or name.replace("_", " ").capitalize()


def form_fields(schema: Schema, prefix: str = "") -> list[FormField]:
    """The fields of ``schema`` in declaration order, as the template draws them."""
    described = []
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        widget = _widget(field)
        one_of, bounds = _one_of(field), _range(field)
        choices: tuple[tuple[str, str], ...] = ()
        if one_of is not None:
            labels = list(one_of.labels) if one_of.labels else [str(c) for c in one_of.choices]
            choices = tuple((str(c), str(label)) for c, label in zip(one_of.choices, labels))
        children: tuple[FormField, ...] = ()
        if widget == "nested":
            children = tuple(form_fields(field.schema, f"{prefix}{name}."))
        elif widget == "rows":  # the columns; the template names row i's inputs ``name.i.column``
            children = tuple(form_fields(field.inner.schema))
        described.append(FormField(
            name=f"{prefix}{name}", widget=widget, label=_label(name, field),
            help=field.metadata.get("help") or field.metadata.get("description") or "",
            required=field.required, placeholder=field.metadata.get("placeholder", ""), choices=choices,
            minimum=bounds.min if bounds is not None else None, maximum=bounds.max if bounds is not None else None,
            children=children,
        ))
    return described


def form_values(schema: Schema, data: Mapping[str, Any] | None, prefix: str = "") -> dict[str, Any]:
    """What each input shows for stored ``data``: text, a bool for checkboxes, a mask for secrets."""
    shown: dict[str, Any] = {}
    data = data or {}
    for name, field in schema.fields.items():
        key, value = f"{prefix}{name}", data.get(name)
        widget = _widget(field)
        if widget == "nested":
            shown.update(form_values(field.schema, value if isinstance(value, Mapping) else {}, f"{key}."))
        elif widget == "rows":  # one mapping of column -> shown text per row
            shown[key] = [form_values(field.inner.schema, row) for row in value or ()]
        elif widget == "boolean":
            shown[key] = bool(value)
        elif widget == "secret":
            shown[key] = vault.mask(value) if value not in (None, "") else ""
        elif widget == "list":
            shown[key] = "\n".join(str(item) for item in value or ())
        else:
            shown[key] = "" if value is None else str(value)
    return shown


def parse_form(schema: Schema, form: MultiDict, prefix: str = "") -> dict[str, Any]:
    """The posted form as input for ``schema.load``: checkboxes as booleans, lists from lines.

    Empty inputs are left out, so the schema's defaults and its "required"
    messages apply, except an optional text field without a default, which
    is sent empty so that it can be cleared. A secret left empty or sent back
    masked is left for the caller to keep (:func:`xtycore.vault.merge_submitted`).
    """
    raw: dict[str, Any] = {}
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        key = f"{prefix}{name}"
        widget = _widget(field)
        if widget == "boolean":
            raw[name] = form.get(key) in ("on", "true", "1", "y", "yes")
        elif widget == "nested":
            nested = parse_form(field.schema, form, f"{key}.")
            if nested or field.required:
                raw[name] = nested
        elif widget == "rows":
            rows = [parse_form(field.inner.schema, form, f"{key}.{index}.") for index in _kept_rows(form, key)]
            if rows or field.required:
                raw[name] = rows
        elif widget == "list":
            items = [line.strip() for line in form.get(key, "").splitlines() if line.strip()]
            if items or field.required:
                raw[name] = items
        else:
            value = form.get(key, "")
            value = value if widget in ("text", "secret") else value.strip()
            if value.strip():
                raw[name] = value
            elif key in form and _clearable(field, widget):
                raw[name] = ""
    return raw


def _row_indexes(form: MultiDict, key: str) -> list[int]:
    """The row numbers posted for the ``rows`` field ``key``, in order."""
    pattern = re.compile(rf"^{re.escape(key)}\.(\d+)\.")
    return sorted({int(found.group(1)) for name in form.keys() if (found := pattern.match(name))})


def _kept_rows(form: MultiDict, key: str, *, removed: bool = False) -> Iterator[int]:
    """Rows that are not blank, and not ticked for removal (or only those ticked, with ``removed``)."""
    for index in _row_indexes(form, key):
        prefix = f"{key}.{index}."
        inputs = [value for name, value in form.items(multi=True) if name.startswith(prefix)
                  and name != prefix + ROW_REMOVE]
        if any(value.strip() for value in inputs) and _ticked(form.get(prefix + ROW_REMOVE)) == removed:
            yield index


def _ticked(value: str | None) -> bool:
    return value in ("on", "true", "1", "y", "yes")


def _clearable(field: fields.Field, widget: str) -> bool:
    """An optional text input without a default may be emptied (a theme's footer text)."""
    return widget in ("string", "text") and not field.required and field.load_default is missing


def field_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's messages keyed by input name, in the request's language.

    Nested fields are dotted; a row of a ``rows`` field is ``field.i.column``;
    an item of a plain list reports on the list.
    """
    if isinstance(messages, (list, tuple)):
        return {prefix.rstrip(".") or FORM_ERRORS: [str(translated(m)) for m in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in (messages or {}).items():
        if isinstance(key, int) and isinstance(value, Mapping):  # a row of a ``rows`` field
            for inner, text in field_errors(value, f"{prefix}{key}.").items():
                flat.setdefault(inner, []).extend(text)
            continue
        if isinstance(key, int):  # an item of a list field
            for text in field_errors(value, "").values():
                flat.setdefault(prefix.rstrip("."), []).extend(text)
            continue
        name = FORM_ERRORS if key == FORM_ERRORS and not prefix else f"{prefix}{key}"
        if isinstance(value, Mapping):
            for inner, text in field_errors(value, f"{name}.").items():
                flat.setdefault(inner, []).extend(text)
        else:
            flat.setdefault(name, []).extend(str(translated(m)) for m in value)
    return flat


def redisplayed(schema: Schema, form: MultiDict, stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the inputs show after a refused POST: the staff member's input, but secrets only masked."""
    shown = form_values(schema, stored)
    for key in shown:
        field = _lookup(schema, key)
        if field is None or _widget(field) == "secret":
            continue
        if _widget(field) == "rows":
            shown[key] = _posted_rows(field.inner.schema, form, key)
        else:
            shown[key] = _ticked(form.get(key)) if _widget(field) == "boolean" else form.get(key, "")
    return shown


def _posted_rows(schema: Schema, form: MultiDict, key: str) -> list[dict[str, Any]]:
    """A ``rows`` field as posted: the kept rows first, numbered as the schema's errors number them,
    then the rows ticked for removal (still ticked); blank rows are left out."""
    kept, removed = list(_kept_rows(form, key)), list(_kept_rows(form, key, removed=True))
    rows = [redisplayed(schema, _row_form(form, f"{key}.{index}."), {}) for index in kept + removed]
    for row in rows[len(kept):]:
        row[ROW_REMOVE] = True
    return rows


def _row_form(form: MultiDict, prefix: str) -> MultiDict:
    return MultiDict([(name[len(prefix):], value) for name, value in form.items(multi=True)
                      if name.startswith(prefix)])


def _lookup(schema: Schema, dotted: str) -> fields.Field | None:
    head, _, rest = dotted.partition(".")
    field = schema.fields.get(head)
    if rest and isinstance(field, fields.Nested):
        return _lookup(field.schema, rest)
    return None if rest else field
