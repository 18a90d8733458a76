"""The audit log: written with the change or not at all, never changed, read with filters."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import insert, update
from sqlalchemy.exc import DBAPIError

from tests.admin.conftest import PASSWORD, email_of, sign_in
from xtycore.domain.staff import StaffRole
from xtycore.extensions import db, transaction
from xtycore.models import Setting
from xtycore.models.audit import AuditEntry, AuditImmutable
from xtycore.services import audit
from xtycore.services import staff as staff_service
from xtycore.state import set_setting


def entry_row(**values) -> dict:
    return {"occurred_at": datetime(2026, 3, 1, 12, tzinfo=timezone.utc), "staff_email": "", "action": "x.y",
            "object_type": "x", "object_id": "1", "ip": "127.0.0.1", **values}


@pytest.fixture
def one_entry(xty_app):
    with xty_app.app_context(), transaction() as session:
        session.execute(insert(AuditEntry), [entry_row()])
    with xty_app.app_context():
        return db.session.query(AuditEntry).one().id


def test_the_orm_refuses_to_change_or_delete_an_entry(xty_app, one_entry):
    with xty_app.app_context():
        with pytest.raises(AuditImmutable), transaction():
            db.session.get(AuditEntry, one_entry).action = "forged"
        with pytest.raises(AuditImmutable), transaction():
            db.session.delete(db.session.get(AuditEntry, one_entry))
        db.session.rollback()
        assert db.session.get(AuditEntry, one_entry).action == "x.y"


def test_the_database_refuses_an_update_statement(xty_app, one_entry):
    with xty_app.app_context():
        with pytest.raises(DBAPIError, match="audit entries cannot be changed"), transaction() as session:
            session.execute(update(AuditEntry).values(action="forged"))
        assert db.session.get(AuditEntry, one_entry).action == "x.y"


def test_the_back_office_has_no_route_that_writes_the_audit_log(xty_app):
    rules = [r for r in xty_app.url_map.iter_rules() if r.rule.startswith("/admin/audit")]
    assert [(r.rule, sorted(r.methods - {"HEAD", "OPTIONS"})) for r in rules] == [("/admin/audit", ["GET"])]


def test_an_entry_commits_with_its_change_and_vanishes_with_a_rolled_back_one(xty_app):
    with xty_app.test_request_context("/admin/"):
        audit.set_actor(None, "tester@shop.test", "10.0.0.1")
        with audit.recorded("setting.change", "setting", "k", before=None,
                            after=lambda s: s.get(Setting, "k").value):
            with transaction():
                set_setting("k", {"v": 1})
        with pytest.raises(RuntimeError), audit.recorded("setting.change", "setting", "k", before={"v": 1}):
            with transaction():
                set_setting("k", {"v": 2})
                raise RuntimeError("the change fails halfway")
        entries = db.session.query(AuditEntry).all()
        assert [(e.action, e.after, e.staff_email, e.ip) for e in entries] == [
            ("setting.change", {"v": 1}, "tester@shop.test", "10.0.0.1")]
        assert db.session.get(Setting, "k").value == {"v": 1}


def test_recording_outside_a_back_office_request_is_refused(xty_app):
    with xty_app.test_request_context("/"), pytest.raises(RuntimeError, match="set_actor"):
        with audit.recorded("x.y", "x", 1):
            pass


def test_the_audit_screen_filters_by_staff_object_type_and_shop_dates(xty_app):
    with xty_app.app_context():
        owner_id = staff_service.create_staff(email_of(StaffRole.OWNER), PASSWORD, role="owner").id
        clerk_id = staff_service.create_staff("clerk@shop.test", PASSWORD, role="read_only").id
        with transaction() as session:
            session.execute(insert(AuditEntry), [
                # 17:30 UTC on 1 March is 01:30 on 2 March in Shanghai
                entry_row(staff_id=owner_id, staff_email="owner@shop.test", action="capability.update",
                          object_type="capability", object_id="7",
                          occurred_at=datetime(2026, 3, 1, 17, 30, tzinfo=timezone.utc),
                          before={"settings": {"key": "••••abcd"}}, after={"name": "<script>x</script>"}),
                entry_row(staff_id=clerk_id, staff_email="clerk@shop.test", action="theme.activate",
                          object_type="theme", object_id="garden",
                          occurred_at=datetime(2026, 3, 1, 10, tzinfo=timezone.utc)),
            ])
    client = xty_app.test_client()
    sign_in(client, email_of(StaffRole.OWNER))

    def actions(query: str) -> list[str]:
        html = client.get(f"/admin/audit?{query}").get_data(as_text=True)
        return [a for a in ("capability.update", "theme.activate") if f"<td>{a}</td>" in html]

    assert actions("") == ["capability.update", "theme.activate"]
    assert actions(f"staff={clerk_id}") == ["theme.activate"]
    assert actions("object_type=capability") == ["capability.update"]
    assert actions("since=2026-03-02") == ["capability.update"]
    assert actions("until=2026-03-01") == ["theme.activate"]
    assert actions("since=2026-03-03") == []
    assert actions("since=not-a-date") == ["capability.update", "theme.activate"]
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "&lt;script&gt;" in html and "<script>x" not in html and "••••abcd" in html
    assert "2026-03-02 01:30" in html
