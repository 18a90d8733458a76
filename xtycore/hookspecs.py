"""The whole plugin contract of xtycore: every hook a plugin may implement.

Hooks are grouped by when the kernel calls them. Every hook name starts with
``xtycore_``; the kernel always calls hooks with keyword arguments, so an
implementation may accept any subset of a hook's parameters. Hooks decide (the
kernel uses what they return); to be *told* about something that happened,
connect to a signal in :mod:`xtycore.signals` instead.

xtycore hooks are plain implementations: ``hookwrapper``/``wrapper``
implementations are refused at load time, because the kernel calls each
plugin's implementation separately in order to apply its fault policy to the
plugin that failed and to nobody else.

``docs/hooks.md`` is generated from this module (``xty docs hooks``); a test
fails when it is stale, when a hook lacks a documented parameter, a return
shape or an example, and when an example does not register.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    import click
    from flask import Blueprint, Flask
    from markupsafe import Markup

    from xtycore.domain.contributions import (
        Finding,
        Job,
        MenuEntry,
        Recommendation,
        ReportSeries,
        TaxLine,
    )
    from xtycore.domain.couriers import Address, Courier
    from xtycore.domain.payments import PaymentGateway
    from xtycore.domain.promotions import CartLine, PromotionType
    from xtycore.domain.support import SupportChannel

hookspec = pluggy.HookspecMarker("xtycore")

#: The lifecycle groups, in the order the hook reference presents them.
GROUPS = {
    "capabilities": "Capabilities: payment gateways, couriers, promotion types, support channels",
    "application": "Application start-up: routes, commands, jobs, menus, migrations",
    "storefront": "Storefront rendering",
    "catalogue": "Catalogue intake and listing review",
    "orders": "Orders: numbers and tax",
    "reports": "Reports",
}


def _group(name: str):
    def mark(func):
        func.xtycore_group = name
        return func

    return mark


# --------------------------------------------------------------------------
# Capabilities
# --------------------------------------------------------------------------


@_group("capabilities")
@hookspec
def xtycore_register_payment_gateways() -> Sequence[PaymentGateway]:
    """Register payment gateway types.

    Each object satisfies :class:`xtycore.domain.payments.PaymentGateway`: a
    ``code`` unique among gateways, a ``name``, a marshmallow
    ``settings_schema`` and ``features``, and the verbs ``create_payment``,
    ``authorize``, ``capture``, ``void``, ``refund``, ``query`` and
    ``parse_webhook``. The merchant then creates configured instances of a type
    in the back office (two Alipay accounts, say).

    :returns: a list of gateway objects (empty when the plugin has none).

    Example::

        from marshmallow import Schema, fields
        from xtycore import hookimpl
        from xtycore.domain.payments import Flow, GatewayFeatures, PaymentAction

        class BankTransfer:
            code = "bank_transfer"
            name = "Bank transfer"
            features = GatewayFeatures(flows=frozenset({Flow.OFFLINE}))

            class settings_schema(Schema):
                account = fields.String(required=True)

            def create_payment(self, request, settings):
                return PaymentAction(
                    flow=Flow.OFFLINE,
                    instructions=f"Transfer {request.amount} to {settings['account']}",
                )

            # authorize, capture, void, refund, query, parse_webhook ...

        @hookimpl
        def xtycore_register_payment_gateways():
            return [BankTransfer()]
    """


@_group("capabilities")
@hookspec
def xtycore_register_couriers() -> Sequence[Courier]:
    """Register courier types (快递).

    Each object satisfies :class:`xtycore.domain.couriers.Courier`: ``code``,
    ``name``, ``settings_schema``, ``features`` (what it supports: electronic
    waybills, tracking, pushes, pickup) and the verbs ``is_eligible``,
    ``quote``, ``create_waybill``, ``track`` and ``parse_webhook``.

    :returns: a list of courier objects.

    Example::

        from marshmallow import Schema, fields
        from xtycore import hookimpl
        from xtycore.domain.couriers import CourierFeatures, Quote
        from xtycore.domain.money import Money

        class FlatRate:
            code = "flat"
            name = "Flat rate"
            features = CourierFeatures()

            class settings_schema(Schema):
                price_fen = fields.Integer(required=True)

            def is_eligible(self, shipment, settings):
                return True

            def quote(self, shipment, settings):
                price = Money.from_minor(settings["price_fen"], shipment.subtotal.currency)
                return [Quote(code="standard", label="Standard", price=price)]

            # create_waybill, track, parse_webhook ...

        @hookimpl
        def xtycore_register_couriers():
            return [FlatRate()]
    """


@_group("capabilities")
@hookspec
def xtycore_register_promotion_types() -> Sequence[PromotionType]:
    """Register promotion types (满减, 满折, 第二件半价 …).

    Each object satisfies :class:`xtycore.domain.promotions.PromotionType`:
    ``code``, ``name``, a marshmallow ``params_schema`` for the merchant's
    parameters and a pure ``evaluate(cart, params)`` returning a
    :class:`~xtycore.domain.promotions.PromotionResult` with an explanation.

    :returns: a list of promotion type objects.

    Example::

        from marshmallow import Schema, fields
        from xtycore import hookimpl
        from xtycore.domain.money import Money
        from xtycore.domain.promotions import PromotionResult

        class SpendAndSave:
            code = "spend_and_save"
            name = "满减"

            class params_schema(Schema):
                threshold_fen = fields.Integer(required=True)
                off_fen = fields.Integer(required=True)

            def evaluate(self, cart, params):
                threshold = Money.from_minor(params["threshold_fen"], cart.currency)
                off = Money.from_minor(params["off_fen"], cart.currency)
                if cart.subtotal >= threshold:
                    return PromotionResult(True, f"满{threshold.amount}减{off.amount}", order_discount=off)
                return PromotionResult(False, f"再买 {(threshold - cart.subtotal).amount} 可减 {off.amount}")

        @hookimpl
        def xtycore_register_promotion_types():
            return [SpendAndSave()]
    """


@_group("capabilities")
@hookspec
def xtycore_register_support_channels() -> Sequence[SupportChannel]:
    """Register customer-support channel types (email, 公众号, 企业微信 …).

    Each object satisfies :class:`xtycore.domain.support.SupportChannel`:
    ``code``, ``name``, ``settings_schema``, ``send(message, settings)`` and
    ``parse_inbound(request, settings)``.

    :returns: a list of support channel objects.

    Example::

        from marshmallow import Schema, fields
        from xtycore import hookimpl
        from xtycore.domain.support import SendResult

        class Sms:
            code = "sms"
            name = "SMS"

            class settings_schema(Schema):
                api_key = fields.String(required=True, metadata={"secret": True})

            def send(self, message, settings):
                return SendResult(delivered=True, channel_message_id="...")

            def parse_inbound(self, request, settings):
                return []

        @hookimpl
        def xtycore_register_support_channels():
            return [Sms()]
    """


# --------------------------------------------------------------------------
# Application start-up
# --------------------------------------------------------------------------


@_group("application")
@hookspec
def xtycore_register_blueprints(app: Flask) -> Sequence[Blueprint]:
    """Add routes, templates and static files to the application.

    Called once while the app is created, for every loaded plugin. Routes of a
    plugin that the merchant has disabled answer 404 until it is enabled again;
    a blueprint's ``template_folder`` joins the template chain after the
    themes and before the kernel's fallback templates.

    :param app: the Flask application being created.
    :returns: a list of :class:`flask.Blueprint` objects.

    Example::

        from flask import Blueprint
        from xtycore import hookimpl

        bp = Blueprint("acme_hello", __name__, url_prefix="/acme")

        @bp.route("/hello")
        def hello():
            return "hello"

        @hookimpl
        def xtycore_register_blueprints(app):
            return [bp]
    """


@_group("application")
@hookspec
def xtycore_register_commands() -> Sequence[click.Command]:
    """Add commands to the ``xty`` command line.

    Commands of a plugin run inside the application context, like the kernel's.

    :returns: a list of :class:`click.Command` (or groups).

    Example::

        import click
        from xtycore import hookimpl

        @click.command("acme-sync")
        def acme_sync():
            \"\"\"Synchronise stock with the ACME warehouse.\"\"\"
            click.echo("synchronised")

        @hookimpl
        def xtycore_register_commands():
            return [acme_sync]
    """


@_group("application")
@hookspec
def xtycore_register_jobs() -> Sequence[Job]:
    """Add background jobs run by ``xty worker``.

    A job has a unique ``name``, a function and optionally a cron-like
    :class:`~xtycore.domain.contributions.Schedule`. The function runs inside
    an application context; it must be idempotent because a job can run twice.
    ``xty jobs list`` shows every job, ``xty jobs run NAME`` runs one now.

    :returns: a list of :class:`xtycore.domain.contributions.Job`.

    Example::

        from xtycore import hookimpl
        from xtycore.domain.contributions import Job, Schedule

        def refresh_exchange_rates():
            ...

        @hookimpl
        def xtycore_register_jobs():
            return [Job("acme.refresh_rates", refresh_exchange_rates, Schedule(minute="0"))]
    """


@_group("application")
@hookspec
def xtycore_admin_menu_entries() -> Sequence[MenuEntry]:
    """Add entries to the back-office menu.

    Entries of disabled plugins are hidden; entries with a ``permission`` are
    shown only to staff who hold it.

    :returns: a list of :class:`xtycore.domain.contributions.MenuEntry`.

    Example::

        from xtycore import hookimpl
        from xtycore.domain.contributions import MenuEntry

        @hookimpl
        def xtycore_admin_menu_entries():
            return [MenuEntry(label="ACME sync", endpoint="acme_hello.hello", section="catalogue")]
    """


@_group("application")
@hookspec
def xtycore_migrations_directory() -> str | None:
    """Name the folder holding the plugin's own Alembic revisions (its branch).

    The plugin's first revision has ``down_revision = None`` and a
    ``branch_labels`` tuple naming the plugin; ``depends_on`` may name a kernel
    revision. ``xty db upgrade`` brings the kernel and every enabled plugin to
    head, and enabling a plugin upgrades its branch. ``xty db revision
    --plugin NAME -m MESSAGE`` writes a new revision into that folder.

    :returns: an absolute path to the folder of revision files, or ``None``.

    Example::

        import os
        from xtycore import hookimpl

        @hookimpl
        def xtycore_migrations_directory():
            return os.path.join(os.path.dirname(__file__), "migrations")
    """


# --------------------------------------------------------------------------
# Storefront rendering
# --------------------------------------------------------------------------


@_group("storefront")
@hookspec
def xtycore_template_slot(name: str, context: Mapping[str, Any]) -> str | Markup | None:
    """Fill a template slot such as ``product.after_price``.

    Templates call ``{{ slot("product.after_price", product=product) }}``; the
    kernel joins what every enabled plugin returns. A plain ``str`` is escaped;
    only :class:`markupsafe.Markup` is inserted as HTML. A failing
    implementation is logged and skipped (fail open): the page still renders.
    The standard slot names are listed in ``docs/themes.md``.

    :param name: the slot's name.
    :param context: the keyword arguments the template passed to ``slot()``.
    :returns: text or Markup to insert, or ``None`` to leave the slot alone.

    Example::

        from markupsafe import Markup, escape
        from xtycore import hookimpl

        @hookimpl
        def xtycore_template_slot(name, context):
            if name == "product.after_price":
                return Markup("<p class='acme-badge'>{}</p>").format(escape("包邮"))
            return None
    """


@_group("storefront")
@hookspec
def xtycore_recommendations(
    product_id: str | None, customer_id: str | None, limit: int
) -> Sequence[Recommendation]:
    """Suggest products ("you may also like") for a product page or a customer.

    Results of every plugin are merged by score and cut to ``limit``. Fails
    open: a failing recommender is logged and the page renders without it.

    :param product_id: the product being viewed, or ``None`` on pages without one.
    :param customer_id: the signed-in customer, or ``None`` for guests.
    :param limit: how many recommendations the page shows.
    :returns: a list of :class:`xtycore.domain.contributions.Recommendation`.

    Example::

        from xtycore import hookimpl
        from xtycore.domain.contributions import Recommendation

        @hookimpl
        def xtycore_recommendations(product_id, limit):
            return [Recommendation(product_id="42", reason="bought together", score=0.8)][:limit]
    """


# --------------------------------------------------------------------------
# Catalogue intake and listing review
# --------------------------------------------------------------------------


@_group("catalogue")
@hookspec
def xtycore_normalize_product(data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """Normalise incoming product data before it is validated.

    Called for every product imported or saved, in plugin order; each
    implementation receives the result of the previous one. The built-in
    normaliser runs first (``tryfirst``): it trims text and turns full-width
    digits, letters and punctuation into half-width.

    :param data: the product's fields as a mapping of plain values.
    :returns: a mapping of the fields to replace (merged into ``data``), or
        ``None`` to change nothing.

    Example::

        from xtycore import hookimpl

        @hookimpl
        def xtycore_normalize_product(data):
            if data.get("brand") == "ACME Inc.":
                return {"brand": "ACME"}
            return None
    """


@_group("catalogue")
@hookspec
def xtycore_review_product(product: Mapping[str, Any]) -> Sequence[Finding]:
    """Review a product listing automatically (审核) before it is published.

    Findings of every plugin are collected; one ``BLOCKING`` finding sends the
    product to the review queue instead of publishing it.

    :param product: the product's normalised fields, including ``title``,
        ``description``, ``price`` (:class:`~xtycore.domain.money.Money`),
        ``images`` and ``category``.
    :returns: a list of :class:`xtycore.domain.contributions.Finding`.

    Example::

        from xtycore import hookimpl
        from xtycore.domain.contributions import Finding, Severity

        @hookimpl
        def xtycore_review_product(product):
            if "最好" in product.get("title", ""):
                return [Finding(Severity.BLOCKING, "absolute_claim", "广告法禁用词: 最好", "title")]
            return []
    """


# --------------------------------------------------------------------------
# Orders: numbers and tax
# --------------------------------------------------------------------------


@_group("orders")
@hookspec(firstresult=True)
def xtycore_order_number(order: Mapping[str, Any]) -> str | None:
    """Choose the number of a new order.

    The built-in implementation (``trylast``) makes a readable, unique and
    unguessable number such as ``20261126-7K3Q9X2M``: the shop-local date and
    eight random Crockford base-32 characters. Stops at first non-None result.

    :param order: the order being placed: ``created_at`` (an aware datetime),
        ``customer_id`` (or ``None``), ``channel`` ("web", "api" …) and
        ``currency``.
    :returns: the order number (at most 32 characters), or ``None`` to let the
        next implementation decide.

    Example::

        from xtycore import hookimpl

        @hookimpl
        def xtycore_order_number(order):
            if order["channel"] == "pos":
                return "POS-" + order["created_at"].strftime("%Y%m%d%H%M%S")
            return None
    """


@_group("orders")
@hookspec
def xtycore_compute_tax(
    lines: Sequence[CartLine], address: Address | None, currency: str
) -> Sequence[TaxLine]:
    """Compute the tax of an order.

    Tax lines of every plugin are collected. Prices in China are usually
    tax-inclusive, so with no tax plugin an order carries no tax lines. A
    failing tax plugin fails closed: the order cannot be placed.

    :param lines: the order's lines.
    :param address: the shipping address, or ``None`` for store pickup.
    :param currency: the order's currency code.
    :returns: a list of :class:`xtycore.domain.contributions.TaxLine`.

    Example::

        from xtycore import hookimpl
        from xtycore.domain.contributions import TaxLine
        from xtycore.domain.money import Money

        @hookimpl
        def xtycore_compute_tax(lines, currency):
            total = Money.sum((line.total for line in lines), currency)
            return [TaxLine("增值税", Money(total.amount * 13 / 113, currency), rate="13%")]
    """


# --------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------


@_group("reports")
@hookspec
def xtycore_report_series() -> Sequence[ReportSeries]:
    """Add series to the back office's reports.

    :returns: a list of :class:`xtycore.domain.contributions.ReportSeries`; each
        ``compute(start, end, granularity)`` returns the points of the series.

    Example::

        from xtycore import hookimpl
        from xtycore.domain.contributions import ReportSeries

        def wishlist_adds(start, end, granularity):
            return []

        @hookimpl
        def xtycore_report_series():
            return [ReportSeries("acme.wishlist_adds", "Wishlist adds", "count", wishlist_adds)]
    """
