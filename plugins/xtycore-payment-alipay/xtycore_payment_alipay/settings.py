"""What the merchant configures for an Alipay instance, checked when it is saved."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from xtycore_payment_alipay import keys, protocol

#: hosts a gateway URL other than Alipay's own may name: a local test gateway, never a remote one
LOOPBACK_NAMES = {"localhost"}


def _public_der(key) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


class AlipaySettings(Schema):
    app_id = fields.String(
        required=True, validate=validate.Regexp(r"^[0-9]{16}$", error="an Alipay APPID is 16 digits"),
        metadata={"label": "APPID", "help": "The application's APPID (开放平台 → 应用 → APPID), 16 digits."},
    )
    app_private_key = fields.String(
        required=True,
        metadata={"secret": True, "label": "Application private key (应用私钥)",
                  "help": "RSA2 (2048-bit) private key of the application, PEM or the bare base64 the Alipay "
                          "key tool writes (PKCS#1 or PKCS#8). Signs every request; stored encrypted."},
    )
    alipay_public_key = fields.String(
        required=True,
        metadata={"label": "Alipay public key (支付宝公钥)",
                  "help": "The Alipay public key shown after uploading the application public key, PEM or "
                          "base64. Verifies notifications and answers. Not the application public key."},
    )
    gateway_url = fields.String(
        load_default=protocol.PRODUCTION_GATEWAY,
        metadata={"label": "Gateway",
                  "help": f"Production ({protocol.PRODUCTION_GATEWAY}) or Alipay's sandbox (沙箱环境, "
                          f"{protocol.SANDBOX_GATEWAY}) for testing with sandbox accounts."},
    )
    seller_id = fields.String(
        load_default="", validate=validate.Regexp(r"^(2088[0-9]{12})?$", error="a PID is 16 digits starting 2088"),
        metadata={"label": "Seller PID (商户PID)",
                  "help": "Optional. When set, notifications for another seller are refused."},
    )
    charset = fields.String(load_default=protocol.CHARSET, validate=validate.OneOf([protocol.CHARSET]))
    sign_type = fields.String(load_default=protocol.SIGN_TYPE, validate=validate.OneOf([protocol.SIGN_TYPE]))
    timeout_seconds = fields.Integer(
        load_default=15, validate=validate.Range(min=1, max=60),
        metadata={"label": "API timeout (seconds)"},
    )
    pay_timeout_minutes = fields.Integer(
        load_default=30, validate=validate.Range(min=1, max=15 * 24 * 60),
        metadata={"label": "Minutes to pay (timeout_express)",
                  "help": "Alipay closes an unpaid trade after this many minutes (1 minute to 15 days)."},
    )
    notify_window_hours = fields.Integer(
        load_default=1, validate=validate.Range(min=1, max=72),
        metadata={"label": "Notification window (hours)",
                  "help": "Notifications whose notify_time is older are refused as replays. Each of Alipay's "
                          "retries carries the time it is sent, so this only covers delivery delay and "
                          "clock difference."},
    )

    @validates("app_private_key")
    def _private_key_loads(self, value: str, **kwargs: Any) -> None:
        _must_load(keys.load_private_key, value, "the application private key")

    @validates("alipay_public_key")
    def _public_key_loads(self, value: str, **kwargs: Any) -> None:
        _must_load(keys.load_public_key, value, "the Alipay public key")

    @validates("gateway_url")
    def _known_gateway(self, value: str, **kwargs: Any) -> None:
        if value in (protocol.PRODUCTION_GATEWAY, protocol.SANDBOX_GATEWAY):
            return
        parts = urlsplit(value)
        if parts.scheme in ("http", "https") and _loopback(parts.hostname or ""):
            return
        raise ValidationError(
            f"must be {protocol.PRODUCTION_GATEWAY} or the sandbox {protocol.SANDBOX_GATEWAY} "
            "(or a gateway on this machine, for tests)"
        )

    @validates_schema
    def _not_the_application_public_key(self, data: dict[str, Any], **kwargs: Any) -> None:
        # the most common mistake: pasting the application's own public key where Alipay's belongs
        try:
            own = _public_der(keys.load_private_key(data["app_private_key"]).public_key())
            given = _public_der(keys.load_public_key(data["alipay_public_key"]))
        except (KeyError, keys.KeyProblem):
            return
        if own == given:
            raise ValidationError(
                "this is the application public key; paste the Alipay public key (支付宝公钥) shown "
                "after uploading it", "alipay_public_key",
            )


def _must_load(load, value: str, what: str) -> None:
    try:
        load(value)
    except keys.KeyProblem as exc:
        raise ValidationError(f"{what} {exc}") from None


def _loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
