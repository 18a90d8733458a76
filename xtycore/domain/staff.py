"""Staff accounts: the roles a person working in the shop can have.

Standard library only. What each role may do is decided by the back office
(its permissions table); here are only the names, so the database can refuse
any other value and the command line can offer them.
"""

from __future__ import annotations

import enum

from xtycore.domain.errors import XtyError

#: Staff passwords guard the whole shop: longer than a customer's minimum.
STAFF_PASSWORD_MIN_LENGTH = 12
STAFF_PASSWORD_MAX_LENGTH = 128


class StaffRole(str, enum.Enum):
    OWNER = "owner"
    MANAGER = "manager"
    CATALOGUE_EDITOR = "catalogue_editor"
    ORDER_CLERK = "order_clerk"
    SUPPORT_AGENT = "support_agent"
    FINANCE = "finance"
    READ_ONLY = "read_only"


#: What each role is for, as the command line and the back office describe it.
ROLE_DESCRIPTIONS = {
    StaffRole.OWNER: "everything, including staff accounts and settings",
    StaffRole.MANAGER: "runs the shop day to day: catalogue, orders, promotions, support",
    StaffRole.CATALOGUE_EDITOR: "products, categories, images, listing review",
    StaffRole.ORDER_CLERK: "orders, shipments, after-sales (售后)",
    StaffRole.SUPPORT_AGENT: "support tickets and customer conversations (客服)",
    StaffRole.FINANCE: "payments, refunds, reconciliation, reports",
    StaffRole.READ_ONLY: "looks at everything, changes nothing",
}


class StaffError(XtyError):
    """A staff account request that cannot be granted; the message says why."""


def parse_role(value: str) -> StaffRole:
    """The role named ``value``; :class:`StaffError` listing the roles otherwise."""
    try:
        return StaffRole(value.strip().lower())
    except ValueError:
        names = ", ".join(role.value for role in StaffRole)
        raise StaffError(f"no staff role {value!r}; roles are {names}") from None


def password_problem(password: str) -> str | None:
    """Why ``password`` cannot be a staff password, or None."""
    if len(password) < STAFF_PASSWORD_MIN_LENGTH:
        return f"a staff password needs at least {STAFF_PASSWORD_MIN_LENGTH} characters"
    if len(password) > STAFF_PASSWORD_MAX_LENGTH:
        return f"a staff password has at most {STAFF_PASSWORD_MAX_LENGTH} characters"
    if not password.strip():
        return "a staff password cannot be only spaces"
    return None
