"""A shared cache for what repeats across requests: Flask-Caching, keyed by the kernel generation.

``SimpleCache`` (one process) by default, ``RedisCache`` when ``REDIS_URL`` is
set, so several workers and nodes share one cache; ``CACHE_TYPE`` and the other
Flask-Caching keys in the configuration override both. Every key carries the
kernel generation of :mod:`xtycore.state`, so anything that bumps the
generation (settings, plugins, themes, and any write to a table listed in
:data:`GENERATIONAL_MODELS`) makes every process read fresh values on its next
request; old entries simply expire.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable, TypeVar

from flask import Flask, g, has_app_context
from flask_caching import Cache
from sqlalchemy import event
from sqlalchemy.orm import Session

from xtycore.models import Category

T = TypeVar("T")

cache = Cache()

#: Seconds an entry lives at most; generation changes replace entries sooner.
DEFAULT_TIMEOUT = 600
#: Writes to these tables raise the kernel generation, because cached values derive from them.
GENERATIONAL_MODELS: tuple[type, ...] = (Category,)


def init_app(app: Flask) -> None:
    if not app.config.get("CACHE_TYPE"):
        if app.config.get("REDIS_URL"):
            app.config["CACHE_TYPE"] = "RedisCache"
            app.config.setdefault("CACHE_REDIS_URL", app.config["REDIS_URL"])
        else:
            app.config["CACHE_TYPE"] = "SimpleCache"
    app.config.setdefault("CACHE_KEY_PREFIX", "xty:")
    app.config.setdefault("CACHE_DEFAULT_TIMEOUT", DEFAULT_TIMEOUT)
    cache.init_app(app)


def generational_key(name: str) -> str:
    """``name`` qualified by the current kernel generation."""
    from xtycore.state import snapshot

    return f"g{snapshot().generation}:{name}"


def remember(name: str, load: Callable[[], T], timeout: int | None = None) -> T:
    """The cached value of ``name`` for this generation, loading and storing it on a miss.

    The value must pickle (Redis); plain tuples and dataclasses do. Within one
    request the value is read from the cache once.
    """
    key = generational_key(name)
    memo = g.setdefault("_xty_cache_memo", {})
    if key in memo:
        return memo[key]
    value = cache.get(key)
    if value is None:
        value = load()
        cache.set(key, value, timeout=timeout)
    memo[key] = value
    return value


@event.listens_for(Session, "before_flush")
def _bump_generation_on_cached_writes(session: Session, flush_context: Any, instances: Any) -> None:
    """A flush that writes a cached table raises the generation in the same transaction."""
    if not has_app_context():
        return
    changed = itertools.chain(session.new, session.dirty, session.deleted)
    if any(isinstance(obj, GENERATIONAL_MODELS) for obj in changed):
        from xtycore.state import bump

        bump()
