"""Catalogue rules without an app: the status state machine and the pure listing rules."""

from decimal import Decimal

import pytest

from xtycore.domain.catalog import (
    Action, CatalogError, InvalidTransition, ProductStatus, PurchaseLimitExceeded, allowed_actions,
    category_path, check_purchase_limit, far_below_median, median_from_middle, next_status, publish_action,
    search_form,
)
from xtycore.domain.money import Money

S = ProductStatus


@pytest.mark.parametrize("start", [S.DRAFT, S.REJECTED, S.ACTIVE, S.PENDING_REVIEW])
def test_publishing_goes_to_active_when_clean_and_to_the_queue_when_flagged(start):
    assert next_status(start, publish_action(blocking=False)) is S.ACTIVE
    assert next_status(start, publish_action(blocking=True)) is S.PENDING_REVIEW


def test_only_a_product_waiting_for_review_can_be_approved_or_rejected():
    assert next_status(S.PENDING_REVIEW, Action.APPROVE) is S.ACTIVE
    assert next_status(S.PENDING_REVIEW, Action.REJECT) is S.REJECTED
    for status in (S.DRAFT, S.ACTIVE, S.REJECTED, S.ARCHIVED):
        with pytest.raises(InvalidTransition, match="cannot approve"):
            next_status(status, Action.APPROVE)
    with pytest.raises(InvalidTransition, match="rejected cannot approve; allowed: publish, archive$"):
        next_status(S.REJECTED, Action.APPROVE)


def test_an_archived_product_must_be_restored_to_draft_before_it_is_published_again():
    with pytest.raises(InvalidTransition, match="restore it to draft first"):
        next_status(S.ARCHIVED, Action.PUBLISH_CLEAN)
    assert allowed_actions(S.ARCHIVED) == [Action.RESTORE]
    assert next_status("archived", "restore") is S.DRAFT


def test_every_status_but_archived_can_be_archived():
    for status in (S.DRAFT, S.PENDING_REVIEW, S.ACTIVE, S.REJECTED):
        assert next_status(status, Action.ARCHIVE) is S.ARCHIVED


def test_a_price_under_thirty_percent_of_the_median_is_far_below_it():
    median = Money("100.00")
    assert far_below_median(Money("29.99"), median)
    assert not far_below_median(Money("30.00"), median)
    assert not far_below_median(Money("1.00"), Money("0.00"))


def test_the_median_of_two_middle_values_is_their_mean_rounded_half_up():
    assert median_from_middle(1999 + 3000, 2) == Money("25.00")
    assert median_from_middle(4999, 1) == Money("49.99")
    assert median_from_middle(101, 2).amount == Decimal("0.51")


def test_the_purchase_limit_counts_what_the_customer_already_bought():
    check_purchase_limit(None, 100, 5)
    check_purchase_limit(2, 1, 1)
    with pytest.raises(PurchaseLimitExceeded) as exc:
        check_purchase_limit(2, 1, 2)
    assert "1 left" in str(exc.value)
    assert "限购 2" in exc.value.customer_message


def test_a_category_path_is_split_on_slashes_and_refuses_empty_names():
    assert category_path(" 茶叶 / 绿茶 ") == ["茶叶", "绿茶"]
    assert category_path("茶叶>乌龙茶") == ["茶叶", "乌龙茶"]
    with pytest.raises(CatalogError, match="empty part"):
        category_path("茶叶//绿茶")


def test_search_form_is_half_width_and_case_folded():
    assert search_form("ＡＢＣ龙井 Tea") == "abc龙井 tea"
