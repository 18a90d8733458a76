"""Template globals of the storefront: URLs, menus, labels and the variant picker's data.

Registered for every template by :mod:`xtycore.web.storefront`; docs/themes.md lists them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from flask import current_app, request, url_for
from flask_babel import gettext, lazy_gettext
from werkzeug.routing import BuildError

from xtycore.i18n import current_locale, format_money
from xtycore.services import pages
from xtycore.services.images import thumbnail_paths
from xtycore.services.pages import ProductView, VariantView

#: Where uploaded images are served (the storefront's ``media`` route).
MEDIA_URL_PATH = "/media/"
SORT_LABELS = {
    "relevance": lazy_gettext("Best match"),
    "best_selling": lazy_gettext("Best selling"),
    "newest": lazy_gettext("Newest"),
    "price_asc": lazy_gettext("Price: low to high"),
    "price_desc": lazy_gettext("Price: high to low"),
}
#: Page links shown on each side of the current page.
PAGE_WINDOW = 2


def category_menu() -> list[pages.CategoryNode]:
    """The top-level categories for the header navigation (from the shared cache)."""
    return pages.category_tree().roots()


def media_url(path: str, width: int | None = None) -> str:
    """The URL of an uploaded image, or of its thumbnail ``width`` pixels wide.

    Built by hand rather than with ``url_for``: a listing links three per card.
    """
    if width is not None:
        path = thumbnail_paths(path).get(width, path)
    return f"{request.script_root}{MEDIA_URL_PATH}{quote(path)}"


def endpoint_url(endpoint: str, **values: Any) -> str | None:
    """``url_for(endpoint)``, or None when no blueprint provides it (the theme then leaves the link out)."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _this_url(**changes: Any) -> str:
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in changes]
    args += [(k, v) for k, v in changes.items() if v is not None]
    query = urlencode(args)
    return f"{request.script_root}{request.path}" + (f"?{query}" if query else "")


def page_url(number: int) -> str:
    """This page's URL showing page ``number``, its other arguments kept (page 1 has no ``page``)."""
    return _this_url(page=number if number > 1 else None)


def lang_url(locale: str) -> str:
    """This page's URL in another language (``?lang=``; the choice is then kept in a cookie)."""
    return _this_url(lang=locale)


def with_lang(url: str, locale: str) -> str:
    """A page's URL in ``locale``: unchanged for the shop's own locale, else with ``lang=locale`` added.

    So each language version of a page is its own canonical URL, and the
    plain URL is the one in ``SHOP_LOCALE`` (the hreflang alternates).
    """
    if locale == current_app.config["SHOP_LOCALE"]:
        return url
    return f"{url}{'&' if '?' in url else '?'}lang={locale}"


def og_locale() -> str:
    """The Open Graph locale of this request: ``zh_CN`` or ``en_US``."""
    locale = current_locale()
    return "en_US" if locale == "en" else locale


def page_window(current: int, total: int) -> list[int | None]:
    """Page numbers to link: the first, the last, and a few around ``current``; None marks a gap."""
    shown = {1, total, *range(current - PAGE_WINDOW, current + PAGE_WINDOW + 1)}
    numbers: list[int | None] = []
    for number in sorted(n for n in shown if 1 <= n <= total):
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


def sort_label(key: str) -> str:
    return str(SORT_LABELS.get(key, key))


def stock_label(variant: VariantView | None) -> str:
    """In stock, only N left, or sold out."""
    if variant is None or variant.stock_state == "out_of_stock":
        return gettext("Sold out")
    if variant.stock_state == "low_stock":
        return gettext("Only %(number)s left", number=variant.stock)
    return gettext("In stock")


def variant_data(product: ProductView) -> list[dict[str, Any]]:
    """What the variant picker script needs of each variant, prices written for this locale."""
    images = {}
    for image in product.images:
        if image.variant_id is not None:
            images.setdefault(image.variant_id, image.id)
    return [
        {
            "id": v.id,
            "options": dict(v.options),
            "price": format_money(v.price),
            "compare_at": format_money(v.compare_at) if v.compare_at and v.compare_at > v.price else None,
            "stock_state": v.stock_state,
            "stock_label": stock_label(v),
            "available": v.stock > 0,
            "image_id": images.get(v.id),
        }
        for v in product.variants
    ]


GLOBALS = (
    category_menu, media_url, endpoint_url, page_url, lang_url, with_lang, og_locale, page_window, sort_label,
    stock_label, variant_data,
)
