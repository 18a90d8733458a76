"""Catalogue rules: the product status state machine and pure listing rules.

Standard library only, so the rules are tested without an app. A product's
status changes only through :func:`next_status`; services call it and store
the result, they never assign a status of their own choosing.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from decimal import Decimal

from xtycore.domain.errors import XtyError
from xtycore.domain.money import Money, exponent


class CatalogError(XtyError):
    """A catalogue operation was refused; the message says what to change."""


class InvalidTransition(CatalogError):
    """A status change the state machine does not allow."""


class ProductNotFound(CatalogError):
    """No product has the id or slug that was asked for."""


class ImageRejected(CatalogError):
    """An upload is not an image xtycore accepts (wrong type, too large, corrupt)."""


class PurchaseLimitExceeded(CatalogError):
    customer_message = "You have reached the purchase limit for this product."


class ProductStatus(str, enum.Enum):
    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"  #: automatic review found a blocking problem; waits for a person
    ACTIVE = "active"  #: on sale (上架)
    REJECTED = "rejected"  #: a reviewer refused it; the merchant edits and publishes again
    ARCHIVED = "archived"  #: taken off sale (下架); kept for orders and history


class Action(str, enum.Enum):
    PUBLISH_CLEAN = "publish_clean"  #: publish, and the automatic review found nothing blocking
    PUBLISH_FLAGGED = "publish_flagged"  #: publish, and the automatic review found a blocking problem
    APPROVE = "approve"
    REJECT = "reject"
    ARCHIVE = "archive"
    RESTORE = "restore"  #: an archived product back to draft


S, A = ProductStatus, Action

#: (current status, action) -> new status; anything missing is refused.
TRANSITIONS: dict[tuple[ProductStatus, Action], ProductStatus] = {
    # publishing runs the automatic review from every status but archived
    **{(s, A.PUBLISH_CLEAN): S.ACTIVE for s in (S.DRAFT, S.PENDING_REVIEW, S.ACTIVE, S.REJECTED)},
    **{(s, A.PUBLISH_FLAGGED): S.PENDING_REVIEW for s in (S.DRAFT, S.PENDING_REVIEW, S.ACTIVE, S.REJECTED)},
    (S.PENDING_REVIEW, A.APPROVE): S.ACTIVE,
    (S.PENDING_REVIEW, A.REJECT): S.REJECTED,
    **{(s, A.ARCHIVE): S.ARCHIVED for s in (S.DRAFT, S.PENDING_REVIEW, S.ACTIVE, S.REJECTED)},
    (S.ARCHIVED, A.RESTORE): S.DRAFT,
}


#: How actions read in messages.
ACTION_WORDS = {
    A.PUBLISH_CLEAN: "publish", A.PUBLISH_FLAGGED: "publish", A.APPROVE: "approve", A.REJECT: "reject",
    A.ARCHIVE: "archive", A.RESTORE: "restore",
}


def allowed_actions(status: ProductStatus) -> list[Action]:
    return [action for (current, action) in TRANSITIONS if current is status]


def next_status(status: ProductStatus | str, action: Action | str) -> ProductStatus:
    """The status after ``action``, or :class:`InvalidTransition` naming what is allowed."""
    status, action = ProductStatus(status), Action(action)
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        allowed = ", ".join(dict.fromkeys(ACTION_WORDS[a] for a in allowed_actions(status)))
        hint = " (restore it to draft first)" if status is S.ARCHIVED else ""
        raise InvalidTransition(
            f"a product that is {status.value} cannot {ACTION_WORDS[action]}; allowed: {allowed}{hint}"
        ) from None


def publish_action(blocking: bool) -> Action:
    """The action a publish takes given whether review found a blocking problem."""
    return A.PUBLISH_FLAGGED if blocking else A.PUBLISH_CLEAN


# listing rules ---------------------------------------------------------------

#: A description shorter than this (plain text characters) draws a warning.
MIN_DESCRIPTION_CHARS = 20
#: A price below this share of its category's median is held for review.
FAR_BELOW_MEDIAN_RATIO = Decimal("0.30")
#: The median needs at least this many other active products in the category.
MEDIAN_MIN_SAMPLE = 3


def median_from_middle(total_minor: int, count: int, currency: str = "CNY") -> Money:
    """The median from the sum and count of its one or two middle values (what the SQL returns)."""
    if count not in (1, 2):
        raise ValueError("a median is one middle value or the mean of two")
    return Money((Decimal(total_minor) / count).scaleb(-exponent(currency)), currency)


def far_below_median(price: Money, median: Money, ratio: Decimal = FAR_BELOW_MEDIAN_RATIO) -> bool:
    """Whether ``price`` is suspiciously low next to the category's median (a typo such as 12.99 for 1299)."""
    return median.amount > 0 and price.amount < median.amount * ratio


def check_purchase_limit(limit: int | None, already_bought: int, quantity: int) -> None:
    """Refuse a purchase that would take a customer past the product's per-customer limit."""
    if limit is None:
        return
    if already_bought + quantity > limit:
        left = max(limit - already_bought, 0)
        raise PurchaseLimitExceeded(
            f"purchase limit {limit} per customer: {already_bought} bought, {quantity} asked, {left} left",
            customer_message=f"每人限购 {limit} 件 (limit {limit} per customer); you can add {left} more.",
        )


def category_path(text: str) -> list[str]:
    """Split a category name path such as ``"茶叶 / 绿茶"`` into its names; empty parts are refused."""
    parts = [p.strip() for p in re.split(r"[/>]", text)]
    if not text.strip() or any(not p for p in parts):
        raise CatalogError(f"category {text!r} has an empty part; write names separated by '/', e.g. 茶叶/绿茶")
    return parts


def search_form(text: str) -> str:
    """The form text is indexed and searched in: NFKC (half-width) and case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()
