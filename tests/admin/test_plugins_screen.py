"""Plugins and capability instances managed from the back office, through the CLI's services."""

from __future__ import annotations

import pytest

from tests.admin.conftest import BANK_PLUGIN, BANK_SETTINGS, staff_client
from xtycore.domain.staff import StaffRole
from xtycore.extensions import db, transaction
from xtycore.kernel import get_kernel
from xtycore.models import CapabilityInstance, KernelState, PluginFailure
from xtycore.models.audit import AuditEntry
from xtycore.state import current_generation


@pytest.fixture
def owner(bank_app):
    return staff_client(bank_app, StaffRole.OWNER)[1]


def generation(app) -> int:
    with app.app_context():
        return db.session.get(KernelState, 1).generation


def test_the_plugins_page_lists_every_plugin_with_version_state_and_recent_errors(bank_app, owner):
    with bank_app.app_context(), transaction() as session:
        session.add(PluginFailure(plugin="bank_transfer", call="payment:fixture_bank_transfer.refund",
                                  policy="closed", error_type="builtins.RuntimeError", message="bank is down <b>"))
    html = owner.get("/admin/plugins").get_data(as_text=True)
    assert "xtycore.normalize" in html and "built in, always on" in html
    assert 'id="plugin-bank_transfer"' in html and "Bank transfer (对公转账)" in html
    assert "RuntimeError: bank is down &lt;b&gt;" in html


def test_a_plugin_is_disabled_and_enabled_again_without_a_restart(bank_app, owner):
    start = generation(bank_app)
    assert owner.post("/admin/plugins/bank_transfer/enabled", data={"enabled": "0"}).status_code == 302
    with bank_app.app_context():
        assert not get_kernel().plugins.is_enabled("bank_transfer")
        assert get_kernel().registry.instances("payment") == []
    assert generation(bank_app) > start
    assert "bank_transfer is disabled" in owner.get("/admin/plugins").get_data(as_text=True)
    owner.post("/admin/plugins/bank_transfer/enabled", data={"enabled": "1"})
    with bank_app.app_context():
        assert get_kernel().plugins.is_enabled("bank_transfer")
        actions = [(e.action, e.before, e.after) for e in db.session.query(AuditEntry).order_by(AuditEntry.id)
                   if e.object_type == "plugin"]
    assert actions == [("plugin.disable", {"enabled": True}, {"enabled": False}),
                       ("plugin.enable", {"enabled": False}, {"enabled": True})]


def test_a_builtin_or_unknown_plugin_cannot_be_switched(bank_app, owner):
    owner.post("/admin/plugins/xtycore.normalize/enabled", data={"enabled": "0"})
    assert "part of the kernel" in owner.get("/admin/plugins").get_data(as_text=True)
    owner.post("/admin/plugins/nope/enabled", data={"enabled": "1"})
    assert "no plugin named" in owner.get("/admin/plugins").get_data(as_text=True)


def test_the_edit_form_masks_the_secret_and_keeps_it_when_the_mask_comes_back(bank_app, owner):
    instance_id = bank_app.config["XTY_TEST_BANK_INSTANCE"]
    html = owner.get(f"/admin/capabilities/{instance_id}").get_data(as_text=True)
    assert 'name="notify_secret" value="••••0123"' in html
    assert BANK_SETTINGS["notify_secret"] not in html
    assert 'name="account_number" value="7559 0012 3456 789"' in html
    start = generation(bank_app)
    saved = owner.post(f"/admin/capabilities/{instance_id}", data={
        **BANK_SETTINGS, "notify_secret": "••••0123", "bank_name": "工商银行", "display_name": "对公转账",
        "sort_order": "2"})
    assert saved.status_code == 302
    assert generation(bank_app) > start
    with bank_app.app_context():
        configured = get_kernel().registry.instance(instance_id)
        assert configured.settings["bank_name"] == "工商银行"
        assert configured.settings["notify_secret"] == BANK_SETTINGS["notify_secret"]
        assert configured.row.sort_order == 2
        entry = db.session.query(AuditEntry).filter_by(action="capability.update").one()
        assert entry.before["settings"]["notify_secret"] == "••••0123"
        assert entry.after["settings"]["notify_secret"] == "••••0123"
        assert (entry.before["settings"]["bank_name"], entry.after["settings"]["bank_name"]) == (
            "招商银行深圳分行", "工商银行")
        assert BANK_SETTINGS["notify_secret"] not in repr((entry.before, entry.after))


def test_invalid_settings_show_the_schema_messages_and_change_nothing(bank_app, owner):
    instance_id = bank_app.config["XTY_TEST_BANK_INSTANCE"]
    start = generation(bank_app)
    refused = owner.post(f"/admin/capabilities/{instance_id}", data={
        **BANK_SETTINGS, "account_number": "abc", "notify_secret": "short", "display_name": "对公转账"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="f-account_number-error">String does not match expected pattern.</p>' in html
    assert 'id="f-notify_secret-error">Shorter than minimum length 16.</p>' in html
    assert 'value="abc"' in html and "short" not in html.split('name="notify_secret"')[1].split(">")[0]
    assert generation(bank_app) == start
    with bank_app.app_context():
        assert db.session.query(AuditEntry).count() == 1  # the sign-in only


def test_an_instance_is_created_from_its_type_form_disabled_and_deleted(bank_app, owner):
    form = owner.get("/admin/capabilities/payment/fixture_bank_transfer/new").get_data(as_text=True)
    assert 'name="notify_secret" value=""' in form and '<span class="required" aria-hidden="true">*</span>' in form
    missing = owner.post("/admin/capabilities/payment/fixture_bank_transfer/new", data={"display_name": ""})
    assert missing.status_code == 422 and missing.get_data(as_text=True).count("Missing data for required") >= 1
    created = owner.post("/admin/capabilities/payment/fixture_bank_transfer/new",
                         data={**BANK_SETTINGS, "display_name": "备用账户", "enabled": "on"})
    assert created.status_code == 302
    with bank_app.app_context():
        row = db.session.query(CapabilityInstance).filter_by(display_name="备用账户").one()
        new_id = row.id
        assert row.settings["notify_secret"].startswith("enc:v1:")
        entry = db.session.query(AuditEntry).filter_by(action="capability.create").one()
        assert entry.object_id == str(new_id) and entry.after["settings"]["notify_secret"].startswith("••••")
    listing = owner.get("/admin/capabilities").get_data(as_text=True)
    assert "备用账户" in listing and BANK_SETTINGS["notify_secret"] not in listing
    owner.post(f"/admin/capabilities/{new_id}/enabled", data={"enabled": "0"})
    with bank_app.app_context():
        assert [i.id for i in get_kernel().registry.instances("payment")] == [
            bank_app.config["XTY_TEST_BANK_INSTANCE"]]
    owner.post(f"/admin/capabilities/{new_id}/delete")
    with bank_app.app_context():
        assert db.session.get(CapabilityInstance, new_id) is None
        deleted = db.session.query(AuditEntry).filter_by(action="capability.delete").one()
        assert deleted.before["display_name"] == "备用账户" and deleted.after is None


def test_an_unknown_type_or_instance_is_not_found(bank_app, owner):
    assert owner.get("/admin/capabilities/payment/nope/new").status_code == 404
    assert owner.get("/admin/capabilities/99999").status_code == 404
    assert owner.post("/admin/capabilities/99999/delete").status_code == 404


def test_a_change_in_one_worker_is_seen_by_another_without_restart(bank_app, owner, xty_make_app):
    other_worker = xty_make_app(plugins={"bank_transfer": BANK_PLUGIN}, enable=False)
    instance_id = bank_app.config["XTY_TEST_BANK_INSTANCE"]
    with other_worker.app_context():
        assert get_kernel().registry.instance(instance_id).display_name == "对公转账"
    owner.post(f"/admin/capabilities/{instance_id}", data={**BANK_SETTINGS, "display_name": "银行转账"})
    with other_worker.app_context():
        assert current_generation() > 1
        assert get_kernel().registry.instance(instance_id).display_name == "银行转账"
