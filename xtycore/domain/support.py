"""The customer-support channel contract: send messages out, parse messages in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Mapping, Protocol, Sequence, runtime_checkable

from xtycore.domain.webhooks import WebhookRequest

if TYPE_CHECKING:  # pragma: no cover
    from marshmallow import Schema


@dataclass(frozen=True)
class OutboundMessage:
    ticket_reference: str
    recipient: str  #: an address in the channel's own terms (email, openid, mobile)
    subject: str
    body: str
    attachments: Sequence[tuple[str, bytes, str]] = field(default_factory=tuple)  #: name, data, type


@dataclass(frozen=True)
class SendResult:
    delivered: bool
    channel_message_id: str = ""
    detail: str = ""


@dataclass(frozen=True)
class InboundMessage:
    sender: str
    body: str
    received_at: datetime
    channel_message_id: str
    subject: str = ""
    ticket_reference: str = ""  #: set when the channel can tell which ticket a reply belongs to
    attachments: Sequence[tuple[str, bytes, str]] = field(default_factory=tuple)


@runtime_checkable
class SupportChannel(Protocol):
    """A support channel type (email, 公众号, 企业微信 …), registered by ``xtycore_register_support_channels``."""

    code: ClassVar[str] | str
    name: ClassVar[str] | str
    settings_schema: ClassVar[type[Schema]] | type[Schema]

    def send(self, message: OutboundMessage, settings: Mapping[str, Any]) -> SendResult:
        """Deliver a message; raise :class:`~xtycore.domain.errors.ChannelError` on failure."""

    def parse_inbound(self, request: WebhookRequest, settings: Mapping[str, Any]) -> Sequence[InboundMessage]:
        """Verify and decode an inbound push; raise :class:`~xtycore.domain.errors.InvalidWebhook`."""
