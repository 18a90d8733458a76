"""Plugins and capability instances: the same services as ``xty plugins`` and ``xty capabilities``.

Each change raises the kernel generation (the services do it), so every
worker uses it on its next request, without a restart. Instance settings are
edited through forms drawn from the type's own settings schema
(:mod:`xtycore.admin.forms`); secrets are shown masked and kept when the mask
or nothing is sent back.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from xtycore import vault
from xtycore.admin import bp, page
from xtycore.admin.forms import field_errors, form_fields, form_values, parse_form, redisplayed
from xtycore.admin.permissions import requires
from xtycore.domain.errors import InvalidSettings, PluginError, UnknownCapability
from xtycore.extensions import db
from xtycore.kernel import get_kernel
from xtycore.models import CapabilityInstance, PluginFailure, PluginState
from xtycore.registry import KINDS, CapabilityType
from xtycore.services import audit, capabilities
from xtycore.services.plugins import set_enabled

#: failures shown per plugin
RECENT_FAILURES = 5


# --------------------------------------------------------------------------
# plugins
# --------------------------------------------------------------------------


def _failures_by_plugin() -> dict[str, list[PluginFailure]]:
    # one statement: the latest failures of every plugin, grouped here
    rows = db.session.execute(select(PluginFailure).order_by(PluginFailure.id.desc()).limit(200)).scalars()
    grouped: dict[str, list[PluginFailure]] = {}
    for row in rows:
        if len(grouped.setdefault(row.plugin, [])) < RECENT_FAILURES:
            grouped[row.plugin].append(row)
    return grouped


@bp.route("/plugins")
@requires("plugins.manage")
def plugins():
    kernel = get_kernel()
    records = sorted(kernel.plugins.records.values(), key=lambda r: (not r.builtin, r.name))
    types = {r.name: [(kind, t) for kind in KINDS for t in kernel.registry.all_types(kind) if t.plugin == r.name]
             for r in records}
    return page("plugins.html", records=records, enabled=kernel.plugins.is_enabled, types=types,
                failures=_failures_by_plugin(), kinds=KINDS)


def _plugin_state(session: Any, name: str) -> dict[str, Any]:
    row = session.get(PluginState, name)
    return {"enabled": bool(row and row.enabled)}


@bp.route("/plugins/<name>/enabled", methods=["POST"])
@requires("plugins.manage")
def plugin_enabled(name: str):
    enabled = request.form.get("enabled") == "1"
    try:
        with audit.recorded("plugin.enable" if enabled else "plugin.disable", "plugin", name,
                            before=_plugin_state(db.session, name), after=lambda s: _plugin_state(s, name)):
            changed = set_enabled(name, enabled, actor=f"staff:{audit.current_email()}")
    except PluginError as exc:
        flash(str(exc), "error")
    else:
        if changed:
            flash(_("%(name)s is enabled.", name=name) if enabled else _("%(name)s is disabled.", name=name))
    return redirect(url_for(".plugins"))


# --------------------------------------------------------------------------
# capability instances
# --------------------------------------------------------------------------


def instance_view(row: CapabilityInstance | None, schema: Any) -> dict[str, Any] | None:
    """An instance as the audit log keeps it: secrets masked."""
    if row is None:
        return None
    return {"id": row.id, "kind": row.kind, "type_code": row.type_code, "display_name": row.display_name,
            "enabled": row.enabled, "sort_order": row.sort_order,
            "settings": vault.masked(schema, row.settings or {}, current_app.secret_key)}


@bp.route("/capabilities")
@requires("plugins.manage")
def capability_list():
    registry = get_kernel().registry
    kinds = [(kind, registry.types(kind.name), registry.instances(kind.name, include_disabled=True))
             for kind in KINDS.values()]
    return page("capabilities.html", kinds=kinds)


def _type_or_404(kind: str, code: str) -> CapabilityType:
    try:
        return get_kernel().registry.type(kind, code)
    except UnknownCapability:
        abort(404)


def _labels() -> tuple[str, int, dict[str, list[str]]]:
    """Display name and sort order from the form, with their problems."""
    errors: dict[str, list[str]] = {}
    name = request.form.get("display_name", "").strip()
    if not name:
        errors["display_name"] = [_("Missing data for required field.")]
    try:
        sort_order = int(request.form.get("sort_order") or 0)
    except ValueError:
        errors["sort_order"] = [_("Not a valid integer.")]
        sort_order = 0
    return name, sort_order, errors


@bp.route("/capabilities/<kind>/<type_code>/new", methods=["GET", "POST"])
@requires("plugins.manage")
def capability_new(kind: str, type_code: str):
    ctype = _type_or_404(kind, type_code)
    schema = ctype.schema()
    values, errors = form_values(schema, {}), {}
    labels = {"display_name": ctype.name, "sort_order": "0"}
    if request.method == "POST":
        name, sort_order, errors = _labels()
        labels = {"display_name": name, "sort_order": request.form.get("sort_order", "0")}
        settings = parse_form(schema, request.form)
        if not errors:
            try:
                with audit.recorded("capability.create", "capability", "", after=lambda s: instance_view(
                        (audit.created(s, CapabilityInstance) or [None])[0], schema)):
                    capabilities.create_instance(kind, type_code, display_name=name, settings=settings,
                                                 enabled=request.form.get("enabled") == "on", sort_order=sort_order)
            except InvalidSettings as exc:
                errors = field_errors(exc.errors)
            else:
                flash(_("%(name)s is configured.", name=name))
                return redirect(url_for(".capability_list"))
        values = redisplayed(schema, request.form, {})
    return page("capability_form.html", 422 if errors else 200, ctype=ctype, fields=form_fields(schema),
                values=values, errors=errors, labels=labels, row=None)


def _row_or_404(instance_id: int) -> tuple[CapabilityInstance, CapabilityType]:
    row = db.session.get(CapabilityInstance, instance_id)
    if row is None:
        abort(404)
    return row, _type_or_404(row.kind, row.type_code)


@bp.route("/capabilities/<int:instance_id>", methods=["GET", "POST"])
@requires("plugins.manage")
def capability_edit(instance_id: int):
    row, ctype = _row_or_404(instance_id)
    schema = ctype.schema()
    stored = vault.unseal(schema, row.settings or {}, current_app.secret_key)
    values, errors = form_values(schema, stored), {}
    labels = {"display_name": row.display_name, "sort_order": str(row.sort_order)}
    if request.method == "POST":
        name, sort_order, errors = _labels()
        labels = {"display_name": name, "sort_order": request.form.get("sort_order", "0")}
        if not errors:
            try:
                with audit.recorded("capability.update", "capability", instance_id,
                                    before=instance_view(row, schema),
                                    after=lambda s: instance_view(s.get(CapabilityInstance, instance_id), schema)):
                    capabilities.update_instance(instance_id, settings=parse_form(schema, request.form),
                                                 display_name=name, sort_order=sort_order)
            except InvalidSettings as exc:
                errors = field_errors(exc.errors)
            else:
                flash(_("%(name)s is saved.", name=name))
                return redirect(url_for(".capability_edit", instance_id=instance_id))
        values = redisplayed(schema, request.form, stored)
    return page("capability_form.html", 422 if errors else 200, ctype=ctype, fields=form_fields(schema),
                values=values, errors=errors, labels=labels, row=row)


@bp.route("/capabilities/<int:instance_id>/enabled", methods=["POST"])
@requires("plugins.manage")
def capability_enabled(instance_id: int):
    row, ctype = _row_or_404(instance_id)
    schema, enabled = ctype.schema(), request.form.get("enabled") == "1"
    with audit.recorded("capability.enable" if enabled else "capability.disable", "capability", instance_id,
                        before=instance_view(row, schema),
                        after=lambda s: instance_view(s.get(CapabilityInstance, instance_id), schema)):
        capabilities.set_instance_enabled(instance_id, enabled)
    flash(_("Enabled.") if enabled else _("Disabled."))
    return redirect(url_for(".capability_list"))


@bp.route("/capabilities/<int:instance_id>/delete", methods=["POST"])
@requires("plugins.manage")
def capability_delete(instance_id: int):
    row, ctype = _row_or_404(instance_id)
    with audit.recorded("capability.delete", "capability", instance_id, before=instance_view(row, ctype.schema())):
        capabilities.delete_instance(instance_id)
    flash(_("Deleted."))
    return redirect(url_for(".capability_list"))
