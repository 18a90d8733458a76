from sqlalchemy import func, select

from tests.accounts.helpers import PASSWORD, register, signed_up
from xtycore.extensions import db
from xtycore.models import Customer
from xtycore.signals import member_registered


def customers(app) -> list[Customer]:
    with app.app_context():
        return list(db.session.execute(select(Customer).order_by(Customer.id)).scalars())


def test_registering_creates_a_signed_in_customer_with_a_lower_cased_email(xty_app):
    client = xty_app.test_client()
    response = register(client, email="  Mei.Lin@Example.CN ", mobile="13912345678", display_name="小美")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/"
    [customer] = customers(xty_app)
    assert (customer.email, customer.mobile, customer.display_name) == ("mei.lin@example.cn", "13912345678", "小美")
    assert customer.is_active and customer.created_at is not None
    overview = client.get("/account/")
    assert overview.status_code == 200
    assert "mei.lin@example.cn" in overview.get_data(as_text=True)


def test_registration_announces_member_registered_after_the_row_is_committed(xty_app):
    seen = []

    def receiver(sender, customer, **kwargs):
        with xty_app.app_context():
            stored = db.session.execute(select(func.count()).select_from(Customer)).scalar()
        seen.append((sender, customer.email, stored))

    with member_registered.connected_to(receiver):
        signed_up(xty_app.test_client(), email="a@example.cn")
    assert seen == [(xty_app, "a@example.cn", 1)]


def test_an_email_already_registered_in_any_case_is_refused_beside_the_email_field(xty_app):
    signed_up(xty_app.test_client(), email="mei@example.cn")
    response = register(xty_app.test_client(), email="MEI@example.cn")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="f-email-error"' in html and "该邮箱已注册" in html
    assert len(customers(xty_app)) == 1


def test_a_mobile_number_already_registered_is_refused(xty_app):
    signed_up(xty_app.test_client(), email="a@example.cn", mobile="13912345678")
    response = register(xty_app.test_client(), email="b@example.cn", mobile="13912345678")
    assert response.status_code == 422
    assert "该手机号已被其他账号使用" in response.get_data(as_text=True)
    assert [c.email for c in customers(xty_app)] == ["a@example.cn"]


def test_customers_without_a_mobile_number_do_not_collide(xty_app):
    signed_up(xty_app.test_client(), email="a@example.cn")
    signed_up(xty_app.test_client(), email="b@example.cn", mobile="")
    assert [c.mobile for c in customers(xty_app)] == [None, None]


def test_invalid_registration_shows_each_error_beside_its_field_and_keeps_no_password(xty_app):
    response = xty_app.test_client().post("/account/register", data={
        "email": "not-an-email", "mobile": "12345", "password": "short", "password_confirm": "other",
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请输入正确的邮箱地址" in html and 'id="f-email-error"' in html
    assert "请输入11位手机号" in html and 'id="f-mobile-error"' in html
    assert "密码长度为8到128个字符" in html and 'id="f-password-error"' in html
    assert 'value="not-an-email"' in html
    assert "short" not in html
    assert customers(xty_app) == []


def test_mismatched_password_confirmation_is_refused(xty_app):
    response = xty_app.test_client().post("/account/register", data={
        "email": "a@example.cn", "password": PASSWORD, "password_confirm": PASSWORD + "!",
    })
    assert response.status_code == 422
    assert "两次输入的密码不一致" in response.get_data(as_text=True)
    assert customers(xty_app) == []


def test_every_register_input_has_a_label(xty_client):
    html = xty_client.get("/account/register").get_data(as_text=True)
    for name in ("email", "mobile", "display_name", "password", "password_confirm"):
        assert f'<label for="f-{name}">' in html and f'id="f-{name}"' in html
