"""``signals.product_reviewed`` goes out once per review, after it is published and committed."""

from __future__ import annotations

import pytest

from tests.reviews.helpers import delivered_order, make_customer, make_product
from xtycore import signals
from xtycore.domain.states import InvalidTransition
from xtycore.extensions import db
from xtycore.models import ProductReview
from xtycore.services import reviews


@pytest.fixture
def received(ctx):
    calls = []

    def receiver(sender, **kwargs):
        # committed by now: a fresh query sees the review published
        status = db.session.get(ProductReview, kwargs["review"].id).status
        calls.append((kwargs["review"].id, kwargs["product"].id, status))

    signals.product_reviewed.connect(receiver)
    yield calls
    signals.product_reviewed.disconnect(receiver)


def test_a_review_published_at_once_is_announced_once(ctx, received):
    customer = make_customer()
    product, variant = make_product()
    order = delivered_order(ctx, customer, variant)
    review = reviews.submit_review(customer, order.number, order.lines[0].id, rating=5, body="很好喝，推荐给大家。")
    assert received == [(review.id, product, "published")]


def test_a_held_review_is_announced_when_approved_and_never_again(ctx, received):
    customer = make_customer()
    product, variant = make_product()
    order = delivered_order(ctx, customer, variant)
    review = reviews.submit_review(customer, order.number, order.lines[0].id, rating=1, body="")
    assert received == []
    reviews.approve(review.id, actor="cli:mei")
    with pytest.raises(InvalidTransition):
        reviews.approve(review.id, actor="cli:mei")
    reviews.reject(review.id, actor="cli:mei", reason="重新审核后下架")
    assert received == [(review.id, product, "published")]


def test_a_rejected_review_is_never_announced(ctx, received):
    customer = make_customer()
    _, variant = make_product()
    order = delivered_order(ctx, customer, variant)
    review = reviews.submit_review(customer, order.number, order.lines[0].id, rating=2, body="差")
    reviews.reject(review.id, actor="cli:mei", reason="无实质内容")
    with pytest.raises(InvalidTransition):
        reviews.reject(review.id, actor="cli:mei", reason="again")
    assert received == []


def test_nothing_is_announced_when_the_review_cannot_be_stored(ctx, received, monkeypatch):
    customer = make_customer()
    _, variant = make_product()
    order = delivered_order(ctx, customer, variant)

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(reviews, "_add_to_rating", fail)
    with pytest.raises(RuntimeError):
        reviews.submit_review(customer, order.number, order.lines[0].id, rating=5, body="很好喝，推荐给大家。")
    assert received == []
    assert db.session.query(ProductReview).count() == 0
