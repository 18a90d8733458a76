"""The Alipay gateway: 电脑网站支付 and 手机网站支付 through the openapi gateway.

It translates between the kernel's verbs and Alipay's protocol
(:mod:`xtycore_payment_alipay.protocol`); whether a payment exists, has this
amount or was already paid is the kernel's business.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from xtycore.domain.errors import InvalidWebhook, PaymentError
from xtycore.domain.money import Money
from xtycore.domain.payments import (
    Device, EventKind, Flow, GatewayFeatures, GatewayResult, PaymentAction, PaymentRef, PaymentRequest, TxStatus,
    WebhookEvent,
)
from xtycore.domain.webhooks import WebhookRequest

from xtycore_payment_alipay import client, protocol
from xtycore_payment_alipay.settings import AlipaySettings

CODE = "alipay"
NAME = "支付宝 Alipay"
PAGE_PAY = ("alipay.trade.page.pay", "FAST_INSTANT_TRADE_PAY")  # computer website (电脑网站支付)
WAP_PAY = ("alipay.trade.wap.pay", "QUICK_WAP_WAY")  # mobile website (手机网站支付)
#: ``PaymentRequest.metadata["device"]`` values that also ask for the mobile cashier (besides ``request.device``)
MOBILE_DEVICES = frozenset({"mobile", "wap", "h5"})
TRADE_STATUS = {
    "WAIT_BUYER_PAY": TxStatus.PENDING,
    "TRADE_SUCCESS": TxStatus.SUCCEEDED,
    "TRADE_FINISHED": TxStatus.SUCCEEDED,
    "TRADE_CLOSED": TxStatus.FAILED,
}
NOTIFY_KINDS = {
    "TRADE_SUCCESS": EventKind.PAYMENT_SUCCEEDED,
    "TRADE_FINISHED": EventKind.PAYMENT_SUCCEEDED,
    "TRADE_CLOSED": EventKind.PAYMENT_CLOSED,
}
NOTIFY_REQUIRED = ("notify_id", "notify_time", "app_id", "out_trade_no", "trade_no", "trade_status", "total_amount")
#: the sub_codes (and ``isp.*``) after which Alipay says the outcome is unknown and must be asked again
UNKNOWN_OUTCOME = frozenset({"ACQ.SYSTEM_ERROR", "aop.ACQ.SYSTEM_ERROR", "ACQ.SYSTEM_BUSY"})
#: how far in the future a notify_time may be (clocks differ)
CLOCK_SKEW = timedelta(minutes=5)
#: characters Alipay refuses in a subject
SUBJECT_FORBIDDEN = re.compile(r"[/=&]")


def unknown_outcome(node: Mapping[str, Any]) -> bool:
    """Whether an answer leaves the call's outcome unknown (Alipay busy or failing), not refused."""
    sub_code = str(node.get("sub_code") or "")
    return node.get("code") == "20000" or sub_code in UNKNOWN_OUTCOME or sub_code.startswith("isp.")


class AlipayGateway:
    code = CODE
    name = NAME
    settings_schema = AlipaySettings
    features = GatewayFeatures(
        flows=frozenset({Flow.REDIRECT, Flow.FORM}), currencies=frozenset({"CNY"}),
        partial_refund=True, void=True, delayed_capture=False, refunds=True, refund_query=True,
    )

    # paying ------------------------------------------------------------------
    def create_payment(self, request: PaymentRequest, settings: Mapping[str, Any]) -> PaymentAction:
        """The signed cashier URL (REDIRECT) or form (FORM) of page pay, or of WAP pay for mobile devices."""
        method, product_code = WAP_PAY if self.wants_mobile(request) else PAGE_PAY
        try:
            total_amount = protocol.yuan(request.amount)
        except protocol.ProtocolError as exc:
            raise PaymentError(str(exc)) from None
        biz = {
            "out_trade_no": request.payment_id,
            "total_amount": total_amount,
            "subject": subject(request.description or request.order_number),
            "product_code": product_code,
            "timeout_express": f"{settings.get('pay_timeout_minutes', 30)}m",
        }
        if method == WAP_PAY[0]:
            biz["quit_url"] = request.return_url  # where the mobile cashier's "back" button goes
        params = protocol.signed_params(
            method, biz, settings, datetime.now(timezone.utc),
            notify_url=request.notify_url, return_url=request.return_url,
        )
        raw = {"method": method, "out_trade_no": request.payment_id, "total_amount": total_amount}
        if request.flow is Flow.FORM:
            return PaymentAction(flow=Flow.FORM, url=protocol.form_action(settings["gateway_url"]),
                                 form_fields=params, raw=raw)
        return PaymentAction(flow=Flow.REDIRECT, url=protocol.page_url(settings["gateway_url"], params), raw=raw)

    @staticmethod
    def wants_mobile(request: PaymentRequest) -> bool:
        """The kernel's device (from the customer's browser), or a ``device`` an embedder put in metadata."""
        if request.device is Device.MOBILE:
            return True
        return str(request.metadata.get("device", "")).lower() in MOBILE_DEVICES

    def authorize(self, payment: PaymentRef, settings: Mapping[str, Any]) -> GatewayResult:
        raise PaymentError("Alipay page and WAP payments are captured when the customer pays; nothing to authorise")

    def capture(self, payment: PaymentRef, amount: Money, settings: Mapping[str, Any]) -> GatewayResult:
        result = self.query(payment, settings)
        if result.status is not TxStatus.SUCCEEDED:
            raise PaymentError(f"Alipay captures when the customer pays; this trade is not paid ({result.message})")
        if result.amount != amount:
            raise PaymentError(f"Alipay captured the trade's full {result.amount}, not {amount}")
        return dataclasses.replace(result, message="captured when the customer paid")

    # asking and closing ----------------------------------------------------------
    def query(self, payment: PaymentRef, settings: Mapping[str, Any]) -> GatewayResult:
        """``alipay.trade.query``: the trade's status and amount."""
        node = client.call("alipay.trade.query", {"out_trade_no": payment.payment_id}, settings)
        if node.get("code") == protocol.SUCCESS_CODE:
            status = node.get("trade_status")
            if status not in TRADE_STATUS:
                raise PaymentError(f"Alipay answered an unknown trade_status {status!r}")
            return GatewayResult(
                TRADE_STATUS[status], _amount(node, "total_amount"), gateway_reference=node.get("trade_no", ""),
                message=f"Alipay trade {status}", raw=dict(node),
            )
        if node.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
            # the cashier creates the trade only when the buyer opens it and logs in
            return GatewayResult(TxStatus.PENDING, message="Alipay has no trade yet: the customer has not paid",
                                 raw=dict(node))
        self._raise_unknown(node, "alipay.trade.query")
        raise PaymentError(f"Alipay refused the query: {protocol.describe(node)}")

    def void(self, payment: PaymentRef, settings: Mapping[str, Any]) -> GatewayResult:
        """``alipay.trade.close``: an unpaid trade can no longer be paid."""
        node = client.call("alipay.trade.close", {"out_trade_no": payment.payment_id}, settings)
        if node.get("code") == protocol.SUCCESS_CODE:
            return GatewayResult(TxStatus.SUCCEEDED, gateway_reference=node.get("trade_no", ""),
                                 message="Alipay closed the trade", raw=dict(node))
        self._raise_unknown(node, "alipay.trade.close")
        return self._refused(node, "close")

    # refunds --------------------------------------------------------------------
    def refund(
        self, payment: PaymentRef, amount: Money, refund_id: str, settings: Mapping[str, Any]
    ) -> GatewayResult:
        """``alipay.trade.refund`` with ``out_request_no = refund_id``.

        A timeout or an unknown outcome raises :class:`~xtycore_payment_alipay.client.AlipayUnavailable`
        (a :class:`~xtycore.domain.errors.GatewayUnavailable`): the refund stays pending until
        :meth:`query_refund` answers; it is never sent again blindly.
        """
        try:
            refund_amount = protocol.yuan(amount)
        except protocol.ProtocolError as exc:
            raise PaymentError(str(exc)) from None
        biz = {"out_trade_no": payment.payment_id, "refund_amount": refund_amount, "out_request_no": refund_id}
        node = client.call("alipay.trade.refund", biz, settings)
        if node.get("code") == protocol.SUCCESS_CODE:
            if node.get("fund_change") == "Y":
                return GatewayResult(TxStatus.SUCCEEDED, amount, gateway_reference=node.get("trade_no", ""),
                                     message=f"Alipay refunded {refund_amount} yuan", raw=dict(node))
            # fund_change=N: no money moved by this call (a refund made before under the same
            # out_request_no, say); Alipay's rule is to settle it with the refund query
            settled = self._refund_state(payment, refund_id, settings)
            return settled or GatewayResult(
                TxStatus.PENDING, amount, message="Alipay accepted the refund without moving money yet",
                raw=dict(node),
            )
        self._raise_unknown(node, "alipay.trade.refund")
        return self._refused(node, "refund")

    def query_refund(self, payment: PaymentRef, refund_id: str, settings: Mapping[str, Any]) -> GatewayResult:
        """``alipay.trade.fastpay.refund.query``: how the refund requested as ``refund_id`` stands."""
        settled = self._refund_state(payment, refund_id, settings)
        if settled is None:
            raise PaymentError(f"Alipay has no refund {refund_id!r} of {payment.payment_id}: it was not made")
        return settled

    def _refund_state(self, payment: PaymentRef, refund_id: str, settings: Mapping[str, Any]) -> GatewayResult | None:
        biz = {"out_trade_no": payment.payment_id, "out_request_no": refund_id}
        node = client.call("alipay.trade.fastpay.refund.query", biz, settings)
        if node.get("code") != protocol.SUCCESS_CODE:
            self._raise_unknown(node, "alipay.trade.fastpay.refund.query")
            if node.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
                return None
            raise PaymentError(f"Alipay refused the refund query: {protocol.describe(node)}")
        # Alipay: data with refund_status empty or REFUND_SUCCESS means refunded; no data means not refunded
        if not node.get("refund_amount"):
            return None
        if node.get("refund_status") not in (None, "", "REFUND_SUCCESS"):
            return GatewayResult(TxStatus.PENDING, _amount(node, "refund_amount"),
                                 message=f"Alipay refund {node['refund_status']}", raw=dict(node))
        return GatewayResult(
            TxStatus.SUCCEEDED, _amount(node, "refund_amount"), gateway_reference=node.get("trade_no", ""),
            message=f"Alipay refunded {node['refund_amount']} yuan", raw=dict(node),
        )

    @staticmethod
    def _raise_unknown(node: Mapping[str, Any], method: str) -> None:
        if unknown_outcome(node):
            raise client.AlipayUnavailable(f"Alipay {method}: outcome unknown ({protocol.describe(node)})")

    @staticmethod
    def _refused(node: Mapping[str, Any], verb: str) -> GatewayResult:
        return GatewayResult(TxStatus.FAILED, message=f"Alipay refused the {verb}: {protocol.describe(node)}",
                             raw=dict(node))

    # notifications and returns ----------------------------------------------------
    def parse_webhook(self, request: WebhookRequest, settings: Mapping[str, Any]) -> WebhookEvent:
        """Verify an asynchronous notification (异步通知) and decode its event.

        The signature covers the raw form body (a decoded form passed beside it
        must say the same); the application, the seller (when configured) and
        ``notify_time`` (within ``notify_window_hours``) are checked. The answer
        Alipay expects is exactly ``success``.
        """
        try:
            body_fields = protocol.form_fields(request.body)
            if request.form and dict(request.form) != body_fields:
                # the kernel decodes the form from the same body; a difference means something rewrote one
                raise protocol.ProtocolError("the decoded form differs from the raw body")
            fields = self.verified_notification(body_fields, settings)
            status = fields["trade_status"]
            refund = bool(fields.get("gmt_refund") or fields.get("refund_fee"))
            if not refund and status not in NOTIFY_KINDS:
                raise protocol.ProtocolError(f"trade_status {status!r} is not a payment outcome")
            amount = self._refund_amount(fields, settings) if refund else protocol.money(fields["total_amount"])
        except protocol.ProtocolError as exc:
            raise InvalidWebhook(f"Alipay notification refused: {exc}") from None
        return WebhookEvent(
            event_id=event_id(fields["notify_id"], "REFUND" if refund else status),
            kind=EventKind.REFUND_SUCCEEDED if refund else NOTIFY_KINDS[status],
            payment_id=fields["out_trade_no"],
            amount=amount,
            gateway_reference=fields["trade_no"],
            refund_id=fields.get("out_biz_no", "") if refund else "",
            response_body=protocol.NOTIFY_ACK,
            response_status=200,
            response_content_type="text/plain",
            raw=fields,
        )

    def _refund_amount(self, fields: Mapping[str, str], settings: Mapping[str, Any]) -> Money:
        """The amount of the one refund a notification announces, as Alipay's refund query confirms it.

        A notification's ``refund_fee`` is the trade's total refunded so far,
        not this refund's amount once a trade has several partial refunds; the
        refund query for ``out_biz_no`` (the kernel's ``refund_id``) says how
        much this refund returned. If Alipay cannot be asked, the kernel
        answers 503 and Alipay sends the notification again.
        """
        refund_id = fields.get("out_biz_no", "")
        if not refund_id:
            raise protocol.ProtocolError("a refund notification without out_biz_no: not a refund the shop asked for")
        payment = PaymentRef(fields["out_trade_no"], protocol.money(fields["total_amount"]))
        settled = self._refund_state(payment, refund_id, settings)
        if settled is None or settled.status is not TxStatus.SUCCEEDED:
            raise protocol.ProtocolError(f"Alipay's refund query does not confirm refund {refund_id!r} yet")
        return settled.amount

    def verified_notification(self, fields: Mapping[str, str], settings: Mapping[str, Any]) -> dict[str, str]:
        """Notification parameters that are signed by Alipay, for this app and seller, and fresh."""
        verified = self._verified(fields, settings, NOTIFY_REQUIRED)
        sent = protocol.parse_china_time(verified["notify_time"])
        now = datetime.now(timezone.utc)
        window = timedelta(hours=settings.get("notify_window_hours", 1))
        if sent < now - window:
            raise protocol.ProtocolError(f"notify_time {verified['notify_time']} is older than {window}: a replay")
        if sent > now + CLOCK_SKEW:
            raise protocol.ProtocolError(f"notify_time {verified['notify_time']} is in the future")
        return verified

    def verified_return(self, params: Mapping[str, str], settings: Mapping[str, Any]) -> dict[str, str]:
        """The parameters Alipay appends to ``return_url``, verified; :class:`InvalidWebhook` otherwise.

        For display only: the kernel settles a return by asking Alipay
        (``query``), never on these parameters, which the browser carries.
        """
        try:
            return self._verified(params, settings, ("app_id", "out_trade_no", "trade_no", "total_amount"))
        except protocol.ProtocolError as exc:
            raise InvalidWebhook(f"Alipay return refused: {exc}") from None

    @staticmethod
    def _verified(fields: Mapping[str, str], settings: Mapping[str, Any], required: tuple[str, ...]) -> dict[str, str]:
        verified = protocol.verified_fields(fields, settings["alipay_public_key"])
        missing = [name for name in required if not verified.get(name)]
        if missing:
            raise protocol.ProtocolError(f"missing {', '.join(missing)}")
        if verified["app_id"] != settings["app_id"]:
            raise protocol.ProtocolError(f"it is for app {verified['app_id']}, not {settings['app_id']}")
        seller_id = settings.get("seller_id")
        if seller_id and verified.get("seller_id") != seller_id:
            raise protocol.ProtocolError(f"it is for seller {verified.get('seller_id')!r}, not {seller_id}")
        return verified


def subject(text: str) -> str:
    """An Alipay ``subject``: at most 256 characters, without the ``/ = &`` Alipay refuses."""
    return SUBJECT_FORBIDDEN.sub(" ", text).strip()[:256] or "order"


def event_id(notify_id: str, outcome: str) -> str:
    """The inbox's event id: ``notify_id`` stays the same on every retry of one notification."""
    composed = f"{notify_id}:{outcome}"
    if len(composed) <= 128:
        return composed
    return "sha256:" + hashlib.sha256(composed.encode("utf-8")).hexdigest()


def _amount(node: Mapping[str, Any], name: str) -> Money:
    try:
        return protocol.money(node.get(name))
    except protocol.ProtocolError as exc:
        raise PaymentError(f"Alipay answered {name} {exc}") from None
