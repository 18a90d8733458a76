"""The pieces pages are assembled from: the category tree, section names, queries, page links."""

from __future__ import annotations

import pytest

from xtycore.domain.money import Money
from xtycore.services.pages import CategoryNode, CategoryTree, VariantView, options_of, read_query, section_keys
from xtycore.web.template_helpers import page_window

TREE = CategoryTree([
    CategoryNode(1, None, "cha-ye", "茶叶", "Tea", 0, "/1/"),
    CategoryNode(2, 1, "lu-cha", "绿茶", "", 1, "/1/2/"),
    CategoryNode(3, 2, "long-jing", "龙井", "", 0, "/1/2/3/"),
    CategoryNode(4, 1, "hong-cha", "红茶", "", 0, "/1/4/"),
    CategoryNode(5, None, "tian-pin", "甜品", "", -1, "/5/"),
])


def test_the_tree_orders_by_the_merchants_sort_and_knows_parents_children_and_subtrees():
    assert [n.slug for n in TREE.roots()] == ["tian-pin", "cha-ye"]
    assert [n.slug for n in TREE.children(TREE.by_slug["cha-ye"])] == ["hong-cha", "lu-cha"]
    assert [n.slug for n in TREE.ancestors(TREE.by_slug["long-jing"])] == ["cha-ye", "lu-cha"]
    assert sorted(TREE.subtree_ids(TREE.by_slug["cha-ye"])) == [1, 2, 3, 4]
    assert TREE.subtree_ids(TREE.by_slug["long-jing"]) == [3]


def test_section_names_keep_their_order_once_each_and_drop_unknown_ones():
    assert section_keys("new, featured，new,banner,ads,") == ["new", "featured", "banner"]
    assert section_keys("") == []


def test_a_query_from_request_arguments_keeps_what_parses():
    query, bad = read_query({"q": "茶", "min": "9.9", "sort": "price_desc", "page": "2"},
                            per_page=24, sorts=("relevance", "price_desc"))
    assert (query.text, query.price_min, query.sort, query.page, query.per_page, bad) == (
        "茶", Money("9.90"), "price_desc", 2, 24, False)
    query, bad = read_query({"q": "茶", "min": "cheap", "in_stock": "1"}, per_page=24, sorts=("relevance",))
    assert (query.text, query.price_min, query.in_stock, bad) == ("茶", None, True, True)


@pytest.mark.parametrize("per_page, expected", [(500, 100), (0, 1), (24, 24)])
def test_a_themes_page_size_is_kept_within_what_search_allows(per_page, expected):
    assert read_query({}, per_page=per_page, sorts=("relevance",))[0].per_page == expected


def test_an_unknown_sort_falls_back_to_the_pages_first():
    assert read_query({"sort": "price_desc"}, per_page=10, sorts=("newest",))[0].sort == "newest"


@pytest.mark.parametrize("current, total, expected", [
    (1, 1, [1]),
    (1, 5, [1, 2, 3, None, 5]),
    (5, 10, [1, None, 3, 4, 5, 6, 7, None, 10]),
    (10, 10, [1, None, 8, 9, 10]),
    (2, 4, [1, 2, 3, 4]),
])
def test_page_links_show_the_ends_and_the_neighbourhood_with_gaps(current, total, expected):
    assert page_window(current, total) == expected


def test_options_list_each_value_once_in_the_order_variants_use_them():
    variants = [VariantView(n, f"S{n}", options, Money("1"), None, 1) for n, options in enumerate([
        {"颜色": "红", "尺码": "M"}, {"颜色": "蓝", "尺码": "M"}, {"颜色": "红", "尺码": "L"},
    ])]
    assert [(o.name, o.values) for o in options_of(variants)] == [("颜色", ("红", "蓝")), ("尺码", ("M", "L"))]


@pytest.mark.parametrize("stock, state", [(0, "out_of_stock"), (5, "low_stock"), (6, "in_stock")])
def test_a_variants_stock_state(stock, state):
    assert VariantView(1, "S", {}, Money("1"), None, stock).stock_state == state
