"""Extension objects, unbound; :mod:`xtycore.app` binds them with ``init_app``.

Also the database conventions every write path follows: :func:`transaction`
wraps a unit of work, and on SQLite it begins with ``BEGIN IMMEDIATE`` so that
concurrent writers queue on the busy timeout instead of failing halfway.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()

_IMMEDIATE = "xty_immediate"


def configure_sqlite(engine: Engine, busy_timeout_ms: int = 30_000) -> None:
    """Tune an SQLite engine for several processes: WAL, busy timeout, foreign keys.

    The pysqlite driver's own transaction handling is switched off so that
    xtycore emits ``BEGIN`` itself, and ``BEGIN IMMEDIATE`` on write paths.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get(_IMMEDIATE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def transaction() -> Iterator:
    """Run a unit of work in one write transaction: all of it commits, or none.

    A read-only transaction the request had already begun is closed first, so
    the write transaction starts fresh (``BEGIN IMMEDIATE`` on SQLite). Any
    exception rolls everything back and propagates.
    """
    session = db.session()
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError(
                "uncommitted changes outside xtycore.extensions.transaction(); "
                "make every write inside one transaction() block"
            )
        session.commit()
    session.connection(execution_options={_IMMEDIATE: True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
