"""Seed a demo shop: plugins and their capabilities, a catalogue, accounts, orders and reviews.

What ``xty demo`` creates (docs/demo.md):

1. every installed plugin enabled, and one instance of each capability type
   that offers ``demo_settings``;
2. the 小甜园 catalogue of :mod:`xtycore.demo_data` (208 products, 13
   categories, Chinese and English), each product saved, pictured and
   published through the catalogue's own services, so the automatic
   listing review passes on every one and they go on sale;
3. a staff owner and a demo customer, with passwords generated now and
   printed once (nothing secret is stored in the repository);
4. orders of a few demo shoppers, placed through the checkout, paid cash on
   delivery, shipped and delivered, and their reviews (评价) of what they
   bought, screened like any customer's; two are held for moderation;
5. a delivered order of the demo customer, waiting to be reviewed.

Idempotent: each part checks what exists (products by SKU, accounts by
email, orders by customer) and a second run adds and changes nothing.
The configuration key ``DEMO_PRODUCTS`` (environment ``XTY_DEMO_PRODUCTS``)
makes a smaller shop, taking products from every category in turn.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import random
import secrets
import time
from concurrent.futures import Future, ThreadPoolExecutor
from io import BytesIO
from typing import Callable, Iterator, Sequence

from flask import Flask, current_app
from sqlalchemy import func, select

from xtycore import demo_data
from xtycore.demo_data import pictures
from xtycore.domain.addresses import ChineseAddress
from xtycore.domain.catalog import ProductStatus
from xtycore.domain.money import Money
from xtycore.domain.payments import Flow
from xtycore.domain.staff import StaffRole
from xtycore.extensions import db, transaction
from xtycore.kernel import get_kernel
from xtycore.models import (
    BannedWord, CapabilityInstance, Customer, Order, Product, ProductImage, Variant,
)
from xtycore.registry import KINDS
from xtycore.services import (
    accounts, capabilities, catalog, catalog_review, checkout, images, orders, plugins, reviews, shipments, staff,
)
from xtycore.services import cart as carts

Progress = Callable[[str], None]

OWNER_EMAIL = "owner@xty.example"
CUSTOMER_EMAIL = "demo@xty.example"
#: The demo shoppers whose orders carry the demo reviews: (email, display name).
SHOPPERS = [
    ("linxiaoman@xty.example", "林小满"),
    ("wangyihe@xty.example", "王一禾"),
    ("chenzhixia@xty.example", "陈知夏"),
    ("liqinghe@xty.example", "李青禾"),
    ("zhouzian@xty.example", "周子安"),
    ("sunmuyang@xty.example", "孙沐阳"),
]
#: Every shopper buys the flagship twice, so its reviews run to a second page.
FLAGSHIP = "GT-01"
LINES_PER_ORDER = 3
ADDRESS = ChineseAddress(
    recipient="", mobile="13800138000", province="浙江省", city="杭州市", district="西湖区",
    street="龙井路1号 小甜园茶舍", postcode="310013",
)
#: Every n-th product gets a second picture, so galleries have something to switch between.
SECOND_PICTURE_EVERY = 5
#: Products written per transaction (and per progress line).
BATCH = 16


def seed(progress: Progress = lambda line: None) -> Iterator[str]:
    """Yield a line per thing seeded (or found already there); ``progress`` gets lines while products are made."""
    yield from seed_plugins()
    yield from seed_catalogue(progress)
    yield from seed_accounts()
    yield from seed_orders_and_reviews(progress)


# --------------------------------------------------------------------------
# plugins and capabilities
# --------------------------------------------------------------------------


def seed_plugins() -> Iterator[str]:
    """Enable installed plugins; configure each capability type that offers ``demo_settings`` once."""
    kernel = get_kernel()
    for record in kernel.plugins.toggleable():
        if not kernel.plugins.is_enabled(record.name):
            plugins.set_enabled(record.name, True, actor="demo")
            yield f"enabled plugin {record.name} {record.version or ''}".rstrip()
    configured = {
        (row.kind, row.type_code)
        for row in db.session.execute(select(CapabilityInstance)).scalars()
    }
    for kind in KINDS:
        for ctype in kernel.registry.types(kind):
            demo_settings = getattr(ctype.obj, "demo_settings", None)
            if demo_settings is None or (kind, ctype.code) in configured:
                continue
            name = getattr(ctype.obj, "demo_display_name", None) or ctype.name
            capabilities.create_instance(kind, ctype.code, display_name=name, settings=dict(demo_settings))
            yield f"configured {kind} {ctype.code} ({name})"


# --------------------------------------------------------------------------
# catalogue
# --------------------------------------------------------------------------


def seed_catalogue(progress: Progress) -> Iterator[str]:
    """Create the demo products that are not there yet (matched by the SKU of their first variant)."""
    items = demo_data.products(current_app.config.get("DEMO_PRODUCTS"))
    existing = set(db.session.execute(select(Variant.sku).where(Variant.sku.like("XTY-%"))).scalars())
    todo = [item for item in items if item.variants[0].sku not in existing]
    if not todo:
        yield f"demo catalogue: all {len(items)} products are there"
        return
    _seed_taxonomy()
    started = time.monotonic()
    statuses: dict[str, int] = {}
    progress(f"creating {len(todo)} demo products with pictures …")
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        for start in range(0, len(todo), BATCH):
            for status in _seed_batch(todo[start:start + BATCH], pool):
                statuses[status] = statuses.get(status, 0) + 1
            progress(f"  {min(start + BATCH, len(todo))}/{len(todo)} products "
                     f"({time.monotonic() - started:.1f} s)")
    summary = ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))
    yield (f"created {len(todo)} demo products in {len(demo_data.CATEGORIES)} categories: {summary} "
           f"({time.monotonic() - started:.1f} s)")


def _seed_taxonomy() -> None:
    """Categories and brands with their English names, and the merchant's banned words."""
    with transaction():
        for sort, (path, name_en) in enumerate(demo_data.categories()):
            category = catalog.category_by_path(path)
            if not category.name_en:
                category.name_en = name_en
                category.sort = sort
        for name, name_en in demo_data.BRANDS.values():
            brand = catalog.brand_by_name(name)
            if not brand.name_en:
                brand.name_en = name_en
        if db.session.execute(select(func.count()).select_from(BannedWord)).scalar_one() == 0:
            db.session.add_all(BannedWord(word=word, note="广告法 (demo)") for word in demo_data.BANNED_WORDS)


def _product_input(item: demo_data.DemoProduct) -> catalog.ProductInput:
    return catalog.ProductInput(
        title=item.title, title_en=item.title_en, subtitle=item.subtitle, description_html=item.description_html,
        brand=item.brand, category=item.category, tags=item.tags,
        variants=[
            catalog.VariantInput(
                sku=v.sku, price=Money(v.price), compare_at=Money(v.compare_at) if v.compare_at else None,
                options=v.options, weight_grams=v.weight_grams, stock=v.stock,
            )
            for v in item.variants
        ],
    )


def _pictures(item: demo_data.DemoProduct) -> list[BytesIO]:
    views = (0, 1) if int(item.code[-2:]) % SECOND_PICTURE_EVERY == 1 else (0,)
    return [pictures.jpeg(pictures.draw(item.code, item.title, item.title_en, item.colours, view)) for view in views]


def _save_pictures(app: Flask, drawn: Future, product_id: int) -> list[images.SavedImage]:
    """Check, store and thumbnail a product's pictures (in a worker thread, so it needs the app)."""
    saved: list[images.SavedImage] = []
    with app.app_context():
        try:
            for position, picture in enumerate(drawn.result()):
                saved.append(images.save_image(picture, f"picture-{position}.jpg", product_id))
        except BaseException:
            for image in saved:
                image.remove()
            raise
    return saved


def _seed_batch(batch: Sequence[demo_data.DemoProduct], pool: ThreadPoolExecutor) -> list[str]:
    """Save, picture and publish a batch of products in one transaction; their statuses.

    Pillow does its drawing and encoding with the GIL released, so the
    pictures are made in worker threads while this thread writes rows.
    """
    app = current_app._get_current_object()
    drawn = [pool.submit(_pictures, item) for item in batch]
    jobs: list[Future] = []
    try:
        with transaction():
            products = [catalog.save_product(_product_input(item)) for item in batch]
            jobs = [pool.submit(_save_pictures, app, pictures_, product.id)
                    for pictures_, product in zip(drawn, products)]
            statuses = []
            for item, product, job in zip(batch, products, jobs):
                for position, image in enumerate(job.result()):
                    product.images.append(ProductImage(
                        path=image.path, width=image.width, height=image.height, alt=item.title, position=position,
                    ))
                db.session.flush()
                statuses.append(catalog_review.publish_in_session(product).status.value)
            return statuses
    except BaseException:
        for job in jobs:
            try:
                saved = job.result()
            except BaseException:  # that job removed its own files; the first error is raised below
                continue
            for image in saved:
                image.remove()
        raise


# --------------------------------------------------------------------------
# accounts
# --------------------------------------------------------------------------


def new_password() -> str:
    """A random password for a demo account: 16 URL-safe characters, fresh on every new seed."""
    return secrets.token_urlsafe(12)


def seed_accounts() -> Iterator[str]:
    """The staff owner and the demo customer; their passwords are printed once, when they are made."""
    if staff.find_staff(OWNER_EMAIL) is None:
        password = new_password()
        staff.create_staff(OWNER_EMAIL, password, role=StaffRole.OWNER, display_name="店主")
        yield f"staff owner:   {OWNER_EMAIL}  password: {password}  (shown once; keep it)"
    else:
        yield f"staff owner {OWNER_EMAIL} exists (its password was printed when it was created)"
    if accounts.find_customer(CUSTOMER_EMAIL) is None:
        password = new_password()
        accounts.register(email=CUSTOMER_EMAIL, password=password, display_name="小甜")
        yield f"demo customer: {CUSTOMER_EMAIL}  password: {password}  (log in at /account/login)"
    else:
        yield (f"demo customer {CUSTOMER_EMAIL} exists (its password was printed when it was created; "
               "「忘记密码」 on the login page mails a reset link)")


def _customer(email: str, name: str) -> int:
    """The customer's id, registering it with a random password nobody is told (it only writes reviews)."""
    found = accounts.find_customer(email)
    if found is not None:
        return found.id
    return accounts.register(email=email, password=new_password(), display_name=name).id


# --------------------------------------------------------------------------
# orders and reviews
# --------------------------------------------------------------------------


def seed_orders_and_reviews(progress: Progress) -> Iterator[str]:
    """Delivered orders of the demo shoppers with their reviews, and the demo customer's order to review.

    A shopper who has orders already is left alone, and so is a demo customer with an order.
    """
    demo_customer = accounts.find_customer(CUSTOMER_EMAIL)
    if demo_customer is None:
        return
    shoppers = [(email, name) for email, name in SHOPPERS if not _has_orders(email)]
    if not shoppers and _has_orders(CUSTOMER_EMAIL):
        yield "demo orders and reviews are there"
        return
    payment_id = _offline_payment()
    if payment_id is None:
        yield ("no payment method staff can confirm (install xtycore-payment-cod): "
               "skipped the demo orders and reviews")
        return
    stock = _orderable_variants()
    flagship = stock.pop(FLAGSHIP, None)
    if flagship is None or len(stock) < LINES_PER_ORDER * 2:
        yield "too few demo products in stock: skipped the demo orders and reviews"
        return
    rng = random.Random("xty-demo-orders")
    codes = sorted(stock)
    held_texts = list(demo_data.HELD_REVIEW_TEXTS)
    progress(f"placing and delivering orders of {len(shoppers)} demo shoppers, with their reviews …")
    outcomes: dict[str, int] = {}
    placed = 0
    for number, (email, name) in enumerate(shoppers):
        customer_id = _customer(email, name)
        for round_ in range(2):
            picks = [flagship] + [stock[code] for code in rng.sample(codes, LINES_PER_ORDER - 1)]
            order = _delivered_order(customer_id, name, number, picks, payment_id, complete=round_ == 0)
            placed += 1
            for line in order.lines:
                # the last shopper's last order carries the reviews screening holds
                hold = number == len(shoppers) - 1 and round_ == 1 and held_texts and line is not order.lines[0]
                rating, body = held_texts.pop() if hold else rng.choice(demo_data.REVIEW_TEXTS)
                photos = _buyer_photos(line.product_id, line.product_name, rng) if rng.random() < 0.25 else []
                review = reviews.submit_review(customer_id, order.number, line.id, rating=rating, body=body,
                                               photos=photos)
                outcomes[review.status] = outcomes.get(review.status, 0) + 1
    if placed:
        yield (f"{placed} delivered orders of {len(shoppers)} demo shoppers: "
               f"{outcomes.get('published', 0)} reviews published, "
               f"{outcomes.get('pending_moderation', 0)} waiting for moderation (`xty reviews moderate`)")
    if not _has_orders(CUSTOMER_EMAIL):
        order = _delivered_order(demo_customer.id, demo_customer.display_name, len(SHOPPERS),
                                 [stock[code] for code in rng.sample(codes, 2)], payment_id, complete=False)
        yield f"order {order.number} of the demo customer is delivered and waits for a review (我的订单 → 写评价)"


def _has_orders(email: str) -> bool:
    return db.session.execute(
        select(Order.id).join(Customer, Customer.id == Order.customer_id).where(Customer.email == email).limit(1)
    ).first() is not None


def _offline_payment() -> int | None:
    """An enabled payment instance staff can confirm (cash on delivery), if there is one."""
    if checkout.payments_module() is None:
        return None
    currency = carts.shop_currency()
    return next((o.instance_id for o in checkout.payment_options(currency) if Flow.OFFLINE in o.flows), None)


def _orderable_variants() -> dict[str, int]:
    """Demo product code -> the id of its first variant with stock to spare, for active products."""
    rows = db.session.execute(
        select(Variant.sku, Variant.id)
        .join(Product, Product.id == Variant.product_id)
        .where(Product.status == ProductStatus.ACTIVE.value, Variant.sku.like("XTY-%"), Variant.stock >= 5)
        .order_by(Variant.sku)
    ).all()
    found: dict[str, int] = {}
    for sku, variant_id in rows:
        code = sku.removeprefix("XTY-").rsplit("-", 1)[0]
        found.setdefault(code, variant_id)
    return found


#: the courier the demo's delivered orders went with (the back office's "other courier" field takes any name)
DEMO_COURIER = "顺丰速运"


def _delivered_order(customer_id: int, name: str, number: int, variant_ids: Sequence[int], payment_id: int,
                     *, complete: bool) -> Order:
    """Place an order through the checkout, confirm its cash payment, ship it with a waybill and deliver it."""
    cart = carts.customer_cart(customer_id) or carts.create_cart(customer_id)
    for variant_id in variant_ids:
        carts.add_item(cart.id, variant_id, 1, customer_id=customer_id)
    address = dataclasses.replace(ADDRESS, recipient=name, mobile=f"1380013{8000 + number}")
    checkout.set_address(cart.id, address)
    db.session.expire_all()
    cart = carts.customer_cart(customer_id)
    options = checkout.shipping_options(carts.view_cart(cart, customer_id), address).options
    option = next(o for o in options if not o.pickup)
    checkout.choose_shipping(cart.id, option.instance_id, option.quote.code)
    checkout.choose_payment(cart.id, payment_id)
    order = checkout.place_order(cart.id, checkout.issue_checkout_token(cart.id), customer_id=customer_id).order
    checkout.payments_module().confirm_offline(order.number, actor="demo")
    shipments.ship(order.id, courier=DEMO_COURIER, waybill_number=f"SF-{order.number}", actor="staff:demo")
    for event in ("deliver", "complete") if complete else ("deliver",):
        with transaction():
            orders.transition(order.id, event, actor="staff:demo")
    return orders.customer_order(customer_id, order.number)


def _buyer_photos(product_id: int | None, title: str, rng: random.Random) -> list[reviews.Upload]:
    """One or two pictures "taken by the buyer": other views of the product's own picture."""
    product = db.session.get(Product, product_id) if product_id is not None else None
    if product is None:
        return []
    code = product.variants[0].sku.removeprefix("XTY-").rsplit("-", 1)[0]
    colours = _colours().get(code, ("#eeeeee", "#555555"))
    return [
        reviews.Upload(pictures.jpeg(pictures.draw(code, title, product.title_en, colours, view)), f"IMG_{view}.jpg")
        for view in range(2, 2 + rng.randint(1, 2))
    ]


@functools.lru_cache(maxsize=1)
def _colours() -> dict[str, tuple[str, str]]:
    return {item.code: item.colours for item in demo_data.products()}
