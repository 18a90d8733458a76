"""Listing review (审核): publishing through the automatic review, the queue, decisions.

Publishing a product normalises its text, asks every reviewer for findings
(:func:`xtycore.services.catalog.review_product`), stores the findings and
moves the product with the state machine: no blocking finding -> ``active``,
otherwise ``pending_review``, where it waits for a person's approve or reject.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import delete, select

from xtycore.domain.catalog import Action, CatalogError, ProductStatus, next_status, publish_action
from xtycore.domain.contributions import Finding, Severity
from xtycore.domain.money import Money
from xtycore.extensions import db, transaction
from xtycore.models import BannedWord, Product, ReviewDecision, ReviewFinding
from xtycore.services import catalog


@dataclass(frozen=True)
class PublishOutcome:
    product_id: int
    status: ProductStatus
    findings: list[tuple[str, Finding]]


@dataclass(frozen=True)
class QueueEntry:
    product_id: int
    title: str
    slug: str
    updated_at: datetime
    findings: list[ReviewFinding]


def review_data(product: Product) -> dict[str, Any]:
    """The mapping reviewers receive (see the ``xtycore_review_product`` hook)."""
    variants = [
        {
            "sku": v.sku,
            "price": Money.from_minor(v.price_minor),
            "compare_at_price": Money.from_minor(v.compare_at_minor) if v.compare_at_minor is not None else None,
            "options": dict(v.options),
            "stock": v.stock,
        }
        for v in product.variants
    ]
    prices = [v["price"] for v in variants]
    return {
        "id": product.id,
        "title": product.title,
        "title_en": product.title_en,
        "subtitle": product.subtitle,
        "description": catalog.html_to_text(product.description_html),
        "description_html": product.description_html,
        "price": min(prices) if prices else None,
        "variants": variants,
        "images": [image.path for image in product.images],
        "category": product.category.name if product.category else "",
        "category_id": product.category_id,
        "brand": product.brand.name if product.brand else "",
        "tags": [t.name for t in product.tags],
    }


def _normalise_in_place(product: Product) -> None:
    fields = {name: getattr(product, name) for name in catalog.PRODUCT_TEXT_FIELDS}
    changed = catalog.normalize_product(fields)
    for name in catalog.PRODUCT_TEXT_FIELDS:
        if isinstance(changed.get(name), str) and changed[name] != fields[name]:
            setattr(product, name, changed[name])


def publish_in_session(product: Product) -> PublishOutcome:
    """Normalise, review and move ``product`` to active or pending_review; inside ``transaction()``."""
    if not product.variants:
        raise CatalogError(f"product {product.id} has no variant; add at least one SKU with a price first")
    _normalise_in_place(product)
    db.session.flush()
    findings = catalog.review_product(review_data(product))
    status = next_status(product.status, publish_action(catalog.needs_review(findings)))
    db.session.execute(delete(ReviewFinding).where(ReviewFinding.product_id == product.id))
    db.session.add_all(
        ReviewFinding(
            product_id=product.id, plugin=plugin, severity=f.severity.value, code=f.code,
            message=f.message, field=f.field,
        )
        for plugin, f in findings
    )
    _set_status(product, status)
    from xtycore.services.search import refresh_search_text

    refresh_search_text(product)
    return PublishOutcome(product.id, status, findings)


def _set_status(product: Product, status: ProductStatus) -> None:
    if status is ProductStatus.ACTIVE and product.status != ProductStatus.ACTIVE.value:
        product.published_at = datetime.now(timezone.utc)
    product.status = status.value


def publish_product(product_id: int) -> PublishOutcome:
    """Publish a product through the automatic review (上架), in its own transaction."""
    with transaction():
        return publish_in_session(catalog.get_product(product_id))


def _decide(product_id: int, action: Action, actor: str, reason: str) -> ProductStatus:
    if not actor.strip():
        raise CatalogError("a review decision needs the name of the person making it (actor)")
    with transaction():
        product = catalog.get_product(product_id)
        status = next_status(product.status, action)
        _set_status(product, status)
        db.session.add(ReviewDecision(
            product_id=product.id, decision=action.value, reason=reason.strip(), actor=actor.strip(),
        ))
        return status


def approve(product_id: int, *, actor: str, reason: str = "") -> ProductStatus:
    """A person approves a product waiting in the queue: it goes on sale."""
    return _decide(product_id, Action.APPROVE, actor, reason)


def reject(product_id: int, *, actor: str, reason: str) -> ProductStatus:
    """A person rejects a product waiting in the queue; the reason is shown to the merchant."""
    if not reason.strip():
        raise CatalogError("rejecting needs a reason the merchant can act on, e.g. --reason '主图模糊'")
    return _decide(product_id, Action.REJECT, actor, reason)


def archive_in_session(product: Product) -> ProductStatus:
    """Take ``product`` off sale (下架) inside ``transaction()``; it stays for orders and history."""
    _set_status(product, next_status(product.status, Action.ARCHIVE))
    return ProductStatus(product.status)


def archive(product_id: int) -> ProductStatus:
    """Take a product off sale (下架); it stays for orders and history."""
    with transaction():
        return archive_in_session(catalog.get_product(product_id))


def restore(product_id: int) -> ProductStatus:
    """Bring an archived product back as a draft, to be edited and published again."""
    with transaction():
        product = catalog.get_product(product_id)
        _set_status(product, next_status(product.status, Action.RESTORE))
        return ProductStatus(product.status)


def review_queue() -> list[QueueEntry]:
    """Products waiting for a person, oldest first, with their findings (two queries)."""
    products = db.session.execute(
        select(Product.id, Product.title, Product.slug, Product.updated_at)
        .where(Product.status == ProductStatus.PENDING_REVIEW.value)
        .order_by(Product.updated_at, Product.id)
    ).all()
    rank = {Severity.BLOCKING.value: 0, Severity.WARNING.value: 1, Severity.INFO.value: 2}
    findings: dict[int, list[ReviewFinding]] = {p.id: [] for p in products}
    if products:
        for row in db.session.execute(
            select(ReviewFinding).where(ReviewFinding.product_id.in_(list(findings))).order_by(ReviewFinding.id)
        ).scalars():
            findings[row.product_id].append(row)
    return [
        QueueEntry(p.id, p.title, p.slug, p.updated_at, sorted(findings[p.id], key=lambda f: rank[f.severity]))
        for p in products
    ]


def decisions(product_id: int) -> list[ReviewDecision]:
    return list(db.session.execute(
        select(ReviewDecision).where(ReviewDecision.product_id == product_id).order_by(ReviewDecision.id)
    ).scalars())


# banned words -----------------------------------------------------------------

def banned_words() -> list[BannedWord]:
    return list(db.session.execute(select(BannedWord).order_by(BannedWord.word)).scalars())


def add_banned_word(word: str, note: str = "") -> bool:
    """Forbid a word in titles and descriptions; False if it was already forbidden."""
    word = word.strip()
    if not word:
        raise CatalogError("a banned word cannot be empty")
    with transaction():
        if db.session.execute(select(BannedWord.id).where(BannedWord.word == word)).first():
            return False
        db.session.add(BannedWord(word=word, note=note.strip()))
        return True


def remove_banned_word(word: str) -> bool:
    with transaction():
        return db.session.execute(delete(BannedWord).where(BannedWord.word == word.strip())).rowcount > 0
