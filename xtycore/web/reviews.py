"""Review pages: the form a customer reaches from a delivered order, and the product page's list.

- ``/account/orders/<number>/review/<line_id>``: review one line of one's own
  delivered or completed order (stars, text, up to six photos). Someone
  else's order, or a line the order does not have, is a 404 exactly like an
  order that does not exist. CSRF is checked by CSRFProtect.
- Template globals for themes: ``reviews_for(product)`` (a page of published
  reviews, for ``partials/reviews.html``), ``reviews_page_url(n)`` and
  ``order_review_lines(order)`` (each line of an order with its review state,
  for ``reviews/_order_lines.html`` on the order page).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from xtycore.domain.reviews import MAX_BODY_CHARS, MAX_PHOTOS, AlreadyReviewed, ReviewError, ReviewStatus
from xtycore.extensions import csrf
from xtycore.models import Order
from xtycore.schemas.reviews import ReviewFormSchema
from xtycore.security import current_customer, customer_required
from xtycore.services import orders, reviews
from xtycore.themes import render
from xtycore.web.orders import customer_text, say

log = logging.getLogger("xtycore.web.reviews")

bp = Blueprint("reviews", __name__)

#: The query argument naming the page of reviews on a product page.
PAGE_ARG = "reviews_page"
#: A posted review: six photos at their limit, and room for the text.
MAX_REQUEST_BYTES = MAX_PHOTOS * reviews.PHOTO_MAX_BYTES + 1024 * 1024
#: What a line's review status reads as on the order page.
STATUS_LABELS = {
    ReviewStatus.PUBLISHED.value: lazy_gettext("Reviewed"),
    ReviewStatus.PENDING_MODERATION.value: lazy_gettext("Review awaiting moderation"),
    ReviewStatus.REJECTED.value: lazy_gettext("Review not approved"),
}


@bp.after_request
def private(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


@bp.errorhandler(CSRFError)
def csrf_failed(error: CSRFError) -> tuple[str, int]:
    log.info("CSRF check failed on %s: %s", request.path, error.description)
    return render("account/csrf_error.html", customer=current_customer()), 400


# --------------------------------------------------------------------------
# template globals
# --------------------------------------------------------------------------


@bp.app_template_global()
def reviews_for(product: Any) -> reviews.ReviewPage:
    """The page of ``product``'s published reviews that ``?reviews_page=`` names (the first by default)."""
    page = request.args.get(PAGE_ARG, 1, type=int) or 1
    return reviews.product_reviews(product.id, page=max(page, 1))


@bp.app_template_global()
def reviews_page_url(number: int) -> str:
    """This page's URL showing review page ``number``, its other arguments kept, at the reviews."""
    args = request.args.to_dict(flat=False)
    args.pop(PAGE_ARG, None)
    if number > 1:
        args[PAGE_ARG] = [str(number)]
    return url_for(request.endpoint, **(request.view_args or {}), **args, _anchor="reviews")


@bp.app_template_global()
def order_review_lines(order: Order) -> list[dict[str, Any]]:
    """Each line of the customer's order: the review link while it may be reviewed, else its state."""
    return [
        {
            "line": item.line,
            "url": url_for("reviews.write", number=order.number, line_id=item.line.id) if item.open else None,
            "status": STATUS_LABELS.get(item.status or "", ""),
        }
        for item in reviews.order_lines_for_review(order)
    ]


# --------------------------------------------------------------------------
# the form
# --------------------------------------------------------------------------


def _own_line(number: str, line_id: int):
    try:
        return reviews.order_line(current_customer().id, number, line_id)
    except orders.OrderNotFound:
        abort(404)


def _form(order: Order, line: Any, status: int = 200, **context: Any) -> tuple[str, int]:
    context.setdefault("errors", {})
    context.setdefault("values", {})
    context.setdefault("form_error_message", None)
    return render("reviews/form.html", order=order, line=line, customer=current_customer(),
                  max_photos=MAX_PHOTOS, max_chars=MAX_BODY_CHARS, **context), status


@bp.route("/account/orders/<number>/review/<int:line_id>", methods=["GET", "POST"])
@csrf.exempt  # checked below, once the size limit is set: CSRFProtect would read the body before it
@customer_required
def write(number: str, line_id: int):
    order, line = _own_line(number, line_id)
    back = url_for("orders.account_order", number=number)
    try:
        reviews.check_reviewable(order, line)
    except ReviewError as exc:
        say(customer_text(exc))
        return redirect(back, code=303)
    if request.method == "GET":
        return _form(order, line)
    request.max_content_length = MAX_REQUEST_BYTES
    try:
        values = request.form.to_dict()
        files = [f for f in request.files.getlist("photos") if f.filename]
    except RequestEntityTooLarge:
        return _form(order, line, 413, form_error_message=gettext(
            "The photos are too large: at most %(number)s MB each", number=reviews.PHOTO_MAX_BYTES // 2**20))
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()
    try:
        data = ReviewFormSchema().load(values)
    except ValidationError as exc:
        return _form(order, line, 422, errors=exc.normalized_messages(), values=values)
    if len(files) > MAX_PHOTOS:
        return _form(order, line, 422, values=values, errors={"photos": [
            gettext("Upload at most %(number)s photos", number=MAX_PHOTOS)]})
    try:
        review = reviews.submit_review(
            current_customer().id, number, line_id, rating=data["rating"], body=data["body"],
            photos=[reviews.Upload(f.stream, f.filename or "photo") for f in files],
        )
    except AlreadyReviewed as exc:
        say(customer_text(exc))
        return redirect(back, code=303)
    except reviews.PhotoRejected as exc:
        log.info("review photo refused: %s", exc)
        return _form(order, line, 422, values=values, errors={"photos": [customer_text(exc)]})
    except ReviewError as exc:
        return _form(order, line, 422, values=values, form_error_message=customer_text(exc))
    if review.status == ReviewStatus.PUBLISHED.value:
        say(gettext("Your review is published. Thank you for sharing!"))
    else:
        say(gettext("Your review was sent; it shows on the product page once it is approved."))
    return redirect(back, code=303)
