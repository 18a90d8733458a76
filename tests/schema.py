"""Do the migrated tables match the models? One check for every migration test."""

from __future__ import annotations

from typing import Any, Iterable

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from xtycore.extensions import db


def schema_differences(tables: Iterable[str]) -> list[Any]:
    """What Alembic's autogenerate finds between the database and the models, for ``tables`` only
    (their columns, types, indexes and constraints); empty when the migrations built them as declared.
    Needs an app context."""
    wanted = set(tables)

    def named(name, type_, parent_names) -> bool:
        return type_ == "schema" or (name if type_ == "table" else parent_names.get("table_name")) in wanted

    def declared(obj, name, type_, reflected, compare_to) -> bool:
        return getattr(obj if type_ == "table" else getattr(obj, "table", None), "name", None) in wanted

    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": named,
                                                         "include_object": declared})
        return compare_metadata(context, db.metadata)
