"""Standard shipping: prices, free shipping, zones, pickup, and honest manual waybills."""

import pytest
from marshmallow import ValidationError

from xtycore.domain.couriers import Address, Parcel, ShipmentRequest
from xtycore.domain.errors import CourierError, InvalidWebhook
from xtycore.domain.money import Money
from xtycore.domain.webhooks import WebhookRequest
from xtycore.kernel import get_kernel
from xtycore.services.capabilities import create_instance

from xtycore_courier_standard.couriers import FlatRate, StorePickup, TableRate


def shipment(province="浙江省", grams=1200, subtotal="50.00"):
    destination = Address(province, "杭州市", "西湖区", "龙井路 1 号", "张三", "13800138000")
    return ShipmentRequest("S1", None, destination, [Parcel("T-1", "龙井", 1, grams, Money(subtotal))], Money(subtotal))


def settings(courier, **changes):
    return courier.settings_schema().load({**courier.demo_settings, **changes})


def test_flat_rate_charges_its_price_and_nothing_over_the_free_threshold():
    flat = FlatRate()
    assert flat.quote(shipment(subtotal="50.00"), settings(flat))[0].price == Money("12.00")
    assert flat.quote(shipment(subtotal="99.00"), settings(flat))[0].price == Money("0.00")


def test_flat_rate_does_not_deliver_to_excluded_provinces():
    flat = FlatRate()
    assert not flat.is_eligible(shipment(province="西藏自治区"), settings(flat))
    assert flat.quote(shipment(province="西藏自治区"), settings(flat)) == []


@pytest.mark.parametrize("province, grams, expected", [
    ("上海市", 800, "6.00"), ("江苏省", 1000, "6.00"), ("浙江", 1001, "8.00"), ("浙江省", 3000, "10.00"),
    ("广东省", 1000, "10.00"), ("广东省", 2500, "20.00"),
])
def test_table_rate_charges_first_weight_plus_each_started_step_by_zone(province, grams, expected):
    table = TableRate()
    [quote] = table.quote(shipment(province=province, grams=grams), settings(table))
    assert quote.price == Money(expected)


def test_table_rate_without_a_catch_all_zone_serves_only_named_provinces():
    table = TableRate()
    only_jzh = settings(table, zones=[table.demo_settings["zones"][0]])
    assert table.is_eligible(shipment(province="上海"), only_jzh)
    assert not table.is_eligible(shipment(province="广东省"), only_jzh)


def test_a_province_in_two_zones_is_refused():
    zone = TableRate.demo_settings["zones"][0]
    with pytest.raises(ValidationError, match="上海 is in zones"):
        TableRate.settings_schema().load({"zones": [zone, {**zone, "name": "again"}]})


def test_store_pickup_offers_each_store_free():
    pickup = StorePickup()
    [quote] = pickup.quote(shipment(), settings(pickup))
    assert quote.code == "xihu" and quote.price == Money("0") and "龙井路" in quote.description
    assert pickup.features.pickup


def test_manual_methods_say_how_to_record_a_waybill_and_accept_no_pushes():
    flat = FlatRate()
    with pytest.raises(CourierError, match="enter the carrier's waybill number"):
        flat.create_waybill(shipment(), "standard", settings(flat))
    with pytest.raises(InvalidWebhook):
        flat.parse_webhook(WebhookRequest(b"{}", {}), settings(flat))
    assert flat.track("SF123", settings(flat)) == []


def test_the_plugin_registers_its_couriers_and_quotes_through_the_kernel(xty_make_app):
    app = xty_make_app(plugins={"courier_standard": None})  # installed: enable the entry point
    with app.app_context():
        iid = create_instance("courier", "table_rate", display_name="中通", settings=TableRate.demo_settings)
        [quote] = get_kernel(app).registry.instance(iid).call("quote", shipment=shipment(grams=2000))
        assert quote.price == Money("8.00")
        assert sorted(t.code for t in get_kernel(app).registry.types("courier")) == [
            "flat_rate", "store_pickup", "table_rate"]
