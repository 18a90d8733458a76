"""Test keys, notifications signed with the official Alipay SDK, and a local Alipay gateway."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from alipay.aop.api.util.SignatureUtils import get_sign_content, sign_with_rsa2

from xtycore.domain.money import Money
from xtycore.domain.payments import PaymentRequest
from xtycore.domain.webhooks import WebhookRequest

from xtycore_payment_alipay import protocol

from .fake_alipay import FakeAlipay

APP_ID = "2021000122600001"
SELLER_ID = "2088102000000001"
PAYMENT_ID = "P0000000000000000000000001"
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


@dataclass(frozen=True)
class KeyPair:
    private_pem: str  #: PKCS#8 PEM, as the merchant may paste it
    private_pkcs1_pem: str  #: PKCS#1 PEM, what the official SDK's signing function loads
    public_pem: str  #: SubjectPublicKeyInfo PEM

    @property
    def public_base64(self) -> str:
        """The bare base64 Alipay's console shows."""
        return "".join(line for line in self.public_pem.splitlines() if "-----" not in line)

    @property
    def private_base64(self) -> str:
        return "".join(line for line in self.private_pkcs1_pem.splitlines() if "-----" not in line)


def new_key_pair(bits: int = 2048) -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    pkcs1 = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return KeyPair(private, pkcs1, public)


@pytest.fixture(scope="session")
def merchant_keys() -> KeyPair:
    """The application's key pair (应用私钥 / 应用公钥)."""
    return new_key_pair()


@pytest.fixture(scope="session")
def alipay_keys() -> KeyPair:
    """The test "Alipay" key pair: its private half signs notifications and answers."""
    return new_key_pair()


@pytest.fixture(scope="session")
def stranger_keys() -> KeyPair:
    """A key pair nobody configured: what a forger has."""
    return new_key_pair()


def settings_for(merchant: KeyPair, alipay: KeyPair, **overrides) -> dict:
    return {
        "app_id": APP_ID, "app_private_key": merchant.private_pem, "alipay_public_key": alipay.public_pem,
        "seller_id": SELLER_ID, **overrides,
    }


@pytest.fixture
def settings(merchant_keys, alipay_keys) -> dict:
    """Settings as the merchant submits them (the gateway is the production one)."""
    return settings_for(merchant_keys, alipay_keys)


def loaded(settings: dict) -> dict:
    """Settings as the kernel passes them to a verb: validated and dumped."""
    from xtycore_payment_alipay.settings import AlipaySettings

    schema = AlipaySettings()
    return schema.dump(schema.load(settings))


# --------------------------------------------------------------------------
# notifications, signed by the official SDK
# --------------------------------------------------------------------------


def notify_fields(
    payment_id: str, amount: Money, *, sent_at: datetime | None = None, trade_status: str = "TRADE_SUCCESS",
    **overrides: str,
) -> dict[str, str]:
    """The parameters of an Alipay trade notification (异步通知) as Alipay documents them."""
    sent = protocol.china_time(sent_at or datetime.now(timezone.utc))
    fields = {
        "notify_time": sent, "notify_type": "trade_status_sync", "notify_id": "2026112700222" + secrets.token_hex(16),
        "charset": "utf-8", "version": "1.0", "sign_type": "RSA2", "app_id": APP_ID, "auth_app_id": APP_ID,
        "trade_no": "2026112722001" + secrets.token_hex(7), "out_trade_no": payment_id,
        "buyer_id": "2088102177846880", "buyer_logon_id": "csq***@sandbox.com", "seller_id": SELLER_ID,
        "seller_email": "shop@sandbox.example", "trade_status": trade_status,
        "total_amount": f"{amount.amount:.2f}", "receipt_amount": f"{amount.amount:.2f}",
        "buyer_pay_amount": f"{amount.amount:.2f}", "subject": "小甜园 20261127-0001",
        "gmt_create": sent, "gmt_payment": sent,
        "fund_bill_list": '[{"amount":"%s","fundChannel":"ALIPAYACCOUNT"}]' % f"{amount.amount:.2f}",
    }
    fields.update(overrides)
    return {name: value for name, value in fields.items() if value is not None}


def sdk_signed(fields: dict[str, str], alipay: KeyPair) -> dict[str, str]:
    """``fields`` with ``sign`` made by the official SDK (over all but sign and sign_type, as Alipay signs)."""
    content = get_sign_content({k: v for k, v in fields.items() if k not in ("sign", "sign_type")})
    return {**fields, "sign": sign_with_rsa2(alipay.private_pkcs1_pem, content, "utf-8")}


def as_request(fields: dict[str, str]) -> WebhookRequest:
    """The POST Alipay sends: a form-encoded body (the kernel also passes the decoded form)."""
    return WebhookRequest(body=urlencode(fields).encode("ascii"), headers=dict(FORM_HEADERS), form=dict(fields))


def payment_request(payment_id: str = PAYMENT_ID, amount: str = "88.00", **kwargs) -> PaymentRequest:
    return PaymentRequest(
        payment_id=payment_id, order_number="20261127-0001", amount=Money(amount),
        description="小甜园 20261127-0001", return_url="https://shop.test/payments/return/" + payment_id,
        notify_url="https://shop.test/webhooks/payment/1", **kwargs,
    )


# --------------------------------------------------------------------------
# the local gateway
# --------------------------------------------------------------------------


@pytest.fixture
def fake_alipay(merchant_keys, alipay_keys, stranger_keys):
    fake = FakeAlipay(
        app_id=APP_ID, merchant_public_pem=merchant_keys.public_pem,
        alipay_private_pkcs1_pem=alipay_keys.private_pkcs1_pem,
        wrong_private_pkcs1_pem=stranger_keys.private_pkcs1_pem,
    ).start()
    yield fake
    fake.stop()


@pytest.fixture
def api_settings(merchant_keys, alipay_keys, fake_alipay) -> dict:
    """Loaded settings whose gateway is the local one. The API timeout (3 s) is short, so a held answer
    (the fake holds a lost one for 5 s) times out quickly, and long enough for a busy CI machine's answers."""
    return loaded(settings_for(merchant_keys, alipay_keys, gateway_url=fake_alipay.url, timeout_seconds=3))
