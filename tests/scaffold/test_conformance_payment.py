"""The example bank-transfer gateway passes the payment conformance suite, and works in an app."""

from tests.fixture_plugins import bank_transfer
from tests.fixture_plugins.suites import BANK_SETTINGS, BankTransferSuite, bank_notice
from xtycore.domain.money import Money
from xtycore.kernel import get_kernel
from xtycore.services.capabilities import create_instance


class TestBankTransferConformance(BankTransferSuite):
    """Every test of PaymentGatewayConformance, on the bank-transfer gateway."""


def test_a_configured_instance_verifies_notices_with_its_decrypted_secret(xty_make_app):
    app = xty_make_app(plugins={"bank_transfer": bank_transfer})
    with app.app_context():
        instance_id = create_instance(
            "payment", "fixture_bank_transfer", display_name="对公转账", settings=BANK_SETTINGS
        )
        instance = get_kernel(app).registry.instance(instance_id, kind="payment")
        notice = bank_notice("pay-42", Money("120.00"), BANK_SETTINGS["notify_secret"])
        event = instance.call("parse_webhook", request=notice)
    assert instance.row.settings["notify_secret"] != BANK_SETTINGS["notify_secret"], "stored encrypted"
    assert (event.payment_id, event.amount) == ("pay-42", Money("120.00"))
