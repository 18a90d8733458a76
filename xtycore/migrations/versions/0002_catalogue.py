"""Catalogue tables: categories, brands, tags, products, variants, images, review; product search.

Search needs dialect-specific objects that the models do not declare:

- SQLite: ``xty_product_fts``, an FTS5 table (trigram tokenizer) with
  ``xty_product`` as its external content, kept in step by three triggers.
  A later batch migration that recreates ``xty_product`` drops the triggers:
  call :func:`create_sqlite_search` again afterwards (and run ``xty catalog
  reindex``).
- PostgreSQL: the pg_trgm extension and GIN trigram indexes on the search
  columns.

Revision ID: 0002_catalogue
Revises: 2859f45fc163
Create Date: 2026-11-27 10:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0002_catalogue"
down_revision = "2859f45fc163"
branch_labels = None
depends_on = None

STATUS_CHECK = "status IN ('draft', 'pending_review', 'active', 'rejected', 'archived')"


def _timestamps():
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade():
    op.create_table(
        "xty_category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["xty_category.id"], name=op.f("fk_xty_category_parent_id_xty_category")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_category")),
        sa.UniqueConstraint("slug", name=op.f("uq_xty_category_slug")),
    )
    op.create_index(op.f("ix_xty_category_parent_id"), "xty_category", ["parent_id"])
    op.create_index(op.f("ix_xty_category_path"), "xty_category", ["path"])

    op.create_table(
        "xty_brand",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_brand")),
        sa.UniqueConstraint("name", name=op.f("uq_xty_brand_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_xty_brand_slug")),
    )
    op.create_table(
        "xty_tag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_tag")),
        sa.UniqueConstraint("name", name=op.f("uq_xty_tag_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_xty_tag_slug")),
    )
    op.create_table(
        "xty_banned_word",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("word", sa.String(length=100), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_banned_word")),
        sa.UniqueConstraint("word", name=op.f("uq_xty_banned_word_word")),
    )

    op.create_table(
        "xty_product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=220), nullable=False),
        sa.Column("subtitle", sa.String(length=300), nullable=False),
        sa.Column("description_html", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("meta_title", sa.String(length=200), nullable=False),
        sa.Column("meta_description", sa.String(length=400), nullable=False),
        *_timestamps(),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sales_count", sa.Integer(), nullable=False),
        sa.Column("purchase_limit", sa.Integer(), nullable=True),
        sa.Column("search_title", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.CheckConstraint(STATUS_CHECK, name=op.f("ck_xty_product_status")),
        sa.CheckConstraint("purchase_limit IS NULL OR purchase_limit > 0", name=op.f("ck_xty_product_purchase_limit")),
        sa.CheckConstraint("sales_count >= 0", name=op.f("ck_xty_product_sales_count")),
        sa.ForeignKeyConstraint(["brand_id"], ["xty_brand.id"], name=op.f("fk_xty_product_brand_id_xty_brand")),
        sa.ForeignKeyConstraint(
            ["category_id"], ["xty_category.id"], name=op.f("fk_xty_product_category_id_xty_category")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_product")),
        sa.UniqueConstraint("slug", name=op.f("uq_xty_product_slug")),
    )
    op.create_index("ix_xty_product_lower_title", "xty_product", [sa.text("lower(title)")])
    op.create_index(op.f("ix_xty_product_brand_id"), "xty_product", ["brand_id"])
    op.create_index(op.f("ix_xty_product_category_id"), "xty_product", ["category_id"])
    op.create_index("ix_xty_product_status_published_at", "xty_product", ["status", "published_at"])
    op.create_index("ix_xty_product_status_sales_count", "xty_product", ["status", "sales_count"])

    op.create_table(
        "xty_product_tag",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["xty_product.id"], ondelete="CASCADE",
            name=op.f("fk_xty_product_tag_product_id_xty_product"),
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["xty_tag.id"], ondelete="CASCADE", name=op.f("fk_xty_product_tag_tag_id_xty_tag")
        ),
        sa.PrimaryKeyConstraint("product_id", "tag_id", name=op.f("pk_xty_product_tag")),
    )
    op.create_index(op.f("ix_xty_product_tag_tag_id"), "xty_product_tag", ["tag_id"])

    op.create_table(
        "xty_variant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("price_minor", sa.Integer(), nullable=False),
        sa.Column("compare_at_minor", sa.Integer(), nullable=True),
        sa.Column("weight_grams", sa.Integer(), nullable=False),
        sa.Column("barcode", sa.String(length=64), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("stock >= 0", name=op.f("ck_xty_variant_stock")),
        sa.CheckConstraint("price_minor >= 0", name=op.f("ck_xty_variant_price")),
        sa.CheckConstraint("weight_grams >= 0", name=op.f("ck_xty_variant_weight")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["xty_product.id"], ondelete="CASCADE", name=op.f("fk_xty_variant_product_id_xty_product")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_variant")),
        sa.UniqueConstraint("sku", name=op.f("uq_xty_variant_sku")),
    )
    op.create_index("ix_xty_variant_product_id_price_minor", "xty_variant", ["product_id", "price_minor"])

    op.create_table(
        "xty_product_image",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("alt", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["xty_product.id"], ondelete="CASCADE",
            name=op.f("fk_xty_product_image_product_id_xty_product"),
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["xty_variant.id"], ondelete="SET NULL",
            name=op.f("fk_xty_product_image_variant_id_xty_variant"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_product_image")),
    )
    op.create_index("ix_xty_product_image_product_id_position", "xty_product_image", ["product_id", "position"])
    op.create_index(op.f("ix_xty_product_image_variant_id"), "xty_product_image", ["variant_id"])

    op.create_table(
        "xty_review_finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("plugin", sa.String(length=100), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["xty_product.id"], ondelete="CASCADE",
            name=op.f("fk_xty_review_finding_product_id_xty_product"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_review_finding")),
    )
    op.create_index(op.f("ix_xty_review_finding_product_id"), "xty_review_finding", ["product_id"])

    op.create_table(
        "xty_review_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("decision IN ('approve', 'reject')", name=op.f("ck_xty_review_decision_decision")),
        sa.CheckConstraint(
            "decision = 'approve' OR reason <> ''", name=op.f("ck_xty_review_decision_reject_reason")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["xty_product.id"], ondelete="CASCADE",
            name=op.f("fk_xty_review_decision_product_id_xty_product"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_review_decision")),
    )
    op.create_index(op.f("ix_xty_review_decision_product_id"), "xty_review_decision", ["product_id"])

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        create_sqlite_search()
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in ("search_title", "search_text"):
            op.execute(
                f"CREATE INDEX ix_xty_product_{column}_trgm ON xty_product USING gin ({column} gin_trgm_ops)"
            )


def create_sqlite_search():
    """The FTS5 index of the product search columns and the triggers that keep it current."""
    op.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS xty_product_fts USING fts5("
        "search_title, search_text, content='xty_product', content_rowid='id', tokenize='trigram')"
    )
    op.execute(
        "CREATE TRIGGER IF NOT EXISTS xty_product_fts_insert AFTER INSERT ON xty_product BEGIN "
        "INSERT INTO xty_product_fts(rowid, search_title, search_text) "
        "VALUES (new.id, new.search_title, new.search_text); END"
    )
    op.execute(
        "CREATE TRIGGER IF NOT EXISTS xty_product_fts_delete AFTER DELETE ON xty_product BEGIN "
        "INSERT INTO xty_product_fts(xty_product_fts, rowid, search_title, search_text) "
        "VALUES ('delete', old.id, old.search_title, old.search_text); END"
    )
    op.execute(
        "CREATE TRIGGER IF NOT EXISTS xty_product_fts_update "
        "AFTER UPDATE OF search_title, search_text ON xty_product BEGIN "
        "INSERT INTO xty_product_fts(xty_product_fts, rowid, search_title, search_text) "
        "VALUES ('delete', old.id, old.search_title, old.search_text); "
        "INSERT INTO xty_product_fts(rowid, search_title, search_text) "
        "VALUES (new.id, new.search_title, new.search_text); END"
    )
    op.execute("INSERT INTO xty_product_fts(xty_product_fts) VALUES ('rebuild')")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS xty_product_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS xty_product_fts")
    elif dialect == "postgresql":
        # the pg_trgm extension stays: other tables may use it
        for column in ("search_title", "search_text"):
            op.execute(f"DROP INDEX IF EXISTS ix_xty_product_{column}_trgm")
    for table in (
        "xty_review_decision", "xty_review_finding", "xty_product_image", "xty_variant",
        "xty_product_tag", "xty_product", "xty_banned_word", "xty_tag", "xty_brand", "xty_category",
    ):
        op.drop_table(table)
