"""Helpers for catalogue tests: products written through the services, sample images and files."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from PIL import Image

from xtycore.domain.money import Money
from xtycore.extensions import db, transaction
from xtycore.models import ProductImage
from xtycore.services import catalog, catalog_review

DESCRIPTION = "<p>精选原料，用心制作，品质稳定，适合日常饮用与馈赠亲友。</p>"
_skus = itertools.count(1)


@pytest.fixture
def app(xty_app):
    with xty_app.app_context():
        yield xty_app


def variant(price="99.00", *, sku=None, compare_at=None, stock=10, **options):
    return catalog.VariantInput(
        sku=sku or f"SKU-{next(_skus)}", price=Money(price),
        compare_at=Money(compare_at) if compare_at else None, stock=stock, options=options,
    )


def make_product(title="西湖龙井", *, price="99.00", variants=None, images=1, description=DESCRIPTION,
                 publish=True, **fields):
    """A product saved (and published unless told not to) through the catalogue services; returns its id."""
    data = catalog.ProductInput(
        title=title, variants=variants or [variant(price)], description_html=description, **fields,
    )
    with transaction():
        product = catalog.save_product(data)
        for position in range(images):
            product.images.append(ProductImage(
                path=f"products/{product.id}/img{position}.jpg", width=800, height=800, position=position))
        db.session.flush()
        if publish:
            catalog_review.publish_in_session(product)
        return product.id


def write_image(path: Path, size=(1200, 900), mode="RGB", fmt="JPEG") -> Path:
    Image.new(mode, size, (200, 30, 30) if mode == "RGB" else (200, 30, 30, 128)).save(path, fmt)
    return path
