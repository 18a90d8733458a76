"""The WeChat Pay (微信支付) API v3 gateway: Native QR and H5 payments, close, refunds, signed callbacks."""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from typing import Any, Mapping
from urllib.parse import quote, urlencode

from xtycore.domain.errors import GatewayUnavailable, InvalidWebhook, PaymentDeclined, PaymentError
from xtycore.domain.money import Money
from xtycore.domain.payments import (
    EventKind, Flow, GatewayFeatures, GatewayResult, PaymentAction, PaymentRef, PaymentRequest, TxStatus,
    WebhookEvent,
)
from xtycore.domain.webhooks import WebhookRequest

from xtycore_payment_wechatpay import client, protocol
from xtycore_payment_wechatpay.settings import WeChatPaySettings

CURRENCY = "CNY"
#: trade_state of a trade query -> the payment's status
TRADE_STATES = {
    "SUCCESS": TxStatus.SUCCEEDED,
    "REFUND": TxStatus.SUCCEEDED,  # paid, then (partly) refunded: the payment itself succeeded
    "NOTPAY": TxStatus.PENDING,
    "USERPAYING": TxStatus.PENDING,
    "ACCEPT": TxStatus.PENDING,
    "CLOSED": TxStatus.FAILED,
    "REVOKED": TxStatus.FAILED,
    "PAYERROR": TxStatus.FAILED,
}
#: status of a refund -> the refund's status
REFUND_STATES = {
    "SUCCESS": TxStatus.SUCCEEDED,
    "PROCESSING": TxStatus.PENDING,
    "CLOSED": TxStatus.FAILED,
    "ABNORMAL": TxStatus.FAILED,
}
REFUND_EVENTS = {
    "REFUND.SUCCESS": EventKind.REFUND_SUCCEEDED,
    "REFUND.ABNORMAL": EventKind.REFUND_FAILED,
    "REFUND.CLOSED": EventKind.REFUND_FAILED,
}
FLOW_PATHS = {Flow.QR: "/v3/pay/transactions/native", Flow.REDIRECT: "/v3/pay/transactions/h5"}
REFUNDS_PATH = "/v3/refund/domestic/refunds"
#: out_trade_no and out_refund_no: what WeChat Pay accepts
OUT_NO = re.compile(r"^[0-9A-Za-z_\-|*@]{6,64}$")
DESCRIPTION_BYTES = 127


def trade_path(out_trade_no: str) -> str:
    return f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}"


def _description(text: str) -> str:
    """At most 127 UTF-8 bytes, cut between characters."""
    return text.encode("utf-8")[:DESCRIPTION_BYTES].decode("utf-8", "ignore") or "order"


def _fen(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{value!r} is not an amount in fen")
    return value


def _unavailable_or(answer: client.Answer, what: str) -> None:
    """Raise :class:`GatewayUnavailable` for an answer that says "try again later" (429, 5xx) or that our
    request signature was refused (401: the merchant's key or serial is wrong, not the customer's payment)."""
    if answer.status == 401:
        raise GatewayUnavailable(f"WeChat Pay refused our signature ({answer.error}): check mchid, "
                                 "merchant_serial_no and merchant_private_key")
    if answer.status == 429 or answer.status >= 500:
        raise GatewayUnavailable(f"WeChat Pay could not {what} now ({answer.status} {answer.error})")


class WeChatPayGateway:
    code = "wechatpay"
    name = "微信支付 WeChat Pay"
    settings_schema = WeChatPaySettings
    features = GatewayFeatures(
        flows=frozenset({Flow.QR, Flow.REDIRECT}), currencies=frozenset({CURRENCY}),
        partial_refund=True, void=True, delayed_capture=False, refunds=True, refund_query=True,
    )

    # paying ------------------------------------------------------------
    def create_payment(self, request: PaymentRequest, settings: Mapping[str, Any]) -> PaymentAction:
        """A Native order (a QR code to scan) or, when the customer chose a redirect, an H5 order."""
        if request.amount.currency != CURRENCY or request.amount.minor <= 0:
            raise PaymentError(f"WeChat Pay collects a positive amount of {CURRENCY}, not {request.amount}")
        flow = request.flow or Flow.QR
        if flow not in FLOW_PATHS:
            raise PaymentError(f"WeChat Pay offers a QR code or a redirect, not {flow.value}")
        body: dict[str, Any] = {
            "appid": settings["appid"],
            "mchid": settings["mchid"],
            "description": _description(request.description),
            "out_trade_no": request.payment_id,
            "notify_url": request.notify_url,
            "amount": {"total": request.amount.minor, "currency": CURRENCY},
        }
        if flow is Flow.REDIRECT:
            if not request.customer_ip:
                raise PaymentError("an H5 payment needs the customer's IP address (scene_info.payer_client_ip)")
            body["scene_info"] = {
                "payer_client_ip": request.customer_ip, "h5_info": {"type": settings.get("h5_scene_type", "Wap")},
            }
        answer = client.call(settings, "POST", FLOW_PATHS[flow], body=body)
        _unavailable_or(answer, "create the order")
        if not answer.ok:
            message = str(answer.data.get("message") or answer.error)
            if answer.data.get("code") == "ORDERPAID":
                raise PaymentError(f"WeChat Pay: {answer.error}", customer_message="该订单已在微信支付付款，请稍候刷新。")
            raise PaymentDeclined(f"WeChat Pay refused the order: {answer.error}",
                                  customer_message=f"微信支付未能创建订单：{message}")
        if flow is Flow.QR:
            code_url = answer.data.get("code_url")
            if not isinstance(code_url, str) or not code_url.startswith("weixin://"):
                raise GatewayUnavailable(f"WeChat Pay answered a Native order without a code_url: {answer.data!r}")
            return PaymentAction(flow=Flow.QR, qr_content=code_url, raw={"code_url": code_url})
        h5_url = answer.data.get("h5_url")
        if not isinstance(h5_url, str) or not h5_url.startswith("https://"):
            raise GatewayUnavailable(f"WeChat Pay answered an H5 order without an h5_url: {answer.data!r}")
        separator = "&" if "?" in h5_url else "?"
        return PaymentAction(
            flow=Flow.REDIRECT, url=h5_url + separator + urlencode({"redirect_url": request.return_url}),
            raw={"h5_url": h5_url},
        )

    def authorize(self, payment: PaymentRef, settings: Mapping[str, Any]) -> GatewayResult:
        raise PaymentError("WeChat Pay captures when the customer pays; there is no separate authorisation")

    def capture(self, payment: PaymentRef, amount: Money, settings: Mapping[str, Any]) -> GatewayResult:
        result = self.query(payment, settings)
        if result.status is not TxStatus.SUCCEEDED or result.amount != amount:
            raise PaymentError(f"WeChat Pay captures when the customer pays; trade {payment.payment_id} "
                               f"has not been paid {amount} ({result.message})")
        return result

    def query(self, payment: PaymentRef, settings: Mapping[str, Any]) -> GatewayResult:
        """The trade as WeChat Pay has it: ``GET /v3/pay/transactions/out-trade-no/{out_trade_no}``."""
        answer = client.call(settings, "GET", trade_path(payment.payment_id), query={"mchid": settings["mchid"]})
        _unavailable_or(answer, "answer the trade query")
        if not answer.ok:
            return GatewayResult(TxStatus.FAILED, message=answer.error, raw=dict(answer.data))
        trade = answer.data
        mismatch = [
            name for name, expected in (("mchid", settings["mchid"]), ("appid", settings["appid"]),
                                        ("out_trade_no", payment.payment_id))
            if trade.get(name) != expected
        ]
        state = trade.get("trade_state")
        if mismatch or state not in TRADE_STATES:
            raise GatewayUnavailable(f"WeChat Pay answered the query of {payment.payment_id} with another trade "
                                     f"or an unknown state ({', '.join(mismatch) or state!r})")
        amount = None
        total = (trade.get("amount") or {}).get("total")
        if total is not None:
            try:
                amount = Money.from_minor(_fen(total), (trade.get("amount") or {}).get("currency") or CURRENCY)
            except (ValueError, TypeError) as exc:
                raise GatewayUnavailable(f"WeChat Pay answered an amount that is not one: {exc}") from None
        return GatewayResult(
            TRADE_STATES[state], amount, gateway_reference=str(trade.get("transaction_id") or ""),
            message=f"{state}: {trade.get('trade_state_desc', '')}".strip(),
            raw={"trade_state": state, "transaction_id": trade.get("transaction_id", ""),
                 "trade_type": trade.get("trade_type", ""), "total": total},
        )

    def void(self, payment: PaymentRef, settings: Mapping[str, Any]) -> GatewayResult:
        """Close an unpaid trade (``POST …/{out_trade_no}/close``): its QR code or H5 page can no longer pay."""
        answer = client.call(settings, "POST", trade_path(payment.payment_id) + "/close",
                             body={"mchid": settings["mchid"]})
        _unavailable_or(answer, "close the trade")
        if not answer.ok:
            raise PaymentError(f"WeChat Pay did not close trade {payment.payment_id}: {answer.error}")
        return GatewayResult(TxStatus.SUCCEEDED, payment.amount, message="trade closed: no money was taken",
                             raw={"closed": True})

    # refunds -----------------------------------------------------------
    def refund(
        self, payment: PaymentRef, amount: Money, refund_id: str, settings: Mapping[str, Any]
    ) -> GatewayResult:
        """Refund part or all of a paid trade, once per ``refund_id`` (WeChat Pay's ``out_refund_no``).

        ``SUCCESS`` is SUCCEEDED, ``PROCESSING`` PENDING (the refund
        notification or :meth:`query_refund` settles it), an error answer or
        ``CLOSED``/``ABNORMAL`` FAILED. When the answer is lost (timeout, 5xx,
        an unverifiable answer) the refund is looked up by ``out_refund_no``,
        never sent again; if that cannot tell either,
        :class:`~xtycore.domain.errors.GatewayUnavailable` leaves it pending.
        """
        if amount.currency != CURRENCY or not (0 < amount.minor <= payment.amount.minor):
            raise PaymentDeclined(f"a WeChat Pay refund is 0.01 to {payment.amount}, not {amount}")
        if not OUT_NO.match(refund_id):
            raise PaymentError(f"{refund_id!r} is not a WeChat Pay out_refund_no (6-64 letters, digits, _-|*@)")
        body: dict[str, Any] = {
            "out_trade_no": payment.payment_id,
            "out_refund_no": refund_id,
            "amount": {"refund": amount.minor, "total": payment.amount.minor, "currency": CURRENCY},
        }
        if settings.get("refund_notify_url"):
            body["notify_url"] = settings["refund_notify_url"]
        try:
            answer = client.call(settings, "POST", REFUNDS_PATH, body=body)
        except GatewayUnavailable as exc:
            return self._lost_refund(payment, refund_id, settings, str(exc))
        if answer.status == 429 or answer.status >= 500:
            return self._lost_refund(payment, refund_id, settings, f"{answer.status} {answer.error}")
        if not answer.ok:
            return GatewayResult(TxStatus.FAILED, amount, message=answer.error, raw=dict(answer.data))
        return self._refund_result(answer.data, payment, refund_id)

    def query_refund(self, payment: PaymentRef, refund_id: str, settings: Mapping[str, Any]) -> GatewayResult:
        """A refund as WeChat Pay has it: ``GET /v3/refund/domestic/refunds/{out_refund_no}``.

        Raises :class:`~xtycore.domain.errors.PaymentError` when WeChat Pay
        knows no such refund, :class:`~xtycore.domain.errors.GatewayUnavailable`
        when it cannot be asked.
        """
        answer = client.call(settings, "GET", f"{REFUNDS_PATH}/{quote(refund_id, safe='')}")
        _unavailable_or(answer, "answer the refund query")
        if not answer.ok:
            raise PaymentError(f"WeChat Pay has no refund {refund_id} of {payment.payment_id}: {answer.error}")
        return self._refund_result(answer.data, payment, refund_id)

    def _lost_refund(self, payment: PaymentRef, refund_id: str, settings: Mapping[str, Any],
                     lost: str) -> GatewayResult:
        try:
            result = self.query_refund(payment, refund_id, settings)
        except PaymentError as exc:  # GatewayUnavailable included: asking is not refunding
            raise GatewayUnavailable(f"refund {refund_id}: the answer was lost ({lost}) and the refund query "
                                     f"could not tell ({exc}); ask again, do not send it again") from None
        return replace(result, message=f"{result.message} (settled by the refund query; the answer was lost: {lost})")

    @staticmethod
    def _refund_result(data: Mapping[str, Any], payment: PaymentRef, refund_id: str) -> GatewayResult:
        status = data.get("status")
        if (data.get("out_refund_no"), data.get("out_trade_no")) != (refund_id, payment.payment_id) \
                or status not in REFUND_STATES:
            raise GatewayUnavailable(f"WeChat Pay answered refund {refund_id} with another refund or "
                                     f"an unknown status {status!r}")
        amount = data.get("amount") or {}
        try:
            refunded = Money.from_minor(_fen(amount.get("refund")), amount.get("currency") or CURRENCY)
        except (ValueError, TypeError) as exc:
            raise GatewayUnavailable(f"WeChat Pay answered refund {refund_id} without a refund amount: {exc}") from None
        return GatewayResult(
            REFUND_STATES[status], refunded, gateway_reference=str(data.get("refund_id") or ""),
            message=f"refund {refund_id}: {status}",
            raw={"status": status, "refund_id": data.get("refund_id", ""), "refund": amount.get("refund")},
        )

    # callbacks ---------------------------------------------------------
    @staticmethod
    def rejection_reply(status: int) -> tuple[str, str]:
        """A refused notification answered as WeChat Pay documents: JSON ``{"code": "FAIL", "message": …}``.

        WeChat Pay sends the notification again after any answer but 200/204.
        """
        message = "验签失败" if status == 400 else "系统繁忙，请稍后重试"
        return json.dumps({"code": "FAIL", "message": message}, ensure_ascii=False), "application/json"

    def parse_webhook(self, request: WebhookRequest, settings: Mapping[str, Any]) -> WebhookEvent:
        """A verified payment or refund notification.

        The platform signature over the raw body, the five-minute window, the
        AEAD_AES_256_GCM resource under the APIv3 key, then the merchant (and
        for payments the AppID) must all check out; anything else raises
        :class:`~xtycore.domain.errors.InvalidWebhook`.
        """
        problem = protocol.signature_problem(
            protocol.lower_headers(request.headers), request.body, client.platform_keys(settings), time.time()
        )
        if problem:
            raise InvalidWebhook(problem)
        try:
            notice = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise InvalidWebhook("the notification is not JSON") from None
        if not isinstance(notice, dict) or not isinstance(notice.get("id"), str) or not notice["id"]:
            raise InvalidWebhook("the notification has no id")
        if notice.get("resource_type") != "encrypt-resource":
            raise InvalidWebhook(f"the notification's resource_type is {notice.get('resource_type')!r}")
        try:
            resource = protocol.decrypt_resource(notice.get("resource"), settings["apiv3_key"])
        except ValueError as exc:
            raise InvalidWebhook(str(exc)) from None
        if resource.get("mchid") != settings["mchid"]:
            raise InvalidWebhook(f"the notification is for merchant {resource.get('mchid')!r}, not ours")
        event_type = notice.get("event_type")
        try:
            if event_type == "TRANSACTION.SUCCESS":
                return self._payment_event(notice, resource, settings)
            if event_type in REFUND_EVENTS:
                return self._refund_event(notice, resource)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidWebhook(f"the {event_type} resource is malformed: {exc}") from None
        raise InvalidWebhook(f"unknown event_type {event_type!r}")

    @staticmethod
    def _payment_event(notice: Mapping[str, Any], resource: Mapping[str, Any],
                       settings: Mapping[str, Any]) -> WebhookEvent:
        if resource.get("appid") != settings["appid"]:
            raise InvalidWebhook(f"the payment is for AppID {resource.get('appid')!r}, not ours")
        if resource.get("trade_state") != "SUCCESS":
            raise InvalidWebhook(f"a TRANSACTION.SUCCESS whose trade_state is {resource.get('trade_state')!r}")
        amount = resource["amount"]
        return _event(
            notice, EventKind.PAYMENT_SUCCEEDED, resource,
            Money.from_minor(_fen(amount["total"]), amount.get("currency") or CURRENCY),
            gateway_reference=str(resource["transaction_id"]),
        )

    @staticmethod
    def _refund_event(notice: Mapping[str, Any], resource: Mapping[str, Any]) -> WebhookEvent:
        kind = REFUND_EVENTS[notice["event_type"]]
        expected = "SUCCESS" if kind is EventKind.REFUND_SUCCEEDED else ("ABNORMAL", "CLOSED")
        if resource.get("refund_status") not in expected:
            raise InvalidWebhook(f"a {notice['event_type']} whose refund_status is {resource.get('refund_status')!r}")
        out_refund_no = resource["out_refund_no"]
        if not isinstance(out_refund_no, str) or not out_refund_no:
            raise ValueError("no out_refund_no")
        return _event(
            notice, kind, resource, Money.from_minor(_fen(resource["amount"]["refund"]), CURRENCY),
            gateway_reference=str(resource.get("refund_id") or ""), refund_id=out_refund_no,
        )


def _event(notice: Mapping[str, Any], kind: EventKind, resource: Mapping[str, Any], amount: Money,
           **extra: str) -> WebhookEvent:
    out_trade_no = resource["out_trade_no"]
    if not isinstance(out_trade_no, str) or not out_trade_no:
        raise ValueError("no out_trade_no")
    return WebhookEvent(
        event_id=notice["id"], kind=kind, payment_id=out_trade_no, amount=amount,
        response_body="", response_status=204, response_content_type="text/plain",
        raw={"event_type": notice["event_type"], "summary": notice.get("summary", ""),
             "create_time": notice.get("create_time", ""), **{k: v for k, v in resource.items() if k != "payer"}},
        **extra,
    )
