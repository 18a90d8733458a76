"""The error monitor: unhandled exceptions grouped and counted in the database, secrets kept out,
recording that never changes the 500 page, resolving and reopening, pruning, and its screens."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from tests.accounts.helpers import signed_up
from tests.admin.conftest import email_of, staff_client
from tests.schema import schema_differences
from xtycore import __version__
from xtycore.domain.staff import StaffRole, parse_role
from xtycore.extensions import db, transaction
from xtycore.models import ErrorEvent, PluginFailure
from xtycore.models.audit import AuditEntry
from xtycore.services import errors
from xtycore.services.orders import aware

TABLE = ErrorEvent.__tablename__
SECRETS = ("s3cr3t-sign", "tok-9f8e7d", "hunter2-pass", "key-abc", "path-token-77")


def add_failing_routes(app) -> None:
    """Test-only routes that end in a 500, registered before the app serves its first request."""

    @app.route("/_test/boom", methods=["GET", "POST"])
    def boom():
        raise RuntimeError("the kettle boiled dry")

    @app.route("/_test/boom/<token>")
    def boom_with_token(token: str):
        raise RuntimeError("the kettle boiled dry")

    # two views failing in the same kernel function are one group: the culprit is the kernel's frame
    @app.route("/_test/role/a")
    def role_a():
        parse_role("tea-master")

    @app.route("/_test/role/b")
    def role_b():
        parse_role("tea-master")


@pytest.fixture
def make_failing_app(xty_make_app):
    def make(**config):
        app = xty_make_app(config={"PROPAGATE_EXCEPTIONS": False, **config})
        add_failing_routes(app)
        return app

    return make


@pytest.fixture
def app(make_failing_app):
    return make_failing_app()


def groups(app) -> list[ErrorEvent]:
    with app.app_context():
        db.session.remove()
        rows = db.session.execute(select(ErrorEvent).order_by(ErrorEvent.id)).scalars().all()
        db.session.expunge_all()
        return rows


def occurrence(culprit: str = "xtycore/web/storefront.py:home", message: str = "boom") -> errors.Occurrence:
    return errors.Occurrence("RuntimeError", culprit, message, "Traceback (most recent call last):\n")


def record(app, *args, now: datetime | None = None, **kwargs) -> int:
    with app.app_context():
        return errors.record(occurrence(*args, **kwargs), now=now)


def audit_entries(app) -> list[AuditEntry]:
    with app.app_context():
        db.session.remove()
        rows = db.session.execute(select(AuditEntry).where(AuditEntry.object_type == "error_event")
                                  .order_by(AuditEntry.id)).scalars().all()
        db.session.expunge_all()
        return rows


# --------------------------------------------------------------------------
# recording
# --------------------------------------------------------------------------


def test_a_view_that_raises_is_one_group_counted_twice_after_two_requests(app):
    client = app.test_client()
    first = client.get("/_test/boom")
    second = client.get("/_test/boom")
    assert first.status_code == second.status_code == 500
    [group] = groups(app)
    assert group.count == 2 and group.status == "open"
    assert group.error_type == "RuntimeError" and group.message == "the kettle boiled dry"
    assert group.culprit == "tests/admin/test_error_monitor.py:add_failing_routes.<locals>.boom"
    assert (group.method, group.path, group.endpoint) == ("GET", "/_test/boom", "boom")
    assert group.version == __version__ and group.customer_id is None and group.staff_id is None
    assert group.first_seen <= group.last_seen
    assert 'raise RuntimeError("the kettle boiled dry")' in group.traceback


def test_failures_in_the_same_kernel_function_from_two_views_are_one_group(app):
    client = app.test_client()
    assert client.get("/_test/role/a").status_code == 500
    assert client.get("/_test/role/b").status_code == 500
    [group] = groups(app)
    assert group.error_type == "xtycore.domain.staff.StaffError"
    assert group.culprit == "xtycore/domain/staff.py:parse_role"
    assert (group.count, group.endpoint) == (2, "role_b")


def test_a_handled_error_and_a_plain_404_are_not_recorded(app):
    client = app.test_client()
    assert client.get("/no-such-page").status_code == 404
    assert client.get("/admin/errors").status_code == 302  # signed out: sent to sign in
    assert groups(app) == []


def test_secret_query_values_path_tokens_bodies_and_cookies_are_never_stored(app):
    client = app.test_client()
    client.set_cookie("session_extra", SECRETS[3])
    query = f"?q=longjing&sign={SECRETS[0]}&access_token={SECRETS[1]}&Password={SECRETS[2]}"
    assert client.post(f"/_test/boom{query}", data={"card": SECRETS[3]}).status_code == 500
    assert client.get(f"/_test/boom/{SECRETS[4]}").status_code == 500
    posted, with_token = groups(app)
    assert posted.method == "POST" and posted.path.startswith("/_test/boom?q=longjing&sign=%5Bfiltered%5D&")
    assert with_token.path == "/_test/boom/[filtered]"
    stored = " ".join(str(getattr(group, c.key)) for group in (posted, with_token)
                      for c in ErrorEvent.__table__.columns)
    assert not [secret for secret in SECRETS if secret in stored]
    with app.app_context():
        group = errors.occurrence_of(RuntimeError("x"))  # outside a request: nothing of one
    assert (group.method, group.path) == ("", "")


def test_the_query_keeps_harmless_parameters_and_marks_the_filtered_ones(app):
    with app.test_request_context(f"/search?q=龙井&page=2&sign={SECRETS[0]}&api_key={SECRETS[3]}"):
        path = errors.safe_path()
    assert path.startswith("/search?q=%E9%BE%99%E4%BA%95&page=2&sign=%5Bfiltered%5D&api_key=%5Bfiltered%5D")
    assert SECRETS[0] not in path and SECRETS[3] not in path


def test_the_signed_in_customer_and_staff_member_are_recorded_by_id(app):
    staff_id, client = staff_client(app, StaffRole.MANAGER)
    signed_up(client, email="mei@example.cn")
    assert client.get("/_test/boom").status_code == 500
    [group] = groups(app)
    with app.app_context():
        from xtycore.models import Customer

        customer_id = db.session.execute(select(Customer.id)).scalar_one()
    assert (group.staff_id, group.customer_id) == (staff_id, customer_id)


def test_a_recording_failure_leaves_the_500_page_as_it_was_and_only_logs(app, monkeypatch, caplog):
    client = app.test_client()
    recorded = client.get("/_test/boom")

    def database_down(*args, **kwargs):
        raise OperationalError("INSERT INTO xty_error_event …", {}, ConnectionRefusedError("database is down"))

    monkeypatch.setattr(errors, "record", database_down)
    failed = client.get("/_test/boom")
    assert (failed.status_code, failed.get_data()) == (recorded.status_code, recorded.get_data())
    assert "could not record the unhandled RuntimeError" in caplog.text
    assert [g.count for g in groups(app)] == [1]


def test_the_original_error_still_propagates_when_recording_fails(make_failing_app, monkeypatch):
    app = make_failing_app(PROPAGATE_EXCEPTIONS=True)
    monkeypatch.setattr(errors, "record", lambda *a, **k: 1 / 0)
    with pytest.raises(RuntimeError, match="the kettle boiled dry"):
        app.test_client().get("/_test/boom")


def test_a_group_seen_again_keeps_its_first_time_and_takes_the_latest_request(app):
    early = datetime(2026, 3, 1, 2, 0, tzinfo=timezone.utc)
    group_id = record(app, message="first", now=early)
    assert record(app, message="second", now=early + timedelta(hours=3)) == group_id
    assert record(app, message="late commit", now=early + timedelta(hours=1)) == group_id
    [group] = groups(app)
    assert group.count == 3 and group.message == "late commit"
    assert aware(group.first_seen) == early
    assert aware(group.last_seen) == early + timedelta(hours=3)


def test_only_the_groups_seen_most_recently_are_kept(make_failing_app):
    app = make_failing_app(ERROR_MONITOR_MAX_GROUPS=3)
    start = datetime(2026, 3, 1, tzinfo=timezone.utc)
    for minute in range(5):
        record(app, f"xtycore/example.py:f{minute}", now=start + timedelta(minutes=minute))
    assert [g.culprit for g in groups(app)] == ["xtycore/example.py:f2", "xtycore/example.py:f3",
                                                "xtycore/example.py:f4"]
    record(app, "xtycore/example.py:f2", now=start + timedelta(minutes=9))  # seen again: now the newest
    record(app, "xtycore/example.py:f5", now=start + timedelta(minutes=10))
    assert [g.culprit for g in groups(app)] == ["xtycore/example.py:f2", "xtycore/example.py:f4",
                                                "xtycore/example.py:f5"]


def test_two_apps_failing_at_once_count_every_occurrence(make_failing_app):
    """Two applications (two workers with their own connection pools) on one database, racing."""
    apps = [make_failing_app(), make_failing_app()]
    hits = 15
    barrier = threading.Barrier(len(apps))
    answers: list[int] = []

    def worker(app) -> None:
        client = app.test_client()
        barrier.wait(timeout=60)
        answers.extend(client.get("/_test/boom").status_code for _ in range(hits))

    threads = [threading.Thread(target=worker, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert answers == [500] * hits * len(apps)
    [group] = groups(apps[0])
    assert group.count == hits * len(apps)


def test_the_migrated_table_matches_the_model(app):
    with app.app_context():
        assert schema_differences({TABLE}) == []


# --------------------------------------------------------------------------
# the screens
# --------------------------------------------------------------------------


def test_the_exceptions_list_shows_counts_on_the_shops_clock_and_filters_by_status(app):
    record(app, "xtycore/a.py:tea", now=datetime(2026, 3, 1, 16, 30, tzinfo=timezone.utc))
    record(app, "xtycore/a.py:tea", message="<b>kettle</b>", now=datetime(2026, 3, 1, 17, 0, tzinfo=timezone.utc))
    resolved = record(app, "xtycore/b.py:cups")
    with app.app_context():
        errors.resolve(resolved, staff_email="owner@shop.test")
    _id, client = staff_client(app, StaffRole.OWNER)
    html = client.get("/admin/errors").get_data(as_text=True)
    assert "1 exception groups" in html and "xtycore/a.py:tea" in html and "xtycore/b.py:cups" not in html
    assert "2026-03-02 00:30" in html and "2026-03-02 01:00" in html  # first and last seen in Asia/Shanghai
    assert '<td class="number error-count">2</td>' in html
    assert "&lt;b&gt;kettle&lt;/b&gt;" in html and "<b>kettle" not in html
    html = client.get("/admin/errors?status=resolved").get_data(as_text=True)
    assert "xtycore/b.py:cups" in html and "xtycore/a.py:tea" not in html
    html = client.get("/admin/errors?status=all").get_data(as_text=True)
    assert "2 exception groups" in html


def test_the_exceptions_list_is_paged_by_the_shared_pager(app):
    start = datetime(2026, 3, 1, tzinfo=timezone.utc)
    for index in range(errors.PAGE_SIZE + 1):
        record(app, f"xtycore/many.py:f{index:03d}", now=start + timedelta(seconds=index))
    _id, client = staff_client(app, StaffRole.OWNER)
    first = client.get("/admin/errors").get_data(as_text=True)
    assert "xtycore/many.py:f050" in first and "xtycore/many.py:f000" not in first
    assert 'href="?page=2"' in first
    second = client.get("/admin/errors?page=2").get_data(as_text=True)
    assert "xtycore/many.py:f000" in second and "xtycore/many.py:f050" not in second


def test_plugin_failures_are_listed_newest_first_and_filtered_by_plugin(app):
    with app.app_context(), transaction() as session:
        session.add_all([
            PluginFailure(plugin="alipay", call="refund", policy="closed", error_type="httpx.ConnectTimeout",
                          message="timed out", traceback="Traceback … <alipay>"),
            PluginFailure(plugin="sf_express", call="slot:product.after_price", policy="open",
                          error_type="builtins.KeyError", message="'weight'"),
        ])
    _id, client = staff_client(app, StaffRole.MANAGER)
    html = client.get("/admin/errors?tab=plugins").get_data(as_text=True)
    assert "2 plugin failures" in html and html.index("sf_express</td>") < html.index("alipay</td>")
    assert "ConnectTimeout: timed out" in html and "&lt;alipay&gt;" in html
    html = client.get("/admin/errors?tab=plugins&plugin=alipay").get_data(as_text=True)
    assert "1 plugin failures" in html and "slot:product.after_price" not in html


def test_the_detail_page_shows_the_escaped_traceback_and_the_request(app):
    client = app.test_client()
    client.get("/_test/boom?q=<script>alert(1)</script>")
    [group] = groups(app)
    _id, staff = staff_client(app, StaffRole.OWNER)
    html = staff.get(f"/admin/errors/{group.id}").get_data(as_text=True)
    assert '<pre class="traceback">Traceback (most recent call last):' in html
    assert "<script>alert(1)</script>" not in html
    assert "GET /_test/boom?q=%3Cscript%3Ealert%281%29%3C%2Fscript%3E" in html
    assert "Mark resolved" in html
    assert staff.get("/admin/errors/999999").status_code == 404


def test_resolving_is_audited_refused_twice_and_a_new_occurrence_reopens_the_group(app):
    client = app.test_client()
    client.get("/_test/boom")
    [group] = groups(app)
    _id, owner = staff_client(app, StaffRole.OWNER)
    response = owner.post(f"/admin/errors/{group.id}/resolve")
    assert response.status_code == 302
    [resolved] = groups(app)
    assert (resolved.status, resolved.resolved_by) == ("resolved", email_of(StaffRole.OWNER))
    [entry] = audit_entries(app)
    assert (entry.action, entry.object_id, entry.staff_email) == ("error.resolve", str(group.id),
                                                                  email_of(StaffRole.OWNER))
    assert (entry.before["status"], entry.after["status"], entry.after["count"]) == ("open", "resolved", 1)

    again = owner.post(f"/admin/errors/{group.id}/resolve")
    assert again.status_code == 422 and "This error is resolved already." in again.get_data(as_text=True)
    assert len(audit_entries(app)) == 1

    client.get("/_test/boom")
    [reopened] = groups(app)
    assert (reopened.status, reopened.count, reopened.resolved_by, reopened.resolved_at) == ("open", 2, "", None)


@pytest.mark.parametrize("role", list(StaffRole), ids=[r.value for r in StaffRole])
def test_only_operations_view_opens_the_monitor_and_a_refused_resolve_changes_nothing(app, role):
    group_id = record(app)
    _id, client = staff_client(app, role)
    allowed = role in (StaffRole.OWNER, StaffRole.MANAGER)
    before = [(g.status, g.count, g.resolved_by) for g in groups(app)]
    pages = [client.get("/admin/errors"), client.get(f"/admin/errors/{group_id}"),
             client.get("/admin/errors?tab=plugins")]
    assert [p.status_code for p in pages] == ([200] * 3 if allowed else [403] * 3)
    menu = client.get("/admin/").get_data(as_text=True)
    assert ('href="/admin/errors"' in menu) is allowed
    if not allowed:
        assert client.post(f"/admin/errors/{group_id}/resolve").status_code == 403
        assert [(g.status, g.count, g.resolved_by) for g in groups(app)] == before
        assert audit_entries(app) == []


def test_the_dashboard_counts_open_groups_of_the_last_24_hours_for_operations_staff(app):
    now = datetime.now(timezone.utc)
    record(app, "xtycore/a.py:recent", now=now - timedelta(hours=1))
    record(app, "xtycore/a.py:old", now=now - timedelta(hours=30))
    done = record(app, "xtycore/a.py:resolved", now=now - timedelta(hours=2))
    with app.app_context():
        errors.resolve(done, staff_email="owner@shop.test")
    _id, manager = staff_client(app, StaffRole.MANAGER)
    assert 'id="open-errors">1<' in manager.get("/admin/").get_data(as_text=True)
    _id, editor = staff_client(app, StaffRole.CATALOGUE_EDITOR)
    assert 'id="open-errors"' not in editor.get("/admin/").get_data(as_text=True)


def test_the_monitor_speaks_chinese(app):
    record(app)
    _id, client = staff_client(app, StaffRole.OWNER)
    html = client.get("/admin/errors?lang=zh_CN").get_data(as_text=True)
    assert "错误" in html and "异常" in html and "插件故障" in html
