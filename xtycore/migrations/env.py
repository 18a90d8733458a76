"""Alembic environment: runs against the current xtycore application's database."""

from __future__ import annotations

import logging

from alembic import context
from flask import current_app

from xtycore.extensions import db

log = logging.getLogger("alembic.env")
config = context.config


def include_name(name, type_, parent_names):
    # autogenerate for a branch compares only tables xtycore's metadata knows
    if type_ == "table":
        return name in db.metadata.tables
    return True


def run_migrations_offline() -> None:
    context.configure(
        url=current_app.config["SQLALCHEMY_DATABASE_URI"],
        target_metadata=db.metadata,
        literal_binds=True,
        render_as_batch=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with db.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            include_name=include_name,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
