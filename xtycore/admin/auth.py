"""Staff sessions, kept apart from customers' so both can be signed in in one browser.

Flask-Login holds the customer (``_user_id``); a staff session lives under its
own keys of the same signed cookie: :data:`SESSION_KEY` holds
``staff:<id>:<fingerprint>`` (loaded through the ``staff`` user kind of
:mod:`xtycore.security`, so a changed password or a disabled account ends the
session at its next request) and :data:`GUARD_KEY` a digest of the client's
address and browser, like Flask-Login's "strong" protection: a cookie replayed
from elsewhere signs the staff member out.

Signing in starts a fresh session for the staff part (session fixation): any
staff keys and the CSRF token the browser brought are dropped and a new nonce
is set, so a token planted before the sign-in is worthless after it.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

from flask import g, request, session

from xtycore.models.accounts import password_fingerprint
from xtycore.models.staff import STAFF_SESSION_PREFIX, Staff
from xtycore.security import load_account, load_user, register_user_kind

SESSION_KEY = "_xty_staff"
GUARD_KEY = "_xty_staff_guard"
NONCE_KEY = "_xty_staff_nonce"
#: Flask-WTF keeps the CSRF secret under this session key.
CSRF_KEY = "csrf_token"


load_staff = functools.partial(load_account, Staff)
register_user_kind(STAFF_SESSION_PREFIX, load_staff)


def _guard() -> str:
    agent = request.headers.get("User-Agent", "")
    return hashlib.sha256(f"{request.remote_addr}|{agent}".encode()).hexdigest()


def current_staff() -> Staff | None:
    """The signed-in staff member of this request, or None."""
    if "_xty_staff_user" in g:
        return g._xty_staff_user
    staff = None
    key = session.get(SESSION_KEY)
    if isinstance(key, str) and key.startswith(STAFF_SESSION_PREFIX + ":"):
        if hmac.compare_digest(session.get(GUARD_KEY, ""), _guard()):
            staff = load_user(key)
        if staff is None:
            forget()
    g._xty_staff_user = staff
    return staff


def sign_in(staff: Staff) -> None:
    """Start a staff session: fresh keys, a fresh CSRF token, bound to this browser."""
    forget()
    session.pop(CSRF_KEY, None)
    session[SESSION_KEY] = f"{STAFF_SESSION_PREFIX}:{staff.id}:{password_fingerprint(staff.password_hash)}"
    session[GUARD_KEY] = _guard()
    session[NONCE_KEY] = secrets.token_urlsafe(16)
    g._xty_staff_user = staff


def forget() -> None:
    """End the staff session; a customer signed in in the same browser stays signed in."""
    for key in (SESSION_KEY, GUARD_KEY, NONCE_KEY):
        session.pop(key, None)
    g._xty_staff_user = None
