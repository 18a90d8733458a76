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


def N_(text: str) -> str:
    """Mark ``text`` for translation (``pybabel extract`` finds it) without translating it:
    the domain imports no Flask, the back office translates when it shows the text."""
    return text


#: How the back office names each role.
ROLE_LABELS = {
    StaffRole.OWNER: N_("Owner"),
    StaffRole.MANAGER: N_("Manager"),
    StaffRole.CATALOGUE_EDITOR: N_("Catalogue editor"),
    StaffRole.ORDER_CLERK: N_("Order clerk"),
    StaffRole.SUPPORT_AGENT: N_("Support agent"),
    StaffRole.FINANCE: N_("Finance"),
    StaffRole.READ_ONLY: N_("Read only"),
}

#: What each role is for, as the command line and the back office describe it.
ROLE_DESCRIPTIONS = {
    StaffRole.OWNER: N_("everything, including staff accounts and settings"),
    StaffRole.MANAGER: N_("runs the shop day to day: catalogue, orders, promotions, support"),
    StaffRole.CATALOGUE_EDITOR: N_("products, categories, images, listing review"),
    StaffRole.ORDER_CLERK: N_("orders, shipments, refunds and after-sales (售后)"),
    StaffRole.SUPPORT_AGENT: N_("support tickets and customer conversations (客服)"),
    StaffRole.FINANCE: N_("payments, refunds, reconciliation, reports"),
    StaffRole.READ_ONLY: N_("looks at everything, changes nothing"),
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


# --------------------------------------------------------------------------
# permissions: the one table the back office, its tests and docs/backoffice.md follow
# --------------------------------------------------------------------------

#: Every permission, with what it allows.
PERMISSIONS: dict[str, str] = {
    "catalogue.view": "see products, categories and the listing review queue",
    "catalogue.edit": "create, edit, publish and unpublish products; manage categories, brands and images",
    "orders.view": "see orders, payments and shipments",
    "orders.fulfil": "ship orders and handle after-sales (售后)",
    "orders.refund": "refund payments",
    "orders.note": "add staff notes to orders",
    "customers.view": "see customer accounts",
    "customers.edit": "change customer accounts",
    "support.view": "see support tickets and their conversations",
    "support.reply": "reply to support tickets, add notes, assign, solve and reopen them, link orders",
    "plugins.manage": "enable and disable plugins; configure payment methods, couriers, promotions, support channels",
    "themes.manage": "preview and activate themes, edit theme settings",
    "staff.manage": "invite staff, change their roles, disable them",
    "reports.view": "see sales reports",
    "audit.view": "read the audit log",
    "settings.manage": "change shop settings",
    "operations.view": "see the error monitor: recent exceptions and plugin failures",
}

_VIEW_ALL = ("catalogue.view", "orders.view", "customers.view", "support.view", "reports.view", "audit.view")

#: role -> the permissions it grants.
ROLE_PERMISSIONS: dict[StaffRole, frozenset[str]] = {
    StaffRole.OWNER: frozenset(PERMISSIONS),
    StaffRole.MANAGER: frozenset((
        *_VIEW_ALL, "catalogue.edit", "orders.fulfil", "orders.refund", "orders.note", "customers.edit",
        "support.reply", "plugins.manage", "themes.manage", "staff.manage", "operations.view",
    )),
    StaffRole.CATALOGUE_EDITOR: frozenset(("catalogue.view", "catalogue.edit")),
    # after-sales (售后) includes refunds: the clerk who ships an order also refunds what went wrong with it
    StaffRole.ORDER_CLERK: frozenset((
        "catalogue.view", "orders.view", "orders.fulfil", "orders.refund", "orders.note", "customers.view",
        "support.view", "support.reply",
    )),
    StaffRole.SUPPORT_AGENT: frozenset((
        "orders.view", "orders.note", "customers.view", "customers.edit", "support.view", "support.reply",
    )),
    StaffRole.FINANCE: frozenset(("orders.view", "orders.refund", "orders.note", "customers.view", "reports.view")),
    StaffRole.READ_ONLY: frozenset(_VIEW_ALL),
}

#: Lower is more powerful. A staff member manages only accounts of a strictly lower rank
#: (a higher number), and grants only such roles; an owner manages everyone.
ROLE_RANK: dict[StaffRole, int] = {StaffRole.OWNER: 0, StaffRole.MANAGER: 1}
DEFAULT_RANK = 2


def permissions_of(role: StaffRole | str) -> frozenset[str]:
    """The permissions ``role`` grants; none for a role that no longer exists."""
    try:
        return ROLE_PERMISSIONS[StaffRole(role)]
    except ValueError:
        return frozenset()


def rank(role: StaffRole | str) -> int:
    return ROLE_RANK.get(StaffRole(role), DEFAULT_RANK)


def may_manage(actor_role: StaffRole | str, target_role: StaffRole | str) -> bool:
    """Whether ``actor_role`` (with staff.manage) may change an account of, or grant, ``target_role``."""
    if StaffRole(actor_role) is StaffRole.OWNER:
        return True
    return rank(actor_role) < rank(target_role)
