"""Catalogue tables: categories, brands, tags, products, variants, images, review.

Persistence only. Status changes go through :mod:`xtycore.domain.catalog`,
writes through :mod:`xtycore.services.catalog`. Money is stored as integers
in the minor unit (fen); read it back with ``Money.from_minor``.

``search_title`` and ``search_text`` are the product's searchable text in
search form (NFKC, case-folded), kept by :mod:`xtycore.services.search`. On
SQLite an FTS5 table (``xty_product_fts``, trigram tokenizer) follows them
through triggers; on PostgreSQL they carry pg_trgm GIN indexes. Both are
created by the migration, not by these declarations.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON, CheckConstraint, Column, DateTime, ForeignKey, Index, Integer, String, Table, Text, func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from xtycore.domain.catalog import ProductStatus
from xtycore.extensions import db
from xtycore.models.kernel import utcnow

STATUSES = ", ".join(f"'{s.value}'" for s in ProductStatus)

product_tag = Table(
    "xty_product_tag",
    db.metadata,
    Column("product_id", ForeignKey("xty_product.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("xty_tag.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Category(db.Model):
    """A node of the category tree.

    ``path`` lists the ids from the root down, ``/1/4/9/``, so a subtree is one
    indexed ``LIKE '/1/4/%'`` instead of a recursive query.
    """

    __tablename__ = "xty_category"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("xty_category.id"), index=True)
    slug: Mapped[str] = mapped_column(String(120), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    name_en: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    sort: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    path: Mapped[str] = mapped_column(String(500), nullable=False, default="", index=True)

    parent: Mapped[Category | None] = relationship(remote_side=[id])


class Brand(db.Model):
    __tablename__ = "xty_brand"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    name_en: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    slug: Mapped[str] = mapped_column(String(120), nullable=False, unique=True)


class Tag(db.Model):
    __tablename__ = "xty_tag"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50), nullable=False, unique=True)
    slug: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)


class Product(db.Model):
    __tablename__ = "xty_product"
    __table_args__ = (
        CheckConstraint(f"status IN ({STATUSES})", name="status"),
        CheckConstraint("purchase_limit IS NULL OR purchase_limit > 0", name="purchase_limit"),
        CheckConstraint("sales_count >= 0", name="sales_count"),
        Index("ix_xty_product_status_published_at", "status", "published_at"),
        Index("ix_xty_product_status_sales_count", "status", "sales_count"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    title_en: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    slug: Mapped[str] = mapped_column(String(220), nullable=False, unique=True)
    subtitle: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    #: sanitised with nh3 on the way in (services.catalog.sanitize_html)
    description_html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("xty_brand.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("xty_category.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=ProductStatus.DRAFT.value)
    meta_title: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    meta_description: Mapped[str] = mapped_column(String(400), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )
    #: when the product last went on sale
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sales_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: most units one customer may buy (限购); None for no limit
    purchase_limit: Mapped[int | None] = mapped_column(Integer)
    search_title: Mapped[str] = mapped_column(Text, nullable=False, default="")
    search_text: Mapped[str] = mapped_column(Text, nullable=False, default="")

    brand: Mapped[Brand | None] = relationship()
    category: Mapped[Category | None] = relationship()
    tags: Mapped[list[Tag]] = relationship(secondary=product_tag, order_by=Tag.name)
    variants: Mapped[list[Variant]] = relationship(
        back_populates="product", order_by="Variant.position, Variant.id", cascade="all, delete-orphan"
    )
    images: Mapped[list[ProductImage]] = relationship(
        back_populates="product", order_by="ProductImage.position, ProductImage.id", cascade="all, delete-orphan"
    )


#: duplicate-title review compares titles case-insensitively
Index("ix_xty_product_lower_title", func.lower(Product.title))


class Variant(db.Model):
    """A purchasable SKU of a product, with its own price and stock."""

    __tablename__ = "xty_variant"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock"),
        CheckConstraint("price_minor >= 0", name="price"),
        CheckConstraint("weight_grams >= 0", name="weight"),
        Index("ix_xty_variant_product_id_price_minor", "product_id", "price_minor"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("xty_product.id", ondelete="CASCADE"), nullable=False)
    sku: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    #: option name -> value, e.g. {"颜色": "红", "尺码": "M"}
    options: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    price_minor: Mapped[int] = mapped_column(Integer, nullable=False)
    compare_at_minor: Mapped[int | None] = mapped_column(Integer)
    weight_grams: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    barcode: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    stock: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    product: Mapped[Product] = relationship(back_populates="variants")


class ProductImage(db.Model):
    """An uploaded image; ``path`` is relative to ``<instance>/uploads``; thumbnails sit beside it."""

    __tablename__ = "xty_product_image"
    __table_args__ = (Index("ix_xty_product_image_product_id_position", "product_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("xty_product.id", ondelete="CASCADE"), nullable=False)
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("xty_variant.id", ondelete="SET NULL"), index=True)
    path: Mapped[str] = mapped_column(String(300), nullable=False)
    width: Mapped[int] = mapped_column(Integer, nullable=False)
    height: Mapped[int] = mapped_column(Integer, nullable=False)
    alt: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    product: Mapped[Product] = relationship(back_populates="images")


class ReviewFinding(db.Model):
    """A finding of the latest automatic review of a product, shown in the review queue."""

    __tablename__ = "xty_review_finding"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("xty_product.id", ondelete="CASCADE"), nullable=False, index=True
    )
    plugin: Mapped[str] = mapped_column(String(100), nullable=False)
    severity: Mapped[str] = mapped_column(String(10), nullable=False)
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    field: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class ReviewDecision(db.Model):
    """A person's approve or reject of a product waiting in the review queue (审核记录)."""

    __tablename__ = "xty_review_decision"
    __table_args__ = (
        CheckConstraint("decision IN ('approve', 'reject')", name="decision"),
        CheckConstraint("decision = 'approve' OR reason <> ''", name="reject_reason"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("xty_product.id", ondelete="CASCADE"), nullable=False, index=True
    )
    decision: Mapped[str] = mapped_column(String(10), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class BannedWord(db.Model):
    """A word the merchant forbids in titles and descriptions (e.g. 广告法 absolute claims)."""

    __tablename__ = "xty_banned_word"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    word: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    note: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
