"""Registers the standard shipping methods with xtycore."""

from xtycore import hookimpl

from xtycore_courier_standard.couriers import FlatRate, StorePickup, TableRate


@hookimpl
def xtycore_register_couriers():
    return [FlatRate(), TableRate(), StorePickup()]
