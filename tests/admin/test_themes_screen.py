"""Themes from the back office: preview in one staff browser only, activate, edit settings through the schema form."""

from __future__ import annotations

from tests.admin.conftest import staff_client
from xtycore.admin.preview import COOKIE, preview_cookie
from xtycore.domain.staff import StaffRole
from xtycore.extensions import db
from xtycore.models.audit import AuditEntry
from xtycore.themes import active_theme_name, theme_settings


def theme_of(response) -> str:
    html = response.get_data(as_text=True)
    return "garden" if "/_theme/garden/" in html else "default" if "/_theme/default/" in html else "?"


def test_a_preview_shows_the_theme_to_that_staff_member_only_and_activates_nothing(xty_app):
    owner_id, owner = staff_client(xty_app, StaffRole.OWNER)
    visitor = xty_app.test_client()
    assert theme_of(visitor.get("/")) == "default"
    started = owner.post("/admin/themes/garden/preview")
    assert started.status_code == 302 and started.headers["Location"] == "/"
    previewed = owner.get("/")
    assert theme_of(previewed) == "garden"
    assert previewed.headers["Cache-Control"] == "private, no-store"
    assert theme_of(visitor.get("/")) == "default", "a visitor never gets the previewed page, cached or not"
    assert "You are previewing garden" in owner.get("/admin/themes").get_data(as_text=True)
    with xty_app.app_context():
        assert active_theme_name() == "default"
    owner.post("/admin/themes/preview/end")
    assert theme_of(owner.get("/")) == "default"


def test_a_preview_cookie_is_ignored_without_the_staff_session_and_permission_it_was_made_for(xty_app):
    owner_id, _owner = staff_client(xty_app, StaffRole.OWNER)
    editor_id, editor = staff_client(xty_app, StaffRole.CATALOGUE_EDITOR)
    with xty_app.test_request_context("/"):
        for_owner, for_editor = preview_cookie("garden", owner_id), preview_cookie("garden", editor_id)
    stranger = xty_app.test_client()
    stranger.set_cookie(COOKIE, for_owner)
    assert theme_of(stranger.get("/")) == "default", "the cookie without the owner's session"
    editor.set_cookie(COOKIE, for_editor)
    assert theme_of(editor.get("/")) == "default", "a catalogue editor may not manage themes"
    editor.set_cookie(COOKIE, for_owner)
    assert theme_of(editor.get("/")) == "default", "someone else's cookie"
    forged = xty_app.test_client()
    _id, manager = staff_client(xty_app, StaffRole.MANAGER)
    manager.set_cookie(COOKIE, for_owner[:-3] + "abc")
    assert theme_of(manager.get("/")) == "default"
    assert editor.post("/admin/themes/garden/preview").status_code == 403
    assert forged.get("/").status_code == 200


def test_activating_a_theme_switches_the_shop_and_is_audited(xty_app):
    _id, owner = staff_client(xty_app, StaffRole.OWNER)
    assert owner.post("/admin/themes/garden/activate").status_code == 302
    assert theme_of(xty_app.test_client().get("/")) == "garden"
    with xty_app.app_context():
        entry = db.session.query(AuditEntry).filter_by(action="theme.activate").one()
        assert (entry.before, entry.after, entry.object_id) == ({"active": "default"}, {"active": "garden"}, "garden")
    owner.post("/admin/themes/nope/activate")
    assert "no theme named" in owner.get("/admin/themes").get_data(as_text=True)


def test_the_active_themes_settings_are_edited_through_the_form_drawn_from_theme_toml(xty_app):
    _id, owner = staff_client(xty_app, StaffRole.MANAGER)
    html = owner.get("/admin/themes/settings").get_data(as_text=True)
    assert 'type="color" id="f-primary_color" name="primary_color"' in html
    assert '<option value="rounded" selected>rounded</option>' in html
    assert 'type="number" id="f-content_width" name="content_width" value="1200" min="960" max="1600"' in html
    refused = owner.post("/admin/themes/settings", data={"content_width": "10", "primary_color": "red"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'id="f-content_width-error">Must be greater than or equal to 960 and less than or equal to 1600.' in page
    assert 'id="f-primary_color-error">Not a colour in the form #rrggbb.' in page
    with xty_app.app_context():
        assert theme_settings("default")["content_width"] == 1200
    form = {"content_width": "1400", "primary_color": "#112233", "corner_style": "square", "tagline": "新茶上市"}
    saved = owner.post("/admin/themes/settings", data=form)
    assert saved.status_code == 302
    with xty_app.app_context():
        settings = theme_settings("default")
        assert (settings["content_width"], settings["primary_color"], settings["corner_style"]) == (
            1400, "#112233", "square")
        assert settings["show_banner"] is False, "an unticked checkbox is saved as false"
        entry = db.session.query(AuditEntry).filter_by(action="theme.settings").one()
        assert entry.before["content_width"] == 1200 and entry.after["content_width"] == 1400
