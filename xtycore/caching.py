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

from xtycore.models import Brand, Category, Product, ProductImage, ProductReview, Tag, Variant

T = TypeVar("T")

cache = Cache()

#: Seconds an entry lives at most; generation changes replace entries sooner.
DEFAULT_TIMEOUT = 600
#: ORM writes to these tables raise the kernel generation, because cached values (the category
#: menu, whole catalogue pages) derive from them. Orders change stock and sales counts with plain
#: ``UPDATE`` statements, which do not: a hot sale must not invalidate every page on every order.
GENERATIONAL_MODELS: tuple[type, ...] = (Brand, Category, Product, ProductImage, ProductReview, Tag, Variant)


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


#: ``session.info`` key: the generation was raised in the session's current transaction.
_BUMPED = "xty_generation_bumped"


@event.listens_for(Session, "before_flush")
def _bump_generation_on_cached_writes(session: Session, flush_context: Any, instances: Any) -> None:
    """A flush that writes a cached table raises the generation in the same transaction, once per transaction."""
    if not has_app_context() or session.info.get(_BUMPED):
        return
    changed = itertools.chain(session.new, session.dirty, session.deleted)
    if any(isinstance(obj, GENERATIONAL_MODELS) for obj in changed):
        from xtycore.state import bump

        bump()
        session.info[_BUMPED] = True


@event.listens_for(Session, "after_commit")
def _transaction_committed(session: Session) -> None:
    session.info.pop(_BUMPED, None)


@event.listens_for(Session, "after_soft_rollback")
def _transaction_rolled_back(session: Session, previous_transaction: Any) -> None:
    # a rolled-back savepoint may have taken the bump with it: the next write raises it again
    session.info.pop(_BUMPED, None)
