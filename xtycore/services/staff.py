"""Staff accounts: create them, check their passwords, list them.

The foundation the back office builds on (it adds sessions, permissions and
screens). Passwords are hashed with :func:`xtycore.security.hash_password`
(argon2id), before any transaction opens: hashing is slow on purpose and must
not hold the write lock. Staff are kept apart from customers
(:mod:`xtycore.models.staff`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from xtycore.domain.staff import StaffError, StaffRole, parse_role, password_problem
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


def create_staff(email: str, password: str, *, role: StaffRole | str, display_name: str = "") -> Staff:
    """Create an active staff account.

    :raises StaffError: the email is not an address, the role is unknown or the
        password too short (:data:`~xtycore.domain.staff.STAFF_PASSWORD_MIN_LENGTH`).
    :raises StaffEmailTaken: a staff account has this email (compared lower-cased).
    """
    email = normalise_email(email)
    local, at, domain = email.partition("@")
    if not (local and at and "." in domain) or len(email) > 254 or any(c.isspace() for c in email):
        raise StaffError(f"{email!r} is not an email address")
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
