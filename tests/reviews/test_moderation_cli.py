"""``xty reviews moderate``: list what screening held, approve or reject it."""

from __future__ import annotations

from tests.reviews.helpers import delivered_order, make_customer, make_product
from xtycore.cli import main
from xtycore.extensions import db
from xtycore.models import ProductReview
from xtycore.services import reviews


def held_reviews(ctx, count=2):
    customer = make_customer()
    _, variant = make_product("冻顶乌龙", stock=20)
    made = []
    for body in ["差", "看这里 www.tea.example.com"][:count]:
        order = delivered_order(ctx, customer, variant)
        made.append(reviews.submit_review(customer, order.number, order.lines[0].id, rating=1, body=body).id)
    return made


def status(review_id):
    db.session.expire_all()
    return db.session.get(ProductReview, review_id).status


def test_the_list_shows_each_held_review_with_why(ctx):
    first, second = held_reviews(ctx)
    result = ctx.app.test_cli_runner().invoke(main, ["reviews", "moderate", "--list"])
    assert result.exit_code == 0, result.output
    assert "2 review(s) waiting" in result.output
    assert f"#{first}" in result.output and f"#{second}" in result.output and "冻顶乌龙" in result.output
    assert "held: 1-star rating with only 1 characters" in result.output
    assert "held: contains a link (www.tea.example.com)" in result.output
    assert (status(first), status(second)) == ("pending_moderation", "pending_moderation")


def test_options_approve_and_reject_named_reviews(ctx):
    first, second = held_reviews(ctx)
    runner = ctx.app.test_cli_runner()
    result = runner.invoke(main, [
        "reviews", "moderate", "--approve", str(first), "--reject", str(second), "--reason", "广告", "--actor", "cli:mei",
    ])
    assert result.exit_code == 0, result.output
    assert (status(first), status(second)) == ("published", "rejected")
    review = db.session.get(ProductReview, second)
    assert (review.moderated_by, review.rejection_reason) == ("cli:mei", "广告")
    again = runner.invoke(main, ["reviews", "moderate", "--approve", str(second)])
    assert again.exit_code == 1 and "cannot approve when rejected" in again.output


def test_rejecting_needs_a_reason(ctx):
    [first] = held_reviews(ctx, 1)
    result = ctx.app.test_cli_runner().invoke(main, ["reviews", "moderate", "--reject", str(first)])
    assert result.exit_code == 2 and "--reason" in result.output
    assert status(first) == "pending_moderation"


def test_the_questions_approve_and_reject_in_turn(ctx):
    first, second = held_reviews(ctx)
    result = ctx.app.test_cli_runner().invoke(main, ["reviews", "moderate"], input="a\nr\n含广告链接\n")
    assert result.exit_code == 0, result.output
    assert (status(first), status(second)) == ("published", "rejected")
    assert db.session.get(ProductReview, second).rejection_reason == "含广告链接"


def test_nothing_waiting_is_said_plainly(ctx):
    result = ctx.app.test_cli_runner().invoke(main, ["reviews", "moderate"])
    assert result.exit_code == 0 and "no reviews waiting for moderation" in result.output
