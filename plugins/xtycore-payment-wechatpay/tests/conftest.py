"""A local WeChat Pay API v3 server, test keys and callbacks, checked with wechatpayv3's own helpers.

The server is independent of the plugin: it verifies the plugin's
``Authorization`` signature with ``wechatpayv3.utils.rsa_verify`` and signs
its answers and callbacks with ``wechatpayv3.utils.rsa_sign``; callbacks are
encrypted with ``cryptography``'s AES-GCM (wechatpayv3 has no encrypt helper;
``test_protocol.py`` proves wechatpayv3 decrypts and verifies them).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID
from wechatpayv3.utils import rsa_sign, rsa_verify

from xtycore.domain.money import Money
from xtycore.domain.payments import PaymentRequest

MCHID = "1900000109"
APPID = "wxd678efh567hg6787"
MERCHANT_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
APIV3_KEY = "a7cde1ZJB1kG2e7VfT3mPx8nQ4sW9yLu"
PUBLIC_KEY_ID = "PUB_KEY_ID_0119000001092025011500000000000001"
CERT_SERIAL = "3775B6A45ACD588826D15E583A95F5DD4B2F7D2A"
AUTH = re.compile(
    r'^WECHATPAY2-SHA256-RSA2048 mchid="(?P<mchid>[^"]+)",nonce_str="(?P<nonce>[^"]+)",'
    r'signature="(?P<signature>[^"]+)",timestamp="(?P<timestamp>\d+)",serial_no="(?P<serial>[^"]+)"$'
)


def pem_private(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def pem_public(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def self_signed(key: rsa.RSAPrivateKey, serial_hex: str) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA test platform")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(int(serial_hex, 16)).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365)).sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@dataclass(frozen=True)
class Keys:
    merchant: rsa.RSAPrivateKey
    platform: rsa.RSAPrivateKey
    stranger: rsa.RSAPrivateKey  # signs what must not verify

    def settings(self, base_url: str, **changes: Any) -> dict[str, Any]:
        """Settings as the merchant submits them (WeChat Pay public key mode)."""
        return {
            "mchid": MCHID, "appid": APPID, "merchant_private_key": pem_private(self.merchant),
            "merchant_serial_no": MERCHANT_SERIAL, "apiv3_key": APIV3_KEY,
            "platform_public_key_id": PUBLIC_KEY_ID, "platform_public_key": pem_public(self.platform.public_key()),
            "api_base_url": base_url, "timeout_seconds": 2, **changes,
        }


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(*(rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(3)))


def signed_headers(key: rsa.RSAPrivateKey, body: bytes, *, serial: str = PUBLIC_KEY_ID,
                   timestamp: int | None = None) -> dict[str, str]:
    """The Wechatpay-* headers of an answer or a callback, signed with wechatpayv3's rsa_sign."""
    stamp, nonce = str(int(time.time()) if timestamp is None else timestamp), secrets.token_hex(16)
    return {
        "Wechatpay-Timestamp": stamp, "Wechatpay-Nonce": nonce, "Wechatpay-Serial": serial,
        "Wechatpay-Signature": rsa_sign(key, f"{stamp}\n{nonce}\n{body.decode('utf-8')}\n"),
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
    }


def encrypt(data: dict, *, associated_data: str, key: str = APIV3_KEY) -> dict[str, str]:
    nonce = secrets.token_hex(6)
    plain = json.dumps(data, ensure_ascii=False).encode()
    sealed = AESGCM(key.encode()).encrypt(nonce.encode(), plain, associated_data.encode())
    return {"original_type": associated_data, "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": base64.b64encode(sealed).decode(), "associated_data": associated_data, "nonce": nonce}


def payment_resource(out_trade_no: str, total: int, **changes: Any) -> dict[str, Any]:
    return {
        "mchid": MCHID, "appid": APPID, "out_trade_no": out_trade_no,
        "transaction_id": "42000" + secrets.token_hex(12)[:23], "trade_type": "NATIVE", "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功", "bank_type": "OTHERS", "attach": "",
        "success_time": "2026-11-27T10:00:00+08:00", "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": total, "payer_total": total, "currency": "CNY", "payer_currency": "CNY"}, **changes,
    }


def refund_resource(out_trade_no: str, out_refund_no: str, refund: int, total: int, status: str = "SUCCESS",
                    **changes: Any) -> dict[str, Any]:
    return {
        "mchid": MCHID, "out_trade_no": out_trade_no, "transaction_id": "4200000000000000000000000001",
        "out_refund_no": out_refund_no, "refund_id": "50000" + secrets.token_hex(12)[:24], "refund_status": status,
        "success_time": "2026-11-27T11:00:00+08:00", "user_received_account": "招商银行信用卡0403",
        "amount": {"total": total, "refund": refund, "payer_total": total, "payer_refund": refund}, **changes,
    }


@dataclass
class Callback:
    """A notification as WeChat Pay POSTs it: the raw body and its headers."""

    body: bytes
    headers: dict[str, str]

    def post_to(self, client, url: str):
        return client.post(url, data=self.body, headers={**self.headers, "Content-Type": "application/json"})


def notification(key: rsa.RSAPrivateKey, event_type: str, resource: dict[str, Any], *, summary: str = "支付成功",
                 sent_at: dt.datetime | None = None, notice_id: str | None = None, apiv3_key: str = APIV3_KEY,
                 serial: str = PUBLIC_KEY_ID) -> Callback:
    """A signed, encrypted notification as WeChat Pay sends it (``sent_at``: when it claims to be sent)."""
    sent = sent_at or dt.datetime.now(dt.timezone.utc)
    original = "transaction" if event_type.startswith("TRANSACTION") else "refund"
    body = json.dumps({
        "id": notice_id or secrets.token_hex(18), "create_time": sent.astimezone().isoformat(timespec="seconds"),
        "resource_type": "encrypt-resource", "event_type": event_type, "summary": summary,
        "resource": encrypt(resource, associated_data=original, key=apiv3_key),
    }, ensure_ascii=False).encode()
    return Callback(body, signed_headers(key, body, serial=serial, timestamp=int(sent.timestamp())))


def payment_request(payment_id: str = "P0000000000000000000000001", amount: str = "88.00", currency: str = "CNY",
                    **changes: Any):
    return PaymentRequest(**{
        "payment_id": payment_id, "order_number": "20261127-0001", "amount": Money(amount, currency),
        "description": "小甜园 20261127-0001", "return_url": "https://shop.test/payments/return/" + payment_id,
        "notify_url": "https://shop.test/webhooks/payment/1", "customer_ip": "203.0.113.7", **changes,
    })


# --------------------------------------------------------------------------
# the local WeChat Pay API v3
# --------------------------------------------------------------------------


@dataclass
class FakeWeChatPay:
    """Trades and refunds in memory; verifies every request's signature, signs every answer."""

    keys: Keys
    url: str = ""
    trades: dict[str, dict] = field(default_factory=dict)
    refunds: dict[str, dict] = field(default_factory=dict)
    requests: list[dict] = field(default_factory=list)
    #: answers to give instead of the real one, in order: (status, {"code", "message"})
    errors: list[tuple[int, dict]] = field(default_factory=list)
    sign_with_stranger: bool = False
    #: seconds to stall a refund's answer after it was recorded (the client gives up first)
    refund_stall: float = 0.0
    refund_status: str = "SUCCESS"
    lock: threading.Lock = field(default_factory=threading.Lock)

    def open_trade(self, out_trade_no: str, total: int, *, kind: str = "native", description: str = "订单") -> None:
        self.trades[out_trade_no] = {
            "appid": APPID, "mchid": MCHID, "out_trade_no": out_trade_no, "trade_type": kind.upper(),
            "trade_state": "NOTPAY", "trade_state_desc": "未支付", "description": description,
            "prepay": secrets.token_hex(8), "amount": {"total": total, "currency": "CNY"},
        }

    def pay(self, out_trade_no: str) -> dict:
        """The customer scans and pays."""
        with self.lock:
            trade = self.trades[out_trade_no]
            trade.update(trade_state="SUCCESS", trade_state_desc="支付成功",
                         transaction_id="4200" + secrets.token_hex(12)[:24])
            return dict(trade)

    def callback(self, out_trade_no: str, **kwargs: Any) -> Callback:
        trade = self.trades[out_trade_no]
        resource = payment_resource(out_trade_no, trade["amount"]["total"], transaction_id=trade["transaction_id"],
                                    trade_type=trade["trade_type"], appid=trade["appid"])
        return notification(self.keys.platform, "TRANSACTION.SUCCESS", resource, **kwargs)

    # the HTTP side ---------------------------------------------------------
    def answer(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, dict | None]:
        problem = self.authorization_problem(method, target, headers, body)
        self.requests.append({"method": method, "target": target, "body": body, "problem": problem})
        if problem:
            return 401, {"code": "SIGN_ERROR", "message": problem}
        if self.errors:
            return self.errors.pop(0)
        path = urlsplit(target).path
        query = {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}
        data = json.loads(body) if body else {}
        with self.lock:
            answer = self.route(method, path, query, data)
        if method == "POST" and path == "/v3/refund/domestic/refunds" and self.refund_stall:
            time.sleep(self.refund_stall)  # recorded, but the answer comes too late
        return answer

    def authorization_problem(self, method: str, target: str, headers: dict[str, str], body: bytes) -> str:
        match = AUTH.match(headers.get("authorization", ""))
        if not match:
            return "no WECHATPAY2-SHA256-RSA2048 Authorization"
        if (match["mchid"], match["serial"]) != (MCHID, MERCHANT_SERIAL):
            return "wrong mchid or serial_no"
        if abs(time.time() - int(match["timestamp"])) > 300:
            return "stale timestamp"
        # wechatpayv3 verifies "A\nB\nC\n"; the request's message is "METHOD\nPATH\nTIMESTAMP\nNONCE\nBODY\n"
        if not rsa_verify(f"{method}\n{target}\n{match['timestamp']}", match["nonce"], body.decode(),
                          match["signature"], self.keys.merchant.public_key()):
            return "the request signature does not verify with the merchant's public key"
        return ""

    def route(self, method: str, path: str, query: dict, data: dict) -> tuple[int, dict | None]:
        trade_match = re.match(r"^/v3/pay/transactions/out-trade-no/([^/]+)(/close)?$", path)
        if method == "POST" and path in ("/v3/pay/transactions/native", "/v3/pay/transactions/h5"):
            return self.create(path.rsplit("/", 1)[1], data)
        if trade_match and method == "GET" and not trade_match[2]:
            trade = self.trades.get(unquote(trade_match[1]))
            if trade is None or query.get("mchid") != MCHID:
                return 404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
            return 200, dict(trade)
        if trade_match and method == "POST" and trade_match[2]:
            trade = self.trades.get(unquote(trade_match[1]))
            if trade is None:
                return 404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
            if trade["trade_state"] in ("SUCCESS", "REFUND"):
                return 400, {"code": "ORDERPAID", "message": "订单已支付"}
            trade.update(trade_state="CLOSED", trade_state_desc="订单已关闭")
            return 204, None
        if method == "POST" and path == "/v3/refund/domestic/refunds":
            return self.refund(data)
        if method == "GET" and path.startswith("/v3/refund/domestic/refunds/"):
            refund = self.refunds.get(unquote(path.rsplit("/", 1)[1]))
            if refund is None:
                return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"}
            return 200, dict(refund)
        return 404, {"code": "NOT_FOUND", "message": f"no {method} {path}"}

    def create(self, kind: str, data: dict) -> tuple[int, dict]:
        amount = data.get("amount") or {}
        if (data.get("mchid"), data.get("appid")) != (MCHID, APPID) or not isinstance(amount.get("total"), int) \
                or amount.get("currency") != "CNY" or not data.get("notify_url", "").startswith("https://"):
            return 400, {"code": "PARAM_ERROR", "message": "参数错误"}
        if kind == "h5" and not (data.get("scene_info") or {}).get("h5_info"):
            return 400, {"code": "PARAM_ERROR", "message": "缺少 scene_info.h5_info"}
        out_trade_no = data["out_trade_no"]
        existing = self.trades.get(out_trade_no)
        if existing is not None:
            if existing["trade_state"] == "SUCCESS":
                return 400, {"code": "ORDERPAID", "message": "该订单已支付"}
            if existing["amount"]["total"] != amount["total"]:
                return 400, {"code": "INVALID_REQUEST", "message": "201 商户订单号重复"}
        else:
            self.open_trade(out_trade_no, amount["total"], kind=kind, description=data["description"])
        prepay = self.trades[out_trade_no]["prepay"]
        if kind == "native":
            return 200, {"code_url": f"weixin://wxpay/bizpayurl/up?pr={prepay}"}
        return 200, {"h5_url": f"https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx{prepay}"}

    def refund(self, data: dict) -> tuple[int, dict]:
        trade = self.trades.get(data.get("out_trade_no", ""))
        amount = data.get("amount") or {}
        if trade is None:
            return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "订单不存在"}
        if trade["trade_state"] not in ("SUCCESS", "REFUND"):
            return 400, {"code": "INVALID_REQUEST", "message": "订单未支付"}
        if data.get("out_refund_no") in self.refunds:
            return 200, dict(self.refunds[data["out_refund_no"]])
        refunded = sum(r["amount"]["refund"] for r in self.refunds.values()
                       if r["out_trade_no"] == trade["out_trade_no"])
        if amount.get("total") != trade["amount"]["total"] or amount.get("currency") != "CNY":
            return 400, {"code": "PARAM_ERROR", "message": "订单金额或币种信息错误"}
        if refunded + amount["refund"] > trade["amount"]["total"]:
            return 403, {"code": "NOT_ENOUGH", "message": "可退款余额不足"}
        refund = {
            "refund_id": "50300" + secrets.token_hex(12)[:24], "out_refund_no": data["out_refund_no"],
            "transaction_id": trade["transaction_id"], "out_trade_no": trade["out_trade_no"], "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱", "status": self.refund_status,
            "create_time": "2026-11-27T11:00:00+08:00",
            "amount": {"total": trade["amount"]["total"], "refund": amount["refund"],
                       "payer_total": trade["amount"]["total"], "payer_refund": amount["refund"], "currency": "CNY"},
        }
        self.refunds[data["out_refund_no"]] = refund
        trade.update(trade_state="REFUND", trade_state_desc="转入退款")
        return 200, dict(refund)


def _handler(fake: FakeWeChatPay) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, data = fake.answer(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            payload = json.dumps(data, ensure_ascii=False).encode() if data is not None else b""
            key = fake.keys.stranger if fake.sign_with_stranger else fake.keys.platform
            try:
                self.send_response(status)
                for name, value in signed_headers(key, payload).items():
                    self.send_header(name, value)
                if payload:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (a timeout test)
                pass

        do_GET = do_POST = _serve

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def wechat(keys):
    fake = FakeWeChatPay(keys)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield fake
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def settings(keys, wechat):
    """Settings as the kernel passes them to a verb (validated and dumped)."""
    from xtycore_payment_wechatpay.settings import WeChatPaySettings

    schema = WeChatPaySettings()
    return schema.dump(schema.load(keys.settings(wechat.url)))
