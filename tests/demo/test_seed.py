"""``xty demo`` seeds a whole shop through the normal services, and a second run changes nothing."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import distinct, func, inspect, select, text

from xtycore import demo_data
from xtycore.domain.reviews import ReviewStatus
from xtycore.extensions import db
from xtycore.models import (
    Brand, CapabilityInstance, Category, Customer, Order, Product, ProductImage, ProductReview, Shipment, Staff,
    Variant,
)
from xtycore.services import accounts, demo, images, reviews, staff


def snapshot() -> tuple[dict[str, int], set[str]]:
    """Rows per table, and every file under the uploads folder."""
    db.session.expire_all()
    counts = {
        name: db.session.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
        for name in inspect(db.engine).get_table_names() if name.startswith("xty_") and "fts" not in name
    }
    root = images.uploads_root()
    return counts, {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def printed_password(lines: list[str], email: str) -> str:
    line = next(line for line in lines if email in line and "password:" in line)
    return re.search(r"password: (\S+)", line).group(1)


@pytest.mark.slow
def test_seeding_makes_a_bilingual_shop_of_active_products_and_a_second_run_adds_nothing(xty_app):
    with xty_app.app_context():
        progress: list[str] = []
        started = time.monotonic()
        lines = list(demo.seed(progress=progress.append))
        seconds = time.monotonic() - started
        print(f"seeded the demo shop in {seconds:.1f} s")

        active = select(Product).where(Product.status == "active")
        products = db.session.execute(active).scalars().all()
        assert len(products) == len(demo_data.products()) >= 200
        assert db.session.execute(select(func.count()).select_from(Product)).scalar_one() == len(products)
        used = db.session.execute(select(func.count(distinct(Product.category_id)))).scalar_one()
        assert used >= 10
        assert all(p.title_en and p.subtitle and 'lang="en"' in p.description_html for p in products)
        assert all(c.name_en for c in db.session.execute(select(Category)).scalars())
        assert all(b.name_en for b in db.session.execute(select(Brand)).scalars())

        variants = db.session.execute(select(Variant)).scalars().all()
        assert {name for v in variants for name in v.options} >= {"规格", "口味", "颜色", "尺码"}
        assert any(v.stock == 0 for v in variants) and any(v.compare_at_minor for v in variants)
        assert len({v.price_minor for v in variants if v.product_id == variants[0].product_id}) > 1

        root = images.uploads_root()
        pictures = db.session.execute(select(ProductImage)).scalars().all()
        assert {image.product_id for image in pictures} == {p.id for p in products}
        for image in pictures:
            assert (root / image.path).is_file(), image.path
            assert all((root / t).is_file() for t in images.thumbnail_paths(image.path).values())

        owner = staff.verify_staff(demo.OWNER_EMAIL, printed_password(lines, demo.OWNER_EMAIL))
        assert owner.role == "owner"
        customer = accounts.authenticate(demo.CUSTOMER_EMAIL, printed_password(lines, demo.CUSTOMER_EMAIL))
        assert customer.display_name == "小甜"
        # shoppers see the instances' names at checkout: the demo names them in the shop's language
        names = dict(db.session.execute(select(CapabilityInstance.type_code, CapabilityInstance.display_name)).all())
        assert names["flat_rate"] == "快递配送" and names["store_pickup"] == "到店自提"
        assert names["table_rate"] == "按地区计重快递" and names["sandbox"].startswith("沙箱支付")

        by_status = dict(db.session.execute(
            select(ProductReview.status, func.count()).group_by(ProductReview.status)
        ).all())
        assert by_status[ReviewStatus.PUBLISHED.value] >= 30
        assert by_status[ReviewStatus.PENDING_MODERATION.value] == 2
        reviewed = db.session.execute(select(ProductReview.product_id).distinct()).scalars().all()
        for product_id in reviewed:
            assert reviews.product_reviews(product_id).rating == reviews.recount(product_id)
        flagship = db.session.execute(
            select(Variant.product_id).where(Variant.sku == "XTY-GT-01-1")
        ).scalar_one()
        assert reviews.product_reviews(flagship).pages == 2

        [mine] = db.session.execute(select(Order).where(Order.customer_id == customer.id)).scalars().all()
        assert mine.status == "delivered"
        # every order that went out has its shipment with a waybill, as the back office shows it
        shipped = db.session.execute(select(Order.id).where(Order.status.in_(("delivered", "completed")))).scalars()
        waybills = dict(db.session.execute(select(Shipment.order_id, Shipment.waybill_number)).all())
        assert set(shipped) == set(waybills) and waybills[mine.id] == f"SF-{mine.number}"
        assert all(state.open for state in reviews.order_lines_for_review(mine))

        assert any("products" in line for line in progress)
        before = snapshot()
        again = list(demo.seed(progress=progress.append))
        assert snapshot() == before
        assert any("all 208 products are there" in line for line in again)
        assert any(f"staff owner {demo.OWNER_EMAIL} exists" in line for line in again)
        assert not any("password:" in line for line in again)
        assert db.session.execute(select(func.count()).select_from(Staff)).scalar_one() == 1
        assert db.session.execute(select(func.count()).select_from(Customer)).scalar_one() == len(demo.SHOPPERS) + 1


def test_a_fresh_seed_generates_new_passwords(xty_make_app):
    app = xty_make_app(config={"DEMO_PRODUCTS": 13})
    with app.app_context():
        first = list(demo.seed_accounts())
    second_app = xty_make_app(config={"DEMO_PRODUCTS": 13})
    with second_app.app_context():
        db.session.execute(db.delete(Staff))
        db.session.execute(db.delete(Customer))
        db.session.commit()
        second = list(demo.seed_accounts())
    assert printed_password(first, demo.OWNER_EMAIL) != printed_password(second, demo.OWNER_EMAIL)
    assert printed_password(first, demo.CUSTOMER_EMAIL) != printed_password(second, demo.CUSTOMER_EMAIL)
    assert len(printed_password(first, demo.OWNER_EMAIL)) >= 16


def test_pictures_are_the_same_on_every_run_and_differ_between_products():
    from xtycore.demo_data import pictures

    tea, plum = demo_data.products()[0], demo_data.products()[100]
    first = pictures.draw(tea.code, tea.title, tea.title_en, tea.colours).tobytes()
    assert pictures.draw(tea.code, tea.title, tea.title_en, tea.colours).tobytes() == first
    assert pictures.draw(plum.code, plum.title, plum.title_en, plum.colours).tobytes() != first
    assert pictures.initials("西湖龙井 明前特级") == "XHLJ"


def test_the_catalogue_data_is_complete_and_consistent():
    items = demo_data.products()
    assert len(items) >= 200 and len({item.category for item in items}) >= 10
    skus = [v.sku for item in items for v in item.variants]
    assert len(skus) == len(set(skus))
    assert len({item.title for item in items}) == len(items)
    assert all(item.title_en and item.brand and item.variants for item in items)
    banned = [w for w in demo_data.BANNED_WORDS for item in items if w in item.title + item.description_html]
    assert banned == []
    smaller = demo_data.products(26)
    assert len(smaller) == 26 and len({item.category for item in smaller}) == 13
