"""The review form under /account/orders/<number>/review/<line>, and the product page's review list."""

from __future__ import annotations

import os
import re
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.orders.helpers import PASSWORD, log_in, make_shop
from tests.reviews.helpers import delivered_order, make_customer, make_product, order_at, photo
from xtycore.extensions import db
from xtycore.models import Product, ProductReview
from xtycore.services import images, reviews


@pytest.fixture
def bought(ctx):
    """mei's delivered order of one tea; (order number, line id, product id)."""
    customer = make_customer("mei@example.cn")
    product, variant = make_product("西湖龙井", stock=30)
    order = delivered_order(ctx, customer, variant)
    return order.number, order.lines[0].id, product


def form_url(number, line):
    return f"/account/orders/{number}/review/{line}"


def stored() -> list[ProductReview]:
    db.session.expire_all()
    return list(db.session.execute(select(ProductReview)).scalars())


def test_a_visitor_is_sent_to_log_in(ctx, bought):
    number, line, _ = bought
    response = ctx.app.test_client().get(form_url(number, line))
    assert response.status_code == 302 and "/account/login" in response.location


def test_the_owner_sees_the_form_for_a_line_of_a_delivered_order(ctx, bought):
    number, line, _ = bought
    client = ctx.app.test_client()
    log_in(client)
    html = client.get(form_url(number, line)).get_data(as_text=True)
    assert "西湖龙井" in html
    assert 'name="rating"' in html and 'name="photos"' in html and 'enctype="multipart/form-data"' in html


def test_someone_elses_order_an_unknown_line_or_order_is_a_404(ctx, bought):
    number, line, _ = bought
    make_customer("lei@example.cn")
    stranger = ctx.app.test_client()
    log_in(stranger, "lei@example.cn")
    assert stranger.get(form_url(number, line)).status_code == 404
    assert stranger.post(form_url(number, line), data={"rating": "1", "body": "差评差评差评差评差评"}).status_code == 404
    owner = ctx.app.test_client()
    log_in(owner)
    assert owner.get(form_url(number, line + 1000)).status_code == 404
    assert owner.get(form_url("NOPE-1", line)).status_code == 404
    assert stored() == []


def test_an_order_that_has_not_arrived_sends_the_customer_back_with_the_reason(ctx):
    customer = make_customer()
    _, variant = make_product()
    order = order_at(ctx, customer, variant, status="shipped")
    client = ctx.app.test_client()
    log_in(client)
    response = client.get(form_url(order.number, order.lines[0].id))
    assert response.status_code == 303 and response.location.endswith(f"/account/orders/{order.number}")
    assert "订单送达后才能评价" in client.get(response.location).get_data(as_text=True)


def test_posting_the_form_publishes_the_review_with_its_photos(ctx, bought):
    number, line, product = bought
    client = ctx.app.test_client()
    log_in(client)
    response = client.post(form_url(number, line), content_type="multipart/form-data", data={
        "rating": "5", "body": "明前的龙井，豆香很足。",
        "photos": [(photo("#a5d6a7"), "IMG_0001.JPG"), (photo("#fff59d", fmt="PNG"), "IMG_0002.png")],
    })
    assert response.status_code == 303 and response.location.endswith(f"/account/orders/{number}")
    [review] = stored()
    assert (review.product_id, review.rating, review.status) == (product, 5, "published")
    assert review.body == "明前的龙井，豆香很足。"
    assert len(review.photos) == 2
    uploads = images.uploads_root()
    for item in review.photos:
        assert item["path"].startswith(f"products/{product}/")
        assert (uploads / item["path"]).is_file()
        assert all((uploads / thumb).is_file() for thumb in images.thumbnail_paths(item["path"]).values())
    page = client.get(response.location).get_data(as_text=True)
    assert "评价已发布" in page and "已评价" in page


def test_a_form_without_stars_is_shown_again_with_the_message_and_the_text_kept(ctx, bought):
    number, line, _ = bought
    client = ctx.app.test_client()
    log_in(client)
    response = client.post(form_url(number, line), data={"body": "忘了选星级"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请选择1到5星" in html and "忘了选星级" in html
    assert stored() == []


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_kept(ctx, bought):
    number, line, product = bought
    client = ctx.app.test_client()
    log_in(client)
    response = client.post(form_url(number, line), content_type="multipart/form-data", data={
        "rating": "5", "body": "图片传错了", "photos": [(photo(), "ok.jpg"), (BytesIO(b"%PDF-1.7 not an image"), "a.jpg")],
    })
    assert response.status_code == 422
    assert "照片无法使用" in response.get_data(as_text=True)
    assert stored() == []
    folder = images.uploads_root() / "products" / str(product)
    assert not folder.exists() or not any(folder.iterdir())


def test_more_than_six_photos_are_refused(ctx, bought):
    number, line, _ = bought
    client = ctx.app.test_client()
    log_in(client)
    response = client.post(form_url(number, line), content_type="multipart/form-data", data={
        "rating": "5", "photos": [(photo(), f"{n}.jpg") for n in range(7)],
    })
    assert response.status_code == 422 and "最多上传6张照片" in response.get_data(as_text=True)
    assert stored() == []


def test_a_second_post_for_the_same_line_is_turned_away(ctx, bought):
    number, line, _ = bought
    client = ctx.app.test_client()
    log_in(client)
    client.post(form_url(number, line), data={"rating": "4", "body": "不错"})
    response = client.post(form_url(number, line), data={"rating": "1", "body": "再来一次"})
    assert response.status_code == 303
    assert "已评价" in client.get(response.location).get_data(as_text=True)
    assert [r.rating for r in stored()] == [4]


def log_in_with_token(client):
    """Log mei in through the login form, CSRF token and all."""
    html = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = client.post("/account/login", data={"identifier": "mei@example.cn", "password": PASSWORD,
                                                   "csrf_token": token})
    assert response.status_code == 302


def test_the_form_is_refused_without_its_csrf_token(xty_make_app):
    shop = make_shop(xty_make_app, config={"WTF_CSRF_ENABLED": True})
    with shop.app.app_context():
        customer = make_customer()
        _, variant = make_product()
        order = delivered_order(shop, customer, variant)
        client = shop.app.test_client()
        log_in_with_token(client)
        url = form_url(order.number, order.lines[0].id)
        refused = client.post(url, data={"rating": "5", "body": "没有令牌"})
        assert refused.status_code == 400 and "页面已过期" in refused.get_data(as_text=True)
        assert stored() == []
        form_token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)
        assert client.post(url, data={"rating": "5", "body": "带上令牌", "csrf_token": form_token}).status_code == 303
        assert [r.body for r in stored()] == ["带上令牌"]


def test_the_order_page_links_each_line_to_its_review_form(ctx, bought):
    number, line, _ = bought
    client = ctx.app.test_client()
    log_in(client)
    html = client.get(f"/account/orders/{number}").get_data(as_text=True)
    assert f'href="{form_url(number, line)}"' in html and "写评价" in html


def test_the_product_page_shows_published_reviews_newest_first_with_pages(ctx):
    customer = make_customer()
    product, variant = make_product("武夷大红袍", stock=40)
    for n in range(11):
        order = delivered_order(ctx, customer, variant)
        reviews.submit_review(customer, order.number, order.lines[0].id, rating=4 + n % 2, body=f"第{n}次：岩韵明显")
    order = delivered_order(ctx, customer, variant)
    reviews.submit_review(customer, order.number, order.lines[0].id, rating=1, body="")  # held, not shown
    slug = db.session.get(Product, product).slug
    client = ctx.app.test_client()
    first = client.get(f"/p/{slug}").get_data(as_text=True)
    assert first.index("第10次") < first.index("第9次")
    assert "第0次" not in first and "4.5" in first and 'id="reviews"' in first
    assert f"/p/{slug}?reviews_page=2#reviews" in first
    second = client.get(f"/p/{slug}?reviews_page=2").get_data(as_text=True)
    assert "第0次" in second and "第10次" not in second


def test_the_review_list_partial_is_a_self_contained_include():
    partial = Path(__file__).resolve().parents[2] / "themes" / "default" / "templates" / "partials" / "reviews.html"
    text = partial.read_text(encoding="utf-8")
    assert "reviews_for(product)" in text and "{% extends" not in text


def test_an_upload_over_the_size_limit_is_refused_before_it_is_read(xty_make_app, monkeypatch):
    monkeypatch.setattr("xtycore.web.reviews.MAX_REQUEST_BYTES", 20_000)
    shop = make_shop(xty_make_app, config={"WTF_CSRF_ENABLED": True})
    with shop.app.app_context():
        customer = make_customer()
        _, variant = make_product()
        order = delivered_order(shop, customer, variant)
        client = shop.app.test_client()
        log_in_with_token(client)
        url = form_url(order.number, order.lines[0].id)
        response = client.post(url, content_type="multipart/form-data", data={
            "rating": "5", "photos": [(BytesIO(os.urandom(50_000)), "huge.jpg")],
        })
        assert response.status_code == 413 and "照片太大" in response.get_data(as_text=True)
        assert stored() == []
