"""The hosted test payment page: ``/sandbox-pay/<trade_no>``.

GET with a signed link opens the trade (first visit) and shows it; GET
without a link shows a trade that exists. POST (a CSRF-protected form)
records Pay or Decline, queues the callback to the shop and sends the
browser back to the shop's return URL. The page says plainly that it is a
test page and that no money moves.
"""

from __future__ import annotations

import time

from flask import Blueprint, abort, redirect, render_template, request

from xtycore.domain.money import Money
from xtycore.kernel import get_kernel

from xtycore_payment_sandbox import protocol, trades
from xtycore_payment_sandbox.gateway import NAME

bp = Blueprint("payment_sandbox", __name__, template_folder="templates")

NOTIFY_JOB = "payment_sandbox.notify"


@bp.get("/sandbox-pay/<trade_no>")
def pay_page(trade_no: str):
    params = protocol.link_params(request.args)
    if params is not None:
        instance = trades.merchant(params["merchant_id"])
        if instance is None:
            return _refused("This test merchant is not configured in this shop.", 404)
        problem = protocol.link_problem(trade_no, params, instance.settings["secret_key"], time.time())
        if problem:
            return _refused(f"This payment link cannot be used: {problem}.", 410 if "expired" in problem else 400)
        try:
            trade = trades.open_trade(params)
        except trades.TradeError as exc:
            return _refused(str(exc), 409)
    else:
        trade = trades.by_number(trade_no)
        if trade is None:
            abort(404)
        instance = trades.merchant(trade.merchant_id)
    return render_template(
        "payment_sandbox/pay.html",
        gateway_name=NAME,
        merchant_name=instance.display_name if instance is not None else trade.merchant_id,
        trade=trade,
        amount=Money.from_minor(trade.amount_minor, trade.currency),
    )


@bp.post("/sandbox-pay/<trade_no>")
def decide(trade_no: str):
    outcome = {"pay": "paid", "decline": "declined"}.get(request.form.get("action", ""))
    if outcome is None:
        abort(400)
    try:
        trade, changed = trades.decide(trade_no, outcome)
    except trades.TradeError:
        abort(404)
    if changed and trade.notify_status == "pending":
        get_kernel().jobs.enqueue(NOTIFY_JOB, trade_no=trade_no)
    if not trade.return_url:
        return redirect(request.path, 303)
    return redirect(trade.return_url, 303)


def _refused(message: str, status: int):
    return render_template("payment_sandbox/refused.html", gateway_name=NAME, message=message), status
