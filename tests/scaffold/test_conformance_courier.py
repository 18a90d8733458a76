"""The example own-delivery courier passes the courier conformance suite."""

from tests.fixture_plugins.suites import ZoneCourierSuite


class TestZoneCourierConformance(ZoneCourierSuite):
    """Every test of CourierConformance, on the own-delivery courier."""
