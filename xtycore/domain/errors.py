"""The exception hierarchy shared by the kernel and plugins.

Plugins raise these instead of returning error codes. Each carries a message
that is safe to show a customer (``customer_message``) separately from the
technical detail that goes to the log and the admin.
"""


class XtyError(Exception):
    """Base class of every error xtycore raises on purpose.

    A plugin raising one of these is giving an answer (declined, not
    deliverable, invalid callback), not failing; subclasses that mean "the
    remote service is down" set ``record_as_failure`` so the admin sees them.
    """

    customer_message = "Something went wrong. Please try again."
    record_as_failure = False

    def __init__(self, message: str = "", *, customer_message: str | None = None):
        super().__init__(message or self.customer_message)
        if customer_message is not None:
            self.customer_message = customer_message


class ConfigurationError(XtyError):
    """Configuration, instance folder or settings are wrong; the message says how to fix it."""


class PluginError(XtyError):
    """A plugin failed, or cannot be loaded."""


class CapabilityUnavailable(PluginError):
    """A fail-closed capability call failed; nothing was charged, reserved or changed."""

    customer_message = "This service is temporarily unavailable. Nothing was charged; please try again."


class UnknownCapability(XtyError):
    """No enabled capability or instance answers to the code or id that was asked for."""


class DuplicateCapability(PluginError):
    """Two plugins registered a capability of the same kind under the same code."""


class InvalidSettings(XtyError):
    """Settings did not validate against the capability's schema."""

    def __init__(self, errors: dict, message: str = ""):
        super().__init__(message or f"invalid settings: {errors}")
        self.errors = errors


# payments -----------------------------------------------------------------
class PaymentError(XtyError):
    customer_message = "The payment could not be completed. Nothing was charged."


class PaymentDeclined(PaymentError):
    customer_message = "The payment was declined."


class GatewayUnavailable(PaymentError):
    customer_message = "The payment service is not answering. Nothing was charged; please try again."
    record_as_failure = True


class InvalidWebhook(XtyError):
    """A callback failed verification (signature, timestamp, amount, merchant, order)."""


# couriers -----------------------------------------------------------------
class CourierError(XtyError):
    customer_message = "The delivery service is not available right now."


class CourierUnavailable(CourierError):
    record_as_failure = True


class NotDeliverable(CourierError):
    customer_message = "This courier does not deliver to the address."


# support ------------------------------------------------------------------
class ChannelError(XtyError):
    customer_message = "The message could not be sent."
    record_as_failure = True
