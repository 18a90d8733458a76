"""Each capability registration hook puts its objects in the registry under its kind."""

from marshmallow import Schema, fields

from xtycore import hookimpl
from xtycore.domain.couriers import CourierFeatures, Quote
from xtycore.domain.money import Money
from xtycore.domain.promotions import CartLine, CartSnapshot, PromotionResult
from xtycore.domain.support import SendResult
from xtycore.kernel import get_kernel

from tests.kernel.capabilities import GatewayPlugin, TestGateway


class Flat:
    code, name = "flat", "Flat rate"
    features = CourierFeatures()

    class settings_schema(Schema):
        price_fen = fields.Integer(required=True)

    def is_eligible(self, shipment, settings):
        return True

    def quote(self, shipment, settings):
        return [Quote("standard", "Standard", Money.from_minor(settings["price_fen"]))]

    def create_waybill(self, shipment, quote_code, settings):
        raise NotImplementedError

    def track(self, waybill_number, settings):
        return []

    def parse_webhook(self, request, settings):
        raise NotImplementedError


class TenOff:
    code, name = "ten_off", "¥10 off"

    class params_schema(Schema):
        pass

    def evaluate(self, cart, params):
        return PromotionResult(True, "立减 ¥10", order_discount=Money("10"))


class Echo:
    code, name = "echo", "Echo"

    class settings_schema(Schema):
        pass

    def send(self, message, settings):
        return SendResult(True, channel_message_id=message.body)

    def parse_inbound(self, request, settings):
        return []


class Capabilities:
    @hookimpl
    def xtycore_register_couriers(self):
        return [Flat()]

    @hookimpl
    def xtycore_register_promotion_types(self):
        return [TenOff()]

    @hookimpl
    def xtycore_register_support_channels(self):
        return [Echo()]


def test_xtycore_register_payment_gateways_adds_gateways_by_code(xty_make_app):
    app = xty_make_app(plugins={"pay": GatewayPlugin(TestGateway("p1"), TestGateway("p2"))})
    with app.app_context():
        assert sorted(t.code for t in get_kernel(app).registry.types("payment")) == ["p1", "p2"]


def test_xtycore_register_couriers_adds_a_courier_whose_quotes_come_through_the_wrapper(xty_make_app):
    from xtycore.services.capabilities import create_instance

    app = xty_make_app(plugins={"caps": Capabilities()})
    with app.app_context():
        iid = create_instance("courier", "flat", display_name="Flat", settings={"price_fen": 800})
        quotes = get_kernel(app).registry.instance(iid).call("quote", shipment=None)
        assert quotes[0].price == Money("8.00")


def test_xtycore_register_promotion_types_adds_a_promotion_evaluated_with_its_params(xty_make_app):
    from xtycore.services.capabilities import create_instance

    app = xty_make_app(plugins={"caps": Capabilities()})
    with app.app_context():
        iid = create_instance("promotion", "ten_off", display_name="Ten off", settings={})
        cart = CartSnapshot(lines=[CartLine("l1", "SKU", "1", 1, Money("20"))])
        result = get_kernel(app).registry.instance(iid).call("evaluate", cart=cart)
        assert result.order_discount == Money("10")


def test_xtycore_register_support_channels_adds_a_channel(xty_make_app):
    app = xty_make_app(plugins={"caps": Capabilities()})
    with app.app_context():
        assert [t.code for t in get_kernel(app).registry.types("support")] == ["echo"]
