"""Published reviews make the product's rating: count and average, kept in one row per product."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import event

from tests.reviews.helpers import delivered_order, make_customer, make_product
from xtycore.extensions import db
from xtycore.services import catalog_review, reviews


def review(ctx, customer, variant, rating, body="口感很好，包装精美，值得推荐。"):
    order = delivered_order(ctx, customer, variant)
    return reviews.submit_review(customer, order.number, order.lines[0].id, rating=rating, body=body)


def test_published_reviews_give_the_count_and_the_average(ctx):
    customer = make_customer()
    product, variant = make_product()
    for rating in (5, 4, 4):
        review(ctx, customer, variant, rating)
    rating = reviews.product_reviews(product).rating
    assert (rating.count, rating.total, rating.average, rating.stars) == (3, 13, Decimal("4.3"), 4)
    assert reviews.recount(product) == rating


def test_an_average_of_four_and_a_half_draws_five_stars():
    assert reviews.Rating(2, 9).average == Decimal("4.5")
    assert reviews.Rating(2, 9).stars == 5
    assert reviews.Rating().average is None and reviews.Rating().stars == 0


def test_held_reviews_do_not_count_until_approved_and_a_takedown_subtracts(ctx):
    customer = make_customer()
    product, variant = make_product()
    review(ctx, customer, variant, 5)
    held = review(ctx, customer, variant, 1, body="差")
    assert held.status == "pending_moderation"
    assert reviews.product_reviews(product).rating == reviews.Rating(1, 5)
    reviews.approve(held.id, actor="cli:mei")
    assert reviews.product_reviews(product).rating == reviews.Rating(2, 6)
    reviews.reject(held.id, actor="cli:mei", reason="恶意差评")
    assert reviews.product_reviews(product).rating == reviews.Rating(1, 5)
    assert reviews.recount(product) == reviews.Rating(1, 5)


def test_a_rejected_held_review_never_counts(ctx):
    customer = make_customer()
    product, variant = make_product()
    held = review(ctx, customer, variant, 2, body="")
    reviews.reject(held.id, actor="cli:mei", reason="无内容")
    assert reviews.product_reviews(product).rating == reviews.Rating()


def test_the_product_page_lists_published_reviews_newest_first_ten_a_page(ctx):
    customer = make_customer()
    product, variant = make_product(stock=20)
    written = [review(ctx, customer, variant, 5, body=f"第{n}次购买，一如既往的好。").id for n in range(12)]
    review(ctx, customer, variant, 1, body="")  # held: not listed
    first, second = reviews.product_reviews(product, 1), reviews.product_reviews(product, 2)
    assert [r.id for r in first.items] == written[::-1][:10]
    assert [r.id for r in second.items] == written[::-1][10:]
    assert (first.pages, first.rating.count) == (2, 12)
    beyond = reviews.product_reviews(product, 9)
    assert (beyond.items, beyond.rating.count) == ((), 12)
    assert first.items[0].author == "m**"


def test_a_page_of_reviews_is_one_statement_and_ratings_for_a_listing_are_one(ctx):
    customer = make_customer()
    products = [make_product(f"茶{n}") for n in range(3)]
    for product, variant in products:
        review(ctx, customer, variant, 4)
    statements = []

    def listener(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):  # not SQLite's explicit BEGIN
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        reviews.product_reviews(products[0][0])
        assert len(statements) == 1
        found = reviews.ratings([p for p, _ in products] + [999999])
        assert len(statements) == 2
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert found == {p: reviews.Rating(1, 4) for p, _ in products}


def test_a_product_without_reviews_has_an_empty_first_page(ctx):
    product, _ = make_product()
    page = reviews.product_reviews(product)
    assert (page.items, page.rating.count, page.pages, page.rating.average) == ((), 0, 1, None)


def test_reviews_of_a_product_under_review_are_kept_with_it(ctx):
    customer = make_customer()
    product, variant = make_product()
    review(ctx, customer, variant, 5)
    catalog_review.archive(product)
    assert reviews.product_reviews(product).rating.count == 1
