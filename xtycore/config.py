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
    #: The shop's postal address, printed on packing slips and invoices (line breaks are kept).
    SHOP_ADDRESS = ""
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
    #: Seconds a "remember me" login lasts (Flask-Login's cookie).
    REMEMBER_COOKIE_DURATION = 30 * 24 * 3600
    #: Set true behind HTTPS.
    REMEMBER_COOKIE_SECURE = False
    #: Rate limits on logins, registrations and password-reset requests (Flask-Limiter).
    RATELIMIT_ENABLED = True
    #: Where rate-limit counters live: ``memory://`` (one process) or a ``redis://`` URL.
    #: None: ``REDIS_URL`` when it is set, otherwise ``memory://``.
    RATELIMIT_STORAGE_URI: str | None = None
    #: Login attempts allowed per client address and, separately, per account (email or mobile).
    ACCOUNT_LOGIN_LIMITS = "10 per minute; 50 per hour"
    #: Password-reset requests allowed per client address and, separately, per email address.
    ACCOUNT_RESET_LIMITS = "5 per hour"
    #: Registrations allowed per client address.
    ACCOUNT_REGISTER_LIMITS = "20 per hour"
    #: Seconds a password-reset link stays valid.
    PASSWORD_RESET_MAX_AGE = 3600
    #: argon2id cost parameters; hashes made with other values are upgraded at the next login.
    PASSWORD_HASH_TIME_COST = 3
    #: argon2id memory per hash, in KiB (64 MiB).
    PASSWORD_HASH_MEMORY_COST = 65536
    PASSWORD_HASH_PARALLELISM = 4
    #: Outgoing mail (password reset links, account notices) over SMTP.
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    #: STARTTLS after connecting (port 587 usually).
    MAIL_USE_TLS = False
    #: TLS from the first byte (port 465, e.g. QQ Mail, 163 Mail).
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    #: The From address of every message.
    MAIL_DEFAULT_SENDER = "noreply@localhost"
    #: Seconds to wait for the mail server before giving up.
    MAIL_TIMEOUT = 10
    #: Visitors may check out without an account (they get a signed link to their order).
    ALLOW_GUEST_CHECKOUT = True
    #: Minutes an unpaid order holds its stock before it is cancelled automatically.
    ORDER_PAYMENT_TIMEOUT_MINUTES = 30
    #: Days a guest's signed order link keeps working.
    ORDER_LINK_MAX_AGE_DAYS = 90
    #: Seconds a rendered home, category, search or product page is served from the
    #: shared cache to visitors who are not signed in; 0 turns the page cache off.
    #: Catalogue edits show at once; stock and sales counts at most this late.
    STOREFRONT_PAGE_CACHE_SECONDS = 60
    #: Folder (relative to the instance folder) where compiled templates are kept, so a new
    #: worker process does not compile them again; empty turns it off.
    TEMPLATE_BYTECODE_CACHE = "cache/templates"
    #: Days a visitor's cart is kept after its last change (customers' carts are kept).
    CART_RETENTION_DAYS = 30
    #: Most units of one variant a cart line may hold.
    CART_MAX_LINE_QUANTITY = 99
    #: Put refunded order lines back in stock: "unshipped" (only when the order had not shipped),
    #: "always" or "never".
    REFUND_RESTOCK = "unshipped"
    #: Money that arrives for an order that expired, was cancelled or was paid already: "refund" it
    #: automatically when the gateway can (otherwise staff are flagged), or "flag" it for staff.
    LATE_PAYMENT_POLICY = "refund"
    #: Refund the money of a paid order when it is cancelled.
    REFUND_ON_CANCEL = True
    #: Capture an authorised payment (gateways with delayed capture) when its order ships.
    PAYMENT_CAPTURE_ON_SHIPMENT = True
    #: Reconciliation asks gateways about payments and refunds pending for longer than this.
    PAYMENT_RECONCILE_AFTER_MINUTES = 10
    #: Exception groups the error monitor keeps; beyond that, those seen longest ago are deleted.
    ERROR_MONITOR_MAX_GROUPS = 500
    #: Largest push a support channel may post to ``/support/<instance id>/inbound``, attachments
    #: included, in bytes; a larger one is refused (413) and nothing of it is stored.
    SUPPORT_INBOUND_MAX_BYTES = 20 * 1024 * 1024
    #: Largest attachment of a customer's message that is kept, in bytes; a larger one is listed on
    #: the ticket by name and size, but not stored.
    SUPPORT_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


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
