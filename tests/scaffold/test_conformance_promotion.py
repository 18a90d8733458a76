"""The example 满折 promotion passes the promotion conformance suite."""

from tests.fixture_plugins.suites import SpendPercentSuite


class TestSpendPercentConformance(SpendPercentSuite):
    """Every test of PromotionTypeConformance, on the 满折 promotion."""
