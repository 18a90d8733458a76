"""Configuration, in the order it is applied (later wins):

1. :class:`DefaultConfig` below;
2. ``instance/config.py`` (the instance folder is ``./instance`` unless
   ``XTY_INSTANCE_PATH`` names another);
3. environment variables ``XTY_<KEY>`` (values parsed as JSON when they can
   be, so ``XTY_BLOCKED_PLUGINS='["acme"]'`` is a list), plus ``DATABASE_URL``;
4. the mapping passed to ``create_app(config)``.

``docs/configuration.md`` documents every key; a test keeps it complete.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping

ENV_PREFIX = "XTY_"
#: Environment variables with the prefix that are not configuration keys.
ENV_NOT_CONFIG = {"XTY_INSTANCE_PATH", "XTY_TEST_DATABASE_URL"}


class DefaultConfig:
    #: Signs sessions and CSRF tokens and derives the key that encrypts secret
    #: settings. ``xty init`` writes a random one into instance/config.py.
    SECRET_KEY: str | None = None
    #: SQLAlchemy URL. Default: SQLite file ``xtycore.sqlite`` in the instance folder.
    #: ``DATABASE_URL`` or ``XTY_SQLALCHEMY_DATABASE_URI`` in the environment override it.
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {}
    #: Milliseconds an SQLite writer waits for the lock before giving up.
    SQLITE_BUSY_TIMEOUT_MS = 30_000
    #: The shop's name as customers see it.
    SHOP_NAME = "小甜园"
    #: ISO 4217 code of the shop currency; amounts are stored in its minor unit.
    SHOP_CURRENCY = "CNY"
    #: Default locale of the storefront and back office (zh_CN or en).
    SHOP_LOCALE = "zh_CN"
    #: Time zone reports and order dates use.
    SHOP_TIMEZONE = "Asia/Shanghai"
    #: Theme used until the merchant activates another (``xty theme use``).
    DEFAULT_THEME = "default"
    #: Extra folders searched for themes, after ``themes/`` and ``instance/themes/``.
    THEME_PATHS: list[str] = []
    #: Plugin names (entry-point names) never loaded, whatever is installed.
    BLOCKED_PLUGINS: list[str] = []
    #: Plugins registered without an entry point, name -> module path or object
    #: (embedding applications, tests). Like installed plugins, they start disabled.
    EXTRA_PLUGINS: dict[str, object] = {}
    #: Redis URL for cache, rate limits and the job queue on multi-node installs.
    REDIS_URL: str | None = None
    #: Job queue backend: "sqlite" (a file in the instance folder), "redis" or
    #: "immediate" (run jobs in-process when enqueued; tests).
    JOBS_BACKEND = "sqlite"
    #: CSRF protection on every form (Flask-WTF).
    WTF_CSRF_ENABLED = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: Set true behind HTTPS.
    SESSION_COOKIE_SECURE = False


def instance_path_from_env(default: str | os.PathLike | None = None) -> Path:
    path = os.environ.get("XTY_INSTANCE_PATH") or default or Path.cwd() / "instance"
    return Path(path).resolve()


def parse_env_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def from_environment(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """The configuration keys set by the environment."""
    values: dict[str, Any] = {}
    if environ.get("DATABASE_URL"):
        values["SQLALCHEMY_DATABASE_URI"] = environ["DATABASE_URL"]
    for name, raw in environ.items():
        if name.startswith(ENV_PREFIX) and name not in ENV_NOT_CONFIG and len(name) > len(ENV_PREFIX):
            key = name[len(ENV_PREFIX):]
            values["SQLALCHEMY_DATABASE_URI" if key == "DATABASE_URL" else key] = parse_env_value(raw)
    return values


def default_database_uri(instance_path: Path) -> str:
    return f"sqlite:///{instance_path / 'xtycore.sqlite'}"
