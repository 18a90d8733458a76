"""Every back-office view declares what it needs, through one decorator.

``@requires("plugins.manage")`` lets in signed-in staff whose role grants the
permission (the table is :data:`xtycore.domain.staff.ROLE_PERMISSIONS`);
``@requires(SIGNED_IN)`` any signed-in staff member; ``@requires(PUBLIC)``
anyone (the sign-in and invitation pages). Signed-out visitors go to the
sign-in page; staff without the permission get the 403 page and nothing
happens. The declaration is kept on the view as ``xty_permission``: a test
walks every ``/admin`` rule and fails if one has none.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

from flask import abort, redirect, request, url_for

from xtycore.admin.auth import current_staff
from xtycore.domain.staff import PERMISSIONS, permissions_of
from xtycore.security import safe_next_url

View = TypeVar("View", bound=Callable[..., Any])

PUBLIC = "public"
SIGNED_IN = "signed-in"


def requires(permission: str) -> Callable[[View], View]:
    if permission not in PERMISSIONS and permission not in (PUBLIC, SIGNED_IN):
        raise ValueError(f"unknown permission {permission!r}")

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if permission != PUBLIC:
                staff = current_staff()
                if staff is None:
                    target = request.full_path.rstrip("?") if request.method == "GET" else None
                    return redirect(url_for("admin.login", next=safe_next_url(target)))
                if permission != SIGNED_IN and permission not in permissions_of(staff.role):
                    abort(403)
            return view(*args, **kwargs)

        wrapped.xty_permission = permission  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorate


def can(permission: str) -> bool:
    """Whether the signed-in staff member has ``permission`` (templates use it to hide what they cannot use)."""
    staff = current_staff()
    return staff is not None and permission in permissions_of(staff.role)
