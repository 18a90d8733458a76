"""The customer account pages, ``/account/…``: thin handlers over
:mod:`xtycore.services.accounts` and :mod:`xtycore.services.addresses`.

Each posted form is validated by its schema in :mod:`xtycore.schemas.accounts`;
a refused form is shown again with the customer's input and a message beside
each field (status 422), and nothing is written. CSRF is checked on every POST
by Flask-WTF's CSRFProtect; the rate limits of :mod:`xtycore.security` guard
logins, registrations, password changes and reset requests.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_babel import gettext
from flask_login import login_user, logout_user
from flask_wtf.csrf import CSRFError
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response

from xtycore.models.accounts import Customer
from xtycore.schemas import accounts as schemas
from xtycore.security import client_address, current_customer, customer_required, hit_limits, safe_next_url
from xtycore.services import accounts, addresses
from xtycore.services.mail import MailError, notify, send_mail
from xtycore.themes import render
from xtycore.web.orders import customer_text, say

log = logging.getLogger("xtycore.account")

bp = Blueprint("account", __name__, url_prefix="/account")

#: Form fields never echoed back into a page.
SECRET_FIELDS = frozenset({"password", "password_confirm", "current_password", "new_password",
                           "new_password_confirm", "csrf_token"})


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """An account page through the active theme; ``customer`` is the signed-in one unless given."""
    context.setdefault("customer", current_customer())
    context.setdefault("errors", {})
    context.setdefault("values", {})
    context.setdefault("form_error_message", None)
    return render(f"account/{template}", **context), status


def posted() -> dict[str, str]:
    return request.form.to_dict()


def shown(values: dict[str, str]) -> dict[str, str]:
    """The posted values that may be put back into the form."""
    return {key: value for key, value in values.items() if key not in SECRET_FIELDS}


def load(schema: type[Schema], values: dict[str, str]) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """(data, {}) when the form is valid, else (None, field errors)."""
    try:
        return schema().load(values), {}
    except ValidationError as exc:
        return None, addresses.translated_errors(exc.normalized_messages())


def limits(key: str) -> str:
    return current_app.config[key]


def minutes(seconds: int) -> int:
    return max(1, -(-int(seconds) // 60))


def mail_from_template(template: str, to: str, send: Callable[[str, str, str], Any], **context: Any) -> Any:
    """Render a mail template (first line ``Subject: …``, a blank line, the body) and send it."""
    text = render(f"account/email/{template}", **context)
    head, _, body = text.partition("\n\n")
    subject = head.removeprefix("Subject:").strip()
    return send(to, subject, body.strip() + "\n")


def signed_in_again(customer: Customer) -> None:
    """After a password change the session key changed too: store the new one, keep "remember me"."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    login_user(customer, remember=remembered)


@bp.after_request
def private(response: Response) -> Response:
    """Account pages are personal: not cached by shared caches, and reset links never leak through Referer."""
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


@bp.errorhandler(TooManyRequests)
def too_many_requests(error: TooManyRequests) -> Response:
    retry_after = int(getattr(error, "retry_after", None) or 60)
    body, status = page("rate_limited.html", 429, wait_minutes=minutes(retry_after))
    response = current_app.make_response((body, status))
    response.headers["Retry-After"] = str(retry_after)
    return response


@bp.errorhandler(CSRFError)
def csrf_failed(error: CSRFError) -> tuple[str, int]:
    log.info("CSRF check failed on %s: %s", request.path, error.description)
    return page("csrf_error.html", 400)


# --------------------------------------------------------------------------
# register, log in, log out
# --------------------------------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
def register():
    next_url = safe_next_url(request.args.get("next"))
    if current_customer() is not None:
        return redirect(next_url or url_for(".overview"))
    values, errors = {}, {}
    if request.method == "POST":
        hit_limits("register", limits("ACCOUNT_REGISTER_LIMITS"), client_address())
        values = posted()
        data, errors = load(schemas.RegistrationSchema, values)
        if data is not None:
            try:
                customer = accounts.register(**data)
            except accounts.AccountError as exc:
                errors = {exc.field or "email": [customer_text(exc)]}
            else:
                login_user(customer)
                say(gettext("Welcome! Your account has been created."))
                return redirect(next_url or url_for(".overview"))
    return page("register.html", 422 if errors else 200, errors=errors, values=shown(values), next=next_url)


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next_url(request.values.get("next"))
    if current_customer() is not None:
        return redirect(next_url or url_for(".overview"))
    values, errors, form_error = {}, {}, None
    if request.method == "POST":
        values = posted()
        hit_limits("login-address", limits("ACCOUNT_LOGIN_LIMITS"), client_address())
        identifier = values.get("identifier", "").strip().lower()
        if identifier:
            hit_limits("login-account", limits("ACCOUNT_LOGIN_LIMITS"), identifier)
        data, errors = load(schemas.LoginSchema, values)
        if data is not None:
            try:
                customer = accounts.authenticate(data["identifier"], data["password"])
            except accounts.AccountError as exc:
                form_error = customer_text(exc)
            else:
                login_user(customer, remember=data["remember"])
                return redirect(next_url or url_for(".overview"))
    status = 422 if errors or form_error else 200
    return page("login.html", status, errors=errors, values=shown(values), next=next_url,
                form_error_message=form_error)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    return redirect(url_for("storefront.home"))


# --------------------------------------------------------------------------
# the account
# --------------------------------------------------------------------------


@bp.route("/")
@customer_required
def overview():
    customer = current_customer()
    return page("overview.html", default_address=addresses.default_address(customer.id))


@bp.route("/password", methods=["GET", "POST"])
@customer_required
def change_password():
    customer = current_customer()
    errors = {}
    if request.method == "POST":
        hit_limits("password-change", limits("ACCOUNT_LOGIN_LIMITS"), str(customer.id))
        data, errors = load(schemas.PasswordChangeSchema, posted())
        if data is not None:
            try:
                accounts.change_password(customer, data["current_password"], data["new_password"])
            except accounts.WrongPassword as exc:
                errors = {exc.field: [customer_text(exc)]}
            else:
                signed_in_again(customer)
                mail_from_template("password_changed.txt", customer.email, notify, customer=customer)
                say(gettext("Your password has been changed."))
                return redirect(url_for(".overview"))
    return page("password.html", 422 if errors else 200, errors=errors)


# --------------------------------------------------------------------------
# forgotten password
# --------------------------------------------------------------------------


@bp.route("/reset", methods=["GET", "POST"])
def request_reset():
    values, errors = {}, {}
    if request.method == "POST":
        values = posted()
        hit_limits("reset-address", limits("ACCOUNT_RESET_LIMITS"), client_address())
        email = values.get("email", "").strip().lower()
        if email:
            hit_limits("reset-email", limits("ACCOUNT_RESET_LIMITS"), email)
        data, errors = load(schemas.ResetRequestSchema, values)
        if data is not None:
            send_reset_link(data["email"])
            return page("reset_requested.html", email=data["email"], max_age_minutes=reset_minutes())
    return page("reset_request.html", 422 if errors else 200, errors=errors, values=shown(values))


def send_reset_link(email: str) -> None:
    """Mail a reset link if the address has an account; the caller's page is the same either way.

    A mail failure is logged as an error for the merchant and not shown: the
    page never claims a mail was sent, and an error shown only for registered
    addresses would tell anyone which addresses have accounts.
    """
    found = accounts.start_password_reset(email)
    if found is None:
        log.info("password reset asked for an address without an active account")
        return
    customer, token = found
    reset_url = url_for(".reset_password", token=token, _external=True)
    try:
        mail_from_template("reset_password.txt", customer.email, send_mail, customer=customer,
                           reset_url=reset_url, max_age_minutes=reset_minutes())
    except MailError:
        log.exception("password reset mail for customer %s could not be sent", customer.id)


def reset_minutes() -> int:
    return minutes(current_app.config["PASSWORD_RESET_MAX_AGE"])


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        customer = accounts.customer_for_reset_token(token)
    except accounts.ResetLinkInvalid as exc:
        return page("reset_invalid.html", 400, message=customer_text(exc), max_age_minutes=reset_minutes(),
                    expired=isinstance(exc, accounts.ResetLinkExpired))
    errors = {}
    if request.method == "POST":
        data, errors = load(schemas.ResetPasswordSchema, posted())
        if data is not None:
            try:
                customer = accounts.reset_password(token, data["password"])
            except accounts.ResetLinkInvalid as exc:
                return page("reset_invalid.html", 400, message=customer_text(exc),
                            max_age_minutes=reset_minutes(), expired=False)
            logout_user()
            mail_from_template("password_changed.txt", customer.email, notify, customer=customer)
            say(gettext("Your password has been reset. Please sign in with the new one."))
            return redirect(url_for(".login"))
    return page("reset_form.html", 422 if errors else 200, errors=errors, token=token, reset_customer=customer)


# --------------------------------------------------------------------------
# address book
# --------------------------------------------------------------------------


def _owned(action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run an address-book action; another customer's address is simply not found."""
    try:
        return action(*args, **kwargs)
    except addresses.AddressNotFound:
        abort(404)


@bp.route("/addresses", endpoint="addresses")
@customer_required
def address_book():
    return page("addresses.html", addresses=addresses.list_addresses(current_customer().id))


@bp.route("/addresses/new", methods=["GET", "POST"])
@customer_required
def add_address():
    return _address_form(None)


@bp.route("/addresses/<int:address_id>/edit", methods=["GET", "POST"])
@customer_required
def edit_address(address_id: int):
    return _address_form(address_id)


def _address_form(address_id: int | None):
    customer = current_customer()
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    form_error = None
    if request.method == "GET" and address_id is not None:
        row = _owned(addresses.get_address, customer.id, address_id)
        values = {field: getattr(row, field) or "" for field in schemas.AddressSchema().fields}
    elif request.method == "POST":
        values = posted()
        data, errors = load(schemas.AddressSchema, values)
        if data is not None:
            try:
                if address_id is None:
                    addresses.add_address(customer.id, data["address"], make_default=data["is_default"])
                else:
                    _owned(addresses.update_address, customer.id, address_id, data["address"],
                           make_default=data["is_default"])
            except addresses.AddressBookFull as exc:
                form_error = customer_text(exc)
            else:
                say(gettext("Address saved."))
                return redirect(url_for(".addresses"))
    status = 422 if errors or form_error else 200
    return page("address_form.html", status, errors=errors, values=shown(values), address_id=address_id,
                form_error_message=form_error)


@bp.route("/addresses/<int:address_id>/delete", methods=["POST"])
@customer_required
def delete_address(address_id: int):
    _owned(addresses.delete_address, current_customer().id, address_id)
    say(gettext("Address deleted."))
    return redirect(url_for(".addresses"))


@bp.route("/addresses/<int:address_id>/default", methods=["POST"])
@customer_required
def make_default_address(address_id: int):
    _owned(addresses.set_default_address, current_customer().id, address_id)
    say(gettext("Default address updated."))
    return redirect(url_for(".addresses"))
