"""A local Alipay openapi gateway for tests: real HTTP on 127.0.0.1, real RSA2, trades in memory.

It checks every request the way Alipay does -- the merchant's RSA2 signature
over the sorted parameters, the app id -- and answers in Alipay's format,
``{"<method>_response": {...}, "sign": "..."}``, signed with the test "Alipay"
private key. The signing and verifying here use the official Alipay SDK's
functions, not the plugin's, so the two implementations check each other.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from rsa.pkcs1 import VerificationError

from alipay.aop.api.util.SignatureUtils import get_sign_content, sign_with_rsa2, verify_with_rsa

SUCCESS = {"code": "10000", "msg": "Success"}


def business_failure(sub_code: str, sub_msg: str) -> dict:
    return {"code": "40004", "msg": "Business Failed", "sub_code": sub_code, "sub_msg": sub_msg}


@dataclass
class Trade:
    out_trade_no: str
    total: Decimal
    status: str = "WAIT_BUYER_PAY"
    trade_no: str = ""
    refunds: dict = field(default_factory=dict)  # out_request_no -> Decimal

    @property
    def refunded(self) -> Decimal:
        return sum(self.refunds.values(), Decimal("0.00"))


class FakeAlipay:
    """Start with :meth:`start`, stop with :meth:`stop`; ``url`` is the gateway URL to configure."""

    def __init__(self, *, app_id: str, merchant_public_pem: str, alipay_private_pkcs1_pem: str,
                 wrong_private_pkcs1_pem: str):
        self.app_id = app_id
        self.merchant_public_pem = merchant_public_pem
        self.alipay_private = alipay_private_pkcs1_pem
        self.wrong_private = wrong_private_pkcs1_pem
        self.trades: dict[str, Trade] = {}
        self.calls: list[tuple[str, dict]] = []
        self.seller_balance = Decimal("1000000.00")
        self.refund_answers_lost = 0  # refunds that are made but whose answer never arrives in time
        self.sign_with_wrong_key = False
        self.answer_unsigned = False
        self.system_error = False
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    # set-up ---------------------------------------------------------------------
    def add_trade(self, out_trade_no: str, total: str, status: str = "TRADE_SUCCESS") -> Trade:
        trade = Trade(out_trade_no, Decimal(total), status, trade_no=f"2026112722001{len(self.trades):015d}")
        self.trades[out_trade_no] = trade
        return trade

    def start(self) -> FakeAlipay:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                status, body = fake.handle(urlsplit(self.path), self.rfile.read(length))
                if body is None:  # the connection is dropped without an answer
                    return
                self.send_response(status)
                self.send_header("Content-Type", "text/html;charset=utf-8")  # what Alipay sends
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):  # keep test output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/gateway.do"

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # the gateway -------------------------------------------------------------------
    def handle(self, url, body: bytes) -> tuple[int, bytes | None]:
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        params.update(parse_qsl(body.decode("ascii"), keep_blank_values=True, encoding="utf-8"))
        method = params.get("method", "")
        self.calls.append((method, params))
        node = self._checked(params)
        lost = False
        if node is None:
            biz = json.loads(params["biz_content"])
            with self._lock:
                node, lost = self._business(method, biz)
        if lost:  # the refund is made; its answer takes longer than the client waits
            self._release.wait(timeout=5)
            return 200, None
        return 200, self._answer(method, node)

    def _checked(self, params: dict) -> dict | None:
        signed = {k: v for k, v in params.items() if k != "sign" and v != ""}
        if params.get("sign_type") != "RSA2" or not params.get("sign"):
            return {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-signature-type",
                    "sub_msg": "无效的签名类型"}
        try:
            verified = verify_with_rsa(self.merchant_public_pem, get_sign_content(signed).encode("utf-8"),
                                       params["sign"])
        except (VerificationError, ValueError):  # a signature that does not verify, or is not base64
            verified = False
        if not verified:
            return {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-signature",
                    "sub_msg": "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配"}
        if params.get("app_id") != self.app_id:
            return {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-app-id",
                    "sub_msg": "无效的AppID参数"}
        if self.system_error:
            return business_failure("ACQ.SYSTEM_ERROR", "系统错误")
        return None

    def _business(self, method: str, biz: dict) -> tuple[dict, bool]:
        trade = self.trades.get(biz.get("out_trade_no", ""))
        if trade is None:
            return business_failure("ACQ.TRADE_NOT_EXIST", "交易不存在"), False
        ids = {"trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no}
        if method == "alipay.trade.query":
            return {**SUCCESS, **ids, "buyer_logon_id": "tes***@sandbox.example", "trade_status": trade.status,
                    "total_amount": f"{trade.total:.2f}"}, False
        if method == "alipay.trade.close":
            if trade.status != "WAIT_BUYER_PAY":
                return business_failure("ACQ.TRADE_STATUS_ERROR", "交易状态不合法"), False
            trade.status = "TRADE_CLOSED"
            return {**SUCCESS, **ids}, False
        if method == "alipay.trade.refund":
            return self._refund(trade, biz, ids)
        if method == "alipay.trade.fastpay.refund.query":
            amount = trade.refunds.get(biz.get("out_request_no"))
            if amount is None:
                return {**SUCCESS, **ids}, False  # Alipay: no refund data means no such refund
            return {**SUCCESS, **ids, "out_request_no": biz["out_request_no"], "total_amount": f"{trade.total:.2f}",
                    "refund_amount": f"{amount:.2f}", "refund_status": "REFUND_SUCCESS"}, False
        return {"code": "40004", "msg": "Business Failed", "sub_code": "isv.invalid-method",
                "sub_msg": "不存在的方法名"}, False

    def _refund(self, trade: Trade, biz: dict, ids: dict) -> tuple[dict, bool]:
        amount = Decimal(biz["refund_amount"])
        request_no = biz.get("out_request_no") or trade.out_trade_no
        if trade.status not in ("TRADE_SUCCESS", "TRADE_CLOSED") or (
            trade.status == "TRADE_CLOSED" and not trade.refunds
        ):
            return business_failure("ACQ.TRADE_STATUS_ERROR", "交易状态不合法"), False
        if request_no in trade.refunds:  # the same refund again: Alipay moves no money twice
            return {**SUCCESS, **ids, "fund_change": "N", "refund_fee": f"{trade.refunded:.2f}"}, False
        if amount > trade.total - trade.refunded:
            return business_failure("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限"), False
        if amount > self.seller_balance:
            return business_failure("ACQ.SELLER_BALANCE_NOT_ENOUGH", "卖家余额不足"), False
        self.seller_balance -= amount
        trade.refunds[request_no] = amount
        if trade.refunded == trade.total:
            trade.status = "TRADE_CLOSED"
        lost = self.refund_answers_lost > 0
        self.refund_answers_lost -= 1 if lost else 0
        return {**SUCCESS, **ids, "fund_change": "Y", "refund_fee": f"{trade.refunded:.2f}"}, lost

    def _answer(self, method: str, node: dict) -> bytes:
        name = method.replace(".", "_") + "_response" if method else "error_response"
        content = json.dumps(node, ensure_ascii=False, separators=(",", ":"))
        if self.answer_unsigned:
            return f'{{"{name}":{content}}}'.encode("utf-8")
        key = self.wrong_private if self.sign_with_wrong_key else self.alipay_private
        signature = sign_with_rsa2(key, content, "utf-8")
        return f'{{"{name}":{content},"sign":"{signature}"}}'.encode("utf-8")
