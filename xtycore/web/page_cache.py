"""Whole-page cache of the catalogue pages (home, category, search, product) for visitors.

A visitor who is not signed in sees the same home, category, search and
product page as every other visitor in the same language: the page is
rendered once and kept in the shared cache (:mod:`xtycore.caching`), so the
next visitor costs a cache read instead of SQL and a template render.

What makes the cached copy right:

- The key names the kernel generation, the active theme, the language and
  the full path with its query string. Anything that bumps the generation
  (a setting, a plugin or theme change, a write to a catalogue table listed
  in :data:`xtycore.caching.GENERATIONAL_MODELS`, a published review) makes
  every worker render afresh.
- What changes without a generation bump, stock levels and sales counts
  written by orders, shows at most ``STOREFRONT_PAGE_CACHE_SECONDS`` late on
  these pages; the cart and checkout always check stock themselves.
- The one per-visitor value these pages hold, the CSRF token of the
  add-to-cart form, is rendered as a placeholder and filled in for each
  response.
- Signed-in customers, visitors with a message waiting to be shown, and any
  request a caller marks with :func:`bypass` (a theme preview, say) get a
  page rendered for them alone and never stored.

``STOREFRONT_PAGE_CACHE_SECONDS = 0`` turns the cache off.
"""

from __future__ import annotations

import functools
from typing import Callable, TypeVar

from flask import current_app, g, request, session
from flask_wtf.csrf import generate_csrf

from xtycore.caching import cache, generational_key

F = TypeVar("F", bound=Callable[..., str])

#: Stands for the visitor's CSRF token in a stored page; each response gets the real one.
CSRF_PLACEHOLDER = "xty-csrf-token-placeholder"


def bypass() -> None:
    """Serve this request's page without reading or storing the page cache."""
    g._xty_page_cache_bypass = True


def csrf_token() -> str:
    """Template global ``csrf_token``: the placeholder while a page is rendered for the cache."""
    if g.get("_xty_page_cache_render"):
        return CSRF_PLACEHOLDER
    return generate_csrf()


def cacheable() -> bool:
    """Whether this request's page may come from, and go to, the page cache."""
    from xtycore.security import current_customer

    if not current_app.config["STOREFRONT_PAGE_CACHE_SECONDS"] or request.method not in ("GET", "HEAD"):
        return False
    if g.get("_xty_page_cache_bypass") or "_flashes" in session:
        return False
    return current_customer() is None


def page_key() -> str:
    """The cache key of this request's page: generation, theme, language, path and query."""
    from xtycore.i18n import current_locale
    from xtycore.themes import active_theme_name

    return generational_key(f"page:{active_theme_name()}:{current_locale()}:{request.full_path}")


def cached_page(view: F) -> F:
    """Decorate a storefront view whose page is the same for every visitor (see the module docstring)."""

    @functools.wraps(view)
    def serve(*args, **kwargs) -> str:
        if not cacheable():
            return view(*args, **kwargs)
        key = page_key()
        text = cache.get(key)
        if text is None:
            g._xty_page_cache_render = True
            try:
                text = view(*args, **kwargs)
            finally:
                g._xty_page_cache_render = False
            cache.set(key, text, timeout=current_app.config["STOREFRONT_PAGE_CACHE_SECONDS"])
        if CSRF_PLACEHOLDER in text:
            text = text.replace(CSRF_PLACEHOLDER, generate_csrf())
        return text

    return serve  # type: ignore[return-value]
