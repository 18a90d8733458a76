"""Staff accounts: invite, change roles, disable (owners and managers, within their rank)."""

from __future__ import annotations

import logging

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _

from xtycore.admin import bp, page, role_label
from xtycore.admin.auth import current_staff
from xtycore.admin.permissions import requires
from xtycore.domain.staff import StaffError, StaffRole, may_manage
from xtycore.models.staff import Staff
from xtycore.services import audit
from xtycore.services import staff as staff_service
from xtycore.services.mail import MailError, send_mail

log = logging.getLogger("xtycore.admin")


def _grantable() -> list[StaffRole]:
    actor = current_staff()
    return [role for role in StaffRole if may_manage(actor.role, role)]


def _snapshot(staff_id: int):
    return lambda session: staff_service.public_view(session.get(Staff, staff_id))


def invitation_mail(invitation: staff_service.Invitation, inviter: Staff, link: str) -> tuple[str, str]:
    """Subject and plain-text body of an invitation, in the inviter's language."""
    shop = current_app.config["SHOP_NAME"]
    subject = _("You are invited to run %(shop)s", shop=shop)
    paragraphs = (
        _("%(name)s invites you to join the staff of %(shop)s as %(role)s.", name=inviter.display_name, shop=shop,
          role=role_label(invitation.role)),
        _("Set your password here (the link works for %(hours)d hours, once):",
          hours=staff_service.INVITATION_MAX_AGE // 3600) + "\n" + link,
        _("If you did not expect this, ignore this mail."),
    )
    return subject, "\n\n".join(paragraphs) + "\n"


@bp.route("/staff")
@requires("staff.manage")
def staff_list():
    return page("staff.html", accounts=staff_service.list_staff(), grantable=_grantable(), may_manage=may_manage)


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
    subject, body = invitation_mail(invitation, actor, url_for(".accept_invitation", token=token, _external=True))
    try:
        send_mail(invitation.email, subject, body)
    except MailError:
        log.exception("invitation mail to %s could not be sent", invitation.email)
        flash(_("The invitation mail could not be sent; check the mail settings and try again."), "error")
        return redirect(url_for(".staff_list"))
    audit.record_now("staff.invite", "staff", invitation.email,
                     after={"email": invitation.email, "role": invitation.role.value})
    flash(_("Invitation sent to %(email)s.", email=invitation.email))
    return redirect(url_for(".staff_list"))


def _change_account(staff_id: int, action: str, change, done: str):
    """Apply ``change(actor)`` to an account, audited; a refusal is flashed and nothing changes."""
    target = staff_service.get_staff(staff_id)
    if target is None:
        return page("404.html", 404)
    try:
        with audit.recorded(action, "staff", staff_id, before=staff_service.public_view(target),
                            after=_snapshot(staff_id)):
            change(current_staff())
    except StaffError as exc:
        flash(_(str(exc)), "error")
    else:
        flash(done)
    return redirect(url_for(".staff_list"))


@bp.route("/staff/<int:staff_id>/role", methods=["POST"])
@requires("staff.manage")
def staff_role(staff_id: int):
    role = request.form.get("role", "")
    return _change_account(staff_id, "staff.change_role",
                           lambda actor: staff_service.change_role(actor, staff_id, role), _("Role changed."))


@bp.route("/staff/<int:staff_id>/active", methods=["POST"])
@requires("staff.manage")
def staff_active(staff_id: int):
    active = request.form.get("active") == "1"
    return _change_account(staff_id, "staff.enable" if active else "staff.disable",
                           lambda actor: staff_service.set_active(actor, staff_id, active),
                           _("Account enabled.") if active else _("Account disabled."))
