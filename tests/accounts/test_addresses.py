import threading

import pytest
from sqlalchemy import select

from tests.accounts.helpers import ADDRESS, signed_up
from xtycore.extensions import db
from xtycore.models import Customer, CustomerAddress
from xtycore.services import addresses


@pytest.fixture
def client(xty_app):
    client = xty_app.test_client()
    signed_up(client)
    return client


def book(app, email="mei@example.cn") -> list[tuple[str, bool]]:
    """(recipient, is_default) of a customer's addresses, oldest first."""
    with app.app_context():
        rows = db.session.execute(
            select(CustomerAddress.recipient, CustomerAddress.is_default)
            .join(Customer).where(Customer.email == email).order_by(CustomerAddress.id)
        ).all()
    return [tuple(row) for row in rows]


def add(client, **fields):
    return client.post("/account/addresses/new", data={**ADDRESS, **fields})


def ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.execute(select(CustomerAddress.id).order_by(CustomerAddress.id)).scalars())


def test_a_valid_address_is_saved_and_listed(xty_app, client):
    response = add(client)
    assert response.status_code == 302 and response.headers["Location"] == "/account/addresses"
    html = client.get("/account/addresses").get_data(as_text=True)
    assert "张三" in html and "广东省深圳市南山区科技园南区高新南一道8号" in html
    with xty_app.app_context():
        row = db.session.execute(select(CustomerAddress)).scalar_one()
        assert (row.province, row.city, row.district, row.postcode) == ("广东省", "深圳市", "南山区", "518057")


@pytest.mark.parametrize("field, value, message", [
    ("mobile", "12345678901", "请输入11位手机号"),
    ("mobile", "1380013800", "请输入11位手机号"),
    ("postcode", "51805", "邮政编码为6位数字"),
    ("province", "", "请填写省份"),
    ("province", "火星省", "请选择省、直辖市或自治区"),
    ("city", "广东省", "请填写广东省下的城市"),
    ("recipient", "", "请填写收货人"),
    ("street", "8号", "详细地址"),
])
def test_an_invalid_address_gets_an_error_beside_the_field_and_nothing_is_saved(xty_app, client, field, value, message):
    response = add(client, **{field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="f-{field}-error"' in html and message in html
    assert 'value="科技园南区高新南一道8号"' in html or field == "street", "the customer's input is kept"
    assert book(xty_app) == []


def test_several_bad_fields_are_all_reported_at_once(xty_app, client):
    response = add(client, mobile="123", postcode="abc", district="")
    html = response.get_data(as_text=True)
    assert all(f'id="f-{name}-error"' in html for name in ("mobile", "postcode", "district"))


def test_a_municipality_may_repeat_itself_as_the_city_and_short_names_are_completed(xty_app, client):
    assert add(client, province="北京", city="北京", district="朝阳区", postcode="").status_code == 302
    with xty_app.app_context():
        row = db.session.execute(select(CustomerAddress)).scalar_one()
        assert (row.province, row.city, row.postcode) == ("北京市", "北京市", None)
        assert row.one_line.startswith("北京市朝阳区")


def test_the_first_address_becomes_the_default_and_there_is_always_exactly_one(xty_app, client):
    add(client, recipient="甲")
    add(client, recipient="乙")
    assert book(xty_app) == [("甲", True), ("乙", False)]
    add(client, recipient="丙", is_default="y")
    assert book(xty_app) == [("甲", False), ("乙", False), ("丙", True)]
    first, second, third = ids(xty_app)
    assert client.post(f"/account/addresses/{first}/default").status_code == 302
    assert book(xty_app) == [("甲", True), ("乙", False), ("丙", False)]
    client.post(f"/account/addresses/{first}/delete")
    assert sum(default for _, default in book(xty_app)) == 1
    client.post(f"/account/addresses/{second}/edit", data={**ADDRESS, "recipient": "乙", "is_default": "y"})
    assert book(xty_app) == [("乙", True), ("丙", False)]
    client.post(f"/account/addresses/{second}/edit", data={**ADDRESS, "recipient": "乙二"})
    assert book(xty_app) == [("乙二", True), ("丙", False)], "unticking the only default keeps it"


def test_editing_shows_the_saved_values_and_saves_changes(xty_app, client):
    add(client)
    [address_id] = ids(xty_app)
    form = client.get(f"/account/addresses/{address_id}/edit").get_data(as_text=True)
    assert 'value="南山区"' in form and 'value="518057"' in form
    response = client.post(f"/account/addresses/{address_id}/edit", data={**ADDRESS, "district": "福田区"})
    assert response.status_code == 302
    with xty_app.app_context():
        assert db.session.get(CustomerAddress, address_id).district == "福田区"


def test_another_customers_address_is_not_found_for_every_action(xty_app, client):
    add(client, recipient="梅")
    [address_id] = ids(xty_app)
    stranger = xty_app.test_client()
    signed_up(stranger, email="stranger@example.cn")
    assert stranger.get(f"/account/addresses/{address_id}/edit").status_code == 404
    assert stranger.post(f"/account/addresses/{address_id}/edit", data={**ADDRESS, "recipient": "贼"}).status_code == 404
    assert stranger.post(f"/account/addresses/{address_id}/delete").status_code == 404
    assert stranger.post(f"/account/addresses/{address_id}/default").status_code == 404
    assert "梅" not in stranger.get("/account/addresses").get_data(as_text=True)
    assert book(xty_app) == [("梅", True)]


def test_an_address_book_holds_at_most_twenty_addresses(xty_app, client):
    for n in range(addresses.MAX_ADDRESSES):
        assert add(client, recipient=f"人{n}").status_code == 302
    response = add(client, recipient="太多")
    assert response.status_code == 422
    assert "最多保存20个收货地址" in response.get_data(as_text=True)
    assert len(book(xty_app)) == addresses.MAX_ADDRESSES


def test_the_overview_shows_the_default_address(xty_app, client):
    add(client)
    html = client.get("/account/").get_data(as_text=True)
    assert "广东省深圳市南山区" in html


def test_simultaneous_default_changes_leave_exactly_one_default(xty_app):
    from tests.accounts.helpers import ADDRESS as FIELDS
    from xtycore.domain.addresses import ChineseAddress
    from xtycore.services.accounts import register

    with xty_app.test_request_context():
        customer_id = register(email="busy@example.cn", password="a long password").id
        address_ids = [
            addresses.add_address(customer_id, ChineseAddress(**{**FIELDS, "recipient": f"人{n}"})).id
            for n in range(6)
        ]
    barrier = threading.Barrier(len(address_ids))
    failures = []

    def choose(address_id):
        with xty_app.app_context():
            barrier.wait()
            try:
                addresses.set_default_address(customer_id, address_id)
            except Exception as exc:  # collected and asserted below: the test must see every failure
                failures.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=choose, args=(address_id,)) for address_id in address_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sum(default for _, default in book(xty_app, "busy@example.cn")) == 1
