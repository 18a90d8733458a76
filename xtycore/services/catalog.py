"""Catalogue intake: normalisation and automatic listing review through the hooks."""

from __future__ import annotations

from typing import Any, Mapping

from xtycore.domain.contributions import Finding, Severity
from xtycore.kernel import get_kernel
from xtycore.plugins import FaultPolicy


def normalize_product(data: Mapping[str, Any]) -> dict[str, Any]:
    """Run every enabled normaliser in order; each sees the previous one's result.

    Fails closed: a failing normaliser stops the import of that product rather
    than letting unnormalised prices or codes through.
    """
    current = dict(data)
    plugins = get_kernel().plugins
    for impl in plugins.implementations("xtycore_normalize_product"):
        with plugins.guard(impl.plugin_name, "xtycore_normalize_product", FaultPolicy.CLOSED) as outcome:
            outcome.value = plugins.invoke(impl, {"data": dict(current)})
        if outcome.value:
            current.update(outcome.value)
    return current


def review_product(product: Mapping[str, Any]) -> list[tuple[str, Finding]]:
    """Every enabled reviewer's findings, as ``(plugin, finding)``, most severe first.

    A reviewer that crashes is recorded and turns into a blocking finding, so
    the product waits for a person instead of being published unreviewed.
    """
    plugins = get_kernel().plugins
    findings: list[tuple[str, Finding]] = []
    for impl in plugins.implementations("xtycore_review_product"):
        with plugins.guard(impl.plugin_name, "xtycore_review_product", FaultPolicy.OPEN) as outcome:
            outcome.value = plugins.invoke(impl, {"product": product})
        if outcome.failed:
            findings.append((impl.plugin_name, Finding(
                Severity.BLOCKING, "reviewer_failed",
                f"the reviewer of plugin {impl.plugin_name} failed; review this product by hand",
            )))
            continue
        findings.extend((impl.plugin_name, f) for f in outcome.value or ())
    rank = {Severity.BLOCKING: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted(findings, key=lambda pf: rank[pf[1].severity])


def needs_review(findings: list[tuple[str, Finding]]) -> bool:
    """Whether the findings send the product to the review queue instead of publishing it."""
    return any(f.severity is Severity.BLOCKING for _, f in findings)
