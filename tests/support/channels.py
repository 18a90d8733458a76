"""A fixture support channel whose pushes also carry a subject and attachments (base64), signed like the outbox's."""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace
from typing import Any, Mapping

from tests.fixture_plugins.outbox_channel import OutboxChannel
from xtycore import hookimpl
from xtycore.domain.errors import InvalidWebhook
from xtycore.domain.support import InboundMessage


class FileOutbox(OutboxChannel):
    code = "fixture_file_outbox"
    name = "Mail robot outbox, with files"

    def _messages(self, push: Mapping[str, Any]) -> list[InboundMessage]:
        messages = super()._messages(push)
        try:
            return [
                replace(message, subject=str(raw.get("subject", "")), attachments=tuple(
                    (str(item["name"]), base64.b64decode(item["data"], validate=True), str(item.get("type", "")))
                    for item in raw.get("attachments", ())
                ))
                for message, raw in zip(messages, push["messages"])
            ]
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            raise InvalidWebhook(f"malformed attachment: {exc!r}") from None


@hookimpl
def xtycore_register_support_channels() -> list[FileOutbox]:
    return [FileOutbox()]
