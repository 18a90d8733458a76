"""Registers cash on delivery with xtycore."""

from xtycore import hookimpl

from xtycore_payment_cod.gateway import CashOnDelivery


@hookimpl
def xtycore_register_payment_gateways():
    return [CashOnDelivery()]
