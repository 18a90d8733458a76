"""The ticket inbox in headless Chromium: a support agent on a 375 px phone answers a ticket and solves it."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.admin.browser import BROWSER_CONFIG, browser, fits, live_shop, shopper, staff_page  # noqa: F401
from tests.fixture_plugins.signed_json import SIGNATURE_HEADER, sign
from tests.support.conftest import OUTBOX_PLUGIN, SECRET, message
from xtycore.extensions import db
from xtycore.models import SupportTicket
from xtycore.services import capabilities
from xtycore.services.plugins import set_enabled


@pytest.fixture
def xty_config():
    return {**BROWSER_CONFIG, "EXTRA_PLUGINS": {"support_outbox": OUTBOX_PLUGIN}}


def test_a_support_agent_answers_a_ticket_from_the_inbox_and_solves_it_on_a_phone(
        live_shop, staff_page, tmp_path):  # noqa: F811
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    with live_shop.app.app_context():
        set_enabled("support_outbox", True, actor="tests")
        instance_id = capabilities.create_instance("support", "fixture_outbox", display_name="客服邮箱",
                                                   settings={"outbox_dir": str(outbox), "robot_secret": SECRET})
    body = json.dumps({"messages": [message("M-1", body="我的龙井什么时候发货？")]}).encode()
    pushed = live_shop.app.test_client().post(f"/support/{instance_id}/inbound", data=body,
                                              headers={SIGNATURE_HEADER: sign(body, SECRET)})
    assert pushed.status_code == 200
    page = staff_page("agent@shop.test", "support_agent", "客服小李")
    page.goto(live_shop("/admin/tickets"))
    page.get_by_role("link", name="TK", exact=False).click()
    expect(page.locator(".message-inbound .message-body")).to_have_text("我的龙井什么时候发货？")
    assert fits(page)
    page.get_by_label("回复（通过 客服邮箱 发送给 mei@example.cn）").fill("您好，今天下午发顺丰。")
    page.get_by_role("button", name="发送回复").click()
    expect(page.get_by_role("status")).to_contain_text("回复已发送")
    expect(page.locator(".message-outbound .delivery")).to_contain_text("已于")
    expect(page.locator(".ticket-status")).to_have_text("等待客户回复")
    page.get_by_role("button", name="标记为已解决").click()
    expect(page.get_by_role("status")).to_contain_text("工单已解决")
    expect(page.locator(".ticket-status")).to_have_text("已解决")
    assert fits(page)
    [letter] = [json.loads(path.read_text(encoding="utf-8")) for path in outbox.glob("*.json")]
    with live_shop.app.app_context():
        db.session.remove()
        ticket = db.session.execute(db.select(SupportTicket)).scalar_one()
        assert (ticket.status, letter["ticket"], letter["body"]) == ("solved", ticket.reference, "您好，今天下午发顺丰。")
