"""Input of the review form: the stars and the text (photos arrive as files beside them)."""

from __future__ import annotations

from marshmallow import fields, validate

from xtycore.domain.reviews import MAX_BODY_CHARS, MAX_RATING, MIN_RATING
from xtycore.schemas.accounts import FormSchema

STARS = f"请选择{MIN_RATING}到{MAX_RATING}星"


class ReviewFormSchema(FormSchema):
    rating = fields.Integer(
        required=True, strict=False,
        validate=validate.Range(min=MIN_RATING, max=MAX_RATING, error=STARS),
        error_messages={"required": STARS, "null": STARS, "invalid": STARS},
    )
    body = fields.String(
        load_default="", validate=validate.Length(max=MAX_BODY_CHARS, error=f"评价最多{MAX_BODY_CHARS}字"),
    )
