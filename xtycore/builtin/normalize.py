"""Built-in product normaliser: trimmed text, half-width characters, prices and weights.

Prices lose currency signs and thousands separators (``"¥1,299.00"`` ->
``"1299.00"``); a weight written with a unit (``"1.5kg"``, ``"500 g"``,
``"1公斤"``, ``"2斤"``, ``"３００克"``) adds ``weight_grams``, an integer. A
value it cannot read is left as written, so validation names it.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Mapping

from xtycore import hookimpl

#: Full-width punctuation that merchants type by accident in codes and numbers.
_PUNCTUATION = str.maketrans({"\u3000": " ", "\uff0e": ".", "\u3002": "."})
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")

#: Fields holding codes or numbers: every full-width character becomes half-width.
CODE_FIELDS = ("sku", "barcode", "price", "compare_at_price", "weight", "stock")
#: Fields holding prose: trimmed, spaces collapsed, full-width digits and letters
#: made half-width; Chinese punctuation (，。！) stays as the merchant wrote it.
TEXT_FIELDS = ("title", "subtitle", "brand", "category", "meta_title", "meta_description")


def to_half_width(text: str) -> str:
    """Turn full-width ASCII variants (Ａ１，) into ASCII (A1,) and the ideographic space into a space."""
    return unicodedata.normalize("NFKC", text.translate(_PUNCTUATION))


def half_width_alnum(text: str) -> str:
    """Turn only full-width digits and Latin letters into ASCII; keep Chinese punctuation."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xFF10 <= code <= 0xFF19 or 0xFF21 <= code <= 0xFF3A or 0xFF41 <= code <= 0xFF5A:
            out.append(chr(code - 0xFEE0))
        elif ch == "\u3000":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


#: Price fields: currency signs and thousands separators removed.
PRICE_FIELDS = ("price", "compare_at_price")
_CURRENCY = re.compile(r"^(?:¥|￥|RMB|CNY|元)|(?:元|RMB|CNY)$", re.IGNORECASE)
_PRICE = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^-?\d+(?:\.\d+)?$")

#: Grams per unit; 斤 and 两 are the market units (1 斤 = 500 g, 1 两 = 50 g).
WEIGHT_UNITS = {
    "g": Decimal(1), "gram": Decimal(1), "grams": Decimal(1), "克": Decimal(1),
    "kg": Decimal(1000), "千克": Decimal(1000), "公斤": Decimal(1000),
    "斤": Decimal(500), "市斤": Decimal(500), "两": Decimal(50),
    "mg": Decimal("0.001"), "毫克": Decimal("0.001"),
}
_WEIGHT = re.compile(r"^(\d+(?:\.\d+)?)([a-z\u4e00-\u9fff]*)$")


def normalize_price(text: str) -> str | None:
    """``"¥1,299.00"`` -> ``"1299.00"``; None when it is not a price."""
    bare = _CURRENCY.sub("", text).strip()
    bare = _CURRENCY.sub("", bare).strip()
    if not _PRICE.match(bare):
        return None
    return bare.replace(",", "")


def weight_in_grams(text: str) -> int | None:
    """``"1.5kg"`` -> 1500, ``"2斤"`` -> 1000, ``"500"`` -> 500 (grams); None when unreadable."""
    match = _WEIGHT.match(_SPACES.sub("", to_half_width(text)).lower())
    if not match:
        return None
    number, unit = match.groups()
    factor = WEIGHT_UNITS.get(unit or "g")
    if factor is None:
        return None
    try:
        grams = Decimal(number) * factor
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        return None
    return int(grams.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@hookimpl(tryfirst=True)
def xtycore_normalize_product(data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    changes: dict[str, Any] = {}
    for key in CODE_FIELDS:
        value = data.get(key)
        if isinstance(value, str):
            changes[key] = _SPACES.sub("", to_half_width(value))
    for key in TEXT_FIELDS:
        value = data.get(key)
        if isinstance(value, str):
            changes[key] = _SPACES.sub(" ", half_width_alnum(value)).strip()
    tags = data.get("tags")
    if isinstance(tags, (list, tuple)):
        cleaned = [_SPACES.sub(" ", half_width_alnum(str(t))).strip() for t in tags]
        changes["tags"] = list(dict.fromkeys(t for t in cleaned if t))
    for key in PRICE_FIELDS:
        value = changes.get(key, data.get(key))
        if isinstance(value, str) and normalize_price(value) is not None:
            changes[key] = normalize_price(value)
    weight = data.get("weight")
    if isinstance(weight, str) and weight.strip() and data.get("weight_grams") in (None, ""):
        grams = weight_in_grams(weight)
        if grams is not None:
            changes["weight_grams"] = grams
    changes = {k: v for k, v in changes.items() if v != data.get(k)}
    return changes or None
