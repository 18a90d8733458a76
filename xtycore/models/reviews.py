"""Customer product reviews (评价) and each product's rating aggregate.

Persistence only: who may review, screening and moderation live in
:mod:`xtycore.domain.reviews` and :mod:`xtycore.services.reviews`.

A review belongs to one order line (unique: one review per line bought).
Its photos are listed on the row (at most six, each ``{"path", "width",
"height"}`` relative to ``<instance>/uploads``), so a page of reviews is one
query. :class:`ProductRating` holds the count and the sum of the ratings of
a product's *published* reviews; the service changes it with one atomic
``UPDATE`` (or insert) in the transaction that publishes or takes down a
review, so listings read ratings without aggregating.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xtycore.domain.reviews import MAX_RATING, MIN_RATING, ReviewStatus
from xtycore.extensions import db
from xtycore.models.kernel import utcnow

REVIEW_STATUSES = ", ".join(f"'{s.value}'" for s in ReviewStatus)


class ProductReview(db.Model):
    __tablename__ = "xty_product_review"
    __table_args__ = (
        CheckConstraint(f"rating BETWEEN {MIN_RATING} AND {MAX_RATING}", name="rating"),
        CheckConstraint(f"status IN ({REVIEW_STATUSES})", name="status"),
        Index("ix_xty_product_review_product_id_status_published_at", "product_id", "status", "published_at"),
        Index("ix_xty_product_review_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("xty_product.id", ondelete="CASCADE"), nullable=False)
    #: the line bought; unique, so each line is reviewed once (kept if the order row ever goes)
    order_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("xty_order_line.id", ondelete="SET NULL"), nullable=True, unique=True
    )
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("xty_customer.id", ondelete="SET NULL"), nullable=True, index=True
    )
    #: the customer's display name when they wrote it; shown masked (张**)
    author_name: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    #: what was bought, e.g. "规格: 250g", shown beside the review
    variant_label: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    rating: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    photos: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    #: a :class:`~xtycore.domain.reviews.ReviewStatus` value; changed only by services.reviews
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    #: why screening held it: [{"code", "message"}]; empty when it was published at once
    hold_reasons: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    moderated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: who approved or rejected it ("cli:alice", "staff:3"); empty when screening published it
    moderated_by: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    rejection_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")

    def __repr__(self) -> str:
        return f"<ProductReview {self.id} product={self.product_id} {self.rating}* {self.status}>"


class ProductRating(db.Model):
    """The published reviews of a product: how many, and the sum of their stars."""

    __tablename__ = "xty_product_rating"
    __table_args__ = (
        CheckConstraint("review_count >= 0 AND rating_total >= 0", name="counts"),
        CheckConstraint(f"rating_total BETWEEN {MIN_RATING} * review_count AND {MAX_RATING} * review_count",
                        name="total_in_range"),
    )

    product_id: Mapped[int] = mapped_column(ForeignKey("xty_product.id", ondelete="CASCADE"), primary_key=True)
    review_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rating_total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
