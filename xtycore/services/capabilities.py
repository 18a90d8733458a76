"""Configure capability instances: create, update, enable or disable, delete.

Every change validates settings with the type's own marshmallow schema,
encrypts secret fields, writes in one transaction and raises the kernel
generation so every worker process uses the new configuration on its next
request, without a restart.
"""

from __future__ import annotations

from typing import Any, Mapping

from flask import current_app
from marshmallow import ValidationError

from xtycore import vault
from xtycore.domain.errors import InvalidSettings, UnknownCapability
from xtycore.extensions import db, transaction
from xtycore.kernel import get_kernel
from xtycore.models import CapabilityInstance
from xtycore.registry import KINDS, CapabilityType
from xtycore.state import bump


def _validated(ctype: CapabilityType, submitted: Mapping[str, Any]) -> dict[str, Any]:
    schema = ctype.schema()
    try:
        loaded = schema.load(dict(submitted))
    except ValidationError as exc:
        raise InvalidSettings(exc.normalized_messages()) from None
    # store JSON-native values: what the schema dumps is what it loads next time
    return schema.dump(loaded)


def create_instance(
    kind: str,
    type_code: str,
    *,
    display_name: str,
    settings: Mapping[str, Any],
    enabled: bool = True,
    sort_order: int = 0,
) -> int:
    """Create a configured instance; returns its id. Raises InvalidSettings, UnknownCapability."""
    if kind not in KINDS:
        raise UnknownCapability(f"unknown capability kind {kind!r}; one of {', '.join(KINDS)}")
    ctype = get_kernel().registry.type(kind, type_code)
    if not display_name.strip():
        raise InvalidSettings({"display_name": ["Missing data for required field."]})
    clean = _validated(ctype, settings)
    with transaction() as session:
        row = CapabilityInstance(
            kind=kind,
            type_code=type_code,
            display_name=display_name.strip(),
            enabled=enabled,
            sort_order=sort_order,
            settings=vault.seal(ctype.schema(), clean, current_app.secret_key),
        )
        session.add(row)
        session.flush()
        bump()
        return row.id


def _row_and_type(instance_id: int) -> tuple[CapabilityInstance, CapabilityType]:
    row = db.session.get(CapabilityInstance, instance_id)
    if row is None:
        raise UnknownCapability(f"no capability instance with id {instance_id}")
    return row, get_kernel().registry.type(row.kind, row.type_code)


def update_instance(
    instance_id: int,
    *,
    settings: Mapping[str, Any] | None = None,
    display_name: str | None = None,
    sort_order: int | None = None,
) -> None:
    """Change an instance's settings (secrets left empty or masked are kept) or labels."""
    with transaction():
        row, ctype = _row_and_type(instance_id)
        if settings is not None:
            schema = ctype.schema()
            current = vault.unseal(schema, row.settings, current_app.secret_key)
            merged = vault.merge_submitted(schema, settings, current)
            row.settings = vault.seal(schema, _validated(ctype, merged), current_app.secret_key)
        if display_name is not None:
            if not display_name.strip():
                raise InvalidSettings({"display_name": ["Missing data for required field."]})
            row.display_name = display_name.strip()
        if sort_order is not None:
            row.sort_order = sort_order
        bump()


def set_instance_enabled(instance_id: int, enabled: bool) -> None:
    with transaction():
        row = db.session.get(CapabilityInstance, instance_id)
        if row is None:
            raise UnknownCapability(f"no capability instance with id {instance_id}")
        row.enabled = enabled
        bump()


def delete_instance(instance_id: int) -> None:
    with transaction():
        row = db.session.get(CapabilityInstance, instance_id)
        if row is None:
            raise UnknownCapability(f"no capability instance with id {instance_id}")
        db.session.delete(row)
        bump()
