"""Registers the Alipay gateway type; merchants configure instances of it in the admin."""

from xtycore import hookimpl

from xtycore_payment_alipay.gateway import AlipayGateway


@hookimpl
def xtycore_register_payment_gateways():
    return [AlipayGateway()]
