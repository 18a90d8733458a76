"""Forms drawn from marshmallow schemas: every field type renders, parses back and shows its errors."""

from __future__ import annotations

from decimal import Decimal

from flask import render_template_string
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import MultiDict

from xtycore.admin.forms import field_errors, form_fields, form_values, parse_form, redisplayed

FORM = """{% from "admin/_form.html" import schema_fields %}{{ schema_fields(fields, values, errors) }}"""


class Address(Schema):
    city = fields.String(required=True, metadata={"label": "City"})
    postcode = fields.String(validate=validate.Regexp(r"^\d{6}$", error="Six digits."))


class Everything(Schema):
    name = fields.String(required=True, metadata={"label": "Shop name", "help": "Shown on receipts."})
    notes = fields.String(metadata={"widget": "text"})
    retries = fields.Integer(load_default=3, validate=validate.Range(min=0, max=10))
    fee = fields.Decimal(places=2, as_string=True, metadata={"money": True})
    rate = fields.Decimal(places=4, as_string=True)
    live = fields.Boolean(load_default=False)
    mode = fields.String(validate=validate.OneOf(["test", "live"], labels=["Testing", "Production"]))
    contact = fields.Email()
    callback = fields.Url()
    provinces = fields.List(fields.String(validate=validate.Length(min=2)))
    address = fields.Nested(Address)
    api_key = fields.String(required=True, metadata={"secret": True})


def test_each_field_gets_its_widget_label_help_required_marker_and_choices():
    described = {f.name: f for f in form_fields(Everything())}
    assert {name: f.widget for name, f in described.items()} == {
        "name": "string", "notes": "text", "retries": "integer", "fee": "money", "rate": "decimal",
        "live": "boolean", "mode": "choice", "contact": "email", "callback": "url", "provinces": "list",
        "address": "nested", "api_key": "secret",
    }
    assert (described["name"].label, described["name"].help, described["name"].required) == (
        "Shop name", "Shown on receipts.", True)
    assert described["notes"].label == "Notes" and not described["notes"].required
    assert described["mode"].choices == (("test", "Testing"), ("live", "Production"))
    assert (described["retries"].minimum, described["retries"].maximum) == (0, 10)
    assert [c.name for c in described["address"].children] == ["address.city", "address.postcode"]


def test_the_form_renders_inputs_with_labels_required_markers_and_a_masked_secret(xty_app):
    schema = Everything()
    stored = {"name": "小甜园 <b>", "live": True, "mode": "live", "provinces": ["广东省", "浙江省"],
              "address": {"city": "深圳"}, "api_key": "sk_live_0123456789abcdef", "fee": "12.50"}
    with xty_app.test_request_context("/admin/"):
        html = render_template_string(FORM, fields=form_fields(schema), values=form_values(schema, stored),
                                      errors={})
    assert 'id="f-name" name="name" value="小甜园 &lt;b&gt;"' in html
    assert '<label for="f-name">Shop name <span class="required" aria-hidden="true">*</span>' in html
    assert 'aria-describedby="f-name-help"' in html and "Shown on receipts." in html
    assert 'type="number" id="f-retries" name="retries" value="" min="0" max="10"' in html
    assert 'id="f-fee" name="fee" value="12.50" inputmode="decimal"' in html
    assert '<input type="checkbox" id="f-live" name="live" checked' in html
    assert '<option value="live" selected>Production</option>' in html
    assert 'type="email" id="f-contact"' in html and 'type="url" id="f-callback"' in html
    assert ">广东省\n浙江省</textarea>" in html
    assert 'name="address.city" value="深圳"' in html and "<legend>Address</legend>" in html
    assert 'type="password" id="f-api_key" name="api_key" value="••••cdef"' in html
    assert "sk_live_0123456789abcdef" not in html


def test_a_posted_form_parses_back_through_the_same_schema():
    schema = Everything()
    posted = MultiDict({
        "name": "  小甜园  ", "notes": "line one\nline two", "retries": "5", "fee": "9.90", "live": "on",
        "mode": "test", "contact": "shop@example.cn", "callback": "https://shop.example.cn/hook",
        "provinces": "广东省\n\n 浙江省 \n", "address.city": "杭州", "address.postcode": "310000",
        "api_key": "sk_new_value_123", "rate": "",
    })
    loaded = schema.load(parse_form(schema, posted))
    assert loaded == {
        "name": "小甜园", "notes": "line one\nline two", "retries": 5, "fee": Decimal("9.90"), "live": True,
        "mode": "test", "contact": "shop@example.cn", "callback": "https://shop.example.cn/hook",
        "provinces": ["广东省", "浙江省"], "address": {"city": "杭州", "postcode": "310000"},
        "api_key": "sk_new_value_123",
    }


def test_an_unticked_checkbox_is_false_and_empty_inputs_take_the_schema_defaults():
    schema = Everything()
    loaded = schema.load(parse_form(schema, MultiDict({"name": "x", "api_key": "k", "retries": ""})))
    assert loaded["live"] is False and loaded["retries"] == 3 and "fee" not in loaded


def test_the_schema_messages_land_next_to_their_fields(xty_app):
    schema = Everything()
    posted = MultiDict({"retries": "eleven", "mode": "maybe", "contact": "not-mail", "provinces": "x",
                        "address.postcode": "12", "fee": "abc"})
    try:
        schema.load(parse_form(schema, posted))
    except ValidationError as exc:
        errors = field_errors(exc.normalized_messages())
    assert set(errors) == {"name", "retries", "mode", "contact", "provinces", "address.city", "address.postcode",
                           "fee", "api_key"}
    assert errors["address.postcode"] == ["Six digits."]
    assert errors["name"] == ["Missing data for required field."]
    with xty_app.test_request_context("/admin/"):
        html = render_template_string(FORM, fields=form_fields(schema),
                                      values=redisplayed(schema, posted, {"api_key": "stored-secret-9876"}),
                                      errors=errors)
    assert '<p class="field-error" id="f-address-postcode-error">Six digits.</p>' in html
    assert 'value="eleven"' in html and 'aria-invalid="true"' in html
    assert 'name="api_key" value="••••9876"' in html


def test_a_schema_level_error_is_shown_above_the_fields():
    assert field_errors({"_schema": ["Pick one."]}) == {"_schema": ["Pick one."]}


def test_a_redisplayed_form_never_echoes_a_typed_secret():
    schema = Everything()
    shown = redisplayed(schema, MultiDict({"api_key": "typed-but-refused-secret"}), {})
    assert shown["api_key"] == ""


def test_an_optional_text_without_a_default_can_be_emptied_and_one_with_a_default_falls_back():
    class Footer(Schema):
        footer = fields.String(metadata={"widget": "text"})
        greeting = fields.String(load_default="你好")

    schema = Footer()
    assert schema.load(parse_form(schema, MultiDict({"footer": "", "greeting": ""}))) == {
        "footer": "", "greeting": "你好"}
