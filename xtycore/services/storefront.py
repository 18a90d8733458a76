"""Storefront contributions that fail open: recommendations."""

from __future__ import annotations

from xtycore.domain.contributions import Recommendation
from xtycore.kernel import get_kernel
from xtycore.plugins import FaultPolicy


def recommend(product_id: str | None, customer_id: str | None, limit: int) -> list[Recommendation]:
    """Recommendations of every enabled plugin, best score first, one per product, cut to ``limit``."""
    merged: dict[str, Recommendation] = {}
    for _plugin, rec in get_kernel().plugins.collect(
        "xtycore_recommendations", policy=FaultPolicy.OPEN,
        product_id=product_id, customer_id=customer_id, limit=limit,
    ):
        if rec.product_id == product_id:
            continue
        best = merged.get(rec.product_id)
        if best is None or rec.score > best.score:
            merged[rec.product_id] = rec
    return sorted(merged.values(), key=lambda r: -r.score)[:limit]
