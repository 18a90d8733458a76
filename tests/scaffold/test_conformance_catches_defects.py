"""The conformance suites catch broken capabilities, and blame exactly the defect.

A test module binding each broken variant of ``tests/fixture_plugins/broken.py``
to its suite is written to a temporary folder and run by pytest in a
subprocess, as a plugin author's CI would run it; the JUnit report says which
tests failed. Each variant has one defect, so exactly the tests about that
defect must fail and every other test of the suite must pass.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

BROKEN_SUITES = '''
import pytest

from tests.fixture_plugins import broken, suites


class DirectPlugin:
    @pytest.fixture
    def plugin_module(self, capability):
        return suites.plugin_offering(capability, self.kind)


class TestTrustingBankTransfer(DirectPlugin, suites.BankTransferSuite):
    @pytest.fixture
    def capability(self):
        return broken.TrustingBankTransfer()


class TestLeakyBankTransfer(DirectPlugin, suites.BankTransferSuite):
    @pytest.fixture
    def capability(self):
        return broken.LeakyBankTransfer()


class TestMisdemoedBankTransfer(DirectPlugin, suites.BankTransferSuite):
    @pytest.fixture
    def capability(self):
        return broken.MisdemoedBankTransfer()


class TestForgetfulPlugin(suites.BankTransferSuite):
    @pytest.fixture
    def plugin_module(self):
        return broken.ForgetfulPlugin()


class TestRebatingZoneCourier(DirectPlugin, suites.ZoneCourierSuite):
    @pytest.fixture
    def capability(self):
        return broken.RebatingZoneCourier()


class TestGreedySpendPercent(DirectPlugin, suites.SpendPercentSuite):
    @pytest.fixture
    def capability(self):
        return broken.GreedySpendPercent()


class TestTrustingOutboxChannel(DirectPlugin, suites.OutboxChannelSuite):
    @pytest.fixture
    def capability(self):
        return broken.TrustingOutboxChannel()
'''


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, dict[str, str]]:
    """Class name -> test name -> "passed", "failed", "error" or "skipped"."""
    folder = tmp_path_factory.mktemp("broken_suites")
    (folder / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\n", encoding="utf-8")
    (folder / "test_broken_suites.py").write_text(textwrap.dedent(BROKEN_SUITES), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("XTY_TEST_DATABASE_URL", None)  # its own SQLite file: the shared test database stays untouched
    report = folder / "report.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", f"--junitxml={report}"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=300,
    )
    found: dict[str, dict[str, str]] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        verdicts = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}.get(
            verdicts[0] if verdicts else "", "passed"
        )
        found.setdefault(case.get("classname").rsplit(".", 1)[-1], {})[case.get("name")] = outcome
    return found


def failures(outcomes, suite: str) -> set[str]:
    tests = outcomes[suite]
    assert tests, f"{suite} ran no tests"
    assert "error" not in tests.values(), f"{suite} errored: {tests}"
    return {name for name, outcome in tests.items() if outcome == "failed"}


@pytest.mark.slow
def test_a_gateway_that_skips_the_signature_check_fails_the_tampering_tests(outcomes):
    assert failures(outcomes, "TestTrustingBankTransfer") == {
        "test_a_webhook_with_one_byte_of_the_payment_id_changed_is_rejected",
        "test_a_webhook_with_one_byte_of_the_amount_changed_is_rejected",
        "test_a_webhook_with_its_signature_tampered_with_is_rejected",
        "test_a_callback_with_a_tampered_signature_or_the_wrong_amount_changes_nothing",
    }


@pytest.mark.slow
def test_a_secret_setting_not_marked_secret_fails_the_secrets_test(outcomes):
    assert failures(outcomes, "TestLeakyBankTransfer") == {
        "test_every_field_named_like_a_secret_is_marked_secret",
    }


@pytest.mark.slow
def test_demo_settings_the_schema_refuses_fail_the_settings_test(outcomes):
    assert failures(outcomes, "TestMisdemoedBankTransfer") == {
        "test_valid_settings_load_and_survive_dump_and_load_again",
    }


@pytest.mark.slow
def test_a_plugin_that_registers_nothing_fails_the_kernel_registration_test(outcomes):
    assert failures(outcomes, "TestForgetfulPlugin") == {
        "test_the_plugin_registers_the_capability_through_the_kernel",
    }


@pytest.mark.slow
def test_a_courier_quoting_a_negative_price_fails_the_quote_test(outcomes):
    assert failures(outcomes, "TestRebatingZoneCourier") == {
        "test_quotes_are_priced_in_the_shipments_currency_and_never_negative",
    }


@pytest.mark.slow
def test_a_promotion_discounting_more_than_the_subtotal_fails_the_subtotal_test(outcomes):
    assert failures(outcomes, "TestGreedySpendPercent") == {
        "test_the_discount_never_exceeds_the_subtotal",
    }


@pytest.mark.slow
def test_a_channel_that_skips_the_signature_check_fails_the_tampering_test(outcomes):
    assert failures(outcomes, "TestTrustingOutboxChannel") == {
        "test_an_inbound_push_with_one_byte_changed_is_rejected",
    }
