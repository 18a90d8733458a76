"""The built-in normaliser's units: weights to grams, prices without currency signs or separators."""

import pytest

from xtycore.builtin.normalize import normalize_price, weight_in_grams
from xtycore.services import catalog


@pytest.mark.parametrize("text, grams", [
    ("1.5kg", 1500), ("500 g", 500), ("1公斤", 1000), ("2斤", 1000), ("３００克", 300), ("1千克", 1000),
    ("0.5 KG", 500), ("3两", 150), ("250", 250), ("1.2345kg", 1235), ("半斤", None), ("3 lbs", None), ("", None),
])
def test_weights_in_market_and_metric_units_become_whole_grams(text, grams):
    assert weight_in_grams(text) == grams


@pytest.mark.parametrize("text, price", [
    ("¥1,299.00", "1299.00"), ("￥35", "35"), ("RMB 35.5", "35.5"), ("35元", "35"), ("1299", "1299"),
    ("12,99", None), ("免费", None), ("1,2,3", None),
])
def test_prices_lose_currency_signs_and_thousands_separators(text, price):
    assert normalize_price(text.replace(" ", "")) == price


def test_the_normaliser_adds_weight_grams_and_cleans_prices_and_leaves_what_it_cannot_read(app):
    data = catalog.normalize_product(
        {"title": "龙井", "price": "￥１，２９９.００", "compare_at_price": "¥1,599", "weight": "2斤"})
    assert (data["price"], data["compare_at_price"], data["weight_grams"]) == ("1299.00", "1599", 1000)
    unreadable = catalog.normalize_product({"price": "免费", "weight": "a few grams"})
    assert unreadable == {"price": "免费", "weight": "afewgrams"}


def test_a_weight_in_grams_given_outright_is_kept(app):
    assert catalog.normalize_product({"weight": "1kg", "weight_grams": 900})["weight_grams"] == 900
