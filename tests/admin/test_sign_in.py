"""Staff sign in apart from customers, with argon2id, rate limits, CSRF and a fresh session."""

from __future__ import annotations

import re

from tests.accounts.helpers import register
from tests.admin.conftest import PASSWORD, email_of, sign_in
from xtycore.admin.auth import GUARD_KEY, SESSION_KEY
from xtycore.domain.staff import StaffRole
from xtycore.extensions import db, transaction
from xtycore.models import Staff
from xtycore.models.audit import AuditEntry


def test_a_staff_member_signs_in_and_out_and_the_dashboard_needs_a_session(xty_app, make_staff):
    make_staff(StaffRole.OWNER)
    client = xty_app.test_client()
    assert client.get("/admin/").headers["Location"].startswith("/admin/login?next=/admin/")
    response = client.post("/admin/login", data={"email": "OWNER@shop.test ", "password": PASSWORD,
                                                 "next": "/admin/audit"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/audit"
    assert client.get("/admin/").status_code == 200
    assert client.post("/admin/logout").headers["Location"] == "/admin/login"
    assert client.get("/admin/").status_code == 302
    with xty_app.app_context():
        actions = [e.action for e in db.session.query(AuditEntry).order_by(AuditEntry.id)]
    assert actions == ["staff.sign_in", "staff.sign_out"]


def test_wrong_passwords_unknown_emails_and_disabled_accounts_do_not_sign_in(xty_app, make_staff):
    staff_id = make_staff(StaffRole.FINANCE)
    client = xty_app.test_client()
    wrong = sign_in(client, email_of(StaffRole.FINANCE), PASSWORD + "x")
    unknown = sign_in(client, "nobody@shop.test")
    assert wrong.status_code == unknown.status_code == 422
    assert wrong.get_data(as_text=True).count("Wrong email or password") == 1
    with xty_app.app_context(), transaction():
        db.session.get(Staff, staff_id).is_active = False
    refused = sign_in(client, email_of(StaffRole.FINANCE))
    assert refused.status_code == 422 and "disabled" in refused.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_an_account_disabled_while_signed_in_is_signed_out_at_its_next_request(xty_app, make_staff):
    staff_id = make_staff(StaffRole.CATALOGUE_EDITOR)
    client = xty_app.test_client()
    sign_in(client, email_of(StaffRole.CATALOGUE_EDITOR))
    assert client.get("/admin/").status_code == 200
    with xty_app.app_context(), transaction():
        db.session.get(Staff, staff_id).is_active = False
    assert client.get("/admin/").status_code == 302
    with client.session_transaction() as session:
        assert SESSION_KEY not in session


def test_a_customer_and_a_staff_member_are_signed_in_at_once_in_one_browser(xty_app, make_staff):
    make_staff(StaffRole.OWNER)
    client = xty_app.test_client()
    assert register(client).status_code == 302
    assert client.get("/account/").status_code == 200
    assert sign_in(client, email_of(StaffRole.OWNER)).status_code == 302
    assert client.get("/account/").status_code == 200
    assert client.get("/admin/").status_code == 200
    client.post("/admin/logout")
    assert client.get("/account/").status_code == 200, "signing the staff member out kept the customer"
    assert client.get("/admin/").status_code == 302


def test_a_customer_session_never_reaches_the_back_office(xty_app, make_staff):
    make_staff(StaffRole.OWNER, email="mei@example.cn")
    client = xty_app.test_client()
    register(client, email="mei@example.cn")
    assert client.get("/admin/").status_code == 302


def test_signing_in_starts_a_fresh_session_against_fixation(xty_app, make_staff):
    make_staff(StaffRole.OWNER)
    client = xty_app.test_client()
    with client.session_transaction() as session:
        session[SESSION_KEY] = "staff:999:planted"
        session["csrf_token"] = "planted-by-an-attacker"
        session["_xty_staff_nonce"] = "planted"
    sign_in(client, email_of(StaffRole.OWNER))
    with client.session_transaction() as session:
        assert session[SESSION_KEY].startswith("staff:") and "planted" not in session[SESSION_KEY]
        assert session.get("csrf_token") != "planted-by-an-attacker"
        assert session["_xty_staff_nonce"] != "planted"


def test_a_session_cookie_replayed_from_another_browser_is_refused(xty_app, make_staff):
    make_staff(StaffRole.OWNER)
    client = xty_app.test_client()
    client.post("/admin/login", data={"email": email_of(StaffRole.OWNER), "password": PASSWORD},
                headers={"User-Agent": "Firefox"})
    assert client.get("/admin/", headers={"User-Agent": "Firefox"}).status_code == 200
    assert client.get("/admin/", headers={"User-Agent": "Stolen"}).status_code == 302
    with client.session_transaction() as session:
        assert GUARD_KEY not in session


def test_changing_my_password_ends_my_other_sessions_and_keeps_this_one(xty_app, make_staff):
    make_staff(StaffRole.MANAGER)
    here, elsewhere = xty_app.test_client(), xty_app.test_client()
    sign_in(here, email_of(StaffRole.MANAGER))
    sign_in(elsewhere, email_of(StaffRole.MANAGER))
    form = {"current_password": "not it at all", "new_password": "n" * 14, "new_password_confirm": "n" * 14}
    refused = here.post("/admin/password", data=form)
    assert refused.status_code == 422 and "current password is wrong" in refused.get_data(as_text=True)
    short = here.post("/admin/password", data={"current_password": PASSWORD, "new_password": "short",
                                               "new_password_confirm": "short"})
    assert short.status_code == 422
    changed = here.post("/admin/password", data={"current_password": PASSWORD, "new_password": "a new long secret",
                                                 "new_password_confirm": "a new long secret"})
    assert changed.status_code == 302
    assert here.get("/admin/").status_code == 200
    assert elsewhere.get("/admin/").status_code == 302
    fresh = xty_app.test_client()
    assert sign_in(fresh, email_of(StaffRole.MANAGER), "a new long secret").status_code == 302
    with xty_app.app_context():
        row = db.session.query(Staff).filter_by(email=email_of(StaffRole.MANAGER)).one()
        assert row.password_hash.startswith("$argon2id$")
        entry = db.session.query(AuditEntry).filter_by(action="staff.change_password").one()
        assert "argon2" not in repr((entry.before, entry.after))


def test_sign_in_attempts_are_rate_limited_per_address(xty_make_app, make_staff):
    app = xty_make_app(config={"ACCOUNT_LOGIN_LIMITS": "3 per minute"})
    client = app.test_client()
    statuses = [sign_in(client, f"guess{i}@shop.test", "whatever password").status_code for i in range(4)]
    assert statuses == [422, 422, 422, 429]
    assert "Too many attempts" in sign_in(client, "x@shop.test").get_data(as_text=True)


def test_the_sign_in_form_needs_its_csrf_token(xty_make_app):
    app = xty_make_app(config={"WTF_CSRF_ENABLED": True})
    client = app.test_client()
    with app.app_context():
        from xtycore.services import staff
        staff.create_staff(email_of(StaffRole.OWNER), PASSWORD, role="owner")
    without = sign_in(client, email_of(StaffRole.OWNER))
    assert without.status_code == 400
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    ok = client.post("/admin/login", data={"email": email_of(StaffRole.OWNER), "password": PASSWORD,
                                           "csrf_token": token})
    assert ok.status_code == 302
    dashboard = client.get("/admin/").get_data(as_text=True)
    new_token = re.search(r'name="csrf_token" value="([^"]+)"', dashboard).group(1)
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 400, "the old token was rotated"
    assert client.post("/admin/logout", data={"csrf_token": new_token}).status_code == 302
