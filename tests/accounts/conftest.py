"""Fixtures of the account tests: cheap password hashing, an SMTP server that keeps what it receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from tests.accounts.helpers import free_port
from xtycore.security import reset_rate_limits

#: argon2id at its cheapest, so the suite stays fast; tests/accounts/test_passwords.py checks real costs.
FAST_HASHING = {"PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_COST": 1024, "PASSWORD_HASH_PARALLELISM": 1}


@pytest.fixture
def xty_config():
    # nothing listens on MAIL_PORT unless a test starts `smtp_server`: notices fail open
    return {**FAST_HASHING, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": free_port(), "MAIL_TIMEOUT": 5}


@pytest.fixture
def xty_make_app(xty_make_app):
    """The kernel's factory, and afterwards every rate-limit counter of the apps made is forgotten
    (memory storage dies with its app; Redis storage would carry counts into the next test)."""
    made = []

    def make(*args, **kwargs):
        app = xty_make_app(*args, **kwargs)
        made.append(app)
        return app

    yield make
    for app in made:
        reset_rate_limits(app)


@dataclass
class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    inbox: Inbox

    @property
    def config(self) -> dict:
        return {"MAIL_SERVER": self.host, "MAIL_PORT": self.port}


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1, on a port chosen now."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, inbox)
    finally:
        controller.stop()


@pytest.fixture
def mail_app(xty_make_app, smtp_server):
    return xty_make_app(config=smtp_server.config)
