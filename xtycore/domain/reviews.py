"""Customer product reviews (评价): who may review, the screening rules, the review lifecycle.

Standard library only. A review is screened when it is submitted
(:func:`screen`): a review that passes is published at once; one that trips a
rule waits in ``pending_moderation`` for a person, with the reasons.
Moderation moves it with the :data:`REVIEW` state machine; a published review
can still be taken down (``reject``), and a rejected one stays rejected.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Iterable

from xtycore.domain.catalog import search_form
from xtycore.domain.errors import XtyError
from xtycore.domain.states import OrderStatus, StateMachine

MIN_RATING, MAX_RATING = 1, 5
#: Longest review text, in characters.
MAX_BODY_CHARS = 1000
#: Most photos one review may carry.
MAX_PHOTOS = 6
#: A rating at or below this with a text shorter than :data:`MIN_EXPLAINED_CHARS` waits for a person:
#: a one-star review that says nothing is as often a mistake or spite as it is an opinion.
LOW_RATING = 2
MIN_EXPLAINED_CHARS = 10
#: Orders whose lines may be reviewed: the goods have arrived.
REVIEWABLE_ORDER_STATUSES = frozenset({OrderStatus.DELIVERED, OrderStatus.COMPLETED})

#: http(s) URLs, www. hosts and bare domains such as ``shop.example.com`` or ``abc.cn/x``. Chinese text
#: runs straight into a link (加我www.x.com), so the edges are "no letter, digit or hyphen", not ``\b``.
LINK_PATTERN = re.compile(
    r"(?i)(?:https?://|www\.)\S+"
    r"|(?<![a-z0-9-])[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9-]{1,63})*"
    r"\.(?:com|net|org|cn|top|xyz|shop|info|cc|io|vip|club|site|online)(?![a-z0-9-])"
)


class ReviewStatus(str, enum.Enum):
    PENDING_MODERATION = "pending_moderation"
    PUBLISHED = "published"
    REJECTED = "rejected"


_R = ReviewStatus
REVIEW = StateMachine[ReviewStatus]("review", {
    (_R.PENDING_MODERATION, "approve"): _R.PUBLISHED,
    (_R.PENDING_MODERATION, "reject"): _R.REJECTED,
    (_R.PUBLISHED, "reject"): _R.REJECTED,  # taken down after it was shown
})


class ReviewError(XtyError):
    """A review request that cannot be granted; ``customer_message`` says why."""

    customer_message = "暂时无法评价，请稍后再试"


class ReviewNotAllowed(ReviewError):
    """The order has not arrived yet (or was refunded or cancelled)."""

    customer_message = "订单送达后才能评价"


class AlreadyReviewed(ReviewError):
    customer_message = "这件商品已经评价过了"


@dataclass(frozen=True)
class HoldReason:
    """Why screening held a review for a person: a code for programs, a message for the moderator."""

    code: str
    message: str


def can_review(order_status: OrderStatus | str) -> bool:
    """Whether the lines of an order in this status may be reviewed."""
    return OrderStatus(order_status) in REVIEWABLE_ORDER_STATUSES


def check_rating(rating: int) -> None:
    if not MIN_RATING <= rating <= MAX_RATING:
        raise ReviewError(f"rating {rating} is not between {MIN_RATING} and {MAX_RATING}",
                          customer_message="请选择1到5星")


def screen(rating: int, body: str, banned_words: Iterable[str]) -> list[HoldReason]:
    """The reasons to hold a review for moderation; empty means publish it now.

    - a word of the merchant's banned-word list (compared like search text:
      NFKC and case-folded, so full-width and capital letters match too);
    - a link or a domain name (advertising and phishing ride on reviews);
    - a low rating (1 or 2 stars) with no or hardly any text.

    Empty text with a good rating passes: many customers just leave stars.
    """
    text = search_form(body)
    reasons = [
        HoldReason("banned_word", f"contains 「{word}」 from the shop's banned-word list")
        for word in dict.fromkeys(w for w in banned_words if w.strip())
        if search_form(word) in text
    ]
    link = LINK_PATTERN.search(text)
    if link:
        reasons.append(HoldReason("link", f"contains a link ({link.group(0)[:60]})"))
    explained = len("".join(body.split()))
    if rating <= LOW_RATING and explained < MIN_EXPLAINED_CHARS:
        what = "no text" if explained == 0 else f"only {explained} characters"
        reasons.append(HoldReason("low_rating_unexplained", f"{rating}-star rating with {what}"))
    return reasons


def masked_name(name: str) -> str:
    """How a reviewer is shown to other customers: ``"张三丰"`` -> ``"张**"``, ``"mei"`` -> ``"m**"``."""
    name = name.strip()
    if not name:
        return "匿名用户"
    return name[0] + "**"
