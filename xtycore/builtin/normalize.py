"""Built-in product normaliser: trimmed text, half-width digits, letters and punctuation."""

from __future__ import annotations

import re
import unicodedata
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
    changes = {k: v for k, v in changes.items() if v != data.get(k)}
    return changes or None
