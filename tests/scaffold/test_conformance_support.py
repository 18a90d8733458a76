"""The example outbox channel passes the support conformance suite."""

from tests.fixture_plugins.suites import OutboxChannelSuite


class TestOutboxChannelConformance(OutboxChannelSuite):
    """Every test of SupportChannelConformance, on the outbox channel."""
