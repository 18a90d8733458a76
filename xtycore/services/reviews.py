"""Customer product reviews (评价): write one, screen it, moderate it, show them, count the stars.

A customer reviews each line of a delivered or completed order once
(:func:`submit_review`). The review is screened as it arrives
(:func:`xtycore.domain.reviews.screen`: the merchant's banned words, links, a
low rating with no reason); a clean review is published at once, any other
waits in ``pending_moderation`` until a person approves or rejects it
(:func:`approve`, :func:`reject`; ``xty reviews moderate``).

Publishing a review adds its stars to the product's :class:`ProductRating`
with one atomic upsert in the same transaction, and sends
``signals.product_reviewed`` once that transaction has committed; taking a
published review down subtracts them again. A review is published at most
once (rejected is final), so the signal goes out at most once per review.

Photos are checked and re-encoded by :mod:`xtycore.services.images` (which
drops EXIF, GPS positions included) and stored beside the product's own
images, ``products/<product id>/``, with the same thumbnails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import BinaryIO, Iterable, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from xtycore import signals
from xtycore.domain.catalog import ImageRejected
from xtycore.domain.reviews import (
    MAX_BODY_CHARS, MAX_PHOTOS, REVIEW, AlreadyReviewed, ReviewError, ReviewNotAllowed, ReviewStatus, can_review,
    check_rating, masked_name, screen,
)
from xtycore.extensions import db, transaction
from xtycore.models import BannedWord, Customer, Order, OrderLine, Product, ProductRating, ProductReview
from xtycore.models.kernel import utcnow
from xtycore.services import images, orders

#: Largest photo a customer may attach (phone photos are a few MB).
PHOTO_MAX_BYTES = 8 * 1024 * 1024
#: Reviews per page on the product page.
PER_PAGE = 10


class ReviewNotFound(ReviewError):
    customer_message = "评价不存在"


class PhotoRejected(ReviewError):
    customer_message = "照片无法使用，请上传JPEG、PNG、WebP或GIF图片，每张不超过8MB"


@dataclass(frozen=True)
class Upload:
    """A photo as it arrives: its bytes and the name the customer's device gave it."""

    stream: BinaryIO
    filename: str


@dataclass(frozen=True)
class Rating:
    """The published reviews of a product: how many, and their stars added up."""

    count: int = 0
    total: int = 0

    @property
    def average(self) -> Decimal | None:
        """The mean rating to one decimal (half-up), or None without reviews."""
        if not self.count:
            return None
        return (Decimal(self.total) / self.count).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def stars(self) -> int:
        """Whole stars to draw: the average rounded half-up (4.5 draws five), 0 without reviews."""
        if not self.count:
            return 0
        return int((Decimal(self.total) / self.count).quantize(Decimal("1"), ROUND_HALF_UP))


@dataclass(frozen=True)
class PhotoView:
    path: str  #: relative to ``<instance>/uploads``
    width: int
    height: int


@dataclass(frozen=True)
class ReviewView:
    """A published review as other customers see it."""

    id: int
    rating: int
    body: str
    author: str  #: masked, e.g. 张**
    variant_label: str
    photos: tuple[PhotoView, ...]
    published_at: datetime | None  #: UTC


@dataclass(frozen=True)
class ReviewPage:
    """One page of a product's published reviews, newest first, with the product's rating."""

    product_id: int
    rating: Rating
    items: tuple[ReviewView, ...]
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.rating.count // self.per_page))


@dataclass(frozen=True)
class LineReview:
    """A line of an order and where it stands with reviews (for the order page)."""

    line: OrderLine
    #: the review's status, or None when the line has not been reviewed
    status: str | None
    #: whether the customer may review it now
    open: bool


@dataclass(frozen=True)
class PendingReview:
    review: ProductReview
    product_title: str


# --------------------------------------------------------------------------
# writing a review
# --------------------------------------------------------------------------


def order_line(customer_id: int, order_number: str, line_id: int) -> tuple[Order, OrderLine]:
    """The customer's order and one of its lines.

    :raises OrderNotFound: no such order or line, or it is someone else's (one answer for all).
    """
    order = orders.customer_order(customer_id, order_number)
    line = next((line for line in order.lines if line.id == line_id), None)
    if line is None:
        raise orders.OrderNotFound(f"order {order_number} has no line {line_id}")
    return order, line


def check_reviewable(order: Order, line: OrderLine) -> None:
    """:raises ReviewNotAllowed, AlreadyReviewed: why this line cannot be reviewed now."""
    if not can_review(order.status):
        raise ReviewNotAllowed(f"order {order.number} is {order.status}; reviews open once it is delivered")
    if line.product_id is None:
        raise ReviewNotAllowed(f"the product of line {line.id} no longer exists",
                               customer_message="该商品已下架删除，无法评价")
    if db.session.execute(select(ProductReview.id).where(ProductReview.order_line_id == line.id)).first():
        raise AlreadyReviewed(f"line {line.id} of order {order.number} is already reviewed")


def submit_review(
    customer_id: int, order_number: str, line_id: int, *, rating: int, body: str = "",
    photos: Sequence[Upload] = (),
) -> ProductReview:
    """Review one line of the customer's delivered or completed order.

    Returns the review, published or pending moderation as screening decided.

    :raises OrderNotFound: not the customer's order, or no such line.
    :raises ReviewNotAllowed: the order has not arrived (or was refunded), or the product is gone.
    :raises AlreadyReviewed: this line has a review.
    :raises ReviewError: the rating, text or number of photos is out of bounds.
    :raises PhotoRejected: a photo is not an image xtycore accepts; nothing is stored.
    """
    body = body.strip()
    check_rating(rating)
    if len(body) > MAX_BODY_CHARS:
        raise ReviewError(f"review text has {len(body)} characters", customer_message=f"评价最多{MAX_BODY_CHARS}字")
    if len(photos) > MAX_PHOTOS:
        raise ReviewError(f"{len(photos)} photos", customer_message=f"最多上传{MAX_PHOTOS}张照片")
    order, line = order_line(customer_id, order_number, line_id)
    check_reviewable(order, line)
    reasons = screen(rating, body, db.session.execute(select(BannedWord.word)).scalars())
    author = db.session.execute(select(Customer.display_name).where(Customer.id == customer_id)).scalar_one()
    product_id, line_label, order_id = line.product_id, line.variant_label, order.id
    saved = _save_photos(photos, product_id)
    now = utcnow()
    review = ProductReview(
        product_id=product_id, order_line_id=line_id, customer_id=customer_id, author_name=author[:50],
        variant_label=line_label[:200], rating=rating, body=body,
        photos=[{"path": s.path, "width": s.width, "height": s.height} for s in saved],
        status=(ReviewStatus.PENDING_MODERATION if reasons else ReviewStatus.PUBLISHED).value,
        hold_reasons=[{"code": r.code, "message": r.message} for r in reasons],
        created_at=now, published_at=None if reasons else now,
    )
    try:
        with transaction() as session:
            # the order may have been refunded since it was read: decide on the locked row
            if not can_review(orders.locked_order(order_id).status):
                raise ReviewNotAllowed(f"order {order_number} is no longer reviewable")
            session.add(review)
            session.flush()
            if not reasons:
                _published(review)
    except IntegrityError:
        _remove(saved)
        raise AlreadyReviewed(f"line {line_id} was reviewed meanwhile") from None
    except BaseException:
        _remove(saved)
        raise
    return review


def _save_photos(photos: Sequence[Upload], product_id: int) -> list[images.SavedImage]:
    saved: list[images.SavedImage] = []
    try:
        for photo in photos:
            saved.append(images.save_image(photo.stream, photo.filename or "photo", product_id,
                                           max_bytes=PHOTO_MAX_BYTES))
    except ImageRejected as exc:
        _remove(saved)
        raise PhotoRejected(str(exc)) from None
    except BaseException:
        _remove(saved)
        raise
    return saved


def _remove(saved: Iterable[images.SavedImage]) -> None:
    for item in saved:
        item.remove()


# --------------------------------------------------------------------------
# the rating aggregate and the signal
# --------------------------------------------------------------------------


def _add_to_rating(product_id: int, count: int, stars: int) -> None:
    """Add to the product's rating in one statement: safe when two reviews publish at once."""
    if count < 0:
        db.session.execute(
            update(ProductRating).where(ProductRating.product_id == product_id)
            .values(review_count=ProductRating.review_count + count, rating_total=ProductRating.rating_total + stars)
        )
        return
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ProductRating).values(product_id=product_id, review_count=count, rating_total=stars)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=[ProductRating.product_id],
        set_={
            "review_count": ProductRating.review_count + statement.excluded.review_count,
            "rating_total": ProductRating.rating_total + statement.excluded.rating_total,
        },
    ))


def _published(review: ProductReview) -> None:
    """Count a review that has just become published and announce it after the commit."""
    _add_to_rating(review.product_id, 1, review.rating)
    product = db.session.get(Product, review.product_id)
    orders.send_after_commit(signals.product_reviewed, review=review, product=product)


# --------------------------------------------------------------------------
# moderation
# --------------------------------------------------------------------------


def pending_reviews(limit: int = 100) -> list[PendingReview]:
    """Reviews waiting for a person, oldest first, with their product's title (one query)."""
    rows = db.session.execute(
        select(ProductReview, Product.title)
        .join(Product, Product.id == ProductReview.product_id)
        .where(ProductReview.status == ReviewStatus.PENDING_MODERATION.value)
        .order_by(ProductReview.created_at, ProductReview.id)
        .limit(limit)
    ).all()
    return [PendingReview(review, title) for review, title in rows]


def approve(review_id: int, *, actor: str) -> ProductReview:
    """Publish a review that screening held.

    :raises InvalidTransition: it is not pending moderation.
    """
    return _moderate(review_id, "approve", actor=actor)


def reject(review_id: int, *, actor: str, reason: str) -> ProductReview:
    """Refuse a held review, or take down a published one; its photos are deleted.

    :raises InvalidTransition: it is already rejected.
    """
    if not reason.strip():
        raise ReviewError("rejecting a review needs a reason, e.g. --reason '广告'")
    review = _moderate(review_id, "reject", actor=actor, reason=reason.strip())
    for photo in review.photos:
        images.delete_files(photo["path"])
    return review


def _moderate(review_id: int, event: str, *, actor: str, reason: str = "") -> ProductReview:
    if not actor.strip():
        raise ReviewError("a moderation decision needs the name of the person making it (actor)")
    with transaction():
        review = db.session.execute(
            select(ProductReview).where(ProductReview.id == review_id).with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if review is None:
            raise ReviewNotFound(f"no review with id {review_id}")
        source = ReviewStatus(review.status)
        target = REVIEW.apply(source, event)
        now = utcnow()
        review.status = target.value
        review.moderated_at = now
        review.moderated_by = actor.strip()[:200]
        review.rejection_reason = reason
        if target is ReviewStatus.PUBLISHED:
            review.published_at = now
            _published(review)
        elif source is ReviewStatus.PUBLISHED:
            _add_to_rating(review.product_id, -1, -review.rating)
        return review


# --------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------


def product_reviews(product_id: int, page: int = 1, per_page: int = PER_PAGE) -> ReviewPage:
    """A page of the product's published reviews, newest first, with its rating.

    One query: the rating comes joined to the page's rows (a second one only
    for a page past the last, to still report the rating).
    """
    page = max(int(page), 1)
    rows = db.session.execute(
        select(ProductReview, ProductRating.review_count, ProductRating.rating_total)
        .join(ProductRating, ProductRating.product_id == ProductReview.product_id)
        .where(ProductReview.product_id == product_id, ProductReview.status == ReviewStatus.PUBLISHED.value)
        .order_by(ProductReview.published_at.desc(), ProductReview.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    if rows:
        rating = Rating(rows[0][1], rows[0][2])
    elif page > 1:
        rating = ratings([product_id]).get(product_id, Rating())
    else:
        rating = Rating()
    items = tuple(_view(review) for review, _, _ in rows)
    return ReviewPage(product_id, rating, items, page, per_page)


def _view(review: ProductReview) -> ReviewView:
    return ReviewView(
        id=review.id, rating=review.rating, body=review.body, author=masked_name(review.author_name),
        variant_label=review.variant_label,
        photos=tuple(PhotoView(p["path"], p["width"], p["height"]) for p in review.photos),
        published_at=review.published_at,
    )


def ratings(product_ids: Iterable[int]) -> dict[int, Rating]:
    """The rating of each product that has published reviews, in one query (for listings)."""
    wanted = list(dict.fromkeys(product_ids))
    if not wanted:
        return {}
    rows = db.session.execute(
        select(ProductRating).where(ProductRating.product_id.in_(wanted), ProductRating.review_count > 0)
    ).scalars()
    return {row.product_id: Rating(row.review_count, row.rating_total) for row in rows}


def recount(product_id: int) -> Rating:
    """The rating counted again from the published reviews (one aggregate query); checks the aggregate."""
    count, total = db.session.execute(
        select(func.count(), func.coalesce(func.sum(ProductReview.rating), 0))
        .where(ProductReview.product_id == product_id, ProductReview.status == ReviewStatus.PUBLISHED.value)
    ).one()
    return Rating(int(count), int(total))


def order_lines_for_review(order: Order) -> list[LineReview]:
    """Each line of the order with its review status (one query), for the order page's links."""
    ids = [line.id for line in order.lines]
    reviewed = dict(db.session.execute(
        select(ProductReview.order_line_id, ProductReview.status).where(ProductReview.order_line_id.in_(ids))
    ).all()) if ids else {}
    reviewable = can_review(order.status)
    return [
        LineReview(line, reviewed.get(line.id), reviewable and line.product_id is not None and line.id not in reviewed)
        for line in order.lines
    ]
