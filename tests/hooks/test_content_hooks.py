"""Storefront, catalogue, order and report hooks, through the kernel services that call them."""

from datetime import date, datetime, timezone

import pytest
from markupsafe import Markup
from sqlalchemy import select

from xtycore import hookimpl
from xtycore.domain.contributions import Finding, Recommendation, ReportPoint, ReportSeries, Severity, TaxLine
from xtycore.domain.errors import CapabilityUnavailable
from xtycore.domain.money import Money
from xtycore.domain.promotions import CartLine
from xtycore.extensions import db
from xtycore.models import PluginFailure
from xtycore.plugins import FaultPolicy
from xtycore.services import backoffice, catalog, orders, storefront
from xtycore.kernel import get_kernel

ORDER = {"created_at": datetime(2026, 11, 26, 12, tzinfo=timezone.utc), "customer_id": None,
         "channel": "web", "currency": "CNY"}


class SlotPlugin:
    @hookimpl
    def xtycore_template_slot(self, name, context):
        if name == "product.after_price":
            return Markup("<b>{}</b>").format(context["badge"])
        return None


def test_xtycore_template_slot_results_are_collected_per_plugin(xty_make_app):
    app = xty_make_app(plugins={"badge": SlotPlugin()})
    with app.app_context():
        results = get_kernel(app).plugins.call(
            "xtycore_template_slot", policy=FaultPolicy.OPEN, name="product.after_price", context={"badge": "<包邮>"}
        )
        assert results == [("badge", Markup("<b>&lt;包邮&gt;</b>"))]


class Recommender:
    def __init__(self, recs, fail=False):
        self.recs, self.fail = recs, fail

    @hookimpl
    def xtycore_recommendations(self, product_id, limit):
        if self.fail:
            raise ValueError("model not trained")
        return self.recs


def test_xtycore_recommendations_are_merged_by_score_and_a_failing_recommender_is_skipped(xty_make_app):
    app = xty_make_app(plugins={
        "a": Recommender([Recommendation("2", score=0.5), Recommendation("3", score=0.9), Recommendation("1")]),
        "b": Recommender([Recommendation("2", score=0.7)]),
        "broken": Recommender([], fail=True),
    })
    with app.app_context():
        recs = storefront.recommend(product_id="1", customer_id=None, limit=5)
        assert [(r.product_id, r.score) for r in recs] == [("3", 0.9), ("2", 0.7)]
    with app.app_context():
        failures = db.session.execute(select(PluginFailure)).scalars().all()
        assert [(f.plugin, f.call, f.policy) for f in failures] == [("broken", "xtycore_recommendations", "open")]


class BrandNormaliser:
    @hookimpl
    def xtycore_normalize_product(self, data):
        return {"brand": "ACME"} if data.get("brand") == "ACME Inc." else None


def test_xtycore_normalize_product_runs_the_builtin_first_then_plugins(xty_make_app):
    app = xty_make_app(plugins={"brands": BrandNormaliser()})
    with app.app_context():
        data = catalog.normalize_product(
            {"title": "  苹果\u3000ｉＰｈｏｎｅ　１５，官方正品  ", "sku": "ＡＢ－１２３", "price": "１２９.００",
             "brand": "ACME Inc.", "tags": [" 新品 ", "新品", "ｘ"]}
        )
    assert data == {"title": "苹果 iPhone 15，官方正品", "sku": "AB-123", "price": "129.00", "brand": "ACME",
                    "tags": ["新品", "x"]}


class Reviewer:
    def __init__(self, fail=False):
        self.fail = fail

    @hookimpl
    def xtycore_review_product(self, product):
        if self.fail:
            raise KeyError("category")
        if "最好" in product["title"]:
            return [Finding(Severity.BLOCKING, "absolute_claim", "广告法禁用词: 最好", "title")]
        return [Finding(Severity.INFO, "ok", "looks fine")]


def test_xtycore_review_product_blocking_findings_send_the_product_to_review(xty_make_app):
    app = xty_make_app(plugins={"reviewer": Reviewer()})
    with app.app_context():
        bad = catalog.review_product({"title": "最好的茶"})
        assert catalog.needs_review(bad)
        assert bad[0][1].code == "absolute_claim"
        assert not catalog.needs_review(catalog.review_product({"title": "龙井茶"}))


def test_xtycore_review_product_a_crashing_reviewer_holds_the_product_for_a_person(xty_make_app):
    app = xty_make_app(plugins={"reviewer": Reviewer(fail=True)})
    with app.app_context():
        findings = catalog.review_product({"title": "龙井茶"})
        assert catalog.needs_review(findings)
        assert findings[0][1].code == "reviewer_failed"


class PosNumbers:
    @hookimpl
    def xtycore_order_number(self, order):
        return "POS-1" if order["channel"] == "pos" else None


def test_xtycore_order_number_builtin_default_is_dated_and_unguessable(xty_app):
    with xty_app.app_context():
        numbers = {orders.new_order_number(ORDER) for _ in range(200)}
    assert len(numbers) == 200
    assert all(n.startswith("20261126-") and len(n) == 17 for n in numbers)
    assert not any(set(n[9:]) & set("ILOU") for n in numbers)


def test_xtycore_order_number_a_plugin_decides_first_and_defers_with_none(xty_make_app):
    app = xty_make_app(plugins={"pos": PosNumbers()})
    with app.app_context():
        assert orders.new_order_number({**ORDER, "channel": "pos"}) == "POS-1"
        assert orders.new_order_number(ORDER).startswith("20261126-")


class Vat:
    def __init__(self, fail=False):
        self.fail = fail

    @hookimpl
    def xtycore_compute_tax(self, lines, currency):
        if self.fail:
            raise ConnectionError("tax service down")
        total = Money.sum((line.total for line in lines), currency)
        return [TaxLine("增值税", Money(total.amount * 13 / 113, currency), rate="13%")]


def test_xtycore_compute_tax_collects_tax_lines(xty_make_app):
    app = xty_make_app(plugins={"vat": Vat()})
    lines = [CartLine("1", "SKU", "p", 2, Money("56.50"))]
    with app.app_context():
        assert orders.compute_tax(lines, None, "CNY") == [TaxLine("增值税", Money("13.00"), rate="13%")]


def test_xtycore_compute_tax_failure_fails_closed(xty_make_app):
    app = xty_make_app(plugins={"vat": Vat(fail=True)})
    with app.app_context(), pytest.raises(CapabilityUnavailable):
        orders.compute_tax([CartLine("1", "SKU", "p", 1, Money("1"))], None, "CNY")


def wishlist_adds(start, end, granularity):
    return [ReportPoint(start, 3)]


class Reports:
    @hookimpl
    def xtycore_report_series(self):
        return [ReportSeries("acme.wishlist_adds", "Wishlist adds", "count", wishlist_adds)]


def test_xtycore_report_series_are_listed_by_code_and_computable(xty_make_app):
    app = xty_make_app(plugins={"acme": Reports()})
    with app.app_context():
        series = backoffice.report_series()
        plugin, found = series["acme.wishlist_adds"]
        assert plugin == "acme"
        assert found.compute(date(2026, 1, 1), date(2026, 1, 31), "day") == [ReportPoint(date(2026, 1, 1), 3)]
