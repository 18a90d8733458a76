"""CSV cells a spreadsheet will not run as formulas (CSV injection), and the same cells read back.

Every CSV the shop writes passes its cells through :func:`safe_cell`; every
CSV import (:mod:`xtycore.services.transfer`, :mod:`xtycore.services.catalog_import`)
reads its cells through :func:`plain_cell`, so an exported file imports unchanged.
"""

from __future__ import annotations

from typing import Any

#: What a spreadsheet may take for the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as a CSV cell a spreadsheet will not run: text that looks like a formula gets an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def plain_cell(text: str) -> str:
    """A cell as it was before :func:`safe_cell`: trimmed, without the apostrophe that guarded a formula."""
    text = text.strip()
    if text.startswith("'") and text[1:2] and text[1] in FORMULA_STARTS:
        return text[1:]
    return text
