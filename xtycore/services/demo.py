"""Seed a demo shop: enable installed plugins and configure their capabilities.

Idempotent: running it again changes nothing that is already there.
"""

from __future__ import annotations

from typing import Callable, Iterator

from sqlalchemy import select

from xtycore.extensions import db
from xtycore.kernel import get_kernel
from xtycore.models import CapabilityInstance
from xtycore.registry import KINDS
from xtycore.services import capabilities, plugins


def seed(progress: Callable[[str], None] = lambda line: None) -> Iterator[str]:
    """Yield a line per thing seeded."""
    kernel = get_kernel()
    for record in kernel.plugins.toggleable():
        if not kernel.plugins.is_enabled(record.name):
            plugins.set_enabled(record.name, True, actor="demo")
            yield f"enabled plugin {record.name} {record.version or ''}".rstrip()
    configured = {
        (row.kind, row.type_code)
        for row in db.session.execute(select(CapabilityInstance)).scalars()
    }
    for kind in KINDS:
        for ctype in kernel.registry.types(kind):
            demo_settings = getattr(ctype.obj, "demo_settings", None)
            if demo_settings is None or (kind, ctype.code) in configured:
                continue
            capabilities.create_instance(
                kind, ctype.code, display_name=ctype.name, settings=dict(demo_settings)
            )
            yield f"configured {kind} {ctype.code} ({ctype.name})"
