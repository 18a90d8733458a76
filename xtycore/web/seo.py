"""What search engines read: ``/sitemap.xml``, ``/robots.txt`` and the JSON-LD of product pages.

Titles, meta descriptions, canonical links and Open Graph tags are written by
the theme's layout from each page's context (docs/storefront.md, "SEO").
"""

from __future__ import annotations

from datetime import timezone
from typing import Any, Sequence
from xml.sax.saxutils import escape

from flask import Blueprint, Response, url_for

from xtycore.services import pages
from xtycore.services.pages import ProductView

bp = Blueprint("seo", __name__)

SCHEMA = "https://schema.org"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
AVAILABILITY = {True: f"{SCHEMA}/InStock", False: f"{SCHEMA}/OutOfStock"}
#: Paths no crawler should index: private pages, and pages made per visitor.
DISALLOW = ("/cart", "/checkout", "/account", "/search")
#: Seconds caches may keep the sitemap and robots.txt.
MAX_AGE = 3600


@bp.route("/robots.txt")
def robots() -> Response:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOW), "",
             f"Sitemap: {url_for('seo.sitemap', _external=True)}", ""]
    response = Response("\n".join(lines), mimetype="text/plain")
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    return response


@bp.route("/sitemap.xml")
def sitemap() -> Response:
    """The home page, categories holding active products, and active products, each with lastmod."""
    endpoints = {"category": "storefront.category", "product": "storefront.product"}
    urls = [_url(url_for("storefront.home", _external=True), None)]
    for entry in pages.sitemap_entries():
        location = url_for(endpoints[entry.kind], slug=entry.slug, _external=True)
        urls.append(_url(location, entry.lastmod))
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="{SITEMAP_NS}">\n' + "".join(urls) + "</urlset>\n"
    )
    response = Response(body, mimetype="application/xml")
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    return response


def _url(location: str, lastmod) -> str:
    when = ""
    if lastmod is not None:
        if lastmod.tzinfo is None:  # SQLite hands back naive datetimes; they are stored in UTC
            lastmod = lastmod.replace(tzinfo=timezone.utc)
        when = f"<lastmod>{lastmod.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}</lastmod>"
    return f"  <url><loc>{escape(location)}</loc>{when}</url>\n"


def product_structured_data(
    product: ProductView, *, name: str, url: str, images: Sequence[str], category: str = "",
) -> dict[str, Any]:
    """schema.org Product with one Offer per variant (price, currency, availability)."""
    data: dict[str, Any] = {
        "@context": SCHEMA,
        "@type": "Product",
        "name": name,
        "description": product.summary,
        "url": url,
        "image": list(images),
        "offers": [
            {
                "@type": "Offer",
                "sku": variant.sku,
                "price": f"{variant.price.amount}",
                "priceCurrency": variant.price.currency,
                "availability": AVAILABILITY[variant.stock > 0],
                "itemCondition": f"{SCHEMA}/NewCondition",
                "url": url,
            }
            for variant in product.variants
        ],
    }
    if product.variants:
        data["sku"] = product.variants[0].sku
    if product.brand is not None:
        data["brand"] = {"@type": "Brand", "name": product.brand.name}
    if category:
        data["category"] = category
    return data


def breadcrumb_structured_data(crumbs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """schema.org BreadcrumbList from (name, absolute URL) pairs, the home page first."""
    return {
        "@context": SCHEMA,
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": n, "name": name, "item": url}
            for n, (name, url) in enumerate(crumbs, start=1)
        ],
    }
