"""The built-in reviewer's rules and the review flow: publish -> queue -> approve or reject."""

import pytest
from click.testing import Result
from sqlalchemy import select

from tests.catalog.conftest import make_product, variant
from xtycore.builtin import review as rules
from xtycore.cli import main
from xtycore.domain.catalog import CatalogError, InvalidTransition, ProductStatus
from xtycore.domain.contributions import Severity
from xtycore.domain.money import Money
from xtycore.extensions import db
from xtycore.models import Product, ReviewDecision, ReviewFinding
from xtycore.services import catalog, catalog_review


def codes(pid):
    rows = db.session.execute(select(ReviewFinding).where(ReviewFinding.product_id == pid)).scalars()
    return {(r.code, r.severity, r.field) for r in rows}


def status(pid):
    db.session.expire_all()
    return db.session.get(Product, pid).status


def test_a_complete_listing_is_published_with_no_findings(app):
    pid = make_product()
    assert status(pid) == "active"
    assert codes(pid) == set()
    assert db.session.get(Product, pid).published_at is not None


def test_a_product_without_images_waits_for_review(app):
    pid = make_product(images=0)
    assert status(pid) == "pending_review"
    assert codes(pid) == {("no_images", "blocking", "images")}


def test_an_empty_description_blocks_and_a_short_one_warns(app):
    empty = make_product("空描述", description="<p> </p>")
    short = make_product("短描述", description="<p>好茶</p>")
    assert (status(empty), codes(empty)) == ("pending_review", {("description_empty", "blocking", "description")})
    assert (status(short), codes(short)) == ("active", {("description_short", "warning", "description")})


def test_a_zero_price_blocks_and_names_the_sku(app):
    pid = make_product(variants=[variant("0", sku="FREE-1"), variant("10", sku="OK-1")])
    assert status(pid) == "pending_review"
    finding = db.session.execute(select(ReviewFinding).where(ReviewFinding.product_id == pid)).scalar_one()
    assert (finding.code, finding.severity) == ("price_not_positive", "blocking")
    assert "FREE-1" in finding.message


def test_a_negative_price_given_to_the_reviewer_is_blocking(app):
    findings = rules.check_prices({"variants": [{"sku": "X", "price": Money("-1.00")}]})
    assert [(f.code, f.severity) for f in findings] == [("price_not_positive", Severity.BLOCKING)]


def test_a_compare_at_price_not_above_the_price_warns(app):
    pid = make_product(variants=[variant("99", compare_at="99"), variant("99", compare_at="129")])
    assert status(pid) == "active"
    assert codes(pid) == {("compare_at_not_above", "warning", "compare_at_price")}


def test_a_price_far_below_the_category_median_is_held_for_review(app):
    for i, price in enumerate(["1299", "1099", "1599"]):
        make_product(f"笔记本电脑 {i}", price=price, category="数码/电脑")
    typo = make_product("笔记本电脑 特价", price="129.9", category="数码/电脑")
    fair = make_product("笔记本电脑 入门", price="899", category="数码/电脑")
    assert status(typo) == "pending_review"
    assert codes(typo) == {("price_far_below_median", "blocking", "price")}
    message = db.session.execute(select(ReviewFinding.message).where(ReviewFinding.product_id == typo)).scalar()
    assert "median 1299.00 CNY of 3 active products" in message
    assert status(fair) == "active"


def test_the_median_rule_needs_three_other_active_products_in_the_category(app):
    make_product("电脑 A", price="1299", category="数码/电脑")
    make_product("电脑 B", price="1299", category="数码/电脑")
    make_product("电脑 C", price="1299", category="数码/平板")
    assert status(make_product("电脑 D", price="9.9", category="数码/电脑")) == "active"


def test_the_category_median_of_an_even_count_is_the_mean_of_the_middle_two(app):
    for i, price in enumerate(["10", "20", "30", "1000"]):
        make_product(f"茶杯 {i}", price=price, category="茶具")
    cid = db.session.get(Product, make_product("茶杯 x", publish=False, category="茶具")).category_id
    assert rules.category_median(cid, None) == (Money("25.00"), 4)


def test_banned_words_in_the_title_or_description_block(app):
    catalog_review.add_banned_word("最好", "广告法")
    catalog_review.add_banned_word("ＮＯ.1")
    pid = make_product("最好的龙井", description="<p>全网no.1的绿茶，口感鲜爽，回味甘甜，值得一试。</p>")
    assert status(pid) == "pending_review"
    assert codes(pid) == {("banned_word", "blocking", "title"), ("banned_word", "blocking", "description")}


def test_a_duplicate_title_warns_but_publishes(app):
    first = make_product("西湖龙井 250g")
    second = make_product("西湖龙井 250G")
    assert codes(first) == set()
    assert (status(second), codes(second)) == ("active", {("duplicate_title", "warning", "title")})


def test_the_reviewer_judges_only_the_fields_it_is_given(app):
    assert catalog.review_product({"title": "龙井茶"}) == []


def test_blocking_findings_wait_in_the_queue_until_approved_with_actor_and_time(app):
    pid = make_product("无图商品", images=0)
    queue = catalog_review.review_queue()
    assert [(e.product_id, [f.code for f in e.findings]) for e in queue] == [(pid, ["no_images"])]
    assert catalog_review.approve(pid, actor="小王") is ProductStatus.ACTIVE
    assert status(pid) == "active" and catalog_review.review_queue() == []
    decision = catalog_review.decisions(pid)[0]
    assert (decision.decision, decision.actor, decision.reason) == ("approve", "小王", "")
    assert decision.at is not None


def test_a_rejection_needs_a_reason_and_is_recorded(app):
    pid = make_product("无图商品", images=0)
    with pytest.raises(CatalogError, match="needs a reason"):
        catalog_review.reject(pid, actor="小王", reason=" ")
    assert catalog_review.reject(pid, actor="小王", reason="请上传主图") is ProductStatus.REJECTED
    assert [(d.decision, d.reason) for d in catalog_review.decisions(pid)] == [("reject", "请上传主图")]
    with pytest.raises(InvalidTransition, match="cannot approve"):
        catalog_review.approve(pid, actor="小王")


def test_republishing_a_rejected_product_after_fixing_it_makes_it_active(app):
    pid = make_product("无图商品", images=0)
    catalog_review.reject(pid, actor="小王", reason="请上传主图")
    from xtycore.extensions import transaction
    from xtycore.models import ProductImage

    with transaction():
        db.session.add(ProductImage(product_id=pid, path="products/x.jpg", width=1, height=1))
    assert catalog_review.publish_product(pid).status is ProductStatus.ACTIVE
    assert codes(pid) == set()


def test_archived_products_leave_sale_and_come_back_as_drafts(app):
    pid = make_product()
    assert catalog_review.archive(pid) is ProductStatus.ARCHIVED
    with pytest.raises(InvalidTransition):
        catalog_review.publish_product(pid)
    assert catalog_review.restore(pid) is ProductStatus.DRAFT


def cli(app, *args) -> Result:
    return app.test_cli_runner().invoke(main, ["catalog", *args])


def test_the_review_commands_list_the_queue_and_record_decisions(app):
    waiting = make_product("无图商品", images=0)
    other = make_product("无图商品二", images=0)
    listing = cli(app, "review")
    assert listing.exit_code == 0, listing.output
    assert f"#{waiting} 无图商品" in listing.output and "blocking no_images [images]" in listing.output
    approved = cli(app, "review", "approve", str(waiting), "--actor", "店长")
    assert approved.exit_code == 0 and "active" in approved.output
    missing_reason = cli(app, "review", "reject", str(other))
    assert missing_reason.exit_code == 2 and "--reason" in missing_reason.output
    rejected = cli(app, "review", "reject", str(other), "--reason", "主图缺失")
    assert rejected.exit_code == 0 and "rejected" in rejected.output
    assert cli(app, "review").output.strip() == "the review queue is empty"
    decisions = db.session.execute(
        select(ReviewDecision.actor, ReviewDecision.decision, ReviewDecision.reason).order_by(ReviewDecision.id)
    ).all()
    assert decisions[0] == ("店长", "approve", "")
    assert decisions[1][1:] == ("reject", "主图缺失") and decisions[1][0].startswith("cli:")


def test_banned_words_are_managed_from_the_command_line(app):
    assert cli(app, "banned-words", "add", "最佳", "第一", "--note", "广告法").exit_code == 0
    assert cli(app, "banned-words").output.splitlines() == ["最佳\t广告法", "第一\t广告法"]
    assert "removed 最佳" in cli(app, "banned-words", "remove", "最佳").output
    assert [w.word for w in catalog_review.banned_words()] == ["第一"]


def test_the_list_commands_open_their_own_app_context(xty_app, xty_cli):
    assert xty_cli.invoke(main, ["catalog", "review"]).output.strip() == "the review queue is empty"
    assert xty_cli.invoke(main, ["catalog", "banned-words"]).output.strip() == "no banned words"
