"""Catalogue rows for storefront tests, written through the catalogue engineer's services."""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import event

from xtycore.domain.money import Money
from xtycore.extensions import db, transaction
from xtycore.models import ProductImage
from xtycore.services import catalog, catalog_review

DESCRIPTION = "<p>精选好物，产地直发，当季采摘，品质保证，欢迎选购，七天无理由退换。</p>"
_skus = itertools.count(1)
#: Statements that only open or close transactions or tune the connection.
NOT_QUERIES = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


def variant(price="99.00", *, stock=10, compare_at=None, sku=None, **options) -> catalog.VariantInput:
    return catalog.VariantInput(
        sku=sku or f"SF-{next(_skus)}", price=Money(price), stock=stock,
        compare_at=Money(compare_at) if compare_at else None, options=options,
    )


def make_product(title="西湖龙井", *, price="99.00", variants=None, images=1, category="茶叶/绿茶",
                 description=DESCRIPTION, publish=True, sales=0, **fields) -> int:
    """A product saved and published through the catalogue services; returns its id."""
    data = catalog.ProductInput(
        title=title, variants=variants or [variant(price)], description_html=description,
        category=category, **fields,
    )
    with transaction():
        product = catalog.save_product(data)
        for position in range(images):
            product.images.append(ProductImage(
                path=f"products/{product.id}/img{position}.jpg", width=800, height=600, position=position,
                alt=f"{title} 图{position + 1}",
            ))
        product.sales_count = sales
        db.session.flush()
        if publish:
            catalog_review.publish_in_session(product)
        return product.id


def make_products(count: int, *, category="茶叶/绿茶", prefix="好茶") -> list[int]:
    return [
        make_product(f"{prefix}{n:02d}号", price=f"{10 + n}.00", category=category, sales=n, brand="小甜园")
        for n in range(count)
    ]


@contextmanager
def counting_queries(app) -> Iterator[list[str]]:
    """Collect the SQL statements ``app`` runs inside the block (transaction control left out).

    Make the requests outside an application context, as a server does: a
    context pushed by the test would be shared by the requests, and with it
    what each request keeps in ``g``.
    """
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(NOT_QUERIES):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def is_tree_query(statement: str) -> bool:
    """Whether a statement is the one that loads the category tree into the cache."""
    return statement.lstrip().startswith("SELECT xty_category.id, xty_category.parent_id")
