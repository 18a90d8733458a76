"""The storefront's order page pays through the real payments module: sandbox page, callback, paid."""

from urllib.parse import urlsplit

from tests.orders.helpers import make_product, make_shop, place
from xtycore.services import orders
from xtycore.services.capabilities import create_instance

from .conftest import SANDBOX_SETTINGS, relative


def test_a_guest_pays_an_order_from_its_page_through_the_sandbox(xty_make_app, callbacks_for):
    shop = make_shop(xty_make_app, plugins={"payment_sandbox": None})
    deliver = callbacks_for(shop.app)
    with shop.app.app_context():
        sandbox_id = create_instance("payment", "sandbox", display_name="沙箱支付", settings=SANDBOX_SETTINGS)
        shop.payment_id = sandbox_id
        _, variant_id = make_product(price="88.00")
        order = place(shop, (variant_id, 1)).order
        order_id, token, total = order.id, orders.order_link_token(order), order.total_minor
    client = shop.app.test_client()
    to_gateway = client.post(f"/orders/{token}/pay")
    assert to_gateway.status_code == 303 and "/sandbox-pay/SBX" in to_gateway.headers["Location"]
    page = client.get(relative(to_gateway.headers["Location"]))
    assert page.status_code == 200 and f"{total / 100:.2f} CNY" in page.get_data(as_text=True)
    back = client.post(urlsplit(to_gateway.headers["Location"]).path, data={"action": "pay"})
    assert deliver.answers == [(200, '{"code":"SUCCESS"}', "application/json")]
    to_order = client.get(urlsplit(back.headers["Location"]).path)
    assert to_order.status_code == 303 and to_order.headers["Location"] == f"http://shop.test/orders/{token}"
    with shop.app.app_context():
        paid = orders.order_for_link(token)
        assert (paid.id, paid.status, paid.paid_minor) == (order_id, "paid", total)
    assert "待发货" in client.get(f"/orders/{token}").get_data(as_text=True)
