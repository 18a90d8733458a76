"""Who is signed in, how passwords are stored, and how hard guessing is.

- Passwords: argon2id (argon2-cffi) with the ``PASSWORD_HASH_*`` costs; a
  hash made with other costs is upgraded at the next successful login.
- Sessions: Flask-Login with session protection "strong" (a session cookie
  replayed from another address or browser is dropped). The session stores
  ``<kind>:<id>:<fingerprint>``: the kind picks a loader registered with
  :func:`register_user_kind` (customers now, staff later, each its own
  table), and the fingerprint of the password hash ends every session of an
  account when its password changes.
- Rate limits: Flask-Limiter's storage (``memory://`` or Redis) counts
  attempts per scope and key; :func:`hit_limits` is called by the views on
  the attempts that matter (posted logins, reset requests), not on every page
  view, and answers 429 through :class:`RateLimited`.

Public names: :func:`current_customer`, :func:`customer_required`,
:func:`safe_next_url`, :func:`hash_password`, :func:`verify_password`.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import math
import time
from typing import Any, Callable, TypeVar
from urllib.parse import urlsplit

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app, redirect, request, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from limits import parse_many
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response

from xtycore.domain.errors import ConfigurationError
from xtycore.extensions import db
from xtycore.models.accounts import CUSTOMER_SESSION_PREFIX, Customer, password_fingerprint

log = logging.getLogger("xtycore.security")

HASHER_KEY = "xty_password_hasher"
LIMITER_KEY = "xty_limiter"
LOGIN_ENDPOINT = "account.login"

View = TypeVar("View", bound=Callable[..., Any])
#: loads an account from its id and session fingerprint; None if it is gone, inactive or the fingerprint is stale
UserLoader = Callable[[int, str], Any]

_USER_KINDS: dict[str, UserLoader] = {}


def init_app(app: Flask) -> None:
    """Password hasher, Flask-Login and Flask-Limiter, each kept per application."""
    config = app.config
    app.extensions[HASHER_KEY] = PasswordHasher(
        time_cost=int(config["PASSWORD_HASH_TIME_COST"]),
        memory_cost=int(config["PASSWORD_HASH_MEMORY_COST"]),
        parallelism=int(config["PASSWORD_HASH_PARALLELISM"]),
        type=Type.ID,
    )
    login = LoginManager()
    login.session_protection = "strong"
    login.user_loader(load_user)
    login.unauthorized_handler(redirect_to_login)
    login.init_app(app)
    limiter = Limiter(
        key_func=get_remote_address,
        storage_uri=rate_limit_storage_uri(config),
        enabled=bool(config["RATELIMIT_ENABLED"]),
    )
    limiter.init_app(app)
    app.extensions[LIMITER_KEY] = limiter


# --------------------------------------------------------------------------
# passwords
# --------------------------------------------------------------------------


def _hasher() -> PasswordHasher:
    return current_app.extensions[HASHER_KEY]


def hash_password(password: str) -> str:
    """An argon2id hash in PHC format, ``$argon2id$v=19$m=…,t=…,p=…$…``."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; a stored hash that is not argon2 is logged and never matches."""
    try:
        return _hasher().verify(password_hash, password)
    except InvalidHashError:
        log.error("a stored password hash is not a valid argon2 hash; that account cannot log in")
        return False
    except VerificationError:
        return False


def password_needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other costs than the configured ones."""
    return _hasher().check_needs_rehash(password_hash)


def burn_verification_time(password: str) -> None:
    """Spend what a real verification costs, so "no such account" answers as slowly as "wrong password"."""
    hasher = _hasher()
    dummy = current_app.extensions.get("xty_dummy_hash")
    if dummy is None:
        dummy = current_app.extensions["xty_dummy_hash"] = hasher.hash("xtycore: no such account")
    verify_password(dummy, password)


# --------------------------------------------------------------------------
# who is signed in
# --------------------------------------------------------------------------


def register_user_kind(prefix: str, loader: UserLoader) -> None:
    """Let Flask-Login load another kind of account (staff) from session keys ``<prefix>:<id>:<fp>``.

    :raises ConfigurationError: the prefix is taken.
    """
    if prefix in _USER_KINDS and _USER_KINDS[prefix] is not loader:
        raise ConfigurationError(f"session key prefix {prefix!r} is already used by another kind of account")
    _USER_KINDS[prefix] = loader


def load_user(session_key: str) -> Any:
    """Flask-Login's user loader: dispatch on the kind prefix; None for anything malformed or stale."""
    kind, _, rest = session_key.partition(":")
    ident, _, fingerprint = rest.partition(":")
    loader = _USER_KINDS.get(kind)
    if loader is None or not ident.isdigit() or not fingerprint:
        return None
    return loader(int(ident), fingerprint)


def load_account(model: type, account_id: int, fingerprint: str) -> Any:
    """An active account of ``model`` (customers, staff) whose password is the one the session began with."""
    account = db.session.get(model, account_id)
    if account is None or not account.is_active:
        return None
    if not hmac.compare_digest(password_fingerprint(account.password_hash), fingerprint):
        return None  # the password changed since this session began
    return account


load_customer = functools.partial(load_account, Customer)
register_user_kind(CUSTOMER_SESSION_PREFIX, load_customer)


def current_customer() -> Customer | None:
    """The signed-in customer, or None for visitors (and, later, for staff sessions)."""
    user = current_user._get_current_object()
    return user if isinstance(user, Customer) else None


def customer_required(view: View) -> View:
    """Decorate a view that needs a signed-in customer; others go to the login page with ``next``."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_customer() is None:
            return redirect_to_login()
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def redirect_to_login() -> Response:
    """To the login page, coming back to this page afterwards (GET only: a POST cannot be replayed)."""
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for(LOGIN_ENDPOINT, next=safe_next_url(target)))


def safe_next_url(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None: never redirect a customer elsewhere.

    Refused: absolute URLs, scheme-relative ``//host``, backslashes (browsers
    read ``/\\host`` as ``//host``) and control characters.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


# --------------------------------------------------------------------------
# rate limits
# --------------------------------------------------------------------------


class RateLimited(TooManyRequests):
    """Too many attempts; ``retry_after`` seconds until the window that was exceeded ends."""

    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(description=f"rate limit of {scope} exceeded", retry_after=retry_after)
        self.scope = scope


def rate_limit_storage_uri(config: Any) -> str:
    """``RATELIMIT_STORAGE_URI``, else ``REDIS_URL``, else process memory."""
    return config.get("RATELIMIT_STORAGE_URI") or config.get("REDIS_URL") or "memory://"


def limiter(app: Flask | None = None) -> Limiter:
    return (app or current_app).extensions[LIMITER_KEY]


def hit_limits(scope: str, limits: str, key: str) -> None:
    """Count one attempt of ``scope`` by ``key`` against each of ``limits`` ("10 per minute; 50 per hour").

    The key is hashed, so email addresses do not sit in Redis in clear.

    :raises RateLimited: one of the limits is exceeded (the attempt is refused, not performed).
    """
    extension = limiter()
    if not extension.enabled:
        return
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    strategy = extension.limiter
    for item in parse_many(limits):
        if not strategy.hit(item, "xty", scope, digest):
            reset_at = strategy.get_window_stats(item, "xty", scope, digest).reset_time
            log.warning("rate limit %s of %s exceeded", item, scope)
            raise RateLimited(scope, retry_after=max(1, math.ceil(reset_at - time.time())))


def client_address() -> str:
    """The client's IP address (behind a proxy, wrap the app in werkzeug's ProxyFix)."""
    return get_remote_address() or "unknown"


def reset_rate_limits(app: Flask) -> None:
    """Forget every counter (tests; after an incident)."""
    extension = limiter(app)
    if extension.enabled:
        extension.reset()
