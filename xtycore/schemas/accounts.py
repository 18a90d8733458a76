"""Input of the account forms: registration, login, passwords, addresses.

One declaration per form (no second form library): the web layer passes the
posted fields to ``Schema().load`` and shows ``ValidationError.messages``
beside each input. Text fields are trimmed, passwords never (a space in a
password is part of it). Messages are English :class:`~xtycore.domain.addresses.Message`
strings, put into the customer's language by the web layer
(:func:`xtycore.services.addresses.translated_errors`).
"""

from __future__ import annotations

from typing import Any, Mapping

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema

from xtycore.domain.addresses import ChineseAddress, address_errors, mobile_error, normalise
from xtycore.domain.addresses import Message as _

PASSWORD_MIN_LENGTH = 8
#: argon2 hashes any length, but a megabyte "password" is only a way to burn CPU.
PASSWORD_MAX_LENGTH = 128
REQUIRED = {"required": _("Please fill in this field"), "null": _("Please fill in this field")}
PASSWORD_LENGTH = validate.Length(
    min=PASSWORD_MIN_LENGTH, max=PASSWORD_MAX_LENGTH,
    error=_("A password has %(min)s to %(max)s characters", min=PASSWORD_MIN_LENGTH, max=PASSWORD_MAX_LENGTH),
)


def normalise_email(raw: str) -> str:
    """The stored form of an email address: trimmed and lower-cased, so one person has one account."""
    return raw.strip().lower()


def _text(required: bool = False, max_length: int | None = None, **kwargs: Any) -> fields.String:
    validators = []
    if max_length:
        validators.append(validate.Length(max=max_length, error=_("At most %(number)s characters", number=max_length)))
    if required:
        validators.insert(0, validate.Length(min=1, error=_("Please fill in this field")))
        return fields.String(required=True, validate=validators, error_messages=REQUIRED, **kwargs)
    return fields.String(load_default="", validate=validators, **kwargs)


def _optional_mobile(value: str) -> None:
    message = mobile_error(value) if value else None
    if message:
        raise ValidationError(message)


def _password(**kwargs: Any) -> fields.String:
    return fields.String(required=True, validate=PASSWORD_LENGTH, error_messages=REQUIRED, **kwargs)


class FormSchema(Schema):
    """Posted form fields: unknown ones (the CSRF token, ``next``) ignored, text trimmed."""

    class Meta:
        unknown = EXCLUDE

    #: fields whose value is kept exactly as typed
    untrimmed: tuple[str, ...] = ()

    @pre_load
    def trim(self, data: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {
            key: value.strip() if isinstance(value, str) and key not in self.untrimmed else value
            for key, value in data.items()
        }


def _confirm(data: Mapping[str, Any], field: str, confirm: str) -> None:
    if data.get(field) != data.get(confirm):
        raise ValidationError({confirm: [_("The two passwords do not match")]})


class RegistrationSchema(FormSchema):
    untrimmed = ("password", "password_confirm")

    email = fields.Email(
        required=True, validate=validate.Length(max=254, error=_("This email address is too long")),
        error_messages={**REQUIRED, "invalid": _("Please enter a valid email address")},
    )
    mobile = fields.String(load_default="", validate=_optional_mobile)
    display_name = _text(max_length=50)
    password = _password()
    password_confirm = fields.String(required=True, error_messages=REQUIRED)

    @validates_schema
    def check(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        _confirm(data, "password", "password_confirm")

    @post_load
    def clean(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        data.pop("password_confirm", None)
        data["email"] = normalise_email(data["email"])
        data["mobile"] = data.get("mobile") or None
        return data


class LoginSchema(FormSchema):
    untrimmed = ("password",)

    #: an email address or a mobile number
    identifier = _text(required=True, max_length=254)
    password = fields.String(required=True, validate=validate.Length(min=1, error=_("Please fill in this field")),
                             error_messages=REQUIRED)
    remember = fields.Boolean(load_default=False)


class PasswordChangeSchema(FormSchema):
    untrimmed = ("current_password", "new_password", "new_password_confirm")

    current_password = fields.String(required=True, error_messages=REQUIRED,
                                     validate=validate.Length(min=1, error=_("Please fill in this field")))
    new_password = _password()
    new_password_confirm = fields.String(required=True, error_messages=REQUIRED)

    @validates_schema
    def check(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        _confirm(data, "new_password", "new_password_confirm")


class ResetRequestSchema(FormSchema):
    email = fields.Email(required=True, error_messages={**REQUIRED, "invalid": _("Please enter a valid email address")})

    @post_load
    def clean(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {"email": normalise_email(data["email"])}


class ResetPasswordSchema(FormSchema):
    untrimmed = ("password", "password_confirm")

    password = _password()
    password_confirm = fields.String(required=True, error_messages=REQUIRED)

    @validates_schema
    def check(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        _confirm(data, "password", "password_confirm")


class AddressSchema(FormSchema):
    """An address book entry; the rules are :func:`xtycore.domain.addresses.address_errors`."""

    recipient = fields.String(load_default="")
    mobile = fields.String(load_default="")
    province = fields.String(load_default="")
    city = fields.String(load_default="")
    district = fields.String(load_default="")
    street = fields.String(load_default="")
    postcode = fields.String(load_default="")
    is_default = fields.Boolean(load_default=False)

    @validates_schema
    def check(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        errors = address_errors(_address(data))
        if errors:
            raise ValidationError(errors)

    @post_load
    def clean(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {"address": _address(data), "is_default": data["is_default"]}


def _address(data: Mapping[str, Any]) -> ChineseAddress:
    return normalise(ChineseAddress(**{k: data.get(k, "") for k in ChineseAddress.__dataclass_fields__}))
