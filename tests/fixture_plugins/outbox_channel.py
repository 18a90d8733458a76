"""A support channel that writes outgoing messages to a folder a mail robot sends from.

Replies come back as signed JSON pushes from the same robot.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping, Sequence

from marshmallow import Schema, fields, validate

from tests.fixture_plugins.signed_json import verified_payload
from xtycore import hookimpl
from xtycore.domain.errors import ChannelError, InvalidWebhook
from xtycore.domain.support import InboundMessage, OutboundMessage, SendResult
from xtycore.domain.webhooks import WebhookRequest


class OutboxSettings(Schema):
    outbox_dir = fields.String(required=True, validate=validate.Length(min=1))
    robot_secret = fields.String(required=True, validate=validate.Length(min=16), metadata={"secret": True})


class OutboxChannel:
    code = "fixture_outbox"
    name = "Mail robot outbox"
    settings_schema = OutboxSettings

    def send(self, message: OutboundMessage, settings: Mapping[str, Any]) -> SendResult:
        message_id = uuid.uuid4().hex
        letter = {"id": message_id, "to": message.recipient, "subject": message.subject,
                  "body": message.body, "ticket": message.ticket_reference}
        try:
            path = Path(settings["outbox_dir"]) / f"{message_id}.json"
            path.write_text(json.dumps(letter, ensure_ascii=False), encoding="utf-8")
        except OSError as exc:
            raise ChannelError(f"cannot write to the outbox: {exc}") from None
        return SendResult(delivered=True, channel_message_id=message_id)

    def parse_inbound(self, request: WebhookRequest, settings: Mapping[str, Any]) -> Sequence[InboundMessage]:
        return self._messages(verified_payload(request, settings["robot_secret"]))

    def _messages(self, push: Mapping[str, Any]) -> list[InboundMessage]:
        try:
            messages = [
                InboundMessage(
                    sender=str(m["from"]), body=str(m["body"]),
                    received_at=datetime.fromisoformat(m["received_at"]),
                    channel_message_id=str(m["id"]), ticket_reference=str(m.get("ticket", "")),
                )
                for m in push["messages"]
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidWebhook(f"malformed push: {exc!r}") from None
        if any(m.received_at.tzinfo is None for m in messages):
            raise InvalidWebhook("received_at needs a UTC offset")
        return messages


@hookimpl
def xtycore_register_support_channels() -> list[OutboxChannel]:
    return [OutboxChannel()]
