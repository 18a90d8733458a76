"""Themes: list, preview without activating, activate, edit the active theme's settings."""

from __future__ import annotations

from flask import flash, make_response, redirect, request, url_for
from flask_babel import gettext as _

from xtycore.admin import bp, page, preview
from xtycore.admin.auth import current_staff
from xtycore.admin.forms import field_errors, form_fields, form_values, parse_form, redisplayed
from xtycore.admin.permissions import requires
from xtycore.domain.errors import InvalidSettings
from xtycore.models import Setting
from xtycore.services import audit
from xtycore.themes import (
    ACTIVE_THEME_KEY, SETTINGS_KEY_PREFIX, ThemeError, activate_theme, active_theme_name, get_themes,
    save_theme_settings, theme_settings,
)


@bp.route("/themes")
@requires("themes.manage")
def themes():
    manager = get_themes()
    listed = [(theme, manager.activation_error(theme.name)) for theme in sorted(manager.themes.values(),
                                                                                key=lambda t: t.name)]
    return page("themes.html", themes=listed, active=active_theme_name(), previewing=preview.previewed_theme(),
                problems=manager.problems)


@bp.route("/themes/<name>/activate", methods=["POST"])
@requires("themes.manage")
def theme_activate(name: str):
    before = {"active": active_theme_name()}
    try:
        with audit.recorded("theme.activate", "theme", name, before=before,
                            after=lambda s: {"active": s.get(Setting, ACTIVE_THEME_KEY).value}):
            activate_theme(name)
    except ThemeError as exc:
        flash(str(exc), "error")
    else:
        flash(_("%(name)s is now the active theme.", name=name))
    return redirect(url_for(".themes"))


@bp.route("/themes/<name>/preview", methods=["POST"])
@requires("themes.manage")
def theme_preview(name: str):
    reason = get_themes().activation_error(name) if name in get_themes() else _("No such theme.")
    if reason:
        flash(reason, "error")
        return redirect(url_for(".themes"))
    response = make_response(redirect(url_for("storefront.home")))
    preview.start(response, name, current_staff().id)
    return response


@bp.route("/themes/preview/end", methods=["POST"])
@requires("themes.manage")
def theme_preview_end():
    response = make_response(redirect(url_for(".themes")))
    preview.stop(response)
    return response


@bp.route("/themes/settings", methods=["GET", "POST"])
@requires("themes.manage")
def theme_settings_form():
    name = active_theme_name()
    schema = get_themes().settings_schema(name)()
    current = theme_settings(name)
    values, errors = form_values(schema, current), {}
    if request.method == "POST":
        key = SETTINGS_KEY_PREFIX + name
        try:
            with audit.recorded("theme.settings", "theme", name, before=current,
                                after=lambda s: s.get(Setting, key).value):
                save_theme_settings(name, parse_form(schema, request.form))
        except InvalidSettings as exc:
            errors = field_errors(exc.errors)
            values = redisplayed(schema, request.form, current)
        else:
            flash(_("Theme settings saved."))
            return redirect(url_for(".theme_settings_form"))
    return page("theme_settings.html", 422 if errors else 200, theme=get_themes().get(name),
                fields=form_fields(schema), values=values, errors=errors)
