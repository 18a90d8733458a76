"""Signing in and out, changing one's password, accepting an invitation."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _

from xtycore.admin import bp, page
from xtycore.admin.auth import CSRF_KEY, current_staff, forget, sign_in
from xtycore.admin.permissions import PUBLIC, SIGNED_IN, requires
from xtycore.domain.staff import STAFF_PASSWORD_MIN_LENGTH, StaffError
from xtycore.security import client_address, hit_limits, safe_next_url
from xtycore.services import audit
from xtycore.services import staff as staff_service


def _limits() -> str:
    return current_app.config["ACCOUNT_LOGIN_LIMITS"]


def _signed_in_as(staff) -> None:
    sign_in(staff)
    audit.set_actor(staff.id, staff.email, client_address())


@bp.route("/login", methods=["GET", "POST"])
@requires(PUBLIC)
def login():
    next_url = safe_next_url(request.values.get("next"))
    if current_staff() is not None:
        return redirect(next_url or url_for(".dashboard"))
    email, error = "", None
    if request.method == "POST":
        hit_limits("staff-login-address", _limits(), client_address())
        email = request.form.get("email", "").strip().lower()
        if email:
            hit_limits("staff-login-account", _limits(), email)
        try:
            staff = staff_service.verify_staff(email, request.form.get("password", ""))
        except staff_service.StaffDisabled:
            error = _("This staff account is disabled.")
        except staff_service.InvalidStaffCredentials:
            error = _("Wrong email or password.")
        else:
            _signed_in_as(staff)
            audit.record_now("staff.sign_in", "staff", staff.id)
            return redirect(next_url or url_for(".dashboard"))
    return page("login.html", 422 if error else 200, email=email, error=error, next=next_url)


@bp.route("/logout", methods=["POST"])
@requires(SIGNED_IN)
def logout():
    audit.record_now("staff.sign_out", "staff", current_staff().id)
    forget()
    session.pop(CSRF_KEY, None)
    flash(_("You are signed out."))
    return redirect(url_for(".login"))


def _new_password_problem() -> str | None:
    new, again = request.form.get("new_password", ""), request.form.get("new_password_confirm", "")
    if new != again:
        return _("The two new passwords differ.")
    if len(new) < STAFF_PASSWORD_MIN_LENGTH:
        return _("A staff password needs at least %(count)d characters.", count=STAFF_PASSWORD_MIN_LENGTH)
    return None


@bp.route("/password", methods=["GET", "POST"])
@requires(SIGNED_IN)
def change_password():
    staff = current_staff()
    errors: dict[str, str] = {}
    if request.method == "POST":
        hit_limits("staff-password-change", _limits(), str(staff.id))
        problem = _new_password_problem()
        if problem:
            errors["new_password"] = problem
        else:
            try:
                with audit.recorded("staff.change_password", "staff", staff.id):
                    staff_service.change_password(staff, request.form.get("current_password", ""),
                                                  request.form["new_password"])
            except staff_service.InvalidStaffCredentials:
                errors["current_password"] = _("The current password is wrong.")
            except StaffError as exc:
                errors["new_password"] = str(exc)
            else:
                sign_in(staff)  # a new session key: the other sessions of this account end
                flash(_("Your password is changed. Other sessions of your account are signed out."))
                return redirect(url_for(".dashboard"))
    return page("password.html", 422 if errors else 200, errors=errors, min_length=STAFF_PASSWORD_MIN_LENGTH)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@requires(PUBLIC)
def accept_invitation(token: str):
    try:
        invitation = staff_service.read_invitation(token)
    except staff_service.InvitationInvalid as exc:
        return page("invitation_invalid.html", 400, reason=str(exc))
    errors: dict[str, str] = {}
    if request.method == "POST":
        hit_limits("staff-invitation", _limits(), client_address())
        problem = _new_password_problem()
        if problem:
            errors["new_password"] = problem
        else:
            audit.set_actor(None, invitation.email, client_address())
            try:
                with audit.recorded("staff.accept_invitation", "staff", "", after=_created_staff):
                    created = staff_service.accept_invitation(token, request.form["new_password"])
            except staff_service.InvitationInvalid as exc:
                return page("invitation_invalid.html", 400, reason=str(exc))
            except StaffError as exc:
                errors["new_password"] = str(exc)
            else:
                _signed_in_as(created)
                flash(_("Welcome! Your staff account is ready."))
                return redirect(url_for(".dashboard"))
    return page("invitation.html", 422 if errors else 200, invitation=invitation, errors=errors,
                min_length=STAFF_PASSWORD_MIN_LENGTH)


def _created_staff(session):
    from xtycore.models.staff import Staff

    created = audit.created(session, Staff)
    return staff_service.public_view(created[0]) if created else None
