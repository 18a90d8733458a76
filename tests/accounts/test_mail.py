import logging

import pytest

from xtycore.services.mail import MailError, notify, send_mail


def test_a_message_reaches_the_smtp_server_with_a_chinese_sender_name_and_body(xty_make_app, smtp_server):
    app = xty_make_app(config={**smtp_server.config, "MAIL_DEFAULT_SENDER": "小甜园 <noreply@example.cn>"})
    with app.app_context():
        send_mail("mei@example.cn", "【小甜园】测试", "您好，这是一封测试邮件。\n")
    [message] = smtp_server.inbox.messages
    assert message["From"].addresses[0].display_name == "小甜园"
    assert message["From"].addresses[0].addr_spec == "noreply@example.cn"
    assert message["Subject"] == "【小甜园】测试"
    assert message.get_content().rstrip() == "您好，这是一封测试邮件。"
    assert message["Message-ID"].endswith("@example.cn>")


def test_sending_to_an_unreachable_server_raises_a_mail_error_naming_the_server(xty_app):
    with xty_app.app_context(), pytest.raises(MailError, match=r"could not send mail via 127\.0\.0\.1:\d+"):
        send_mail("mei@example.cn", "subject", "body")


def test_a_notice_fails_open_and_is_logged(xty_app, caplog):
    with xty_app.app_context(), caplog.at_level(logging.ERROR, logger="xtycore.mail"):
        assert notify("mei@example.cn", "subject", "body") is False
    assert any("not sent" in r.getMessage() for r in caplog.records if r.name == "xtycore.mail")
