"""Staff accounts: create, invite, check passwords, change roles, disable, list.

The back office (:mod:`xtycore.admin`) adds sessions, permissions and screens
on top. An invitation is a signed, expiring token (no table): it names the
email, the role and who invited; accepting it creates the account with the
invitee's password, if whoever invited may still grant that role. The last
active owner can be neither demoted nor disabled. Passwords are hashed with :func:`xtycore.security.hash_password`
(argon2id), before any transaction opens: hashing is slow on purpose and must
not hold the write lock. Staff are kept apart from customers
(:mod:`xtycore.models.staff`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from xtycore.domain.staff import (
    N_, StaffError, StaffRole, may_manage, parse_role, password_problem, permissions_of,
)
from xtycore.extensions import db, transaction
from xtycore.models.kernel import utcnow
from xtycore.models.staff import Staff
from xtycore.schemas.accounts import normalise_email
from xtycore.security import burn_verification_time, hash_password, password_needs_rehash, verify_password


class StaffEmailTaken(StaffError):
    pass


class InvalidStaffCredentials(StaffError):
    """Unknown email or wrong password: deliberately one answer for both."""

    customer_message = "账号或密码不正确"


class StaffDisabled(StaffError):
    customer_message = "该员工账号已停用"


class LastOwner(StaffError):
    """The change would leave the shop without an active owner."""


class NotAllowed(StaffError):
    """The acting staff member may not change this account or grant this role."""


class InvitationInvalid(StaffError):
    """The invitation link is forged, expired, already used, or its sender can no longer grant it."""


#: Seconds an invitation link stays valid.
INVITATION_MAX_AGE = 72 * 3600
INVITATION_SALT = "xtycore.staff-invitation"
ALREADY_ACCEPTED = N_("this invitation has been accepted already; sign in instead")


def checked_email(email: str) -> str:
    """``email`` lower-cased; :class:`StaffError` when it is not an address."""
    email = normalise_email(email)
    local, at, domain = email.partition("@")
    if not (local and at and "." in domain) or len(email) > 254 or any(c.isspace() for c in email):
        raise StaffError(f"{email!r} is not an email address")
    return email


def create_staff(email: str, password: str, *, role: StaffRole | str, display_name: str = "") -> Staff:
    """Create an active staff account.

    :raises StaffError: the email is not an address, the role is unknown or the
        password too short (:data:`~xtycore.domain.staff.STAFF_PASSWORD_MIN_LENGTH`).
    :raises StaffEmailTaken: a staff account has this email (compared lower-cased).
    """
    email = checked_email(email)
    local = email.partition("@")[0]
    role = role if isinstance(role, StaffRole) else parse_role(role)
    problem = password_problem(password)
    if problem:
        raise StaffError(problem)
    if find_staff(email) is not None:
        raise StaffEmailTaken(f"a staff account with email {email} exists")
    staff = Staff(
        email=email, display_name=(display_name.strip() or local)[:50], role=role.value,
        password_hash=hash_password(password), is_active=True, created_at=utcnow(),
    )
    try:
        with transaction() as session:
            session.add(staff)
    except IntegrityError:
        if find_staff(email) is not None:  # created meanwhile by another process
            raise StaffEmailTaken(f"a staff account with email {email} exists") from None
        raise
    return staff


def create_first_owner(email: str) -> str | None:
    """Create the shop's first owner with a generated password and return it (show it once);
    None, and nothing created, when any staff account exists already."""
    if db.session.execute(select(func.count()).select_from(Staff)).scalar_one():
        return None
    password = secrets.token_urlsafe(12)
    create_staff(email, password, role=StaffRole.OWNER)
    return password


def find_staff(email: str) -> Staff | None:
    return db.session.execute(select(Staff).where(Staff.email == normalise_email(email))).scalar_one_or_none()


def verify_staff(email: str, password: str) -> Staff:
    """The staff account these credentials belong to; an outdated hash is upgraded.

    :raises InvalidStaffCredentials: no such account, or a wrong password (one answer for both,
        and as slow for both).
    :raises StaffDisabled: the password is right but the account is switched off.
    """
    staff = find_staff(email)
    if staff is None:
        burn_verification_time(password)
        raise InvalidStaffCredentials("no staff account for this email")
    if not verify_password(staff.password_hash, password):
        raise InvalidStaffCredentials(f"wrong password for staff {staff.id}")
    if not staff.is_active:
        raise StaffDisabled(f"staff {staff.id} is disabled")
    if password_needs_rehash(staff.password_hash):
        new_hash = hash_password(password)
        with transaction():
            staff.password_hash = new_hash
    return staff


def list_staff() -> list[Staff]:
    """Every staff account, owners first, then by email."""
    order = {role.value: index for index, role in enumerate(StaffRole)}
    rows = db.session.execute(select(Staff).order_by(Staff.email)).scalars().all()
    return sorted(rows, key=lambda s: order.get(s.role, len(order)))


def get_staff(staff_id: int) -> Staff | None:
    return db.session.get(Staff, staff_id)


def public_view(staff: Staff) -> dict:
    """What the audit log keeps of an account: never the password hash."""
    return {"id": staff.id, "email": staff.email, "display_name": staff.display_name, "role": staff.role,
            "is_active": staff.is_active}


# --------------------------------------------------------------------------
# changing accounts
# --------------------------------------------------------------------------


def _check_may_manage(actor: Staff, target_role: StaffRole | str) -> None:
    if "staff.manage" not in permissions_of(actor.role) or not may_manage(actor.role, target_role):
        raise NotAllowed(N_("your role may not manage this account or grant this role"))


def _others_active_owners(staff_id: int) -> int:
    # every active owner row is locked (the target's too) on PostgreSQL, so two owners demoting each
    # other at once queue and the second sees the first's change; SQLite's writer lock does the same
    ids = db.session.execute(
        select(Staff.id).where(Staff.role == StaffRole.OWNER.value, Staff.is_active.is_(True)).with_for_update()
    ).scalars().all()
    return len([i for i in ids if i != staff_id])


def change_role(actor: Staff, staff_id: int, role: StaffRole | str) -> Staff:
    """Give an account another role.

    :raises NotAllowed: the actor may not manage the account's current role or grant the new one.
    :raises LastOwner: the account is the last active owner and the new role is not owner.
    """
    role = role if isinstance(role, StaffRole) else parse_role(role)
    with transaction():
        target = _target(staff_id)
        _check_may_manage(actor, target.role)
        _check_may_manage(actor, role)
        if target.role == StaffRole.OWNER.value and role is not StaffRole.OWNER and target.is_active \
                and not _others_active_owners(target.id):
            raise LastOwner(N_("the last active owner cannot be given another role; make someone else owner first"))
        target.role = role.value
    return target


def set_active(actor: Staff, staff_id: int, active: bool) -> Staff:
    """Enable or disable an account; a disabled account's sessions end at their next request.

    :raises NotAllowed: the actor may not manage the account, or disables itself.
    :raises LastOwner: the account is the last active owner.
    """
    with transaction():
        target = _target(staff_id)
        _check_may_manage(actor, target.role)
        if not active and target.id == actor.id:
            raise NotAllowed(N_("you cannot disable your own account"))
        if not active and target.role == StaffRole.OWNER.value and not _others_active_owners(target.id):
            raise LastOwner(N_("the last active owner cannot be disabled"))
        target.is_active = active
    return target


def _target(staff_id: int) -> Staff:
    target = db.session.get(Staff, staff_id)
    if target is None:
        raise StaffError(f"no staff account #{staff_id}")
    return target


def change_password(staff: Staff, current_password: str, new_password: str) -> None:
    """Change one's own password; every other session of the account ends.

    :raises InvalidStaffCredentials: ``current_password`` is wrong.
    :raises StaffError: the new password breaks the rules.
    """
    if not verify_password(staff.password_hash, current_password):
        raise InvalidStaffCredentials(f"wrong current password for staff {staff.id}")
    problem = password_problem(new_password)
    if problem:
        raise StaffError(problem)
    new_hash = hash_password(new_password)
    with transaction():
        staff.password_hash = new_hash


# --------------------------------------------------------------------------
# invitations
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    email: str
    role: StaffRole
    display_name: str
    invited_by: int


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=INVITATION_SALT)


def invite(actor: Staff, email: str, role: StaffRole | str, display_name: str = "") -> tuple[Invitation, str]:
    """An invitation and its signed token, valid for :data:`INVITATION_MAX_AGE` seconds.

    Nothing is stored: the token carries the invitation, and accepting it creates the account.

    :raises NotAllowed: the actor may not grant ``role``.
    :raises StaffEmailTaken: a staff account has this email already.
    """
    email = checked_email(email)
    role = role if isinstance(role, StaffRole) else parse_role(role)
    _check_may_manage(actor, role)
    if find_staff(email) is not None:
        raise StaffEmailTaken(f"a staff account with email {email} exists")
    invitation = Invitation(email, role, display_name.strip()[:50], actor.id)
    token = _serializer().dumps({"e": email, "r": role.value, "n": invitation.display_name, "b": actor.id})
    return invitation, token


def read_invitation(token: str) -> Invitation:
    """The invitation a token carries, if it can still be accepted.

    :raises InvitationInvalid: forged, expired, already accepted, or its sender is
        disabled or may no longer grant the role.
    """
    try:
        data = _serializer().loads(token, max_age=INVITATION_MAX_AGE)
    except SignatureExpired:
        raise InvitationInvalid(N_("this invitation has expired; ask for a new one")) from None
    except BadSignature:
        raise InvitationInvalid(N_("this invitation link is not valid")) from None
    invitation = Invitation(data["e"], StaffRole(data["r"]), data["n"], int(data["b"]))
    if find_staff(invitation.email) is not None:
        raise InvitationInvalid(ALREADY_ACCEPTED)
    sender = db.session.get(Staff, invitation.invited_by)
    if sender is None or not sender.is_active or "staff.manage" not in permissions_of(sender.role) \
            or not may_manage(sender.role, invitation.role):
        raise InvitationInvalid(N_("whoever sent this invitation can no longer grant it; ask for a new one"))
    return invitation


def accept_invitation(token: str, password: str) -> Staff:
    """Create the invited account with the invitee's own password.

    :raises InvitationInvalid: see :func:`read_invitation`.
    :raises StaffError: the password breaks the rules.
    """
    invitation = read_invitation(token)
    try:
        return create_staff(invitation.email, password, role=invitation.role, display_name=invitation.display_name)
    except StaffEmailTaken:
        raise InvitationInvalid(ALREADY_ACCEPTED) from None


def count_by_role() -> dict[str, int]:
    rows = db.session.execute(select(Staff.role, func.count()).group_by(Staff.role)).all()
    return {role: count for role, count in rows}
