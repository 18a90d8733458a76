"""A pytest plugin for xtycore and for plugin authors (loaded through ``pytest11``).

Fixtures:

- ``xty_database_url``: the test database: ``$XTY_TEST_DATABASE_URL`` (PostgreSQL
  in CI) or an SQLite file in a temporary folder. Migrated once per session.
- ``xty_config``: extra configuration for the app (override it in a conftest).
- ``xty_make_app(plugins=None, config=None, enable=True)``: build an app with
  plugin objects registered (name -> module or object) and enabled; a name
  mapped to ``None`` is an installed plugin (entry point) that is only enabled.
- ``xty_app``, ``xty_client``, ``xty_cli``: an app with no extra plugins, its
  test client and a CLI runner.
- ``xty_db``: the Flask-SQLAlchemy ``db`` inside an application context.

Every table is emptied after each test, so tests never see each other's rows.
Conformance suites per capability kind live in :mod:`xtycore.testing.conformance`.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import pytest

TEST_SECRET_KEY = "xtycore-tests-not-secret"


@pytest.fixture(scope="session")
def xty_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test database; under pytest-xdist each worker gets a database of its own.

    On PostgreSQL a worker ``gw1`` uses ``<database>_gw1``, created empty for the
    session and dropped after it, so workers never see each other's rows.
    """
    url = os.environ.get("XTY_TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('xtydb') / 'test.sqlite'}"
    elif worker and url.startswith("postgresql"):
        with _worker_database(url, worker) as worker_url:
            yield worker_url
    else:
        yield url


@contextmanager
def _worker_database(url: str, worker: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture
def xty_config() -> dict[str, Any]:
    """Configuration merged over the test defaults; override in a conftest."""
    return {}


#: where test apps keep compiled templates (absolute, so it is shared across their instance folders)
TEST_TEMPLATE_CACHE = os.path.join(tempfile.gettempdir(), f"xty-test-templates-{os.getuid()}")


def base_config(database_url: str) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "JOBS_BACKEND": "immediate",
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "shop.test",
        # one folder for every test app (each has an instance folder of its own), so a template is compiled
        # once per run rather than once per test
        "TEMPLATE_BYTECODE_CACHE": TEST_TEMPLATE_CACHE,
    }


_migrated: set[str] = set()


def reset_database(app) -> None:
    """Empty every table the app knows and restore the kernel's single state row."""
    from sqlalchemy import inspect, text

    from xtycore.extensions import db
    from xtycore.models import KernelState

    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            # a plugin's models are known before its branch is migrated (it never was enabled)
            existing = set(inspect(conn).get_table_names())
            tables = [t for t in reversed(db.metadata.sorted_tables) if t.name in existing]
            # rows that go with their parent (ON DELETE CASCADE) are left to the parent's delete: some, like
            # order notes, refuse to be deleted on their own while the parent exists
            dependent = [t for t in tables if _goes_with_its_parent(t, existing)]
            for table in [t for t in tables if t not in dependent] + dependent:
                # children first; mostly empty, so far cheaper than TRUNCATE of every table
                conn.execute(table.delete())
            if conn.dialect.name == "postgresql":
                # ids start again at 1, as they do on SQLite once a table is empty
                sequences = conn.execute(text(
                    "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = current_schema()"
                )).scalars().all()
                for name in sequences:
                    conn.execute(text(f'ALTER SEQUENCE "{name}" RESTART'))
            conn.execute(KernelState.__table__.insert().values(id=1, generation=1))


def _goes_with_its_parent(table, existing: set[str]) -> bool:
    """Whether every row of ``table`` is deleted by its parent's delete, and nothing else holds it back."""
    keys = list(table.foreign_keys)
    rules = [(key.ondelete or "").upper() for key in keys]
    return "CASCADE" in rules and all(rule in {"CASCADE", "SET NULL"} for rule in rules) and \
        all(key.column.table.name in existing for key in keys)


@pytest.fixture
def xty_make_app(
    xty_database_url: str, xty_config: Mapping[str, Any], tmp_path: Path
) -> Iterator[Callable[..., Any]]:
    """Factory: ``xty_make_app(plugins={"name": obj}, config={...}, enable=True)``."""
    from xtycore import create_app, database
    from xtycore.services.plugins import set_enabled

    made = []

    def make(
        plugins: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
        enable: bool = True,
    ):
        settings = {**base_config(xty_database_url), **xty_config, **(config or {})}
        extra = {name: obj for name, obj in (plugins or {}).items() if obj is not None}
        settings["EXTRA_PLUGINS"] = {**settings.get("EXTRA_PLUGINS", {}), **extra}
        app = create_app(settings, instance_path=str(tmp_path / "instance"))
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        with app.app_context():
            if url not in _migrated:
                database.upgrade(app)
                _migrated.add(url)
            if enable:
                for name in plugins or {}:
                    set_enabled(name, True, actor="tests")
        made.append(app)
        return app

    yield make
    if made:
        reset_database(made[0])
        for app in made:
            with app.app_context():
                from xtycore.extensions import db

                db.session.remove()
                db.engine.dispose()


@pytest.fixture
def xty_app(xty_make_app):
    return xty_make_app()


@pytest.fixture
def xty_client(xty_app):
    return xty_app.test_client()


@pytest.fixture
def xty_cli(xty_app):
    return xty_app.test_cli_runner()


@pytest.fixture
def xty_db(xty_app):
    from xtycore.extensions import db

    with xty_app.app_context():
        yield db
