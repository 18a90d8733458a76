"""Screening: what publishes a review at once and what holds it for a person."""

from __future__ import annotations

import pytest

from tests.reviews.helpers import delivered_order, make_customer, make_product
from xtycore.domain.reviews import masked_name, screen
from xtycore.services import catalog_review, reviews


def codes(rating, body, banned=()):
    return [reason.code for reason in screen(rating, body, banned)]


def test_a_good_review_with_text_passes():
    assert codes(5, "茶汤清亮，回甘明显，包装也很精美。") == []


def test_stars_alone_pass_when_the_rating_is_good():
    assert codes(5, "") == []
    assert codes(3, "  ") == []


@pytest.mark.parametrize("body", ["", "差", "不好喝", "  很差  "])
def test_a_low_rating_with_no_or_hardly_any_text_is_held(body):
    assert codes(1, body) == ["low_rating_unexplained"]
    assert codes(2, body) == ["low_rating_unexplained"]


def test_a_low_rating_that_explains_itself_passes():
    assert codes(1, "收到时罐子被压扁了，茶叶碎了很多，很失望。") == []


@pytest.mark.parametrize("body", [
    "更多好茶请看 https://tea.example.com/shop",
    "加我 www.cheap-tea.example",
    "便宜货在 cheaptea.cn 上有",
    "Visit SHOP.EXAMPLE.COM now",
    "全角网址ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ也算",
])
def test_a_link_or_a_domain_name_is_held(body):
    assert "link" in codes(5, body)


def test_prices_decimals_and_sizes_are_not_mistaken_for_links():
    assert codes(5, "买了2.5kg，单价1.5元，性价比高，推荐！") == []


def test_a_banned_word_is_held_whatever_its_width_or_case():
    assert codes(5, "这是最佳的茶", ["最佳"]) == ["banned_word"]
    assert codes(5, "ＮＯ.1 的品质", ["no.1"]) == ["banned_word"]
    assert codes(5, "普通的好茶", ["最佳"]) == []


def test_several_reasons_are_all_given():
    assert codes(1, "最佳 x.com", ["最佳"]) == ["banned_word", "link", "low_rating_unexplained"]


def test_reviewers_are_shown_masked():
    assert masked_name("张三丰") == "张**"
    assert masked_name("mei") == "m**"
    assert masked_name("  ") == "匿名用户"


def test_the_merchants_banned_words_hold_a_review_with_the_reason(ctx):
    catalog_review.add_banned_word("国家级")
    customer = make_customer()
    _, variant = make_product()
    order = delivered_order(ctx, customer, variant)
    review = reviews.submit_review(customer, order.number, order.lines[0].id, rating=5, body="国家级好茶，推荐！")
    assert review.status == "pending_moderation"
    assert review.published_at is None
    assert [r["code"] for r in review.hold_reasons] == ["banned_word"]
    assert "国家级" in review.hold_reasons[0]["message"]


def test_a_clean_review_is_published_at_once_with_no_reasons(ctx):
    customer = make_customer()
    _, variant = make_product()
    order = delivered_order(ctx, customer, variant)
    review = reviews.submit_review(customer, order.number, order.lines[0].id, rating=4, body="  好喝，推荐。  ")
    assert (review.status, review.hold_reasons, review.body) == ("published", [], "好喝，推荐。")
    assert review.published_at is not None
