import logging
import re
import time
from urllib.parse import urlsplit

import pytest
from itsdangerous.timed import TimestampSigner

from tests.accounts.helpers import PASSWORD, login, signed_up

NEW_PASSWORD = "brand new secret 7"


def ask_for_reset(client, email="mei@example.cn"):
    return client.post("/account/reset", data={"email": email})


def reset_link(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"http://shop\.test(/account/reset/\S+)", body)
    assert match, body
    return match.group(1)


def choose_password(client, path, password=NEW_PASSWORD):
    return client.post(path, data={"password": password, "password_confirm": password})


def test_the_reset_mail_arrives_with_a_link_that_sets_a_new_password_once(mail_app, smtp_server):
    signed_up(mail_app.test_client())
    client = mail_app.test_client()
    page = ask_for_reset(client, email="MEI@example.cn")
    assert page.status_code == 200
    [message] = smtp_server.inbox.messages
    assert message["To"] == "mei@example.cn"
    assert message["From"] == "noreply@localhost"
    assert "重置密码" in message["Subject"]
    path = reset_link(message)

    form = client.get(path)
    assert form.status_code == 200 and "mei@example.cn" in form.get_data(as_text=True)
    assert form.headers["Referrer-Policy"] == "no-referrer"
    done = choose_password(client, path)
    assert done.status_code == 302 and done.headers["Location"] == "/account/login"
    assert login(mail_app.test_client(), password=PASSWORD).status_code == 422
    assert login(mail_app.test_client(), password=NEW_PASSWORD).status_code == 302

    again = choose_password(mail_app.test_client(), path, password="yet another one 9")
    assert again.status_code == 400
    assert "无效或已使用" in again.get_data(as_text=True)
    assert login(mail_app.test_client(), password=NEW_PASSWORD).status_code == 302
    notices = [m["Subject"] for m in smtp_server.inbox.messages[1:]]
    assert len(notices) == 1 and "密码已修改" in notices[0]


def test_a_reset_link_expires_after_an_hour(mail_app, smtp_server, monkeypatch):
    signed_up(mail_app.test_client())
    ask_for_reset(mail_app.test_client())
    path = reset_link(smtp_server.inbox.messages[0])
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) + 3600 + 2)
    client = mail_app.test_client()
    response = client.get(path)
    assert response.status_code == 400
    assert "已过期" in response.get_data(as_text=True)
    assert choose_password(client, path).status_code == 400
    monkeypatch.undo()
    assert login(mail_app.test_client(), password=PASSWORD).status_code == 302, "the password did not change"


def test_the_page_after_a_request_is_identical_for_unknown_addresses_and_no_mail_is_sent(mail_app, smtp_server):
    signed_up(mail_app.test_client(), email="known@example.cn")
    known = ask_for_reset(mail_app.test_client(), email="known@example.cn").get_data(as_text=True)
    unknown = ask_for_reset(mail_app.test_client(), email="unknown@example.cn").get_data(as_text=True)
    assert known.replace("known@example.cn", "X") == unknown.replace("unknown@example.cn", "X")
    assert [m["To"] for m in smtp_server.inbox.messages] == ["known@example.cn"]


def test_when_the_mail_server_is_down_the_page_claims_nothing_and_the_error_is_logged(xty_app, caplog):
    signed_up(xty_app.test_client())
    with caplog.at_level(logging.ERROR, logger="xtycore.account"):
        response = ask_for_reset(xty_app.test_client())
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "如果" in html and "已发送" not in html
    [record] = [r for r in caplog.records if r.name == "xtycore.account"]
    assert "could not be sent" in record.getMessage()


@pytest.mark.parametrize("token", ["nonsense", "eyJpZCI6MX0.ZZZZ.forged"])
def test_a_forged_reset_link_is_refused(xty_client, token):
    response = xty_client.get(f"/account/reset/{token}")
    assert response.status_code == 400
    assert "无效" in response.get_data(as_text=True)


def test_a_reset_also_signs_out_every_open_session(mail_app, smtp_server):
    browser = mail_app.test_client()
    signed_up(browser)
    ask_for_reset(mail_app.test_client())
    choose_password(mail_app.test_client(), reset_link(smtp_server.inbox.messages[0]))
    assert browser.get("/account/").status_code == 302


def test_an_invalid_new_password_is_refused_and_the_link_still_works(mail_app, smtp_server):
    signed_up(mail_app.test_client())
    ask_for_reset(mail_app.test_client())
    path = reset_link(smtp_server.inbox.messages[0])
    refused = choose_password(mail_app.test_client(), path, password="short")
    assert refused.status_code == 422 and 'id="f-password-error"' in refused.get_data(as_text=True)
    assert choose_password(mail_app.test_client(), path).status_code == 302


def test_the_reset_link_uses_the_configured_external_url(mail_app, smtp_server):
    signed_up(mail_app.test_client())
    ask_for_reset(mail_app.test_client())
    body = smtp_server.inbox.messages[0].get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://\S+", body).group(0)
    assert urlsplit(link).netloc == "shop.test"
