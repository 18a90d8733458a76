"""Fixtures of the support tests: a shop with two fixture support channels, and pushes signed as they send them."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.admin.conftest import smtp_server, xty_config, xty_make_app  # noqa: F401  (fixtures)
from tests.fixture_plugins.signed_json import SIGNATURE_HEADER, sign
from xtycore.extensions import db
from xtycore.models import SupportTicket, TicketAttachment, TicketMessage
from xtycore.services import capabilities

OUTBOX_PLUGIN = "tests.fixture_plugins.outbox_channel"
FILES_PLUGIN = "tests.support.channels"
SECRET = "mail-robot-secret-0123"
#: 09:30 in Shanghai on 27 November 2026
RECEIVED = datetime(2026, 11, 27, 1, 30, tzinfo=timezone.utc)


def message(id: str, body: str = "我的订单什么时候发货？", sender: str = "mei@example.cn", ticket: str = "",
            **extra: Any) -> dict[str, Any]:
    """One message of a push, as the mail robot writes it."""
    return {"id": id, "from": sender, "body": body, "received_at": RECEIVED.isoformat(), "ticket": ticket, **extra}


def attachment(name: str, data: bytes, content_type: str = "application/octet-stream") -> dict[str, str]:
    return {"name": name, "data": base64.b64encode(data).decode(), "type": content_type}


@dataclass
class Desk:
    """The shop's app with a support channel of each fixture type configured, and its outbox folder."""

    app: Any
    outbox: Path
    #: the mail robot outbox instance (tests.fixture_plugins.outbox_channel)
    instance_id: int
    #: the outbox instance whose pushes carry subjects and attachments (tests.support.channels)
    files_id: int

    def push(self, *messages: dict[str, Any], instance_id: int | None = None, secret: str = SECRET):
        """Post a signed push of ``messages`` to the inbound route, as the robot does; the response."""
        body = json.dumps({"messages": list(messages)}, ensure_ascii=False).encode()
        return self.app.test_client().post(
            f"/support/{instance_id or self.instance_id}/inbound", data=body,
            headers={SIGNATURE_HEADER: sign(body, secret), "Content-Type": "application/json"},
        )

    def letters(self) -> list[dict[str, Any]]:
        """What the outbox channel wrote, oldest first."""
        files = sorted(self.outbox.glob("*.json"), key=lambda path: path.stat().st_mtime_ns)
        return [json.loads(path.read_text(encoding="utf-8")) for path in files]

    def tickets(self) -> list[SupportTicket]:
        return self._rows(select(SupportTicket).order_by(SupportTicket.id))

    def messages(self, reference: str | None = None) -> list[TicketMessage]:
        query = select(TicketMessage).order_by(TicketMessage.id)
        if reference is not None:
            query = query.join(SupportTicket).where(SupportTicket.reference == reference)
        return self._rows(query)

    def attachments(self) -> list[TicketAttachment]:
        return self._rows(select(TicketAttachment).order_by(TicketAttachment.id))

    def stored_files(self) -> list[Path]:
        """Every file under the instance's uploads/support folder."""
        return sorted(path for path in (Path(self.app.instance_path) / "uploads" / "support").glob("**/*")
                      if path.is_file())

    def _rows(self, query) -> list[Any]:
        """The rows ``query`` selects, read afresh and detached, so a test reads them after the request."""
        with self.app.app_context():
            db.session.remove()
            rows = db.session.execute(query).scalars().all()
            db.session.expunge_all()
            return list(rows)


def make_desk(xty_make_app, tmp_path: Path, config: dict[str, Any] | None = None) -> Desk:  # noqa: F811
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    app = xty_make_app(plugins={"support_outbox": OUTBOX_PLUGIN, "support_files": FILES_PLUGIN}, config=config)
    settings = {"outbox_dir": str(outbox), "robot_secret": SECRET}
    with app.app_context():
        instance_id = capabilities.create_instance("support", "fixture_outbox", display_name="客服邮箱",
                                                   settings=settings)
        files_id = capabilities.create_instance("support", "fixture_file_outbox", display_name="附件邮箱",
                                                settings=settings)
    return Desk(app, outbox, instance_id, files_id)


@pytest.fixture
def desk(xty_make_app, tmp_path) -> Desk:  # noqa: F811
    return make_desk(xty_make_app, tmp_path)
