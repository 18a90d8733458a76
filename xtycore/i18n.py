"""Languages of the storefront: Flask-Babel, the locale of each request, money in the shop currency.

The locale of a request is the first supported one of, in order:

1. ``?lang=`` in the URL (the language switch links carry it; the choice is
   then remembered in the ``xty_lang`` cookie for a year);
2. the ``xty_lang`` cookie;
3. the signed-in customer's language (``Customer.locale``: the language they registered in, then
   their latest ``?lang=`` choice, so it follows them to another browser and into their emails);
4. the browser's ``Accept-Language`` header;
5. the configuration key ``SHOP_LOCALE``.

Translations live in ``xtycore/translations/<locale>/LC_MESSAGES/messages.po``
and the compiled ``.mo`` beside it (committed); the folder of zh_CN is named
``zh_Hans_CN``, the identifier Babel gives that locale, so gettext finds it.
docs/storefront.md explains how to extract and update them. Templates use ``{{ _("Text") }}``; money is written
``{{ price|money }}`` or ``{{ format_money(minor, currency) }}``.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from babel import Locale as BabelLocale
from babel.numbers import format_currency
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import Babel, get_locale
from sqlalchemy import update as db_update
from werkzeug.wrappers import Response

from xtycore.domain.money import Money

#: Locales with complete translations, the shop's default first in the shipped config.
LOCALES = ("zh_CN", "en")
#: Names shown by the language switch, each in its own language.
LOCALE_NAMES = {"zh_CN": "简体中文", "en": "English"}
COOKIE = "xty_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

babel = Babel()


def supported_locale(value: str | None) -> str | None:
    """The supported locale a language tag names (``zh-cn``, ``zh_CN``, ``zh`` -> ``zh_CN``), or None."""
    if not value:
        return None
    tag = value.strip().replace("-", "_").lower()
    for locale in LOCALES:
        if tag == locale.lower():
            return locale
    language = tag.split("_", 1)[0]
    for locale in LOCALES:
        if locale.split("_", 1)[0].lower() == language:
            return locale
    return None


def _customer_locale() -> str | None:
    """The signed-in customer's language, when the account model records one."""
    from xtycore.security import current_customer

    return getattr(current_customer(), "locale", None)


def select_locale() -> str:
    """Flask-Babel's locale selector: see the module docstring for the order."""
    default = current_app.config["SHOP_LOCALE"]
    if not has_request_context():
        return default
    for candidate in (request.args.get("lang"), request.cookies.get(COOKIE)):
        found = supported_locale(candidate)
        if found:
            return found
    found = supported_locale(_customer_locale())
    if found:
        return found
    tags = [locale.replace("_", "-") for locale in LOCALES]
    best = request.accept_languages.best_match(tags) if request.accept_languages else None
    return supported_locale(best) or default


def current_locale() -> str:
    """The locale of this request (``zh_CN`` or ``en``), ``SHOP_LOCALE`` outside a request."""
    if not has_request_context():
        return current_app.config["SHOP_LOCALE"]
    chosen = g.get("_xty_locale")
    if chosen is None:
        # Babel names zh_CN "zh_Hans_CN" (hence translations/zh_Hans_CN); map it back to the short code
        locale = get_locale()
        default = current_app.config["SHOP_LOCALE"]
        chosen = g._xty_locale = (supported_locale(str(locale)) or default) if locale is not None else default
    return chosen


def format_money(value: Money | int | Decimal, currency: str | None = None) -> str:
    """Money written for the current locale: ``¥1,299.00`` in zh_CN, ``CN¥1,299.00`` in en.

    :param value: a :class:`~xtycore.domain.money.Money`, or an amount in the minor unit (fen).
    :param currency: ISO 4217 code for a minor amount; default ``SHOP_CURRENCY``.
    """
    if isinstance(value, Money):
        amount, currency = value.amount, value.currency
    else:
        currency = currency or current_app.config["SHOP_CURRENCY"]
        amount = Money.from_minor(int(value), currency).amount
    return _formatted(amount, currency, current_locale())


@functools.lru_cache(maxsize=4096)
def _formatted(amount: Decimal, currency: str, locale: str) -> str:
    # prices repeat across cards and requests, and Babel parses the locale on every call
    return format_currency(amount, currency, locale=_babel_locale(locale))


@functools.lru_cache(maxsize=16)
def _babel_locale(code: str) -> BabelLocale:
    return BabelLocale.parse(code)


def localized(item: Any, field: str) -> str:
    """An object's ``field`` in the current language: ``<field>_en`` in English when it is filled.

    Products have ``title``/``title_en``, categories and brands ``name``/``name_en``.
    """
    value = getattr(item, field, "") or ""
    if current_locale() != "zh_CN":
        return getattr(item, f"{field}_en", "") or value
    return value


def _remember_choice(response: Response) -> Response:
    """Keep a ``?lang=`` choice in a cookie, and on a signed-in customer's account.

    Pages are told to vary with the browser's language and cookies, so that a
    shared cache in front of the shop never serves one visitor's language to another.
    """
    chosen = supported_locale(request.args.get("lang"))
    if chosen and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(COOKIE, chosen, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True)
    if chosen:
        _save_customer_locale(chosen)
    if response.mimetype == "text/html":
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response


def _save_customer_locale(chosen: str) -> None:
    from xtycore.extensions import transaction
    from xtycore.models.accounts import Customer
    from xtycore.security import current_customer

    customer = current_customer()
    if not isinstance(customer, Customer) or customer.locale == chosen:
        return
    with transaction() as session:
        session.execute(db_update(Customer).where(Customer.id == customer.id).values(locale=chosen))


def _template_globals() -> dict[str, Any]:
    return {"locales": LOCALE_NAMES}


def init_app(app: Flask) -> None:
    """Flask-Babel with the locale selector, the money filter and the language globals."""
    babel.init_app(app, locale_selector=select_locale, default_locale=app.config["SHOP_LOCALE"])
    app.add_template_filter(format_money, "money")
    app.add_template_global(format_money, "format_money")
    app.add_template_filter(localized, "localized")
    app.context_processor(_template_globals)
    app.after_request(_remember_choice)
