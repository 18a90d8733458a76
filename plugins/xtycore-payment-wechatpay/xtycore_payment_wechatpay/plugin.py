"""Registers the WeChat Pay API v3 gateway."""

from xtycore import hookimpl

from xtycore_payment_wechatpay.gateway import WeChatPayGateway


@hookimpl
def xtycore_register_payment_gateways():
    return [WeChatPayGateway()]
