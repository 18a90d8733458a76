"""Customer accounts: register, authenticate, change a password, reset a forgotten one.

Input arrives validated by :mod:`xtycore.schemas.accounts`; these functions
enforce what needs the database (one account per email and per mobile, the
current password, single-use reset links) and write inside
:func:`~xtycore.extensions.transaction`. Password hashing happens before a
transaction opens: argon2 is deliberately slow and must not hold the write lock.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timezone
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from xtycore.domain.errors import XtyError
from xtycore.extensions import db, transaction
from xtycore.i18n import current_locale
from xtycore.models.accounts import Customer, password_fingerprint
from xtycore.plugins import send_signal
from xtycore.schemas.accounts import normalise_email
from xtycore.security import burn_verification_time, hash_password, password_needs_rehash, verify_password
from xtycore.signals import member_registered

#: Separates reset tokens from anything else signed with SECRET_KEY.
RESET_TOKEN_SALT = "xtycore.accounts.password-reset"
#: The stored "hash" of an account that has no password yet (one made by an import): not an argon2
#: PHC string, so no password verifies against it; the owner sets one through the password reset.
NO_PASSWORD = "!imported"


class AccountError(XtyError):
    """An account request that cannot be granted; ``field`` is the form input it belongs to, if any."""

    field: str | None = None


class EmailTaken(AccountError):
    field = "email"
    customer_message = "该邮箱已注册，请直接登录或找回密码"


class MobileTaken(AccountError):
    field = "mobile"
    customer_message = "该手机号已被其他账号使用"


class InvalidCredentials(AccountError):
    """Unknown account or wrong password: deliberately the same answer for both."""

    customer_message = "账号或密码不正确"


class AccountDisabled(AccountError):
    customer_message = "该账号已停用，请联系客服"


class WrongPassword(AccountError):
    field = "current_password"
    customer_message = "当前密码不正确"


class ResetLinkInvalid(AccountError):
    """Forged, malformed, already used (the password changed since) or for a disabled account."""

    customer_message = "该重置链接无效或已使用，请重新申请"


class ResetLinkExpired(ResetLinkInvalid):
    customer_message = "该重置链接已过期，请重新申请"


def now() -> datetime:
    return datetime.now(timezone.utc)


# --------------------------------------------------------------------------
# registration and login
# --------------------------------------------------------------------------


def register(
    *, email: str, password: str, display_name: str = "", mobile: str | None = None, locale: str | None = None,
) -> Customer:
    """Create an active account and announce it with ``member_registered`` after the commit.

    ``locale`` is the customer's language; by default the language of the
    request that registers them (the shop's outside a request).

    :raises EmailTaken: another account has this email (compared lower-cased).
    :raises MobileTaken: another account has this mobile number.
    """
    email = normalise_email(email)
    _refuse_taken(email, mobile)
    password_hash = hash_password(password)
    customer = Customer(
        email=email, mobile=mobile or None, display_name=display_name or email.partition("@")[0][:50],
        password_hash=password_hash, is_active=True, created_at=now(), locale=locale or current_locale(),
    )
    try:
        with transaction() as session:
            session.add(customer)
    except IntegrityError:
        _refuse_taken(email, mobile)  # a concurrent registration won the race: say which field
        raise
    send_signal(member_registered, current_app._get_current_object(), customer=customer)
    return customer


def _refuse_taken(email: str, mobile: str | None) -> None:
    if db.session.execute(select(Customer.id).where(Customer.email == email)).first():
        raise EmailTaken(f"email {email} is registered")
    if mobile and db.session.execute(select(Customer.id).where(Customer.mobile == mobile)).first():
        raise MobileTaken("mobile number is registered")


def find_customer(identifier: str) -> Customer | None:
    """The account of an email address (any case) or a mobile number."""
    identifier = identifier.strip()
    if "@" in identifier:
        condition = Customer.email == normalise_email(identifier)
    else:
        condition = Customer.mobile == identifier
    return db.session.execute(select(Customer).where(condition)).scalar_one_or_none()


def has_password(customer: Customer) -> bool:
    """Whether the account has a password: its stored value is an argon2 hash (an imported one has none)."""
    return customer.password_hash.startswith("$argon2")


def authenticate(identifier: str, password: str) -> Customer:
    """The customer these credentials belong to; records the login and upgrades an outdated hash.

    :raises InvalidCredentials: no such account, the password is wrong, or the account has no password
        yet (one message for all three).
    :raises AccountDisabled: the password is right but the account is switched off.
    """
    customer = find_customer(identifier)
    if customer is None or not has_password(customer):
        burn_verification_time(password)
        raise InvalidCredentials("no account for this identifier" if customer is None
                                 else f"customer {customer.id} has no password yet")
    if not verify_password(customer.password_hash, password):
        raise InvalidCredentials(f"wrong password for customer {customer.id}")
    if not customer.is_active:
        raise AccountDisabled(f"customer {customer.id} is disabled")
    new_hash = hash_password(password) if password_needs_rehash(customer.password_hash) else None
    with transaction():
        customer.last_login_at = now()
        if new_hash is not None:
            customer.password_hash = new_hash
    return customer


# --------------------------------------------------------------------------
# passwords
# --------------------------------------------------------------------------


def change_password(customer: Customer, current_password: str, new_password: str) -> None:
    """Set a new password; every other session and reset link of the account stops working.

    :raises WrongPassword: ``current_password`` is not the account's password.
    """
    if not verify_password(customer.password_hash, current_password):
        raise WrongPassword(f"wrong current password for customer {customer.id}")
    new_hash = hash_password(new_password)
    with transaction():
        customer.password_hash = new_hash


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=RESET_TOKEN_SALT)


def make_reset_token(customer: Customer) -> str:
    """A signed, timestamped token naming the account and its current password hash.

    Bound to the hash, it dies as soon as the password changes: it works once.
    """
    return _serializer().dumps({"id": customer.id, "fp": password_fingerprint(customer.password_hash)})


def start_password_reset(email: str) -> tuple[Customer, str] | None:
    """The active account of ``email`` and a reset token for it; None when there is none.

    The caller answers the same either way, so the form tells nobody which
    addresses have accounts.
    """
    customer = find_customer(normalise_email(email)) if "@" in email else None
    if customer is None or not customer.is_active:
        return None
    return customer, make_reset_token(customer)


def customer_for_reset_token(token: str) -> Customer:
    """The account a reset link is for, if the link is genuine, unexpired and unused.

    :raises ResetLinkExpired: older than ``PASSWORD_RESET_MAX_AGE`` seconds.
    :raises ResetLinkInvalid: forged, malformed or already used.
    """
    try:
        data: Any = _serializer().loads(token, max_age=int(current_app.config["PASSWORD_RESET_MAX_AGE"]))
    except SignatureExpired as exc:
        raise ResetLinkExpired("reset token expired") from exc
    except BadSignature as exc:
        raise ResetLinkInvalid("reset token signature is invalid") from exc
    if not (isinstance(data, dict) and isinstance(data.get("id"), int) and isinstance(data.get("fp"), str)):
        raise ResetLinkInvalid("reset token payload is malformed")
    customer = db.session.get(Customer, data["id"])
    if customer is None or not customer.is_active or not _matches(customer, data["fp"]):
        raise ResetLinkInvalid("reset token is used or its account is gone")
    return customer


def _matches(customer: Customer, fingerprint: str) -> bool:
    return hmac.compare_digest(password_fingerprint(customer.password_hash), fingerprint)


def reset_password(token: str, new_password: str) -> Customer:
    """Set a new password through a reset link, which is spent by doing so.

    The link is checked again inside the write transaction, on the locked row,
    so two simultaneous uses of one link cannot both succeed.

    :raises ResetLinkExpired, ResetLinkInvalid: as :func:`customer_for_reset_token`.
    """
    customer = customer_for_reset_token(token)
    fingerprint = password_fingerprint(customer.password_hash)
    new_hash = hash_password(new_password)
    with transaction() as session:
        row = session.get(Customer, customer.id, with_for_update=True, populate_existing=True)
        if row is None or not _matches(row, fingerprint):
            raise ResetLinkInvalid("reset token was used concurrently")
        row.password_hash = new_hash
    return row
