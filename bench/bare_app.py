"""The floor of the stack: plain Flask + Jinja2 + sqlite3 serving the storefront pages.

No xtycore import. It reads the same SQLite file as the xtycore instance
under test with hand-written SQL and renders the same markup as the default
theme (bench/bare_templates/ mirrors themes/default/templates with the
Chinese strings written in), so the two apps send pages of similar size
built from the same rows:

- ``/``: category tiles and three product sections (精选, newest, best-selling), 8 cards each;
- ``/c/<slug>``: a category with its subcategories' products, brands, 24 cards, pagination;
- ``/p/<slug>``: a product with variants, images, JSON-LD, a buy form with a CSRF token, 4 related cards;
- ``/p/<slug>`` with ``BARE_REVIEWS=1``: also the product's first 10 published reviews and its
  rating (bench/run.py sets it when xtycore's product page shows reviews);
- ``/search?q=``: the same matching rules (FTS5 trigram for terms of three or
  more characters, LIKE for shorter ones), relevance order, 24 cards.

What it leaves out is the point of the comparison: plugins, themes and slots,
translations, the ORM, settings, the shared cache, CSRFProtect, rate limits.
It keeps what any Flask shop pays for: routing, a signed session cookie,
Jinja autoescaping, SQLite queries. The category tree is read once per
process (xtycore caches it too).

Run: ``BARE_DB=/path/xtycore.sqlite gunicorn --chdir bench bare_app:app``.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import sqlite3
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, abort, render_template, request, session

PER_PAGE = 24
HOME_PRODUCTS = 8
RELATED = 4
FEATURED_TAG = "精选"
THUMBNAIL_SUFFIX = ".webp"
LOW_STOCK = 5
REVIEWS_PER_PAGE = 10

app = Flask(__name__, template_folder=str(Path(__file__).parent / "bare_templates"))
app.config["SECRET_KEY"] = os.environ.get("BARE_SECRET_KEY") or secrets.token_hex(32)
DATABASE = os.environ.get("BARE_DB", "")
REVIEWS = os.environ.get("BARE_REVIEWS") == "1"

# The price summary and first image of each product, as the cards of every listing need them.
PRICES = """
    SELECT product_id, min(price_minor) AS price_min, max(price_minor) AS price_max,
           max(compare_at_minor) AS compare_at, max(stock) AS max_stock
    FROM xty_variant GROUP BY product_id
"""
CARD_COLUMNS = """
    p.id, p.slug, p.title, p.subtitle, b.name AS brand, pr.price_min, pr.price_max, pr.compare_at,
    pr.max_stock, count(*) OVER () AS total,
    (SELECT i.path FROM xty_product_image i WHERE i.product_id = p.id ORDER BY i.position, i.id LIMIT 1)
        AS image_path
"""
POPULAR = "p.sales_count DESC, p.published_at IS NULL, p.published_at DESC, p.id DESC"
NEWEST = "p.published_at IS NULL, p.published_at DESC, p.id DESC"


def db() -> sqlite3.Connection:
    """This process's connection (sync workers: one request at a time per process)."""
    conn = getattr(app, "_bare_db", None)
    if conn is None:
        conn = sqlite3.connect(DATABASE, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA query_only = ON")
        app._bare_db = conn
    return conn


# --------------------------------------------------------------------------
# categories, read once per process
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    id: int
    parent_id: int | None
    slug: str
    name: str
    path: str


def categories() -> dict[str, object]:
    tree = getattr(app, "_bare_tree", None)
    if tree is None:
        rows = db().execute("SELECT id, parent_id, slug, name, path FROM xty_category ORDER BY sort, id")
        nodes = [Category(*row) for row in rows]
        tree = {
            "by_id": {n.id: n for n in nodes},
            "by_slug": {n.slug: n for n in nodes},
            "roots": [n for n in nodes if n.parent_id is None],
        }
        app._bare_tree = tree
    return tree


def ancestors(node: Category) -> list[Category]:
    ids = [int(part) for part in node.path.strip("/").split("/") if part][:-1]
    return [categories()["by_id"][i] for i in ids]


# --------------------------------------------------------------------------
# cards
# --------------------------------------------------------------------------


def money(minor: int) -> str:
    return f"¥{minor / 100:,.2f}"


def thumb(path: str, width: int) -> str:
    return f"/media/{path.rsplit('.', 1)[0]}-{width}{THUMBNAIL_SUFFIX}"


def card(row: sqlite3.Row) -> dict[str, object]:
    compare_at = row["compare_at"]
    return {
        "slug": row["slug"], "title": row["title"], "image": row["image_path"],
        "price": money(row["price_min"]), "ranged": row["price_min"] != row["price_max"],
        "was": money(compare_at) if compare_at is not None and compare_at > row["price_min"] else None,
        "in_stock": row["max_stock"] > 0,
    }


def cards(where: str = "", params: tuple = (), *, order: str = POPULAR, order_params: tuple = (), limit: int,
          offset: int = 0) -> tuple[list[dict[str, object]], int]:
    sql = f"""
        SELECT {CARD_COLUMNS}
        FROM xty_product p JOIN ({PRICES}) pr ON pr.product_id = p.id
        LEFT JOIN xty_brand b ON b.id = p.brand_id
        WHERE p.status = 'active' {where}
        ORDER BY {order} LIMIT ? OFFSET ?
    """
    rows = db().execute(sql, (*params, *order_params, limit, offset)).fetchall()
    return [card(r) for r in rows], rows[0]["total"] if rows else 0


def pagination(page: int, pages: int) -> list[int | None]:
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    window: list[int | None] = []
    for number in shown:
        if window and number - window[-1] > 1:
            window.append(None)
        window.append(number)
    return window


def page_number() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() and int(value) > 0 else 1


@app.context_processor
def layout_context() -> dict[str, object]:
    return {"menu": categories()["roots"], "thumb": thumb}


# --------------------------------------------------------------------------
# pages
# --------------------------------------------------------------------------


@app.route("/")
def home():
    featured, _ = cards(
        "AND p.id IN (SELECT pt.product_id FROM xty_product_tag pt JOIN xty_tag t ON t.id = pt.tag_id"
        " WHERE t.name = ? OR t.slug = ?)", (FEATURED_TAG, FEATURED_TAG), limit=HOME_PRODUCTS,
    )
    newest, _ = cards(order=NEWEST, limit=HOME_PRODUCTS)
    popular, _ = cards(limit=HOME_PRODUCTS)
    sections = [("featured", "精选推荐", featured), ("new", "新品上架", newest), ("best_selling", "热销商品", popular)]
    return render_template("home.html", page="home", sections=[s for s in sections if s[2]])


@app.route("/c/<slug>")
def category(slug: str):
    node = categories()["by_slug"].get(slug)
    if node is None:
        abort(404)
    page = page_number()
    subtree = "AND p.category_id IN (SELECT id FROM xty_category WHERE path LIKE ?)"
    prefix = (node.path + "%",)
    items, total = cards(subtree, prefix, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    pages = max(1, math.ceil(total / PER_PAGE))
    if page > pages:
        abort(404)
    brands = db().execute(
        "SELECT id, name FROM xty_brand WHERE id IN (SELECT p.brand_id FROM xty_product p"
        " WHERE p.status = 'active' AND p.category_id IN (SELECT id FROM xty_category WHERE path LIKE ?))"
        " ORDER BY name", prefix,
    ).fetchall()
    children = [n for n in categories()["by_id"].values() if n.parent_id == node.id]
    return render_template(
        "category.html", page="category", category=node, ancestors=ancestors(node), children=children,
        brands=brands, items=items, total=total, current=page, pages=pagination(page, pages), last=pages,
    )


@app.route("/search")
def search():
    q = request.args.get("q", "").strip()
    if not q:
        return render_template("search.html", page="search", q="", items=None)
    terms = list(dict.fromkeys(unicodedata.normalize("NFKC", q).casefold().split()))
    where, params, score, score_params = [], [], [], []
    for term in terms:
        like = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        if len(term) >= 3:
            where.append("AND p.id IN (SELECT rowid FROM xty_product_fts WHERE xty_product_fts MATCH ?)")
            params.append('"' + term.replace('"', '""') + '"')
        else:
            where.append("AND (p.search_title LIKE ? ESCAPE '\\' OR p.search_text LIKE ? ESCAPE '\\')")
            params += [like, like]
        score.append("CASE WHEN p.search_title LIKE ? ESCAPE '\\' THEN 3 ELSE 1 END")
        score_params.append(like)
    page = page_number()
    order = f"({' + '.join(score)}) DESC, {POPULAR}"
    items, total = cards(" ".join(where), tuple(params), order=order, order_params=tuple(score_params),
                         limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    pages = max(1, math.ceil(total / PER_PAGE))
    return render_template(
        "search.html", page="search", q=q, items=items, total=total, current=page,
        pages=pagination(page, pages), last=pages,
    )


@app.route("/p/<slug>")
def product(slug: str):
    conn = db()
    row = conn.execute(
        "SELECT p.*, b.name AS brand FROM xty_product p LEFT JOIN xty_brand b ON b.id = p.brand_id"
        " WHERE p.slug = ? AND p.status = 'active'", (slug,),
    ).fetchone()
    if row is None:
        abort(404)
    variants = [
        {"id": v["id"], "sku": v["sku"], "options": json.loads(v["options"] or "{}"), "price": money(v["price_minor"]),
         "was": money(v["compare_at_minor"]) if v["compare_at_minor"] else None, "stock": v["stock"],
         "amount": f"{v['price_minor'] / 100:.2f}"}
        for v in conn.execute("SELECT * FROM xty_variant WHERE product_id = ? ORDER BY position, id", (row["id"],))
    ]
    images = conn.execute(
        "SELECT id, path, width, height, alt FROM xty_product_image WHERE product_id = ? ORDER BY position, id",
        (row["id"],),
    ).fetchall()
    node = categories()["by_id"].get(row["category_id"])
    trail = [*ancestors(node), node] if node else []
    related, _ = cards("AND p.id != ? AND p.category_id = ?", (row["id"], row["category_id"]), limit=RELATED)
    chosen = next((v for v in variants if v["stock"] > 0), variants[0] if variants else None)
    options: dict[str, list[str]] = {}
    for variant in variants:
        for name, value in variant["options"].items():
            if value not in options.setdefault(name, []):
                options[name].append(value)
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    base = request.host_url.rstrip("/")
    url = f"{base}/p/{slug}"
    structured = [
        {"@context": "https://schema.org", "@type": "Product", "name": row["title"], "url": url,
         "description": row["subtitle"], "image": [f"{base}/media/{i['path']}" for i in images],
         "brand": {"@type": "Brand", "name": row["brand"]}, "category": node.name if node else "",
         "offers": [{"@type": "Offer", "price": v["amount"], "priceCurrency": "CNY", "sku": v["sku"], "url": url,
                     "availability": "https://schema.org/" + ("InStock" if v["stock"] > 0 else "OutOfStock")}
                    for v in variants]},
        {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": [
            {"@type": "ListItem", "position": n, "name": name, "item": link} for n, (name, link) in enumerate(
                [("首页", f"{base}/"), *((c.name, f"{base}/c/{c.slug}") for c in trail), (row["title"], url)], 1)
        ]},
    ]
    variant_data = [
        {"id": v["id"], "options": v["options"], "price": v["price"], "compare_at": v["was"],
         "available": v["stock"] > 0, "stock_state": stock_state(v["stock"]), "stock_label": stock_label(v["stock"])}
        for v in variants
    ]
    return render_template(
        "product.html", page="product", product=row, variants=variants, chosen=chosen, images=images,
        options=options, trail=trail, related=related, url=url, structured=structured, variant_data=variant_data,
        csrf_token=session["csrf"], stock_state=stock_state, stock_label=stock_label,
        reviews=product_reviews(row["id"]) if REVIEWS else None,
    )


def product_reviews(product_id: int) -> dict[str, object]:
    """The first page of published reviews, newest first, with the product's rating; one query."""
    rows = db().execute(
        "SELECT r.id, r.author_name, r.variant_label, r.rating, r.body, r.photos, r.published_at,"
        " s.review_count, s.rating_total FROM xty_product_review r"
        " JOIN xty_product_rating s ON s.product_id = r.product_id"
        " WHERE r.product_id = ? AND r.status = 'published'"
        " ORDER BY r.published_at DESC, r.id DESC LIMIT ?", (product_id, REVIEWS_PER_PAGE),
    ).fetchall()
    count = rows[0]["review_count"] if rows else 0
    average = rows[0]["rating_total"] / count if count else 0
    items = [
        {"id": r["id"], "author": (r["author_name"].strip()[:1] + "**") or "匿名用户", "rating": r["rating"],
         "variant": r["variant_label"], "body": r["body"], "photos": json.loads(r["photos"] or "[]"),
         "date": (r["published_at"] or "")[:10]}
        for r in rows
    ]
    pages = max(1, math.ceil(count / REVIEWS_PER_PAGE))
    return {"count": count, "average": f"{average:.1f}", "stars": int(average + 0.5), "shown": items,
            "pages": pagination(1, pages), "last": pages}


def stock_state(stock: int) -> str:
    if stock <= 0:
        return "out_of_stock"
    return "low_stock" if stock <= LOW_STOCK else "in_stock"


def stock_label(stock: int) -> str:
    if stock <= 0:
        return "已售罄"
    return f"仅剩 {stock} 件" if stock <= LOW_STOCK else "有货"


if __name__ == "__main__":
    app.run(port=5001)
