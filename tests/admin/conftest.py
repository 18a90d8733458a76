"""Fixtures of the back-office tests: cheap hashing, staff of every role, signed-in clients."""

from __future__ import annotations

from typing import Any, Callable

import pytest

# a real SMTP server, and rate-limit counters forgotten after each test
from tests.accounts.conftest import Inbox, SmtpServer, smtp_server, xty_make_app  # noqa: F401
from tests.accounts.helpers import free_port
from xtycore.domain.staff import StaffRole
from xtycore.services import staff as staff_service

CHEAP = {"PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_COST": 1024, "PASSWORD_HASH_PARALLELISM": 1}
PASSWORD = "correct horse battery"


@pytest.fixture
def xty_config():
    # nothing listens on MAIL_PORT unless a test starts `smtp_server`
    # English pages unless a test asks for Chinese (?lang=zh_CN), so assertions read the msgids
    return {**CHEAP, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": free_port(), "MAIL_TIMEOUT": 5, "SHOP_LOCALE": "en"}


def email_of(role: StaffRole | str) -> str:
    return f"{StaffRole(role).value.replace('_', '-')}@shop.test"


@pytest.fixture
def make_staff(xty_app) -> Callable[..., Any]:
    """``make_staff(role)`` -> the id of a new active account of that role (password :data:`PASSWORD`)."""

    def make(role: StaffRole | str, email: str | None = None) -> int:
        with xty_app.app_context():
            return staff_service.create_staff(email or email_of(role), PASSWORD, role=role).id

    return make


def sign_in(client, email: str, password: str = PASSWORD):
    return client.post("/admin/login", data={"email": email, "password": password})


def staff_client(app, role: StaffRole | str, email: str | None = None) -> tuple[int, Any]:
    """A new account of ``role`` and a test client signed in as it: ``(staff id, client)``."""
    with app.app_context():
        staff_id = staff_service.create_staff(email or email_of(role), PASSWORD, role=role).id
    client = app.test_client()
    assert sign_in(client, email or email_of(role)).status_code == 302
    return staff_id, client


@pytest.fixture
def owner_client(xty_app, make_staff):
    make_staff(StaffRole.OWNER)
    client = xty_app.test_client()
    assert sign_in(client, email_of(StaffRole.OWNER)).status_code == 302
    return client


BANK_PLUGIN = "tests.fixture_plugins.bank_transfer"
BANK_SETTINGS = {"bank_name": "招商银行深圳分行", "account_name": "小甜园商贸有限公司", "account_number": "7559 0012 3456 789",
                 "notify_secret": "bank-notify-secret-abcdef0123"}


@pytest.fixture
def bank_app(xty_make_app):  # noqa: F811
    """An app with the fixture bank-transfer gateway enabled and one configured instance of it."""
    from xtycore.services import capabilities

    app = xty_make_app(plugins={"bank_transfer": BANK_PLUGIN})
    with app.app_context():
        app.config["XTY_TEST_BANK_INSTANCE"] = capabilities.create_instance(
            "payment", "fixture_bank_transfer", display_name="对公转账", settings=BANK_SETTINGS)
    return app


def db_state(app) -> dict:
    """Every row of the tables the back office can change, to prove a refused request changed nothing."""
    from sqlalchemy import select

    from xtycore.extensions import db
    from xtycore.models import CapabilityInstance, KernelState, PluginState, Setting, Staff
    from xtycore.models.audit import AuditEntry
    from xtycore.models.order_notes import OrderNote
    from xtycore.models.support import SupportTicket, TicketAttachment, TicketMessage

    with app.app_context():
        db.session.remove()
        state = {}
        for model in (CapabilityInstance, KernelState, PluginState, Setting, Staff, AuditEntry, OrderNote,
                      SupportTicket, TicketMessage, TicketAttachment):
            rows = db.session.execute(select(model)).scalars().all()
            state[model.__tablename__] = sorted(
                repr(sorted((c.key, repr(getattr(row, c.key))) for c in model.__table__.columns)) for row in rows
            )
        db.session.remove()
        return state
