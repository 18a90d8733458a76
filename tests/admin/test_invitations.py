"""The owner invites staff by email (a real SMTP server); the invitee sets a password; roles and disabling."""

from __future__ import annotations

import re

import pytest
from itsdangerous import URLSafeTimedSerializer

from tests.admin.conftest import PASSWORD, email_of, sign_in, staff_client
from xtycore.domain.staff import StaffRole
from xtycore.extensions import db
from xtycore.models import Staff
from xtycore.models.audit import AuditEntry
from xtycore.services import staff as staff_service

NEW_PASSWORD = "my own long password"


@pytest.fixture
def mail_app(xty_make_app, smtp_server):
    return xty_make_app(config=smtp_server.config)


def owner_of(app) -> tuple:
    return staff_client(app, StaffRole.OWNER)


def invitation_link(message) -> str:
    return re.search(r"http://shop\.test(/admin/invitation/\S+)", message.get_content()).group(1)


def test_an_invitation_is_mailed_and_the_invitee_sets_a_password_and_is_signed_in(mail_app, smtp_server):
    _owner_id, owner = owner_of(mail_app)
    form = {"email": "Lin@Shop.test", "role": "order_clerk", "display_name": "小林"}
    sent = owner.post("/admin/staff/invite", data=form)
    assert sent.status_code == 302
    assert "Invitation sent to lin@shop.test" in owner.get("/admin/staff").get_data(as_text=True)
    [message] = smtp_server.inbox.messages
    assert message["To"] == "lin@shop.test" and "invited" in message["Subject"]
    assert "as Order clerk" in message.get_content()
    link = invitation_link(message)

    invitee = mail_app.test_client()
    form = invitee.get(link)
    assert form.status_code == 200 and "lin@shop.test" in form.get_data(as_text=True)
    mismatch = invitee.post(link, data={"new_password": NEW_PASSWORD, "new_password_confirm": "other"})
    assert mismatch.status_code == 422
    accepted = invitee.post(link, data={"new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD})
    assert accepted.status_code == 302 and accepted.headers["Location"] == "/admin/"
    assert invitee.get("/admin/").status_code == 200
    assert invitee.get("/admin/plugins").status_code == 403, "an order clerk does not manage plugins"
    with mail_app.app_context():
        row = db.session.query(Staff).filter_by(email="lin@shop.test").one()
        assert (row.role, row.display_name, row.is_active) == ("order_clerk", "小林", True)
        actions = {e.action: e for e in db.session.query(AuditEntry)}
        assert actions["staff.invite"].after == {"email": "lin@shop.test", "role": "order_clerk"}
        assert actions["staff.accept_invitation"].object_id == str(row.id)
        assert actions["staff.accept_invitation"].staff_email == "lin@shop.test"
    again = mail_app.test_client().get(link)
    assert again.status_code == 400 and "accepted already" in again.get_data(as_text=True)


def test_an_expired_or_forged_invitation_is_refused(mail_app, smtp_server, monkeypatch):
    _owner_id, owner = owner_of(mail_app)
    owner.post("/admin/staff/invite", data={"email": "late@shop.test", "role": "finance"})
    link = invitation_link(smtp_server.inbox.messages[0])
    monkeypatch.setattr(staff_service, "INVITATION_MAX_AGE", -1)
    expired = mail_app.test_client().post(link, data={"new_password": NEW_PASSWORD,
                                                      "new_password_confirm": NEW_PASSWORD})
    assert expired.status_code == 400 and "expired" in expired.get_data(as_text=True)
    forged_token = URLSafeTimedSerializer("not the shop's key", salt=staff_service.INVITATION_SALT).dumps(
        {"e": "evil@shop.test", "r": "owner", "n": "", "b": 1})
    forged = mail_app.test_client().get(f"/admin/invitation/{forged_token}")
    assert forged.status_code == 400
    with mail_app.app_context():
        assert db.session.query(Staff).count() == 1


def test_an_invitation_dies_with_its_senders_right_to_grant_it(mail_app, smtp_server):
    owner_id, owner = owner_of(mail_app)
    with mail_app.app_context():
        manager = staff_service.create_staff("boss@shop.test", PASSWORD, role="manager")
        _invitation, token = staff_service.invite(manager, "helper@shop.test", "catalogue_editor")
        staff_service.change_role(db.session.get(Staff, owner_id), manager.id, "read_only")
    refused = mail_app.test_client().get(f"/admin/invitation/{token}")
    assert refused.status_code == 400 and "can no longer grant it" in refused.get_data(as_text=True)


def test_a_failed_mail_is_reported_and_nothing_is_recorded(xty_app, make_staff):
    make_staff(StaffRole.OWNER)
    client = xty_app.test_client()
    sign_in(client, email_of(StaffRole.OWNER))
    client.post("/admin/staff/invite", data={"email": "lost@shop.test", "role": "read_only"})
    assert "could not be sent" in client.get("/admin/staff").get_data(as_text=True)
    with xty_app.app_context():
        assert db.session.query(AuditEntry).filter_by(action="staff.invite").count() == 0


def test_a_manager_cannot_invite_an_owner_or_touch_an_owner(mail_app, smtp_server):
    owner_id, _owner = owner_of(mail_app)
    with mail_app.app_context():
        staff_service.create_staff("boss@shop.test", PASSWORD, role="manager")
    manager = mail_app.test_client()
    sign_in(manager, "boss@shop.test")
    manager.post("/admin/staff/invite", data={"email": "coup@shop.test", "role": "owner"})
    manager.post(f"/admin/staff/{owner_id}/role", data={"role": "read_only"})
    manager.post(f"/admin/staff/{owner_id}/active", data={"active": "0"})
    assert "your role may not manage this account" in manager.get("/admin/staff").get_data(as_text=True)
    assert smtp_server.inbox.messages == []
    with mail_app.app_context():
        owner = db.session.get(Staff, owner_id)
        assert (owner.role, owner.is_active) == ("owner", True)


def make_owner_actor() -> Staff:
    """An owner as an actor object, not saved: only its role and id matter to the service."""
    return Staff(id=0, role="owner", email="actor@shop.test", is_active=True)


def test_the_owner_changes_roles_and_disables_staff_but_never_the_last_owner(xty_app, make_staff):
    owner_id = make_staff(StaffRole.OWNER)
    clerk_id = make_staff(StaffRole.ORDER_CLERK)
    client = xty_app.test_client()
    sign_in(client, email_of(StaffRole.OWNER))
    client.post(f"/admin/staff/{clerk_id}/role", data={"role": "finance"})
    client.post(f"/admin/staff/{clerk_id}/active", data={"active": "0"})
    with xty_app.app_context():
        clerk = db.session.get(Staff, clerk_id)
        assert (clerk.role, clerk.is_active) == ("finance", False)
        entry = db.session.query(AuditEntry).filter_by(action="staff.change_role").one()
        assert (entry.before["role"], entry.after["role"]) == ("order_clerk", "finance")
        assert "password_hash" not in entry.before
        owner = db.session.get(Staff, owner_id)
        with pytest.raises(staff_service.LastOwner):
            staff_service.change_role(owner, owner_id, "manager")
        with pytest.raises(staff_service.LastOwner):
            staff_service.set_active(make_owner_actor(), owner_id, False)
        staff_service.create_staff("partner@shop.test", PASSWORD, role="owner")
    client.post(f"/admin/staff/{owner_id}/role", data={"role": "manager"})
    with xty_app.app_context():
        assert db.session.get(Staff, owner_id).role == "manager", "with a second owner the first may step down"
        second = db.session.query(Staff).filter_by(email="partner@shop.test").one()
        with pytest.raises(staff_service.LastOwner):
            staff_service.change_role(second, second.id, "read_only")


def test_two_owners_demoting_each_other_at_once_leave_one_owner(xty_app, make_staff):
    import threading

    first, second = make_staff(StaffRole.OWNER, "a@shop.test"), make_staff(StaffRole.OWNER, "b@shop.test")
    barrier, outcomes = threading.Barrier(2), []

    def demote(actor_id: int, target_id: int) -> None:
        with xty_app.app_context():
            actor = db.session.get(Staff, actor_id)
            barrier.wait()
            try:
                staff_service.change_role(actor, target_id, "manager")
                outcomes.append("demoted")
            except staff_service.StaffError as exc:
                outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=demote, args=pair) for pair in ((first, second), (second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with xty_app.app_context():
        owners = db.session.query(Staff).filter_by(role="owner", is_active=True).count()
    assert owners == 1
    assert sorted(outcomes) in (["LastOwner", "demoted"], ["NotAllowed", "demoted"])
