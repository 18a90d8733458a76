"""The settings of a WeChat Pay merchant account, checked when the merchant saves them."""

from __future__ import annotations

from typing import Any, Callable

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from xtycore_payment_wechatpay import protocol

DEFAULT_API_BASE_URL = "https://api.mch.weixin.qq.com"


def _loads(loader: Callable[[str], Any], what: str) -> Callable[[str], None]:
    """A field validator: the PEM text loads with ``loader`` (empty text is left to ``required``)."""

    def check(value: str) -> None:
        if value:
            try:
                loader(value)
            except protocol.KeyProblem as exc:
                raise ValidationError(f"{what}: {exc}") from None

    return check


def _apiv3_key(value: str) -> None:
    problem = protocol.apiv3_key_problem(value)
    if problem:
        raise ValidationError(problem)


def _http_url(value: str) -> None:
    if value and not value.startswith(("https://", "http://")):
        raise ValidationError("must be an http(s) URL")


class WeChatPaySettings(Schema):
    mchid = fields.String(
        required=True, validate=validate.Regexp(r"^[1-9][0-9]{5,31}$", error="a merchant number (商户号) is digits"),
        metadata={"label": "商户号 (mchid)"},
    )
    appid = fields.String(
        required=True,
        validate=validate.Regexp(r"^wx[0-9A-Za-z]{16}$", error="an AppID is wx and 16 letters or digits"),
        metadata={"label": "AppID", "help": "The official account, mini program or app bound to the merchant."},
    )
    merchant_private_key = fields.String(
        required=True, validate=_loads(protocol.private_key, "the merchant API private key"),
        metadata={"secret": True, "label": "商户API私钥 (apiclient_key.pem)", "help": "The whole PEM text."},
    )
    merchant_serial_no = fields.String(
        required=True, validate=validate.Regexp(r"^[0-9A-Fa-f]{8,64}$", error="a certificate serial is hexadecimal"),
        metadata={"label": "商户API证书序列号"},
    )
    apiv3_key = fields.String(
        required=True, validate=_apiv3_key,
        metadata={"secret": True, "label": "APIv3密钥", "help": "32 characters, set in the merchant platform."},
    )
    platform_public_key_id = fields.String(
        load_default="", validate=validate.Regexp(r"^(PUB_KEY_ID_[0-9A-Za-z_]+)?$", error="starts with PUB_KEY_ID_"),
        metadata={"label": "微信支付公钥ID"},
    )
    platform_public_key = fields.String(
        load_default="", validate=_loads(protocol.public_key, "the WeChat Pay public key"),
        metadata={"label": "微信支付公钥 (pub_key.pem)"},
    )
    platform_certificates = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[0-9A-Fa-f]{8,64}$", error="a serial is hexadecimal")),
        values=fields.String(validate=_loads(protocol.certificate, "the platform certificate")),
        load_default=dict,
        metadata={"label": "平台证书", "help": "Serial number -> PEM, for merchants not yet on the public key."},
    )
    api_base_url = fields.String(load_default=DEFAULT_API_BASE_URL, validate=_http_url)
    timeout_seconds = fields.Float(load_default=10.0, validate=validate.Range(min=1, max=60))
    h5_scene_type = fields.String(load_default="Wap", validate=validate.OneOf(["Wap", "iOS", "Android"]))
    refund_notify_url = fields.String(
        load_default="", validate=_http_url,
        metadata={"label": "退款结果通知地址",
                  "help": "This instance's webhook URL; empty: the address set in the merchant platform."},
    )

    @validates("platform_certificates")
    def _serials_match(self, value: dict, **kwargs: Any) -> None:
        for serial, pem in value.items():
            try:
                actual = protocol.certificate_serial(protocol.certificate(pem))
            except protocol.KeyProblem:
                continue  # the value's own validator says why
            if actual != serial.upper():
                raise ValidationError(f"the certificate listed under {serial} has serial {actual}")

    @validates_schema
    def _a_platform_key(self, data: dict, **kwargs: Any) -> None:
        key_id, key = data.get("platform_public_key_id"), data.get("platform_public_key")
        if bool(key_id) != bool(key):
            field = "platform_public_key" if key_id else "platform_public_key_id"
            raise ValidationError("the WeChat Pay public key and its id go together", field)
        if not key and not data.get("platform_certificates"):
            raise ValidationError(
                "give the WeChat Pay public key and its id, or the platform certificates: "
                "without them no answer or callback can be verified", "platform_public_key",
            )
