"""Who may review what: the owner of a delivered or completed order, each line once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.reviews.helpers import delivered_order, make_customer, make_product, order_at
from xtycore.domain.reviews import AlreadyReviewed, ReviewNotAllowed
from xtycore.extensions import db
from xtycore.models import ProductReview
from xtycore.services import orders, reviews


def review_count() -> int:
    return db.session.execute(select(func.count()).select_from(ProductReview)).scalar_one()


def test_the_owner_of_a_delivered_order_reviews_each_line_of_it(ctx):
    customer = make_customer()
    (tea, tea_variant), (cup, cup_variant) = make_product("西湖龙井"), make_product("青瓷杯")
    order = delivered_order(ctx, customer, tea_variant, cup_variant)
    first, second = order.lines
    reviews.submit_review(customer, order.number, first.id, rating=5, body="豆香浓郁，回甘明显。")
    reviews.submit_review(customer, order.number, second.id, rating=4, body="釉色很温润，略小。")
    rows = db.session.execute(select(ProductReview).order_by(ProductReview.id)).scalars().all()
    assert [(r.product_id, r.order_line_id, r.customer_id, r.status) for r in rows] == [
        (tea, first.id, customer, "published"), (cup, second.id, customer, "published"),
    ]


def test_a_completed_order_can_be_reviewed_too(ctx):
    customer = make_customer()
    _, variant = make_product()
    order = order_at(ctx, customer, variant, status="completed")
    review = reviews.submit_review(customer, order.number, order.lines[0].id, rating=5, body="好喝，还会再买。")
    assert review.status == "published"


@pytest.mark.parametrize("status", ["pending_payment", "paid", "shipped", "refunded"])
def test_an_order_that_has_not_arrived_or_was_refunded_cannot_be_reviewed(ctx, status):
    customer = make_customer()
    _, variant = make_product()
    order = order_at(ctx, customer, variant, status=status)
    with pytest.raises(ReviewNotAllowed):
        reviews.submit_review(customer, order.number, order.lines[0].id, rating=5, body="还没收到就来评价。")
    assert review_count() == 0


def test_each_line_is_reviewed_once(ctx):
    customer = make_customer()
    _, variant = make_product()
    order = delivered_order(ctx, customer, variant)
    line = order.lines[0].id
    reviews.submit_review(customer, order.number, line, rating=5, body="非常好，包装也很用心。")
    with pytest.raises(AlreadyReviewed):
        reviews.submit_review(customer, order.number, line, rating=1, body="改个差评试试看行不行。")
    assert review_count() == 1


def test_the_same_product_bought_in_two_orders_can_be_reviewed_twice(ctx):
    customer = make_customer()
    _, variant = make_product()
    first, second = delivered_order(ctx, customer, variant), delivered_order(ctx, customer, variant)
    reviews.submit_review(customer, first.number, first.lines[0].id, rating=5, body="第一次买，很满意。")
    reviews.submit_review(customer, second.number, second.lines[0].id, rating=4, body="回购了，品质稳定。")
    assert review_count() == 2


def test_someone_elses_order_or_a_line_of_another_order_is_not_found(ctx):
    owner, stranger = make_customer("mei@example.cn"), make_customer("lei@example.cn")
    _, variant = make_product()
    order = delivered_order(ctx, owner, variant)
    other = delivered_order(ctx, stranger, variant)
    with pytest.raises(orders.OrderNotFound):
        reviews.submit_review(stranger, order.number, order.lines[0].id, rating=1, body="不是我买的也想评价。")
    with pytest.raises(orders.OrderNotFound):
        reviews.submit_review(owner, order.number, other.lines[0].id, rating=5, body="拿别人的订单行来评价。")
    assert review_count() == 0


def test_a_rating_outside_one_to_five_is_refused(ctx):
    customer = make_customer()
    _, variant = make_product()
    order = delivered_order(ctx, customer, variant)
    for rating in (0, 6):
        with pytest.raises(reviews.ReviewError):
            reviews.submit_review(customer, order.number, order.lines[0].id, rating=rating, body="星级不对。")
    assert review_count() == 0


def test_the_order_page_lists_which_lines_are_open_for_review(ctx):
    customer = make_customer()
    (_, first), (_, second) = make_product("红茶"), make_product("绿茶")
    order = delivered_order(ctx, customer, first, second)
    reviews.submit_review(customer, order.number, order.lines[0].id, rating=5, body="香气很足，很满意。")
    states = reviews.order_lines_for_review(orders.customer_order(customer, order.number))
    assert [(s.status, s.open) for s in states] == [("published", False), (None, True)]
    shipped = order_at(ctx, customer, first, status="shipped")
    assert [(s.status, s.open) for s in reviews.order_lines_for_review(shipped)] == [(None, False)]
