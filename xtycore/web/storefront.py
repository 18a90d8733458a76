"""The storefront blueprint: home, category, search and product pages, uploaded images, error pages.

Handlers stay thin: page data comes from :mod:`xtycore.services.pages` (a
small fixed number of SQL statements per page), each ``*_context`` function
turns it into the template's variables, and :func:`xtycore.themes.render`
renders them through the active theme. :data:`PAGE_SAMPLES` holds one example
context per page; ``xty theme check`` and ``xty theme preview`` render with
them, and docs/themes.md documents the same variables (a test keeps them in step).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Mapping

from flask import Blueprint, abort, g, request, send_from_directory, url_for
from flask_babel import gettext
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError, NotFound

from xtycore.extensions import db
from xtycore.i18n import localized
from xtycore.services import pages
from xtycore.services import search as search_service
from xtycore.services.images import uploads_root
from xtycore.services.pages import CategoryPage, ProductPage
from xtycore.services.search import SearchPage, SearchQuery
from xtycore.themes import render, theme_settings
from xtycore.web import samples, seo, template_helpers
from xtycore.web.page_cache import cached_page, csrf_token

log = logging.getLogger("xtycore.storefront")

bp = Blueprint("storefront", __name__)
for _helper in template_helpers.GLOBALS:
    bp.add_app_template_global(_helper)
# Flask-WTF's, except that pages rendered for the page cache get a placeholder filled per response;
# Flask-WTF also sets it from a context processor, which this later one overrides
bp.add_app_template_global(csrf_token, "csrf_token")
bp.app_context_processor(lambda: {"csrf_token": csrf_token})

#: The cart's endpoint for adding a variant: ``POST`` with csrf_token, variant_id, quantity.
ADD_TO_CART_ENDPOINT = "cart.add"
#: The cart page linked from the header.
CART_ENDPOINT = "cart.view"
#: Sorts offered on search pages (``relevance`` first: the default).
SEARCH_SORTS = ("relevance", *pages.LISTING_SORTS)
#: Settings the pages read, with the value used when the active theme does not declare them.
SETTING_DEFAULTS: Mapping[str, Any] = {
    "home_sections": ",".join(pages.HOME_SECTIONS),
    "featured_tag": "精选",
    "home_products": 8,
    "products_per_page": 24,
    "related_products": 4,
}
#: Seconds browsers may keep an uploaded image; upload names are random, so they never change.
MEDIA_MAX_AGE = 30 * 24 * 3600


@dataclass(frozen=True)
class ErrorView:
    """What error pages see as ``error``."""

    code: int
    #: werkzeug's English name of the status, e.g. "Not Found"
    name: str
    #: werkzeug's English explanation; themes usually write their own copy
    description: str


@dataclass(frozen=True)
class Filters:
    """What the filter and sort forms show: the request's values."""

    q: str
    sort: str
    #: the sorts the page offers
    sorts: tuple[str, ...]
    brand_id: int | None
    #: amounts as typed, e.g. "99.00"; empty when not set
    price_min: str
    price_max: str
    in_stock: bool

    @classmethod
    def of(cls, query: SearchQuery, sorts: tuple[str, ...]) -> Filters:
        return cls(
            q=query.text, sort=query.sort, sorts=sorts, brand_id=query.brand_id,
            price_min=str(query.price_min.amount) if query.price_min is not None else "",
            price_max=str(query.price_max.amount) if query.price_max is not None else "",
            in_stock=query.in_stock,
        )

    @property
    def active(self) -> bool:
        return bool(self.brand_id or self.price_min or self.price_max or self.in_stock)


def setting(name: str) -> Any:
    """A page setting of the active theme, or :data:`SETTING_DEFAULTS` when it declares none.

    The settings are read once per request: each read validates them afresh.
    """
    if "_xty_page_settings" not in g:
        g._xty_page_settings = theme_settings()
    return g._xty_page_settings.get(name, SETTING_DEFAULTS[name])


# --------------------------------------------------------------------------
# page contexts
# --------------------------------------------------------------------------


def home_context() -> dict[str, Any]:
    keys = pages.section_keys(setting("home_sections"))
    sections = pages.home_sections(keys, featured_tag=setting("featured_tag"), limit=setting("home_products"))
    return {"sections": sections}


def category_context(page: CategoryPage) -> dict[str, Any]:
    listing = page.listing
    canonical = url_for("storefront.category", slug=page.category.slug,
                        page=listing.page if listing.page > 1 else None, _external=True)
    return {
        "category": page.category,
        "ancestors": page.ancestors,
        "subcategories": page.children,
        "brands": page.brands,
        "listing": listing,
        "filters": Filters.of(listing.query, pages.LISTING_SORTS),
        "filter_error": page.filter_error,
        "canonical_url": canonical,
    }


def search_context(query: SearchQuery, listing: SearchPage | None, filter_error: bool) -> dict[str, Any]:
    return {
        "q": query.text.strip(),
        "listing": listing,
        "filters": Filters.of(query, SEARCH_SORTS),
        "filter_error": filter_error,
        "category": None,
        "canonical_url": None,
    }


def product_context(page: ProductPage) -> dict[str, Any]:
    product = page.product
    url = url_for("storefront.product", slug=product.slug, _external=True)
    images = [url_for("storefront.media", filename=image.path, _external=True) for image in product.images]
    name = localized(product, "title")
    crumbs = [(gettext("Home"), url_for("storefront.home", _external=True))]
    crumbs += [(localized(c, "name"), url_for("storefront.category", slug=c.slug, _external=True))
               for c in page.breadcrumbs]
    crumbs.append((name, url))
    category = localized(page.breadcrumbs[-1], "name") if page.breadcrumbs else ""
    return {
        "product": product,
        "breadcrumbs": page.breadcrumbs,
        "related": page.related,
        "add_to_cart_url": template_helpers.endpoint_url(ADD_TO_CART_ENDPOINT),
        "og_image": images[0] if images else None,
        "structured_data": [
            seo.product_structured_data(product, name=name, url=url, images=images, category=category),
            seo.breadcrumb_structured_data(crumbs),
        ],
        "canonical_url": url,
    }


def error_context(error: HTTPException) -> dict[str, Any]:
    return {"error": ErrorView(error.code or 500, error.name, error.description or "")}


def _sample_product_context() -> dict[str, Any]:
    product = samples.sample_product()
    return {
        "product": product,
        "breadcrumbs": [samples.TEA, samples.GREEN_TEA],
        "related": samples.sample_cards()[1:],
        "add_to_cart_url": "/cart/add",
        "og_image": "/media/products/1/sample-0.jpg",
        "structured_data": [
            seo.product_structured_data(product, name=product.title, url="/p/xi-hu-long-jing", images=[]),
            seo.breadcrumb_structured_data([("首页", "/"), (product.title, "/p/xi-hu-long-jing")]),
        ],
        "canonical_url": "/p/xi-hu-long-jing",
    }


#: page template -> a sample of its own context, beyond the common page context.
PAGE_SAMPLES: dict[str, dict[str, Any]] = {
    "layout.html": {},
    "home.html": samples.home(),
    "category.html": {
        "category": samples.TEA,
        "ancestors": [],
        "subcategories": [samples.GREEN_TEA, samples.OOLONG],
        "brands": samples.brands(),
        "listing": samples.sample_listing(),
        "filters": Filters("", "best_selling", pages.LISTING_SORTS, 1, "50.00", "", True),
        "filter_error": True,
        "canonical_url": "/c/cha-ye?page=2",
    },
    "search.html": {
        "q": "龙井",
        "listing": samples.sample_listing(SearchQuery(text="龙井", page=2)),
        "filters": Filters("龙井", "relevance", SEARCH_SORTS, None, "", "200.00", False),
        "filter_error": False,
        "category": None,
        "canonical_url": None,
    },
    "product.html": _sample_product_context(),
    "404.html": error_context(NotFound()),
    "500.html": error_context(InternalServerError()),
}


# --------------------------------------------------------------------------
# routes
# --------------------------------------------------------------------------


@bp.route("/")
@cached_page
def home() -> str:
    return render("home.html", **home_context())


@bp.route("/c/<slug>")
@cached_page
def category(slug: str) -> str:
    page = pages.category_page(slug, request.args, per_page=setting("products_per_page"))
    if page is None or page.listing.page > page.listing.pages:
        abort(404)
    return render("category.html", **category_context(page))


@bp.route("/search")
@cached_page
def search() -> str:
    query, bad = pages.read_query(request.args, per_page=setting("products_per_page"), sorts=SEARCH_SORTS)
    listing = search_service.search(query) if query.text.strip() else None
    return render("search.html", **search_context(query, listing, bad))


@bp.route("/p/<slug>")
@cached_page
def product(slug: str) -> str:
    customer = _customer_id()
    page = pages.product_page(slug, related_limit=setting("related_products"), customer_id=customer)
    if page is None:
        abort(404)
    return render("product.html", **product_context(page))


@bp.route(f"{template_helpers.MEDIA_URL_PATH}<path:filename>")
def media(filename: str):
    """Uploaded product images and their thumbnails, from ``<instance>/uploads``."""
    return send_from_directory(uploads_root(), filename, max_age=MEDIA_MAX_AGE)


def _customer_id() -> str | None:
    from xtycore.security import current_customer

    customer = current_customer()
    return str(customer.id) if customer is not None else None


# --------------------------------------------------------------------------
# error pages
# --------------------------------------------------------------------------


@bp.app_errorhandler(404)
def not_found(error: HTTPException) -> tuple[str, int]:
    return render("404.html", **error_context(error)), 404


@bp.app_errorhandler(500)
def server_error(error: HTTPException) -> tuple[str, int]:
    """The themed 500 page, or a plain kernel page when the theme itself fails."""
    db.session.rollback()  # a failed statement leaves the session unusable for the theme's reads
    try:
        return render("500.html", **error_context(error)), 500
    except Exception:  # the error page must render whatever broke; the cause goes to the log
        log.exception("the theme could not render 500.html; serving the kernel's plain page")
        return plain_error_page(error), 500


def plain_error_page(error: HTTPException) -> str:
    """A page built without Jinja, the theme or plugins, so nothing it needs can fail."""
    title = escape(f"{error.code} {error.name}")
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title></head><body style=\"font-family:sans-serif;margin:2rem\">"
        "<h1>服务器出错了</h1><p>抱歉，页面暂时无法显示，请稍后再试。</p>"
        "<p lang=\"en\">Sorry, something went wrong on our side. Please try again later.</p>"
        f"<p><small>{title}</small></p><p><a href=\"/\">返回首页 Home</a></p></body></html>"
    )
