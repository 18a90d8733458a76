"""Staff accounts: invite, change roles, disable (owners and managers, within their rank)."""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from xtycore.admin import bp, page
from xtycore.admin.auth import current_staff
from xtycore.admin.permissions import requires
from xtycore.domain.staff import ROLE_DESCRIPTIONS, StaffError, StaffRole, may_manage
from xtycore.services import audit
from xtycore.services import staff as staff_service
from xtycore.services.mail import MailError, send_mail

log = logging.getLogger("xtycore.admin")


def _grantable() -> list[StaffRole]:
    actor = current_staff()
    return [role for role in StaffRole if may_manage(actor.role, role)]


def _snapshot(staff_id: int):
    return lambda session: staff_service.public_view(session.get(staff_service.Staff, staff_id))


@bp.route("/staff")
@requires("staff.manage")
def staff_list():
    return page("staff.html", accounts=staff_service.list_staff(), grantable=_grantable(),
                descriptions=ROLE_DESCRIPTIONS, may_manage=may_manage)


@bp.route("/staff/invite", methods=["POST"])
@requires("staff.manage")
def staff_invite():
    actor = current_staff()
    email, role = request.form.get("email", ""), request.form.get("role", "")
    try:
        invitation, token = staff_service.invite(actor, email, role, request.form.get("display_name", ""))
    except StaffError as exc:
        flash(_(str(exc)), "error")
        return redirect(url_for(".staff_list"))
    link = url_for(".accept_invitation", token=token, _external=True)
    body = render_template("admin/email/invitation.txt", invitation=invitation, inviter=actor, link=link,
                           hours=staff_service.INVITATION_MAX_AGE // 3600)
    subject, _blank, text = body.partition("\n\n")
    try:
        send_mail(invitation.email, subject.removeprefix("Subject:").strip(), text.strip() + "\n")
    except MailError:
        log.exception("invitation mail to %s could not be sent", invitation.email)
        flash(_("The invitation mail could not be sent; check the mail settings and try again."), "error")
        return redirect(url_for(".staff_list"))
    audit.record_now("staff.invite", "staff", invitation.email,
                     after={"email": invitation.email, "role": invitation.role.value})
    flash(_("Invitation sent to %(email)s.", email=invitation.email))
    return redirect(url_for(".staff_list"))


@bp.route("/staff/<int:staff_id>/role", methods=["POST"])
@requires("staff.manage")
def staff_role(staff_id: int):
    target = staff_service.get_staff(staff_id)
    if target is None:
        return page("404.html", 404)
    try:
        with audit.recorded("staff.change_role", "staff", staff_id, before=staff_service.public_view(target),
                            after=_snapshot(staff_id)):
            staff_service.change_role(current_staff(), staff_id, request.form.get("role", ""))
    except StaffError as exc:
        flash(_(str(exc)), "error")
    else:
        flash(_("Role changed."))
    return redirect(url_for(".staff_list"))


@bp.route("/staff/<int:staff_id>/active", methods=["POST"])
@requires("staff.manage")
def staff_active(staff_id: int):
    target = staff_service.get_staff(staff_id)
    if target is None:
        return page("404.html", 404)
    active = request.form.get("active") == "1"
    try:
        with audit.recorded("staff.enable" if active else "staff.disable", "staff", staff_id,
                            before=staff_service.public_view(target), after=_snapshot(staff_id)):
            staff_service.set_active(current_staff(), staff_id, active)
    except StaffError as exc:
        flash(_(str(exc)), "error")
    else:
        flash(_("Account enabled.") if active else _("Account disabled."))
    return redirect(url_for(".staff_list"))
