"""Every /admin route declares its permission, and each role gets exactly what the table grants."""

from __future__ import annotations

import pytest

from tests.admin.conftest import BANK_SETTINGS, db_state, email_of, sign_in
from xtycore.admin.permissions import PUBLIC, SIGNED_IN
from xtycore.domain.staff import PERMISSIONS, ROLE_PERMISSIONS, StaffRole, may_manage, permissions_of

#: (endpoint, method, url, form, permission). Every admin endpoint but the public ones is listed once or more.
# URLs name objects through the keys of `objects` below; POSTs that are allowed leave the objects usable.
MATRIX = [
    ("admin.dashboard", "GET", "/admin/", None, SIGNED_IN),
    ("admin.change_password", "GET", "/admin/password", None, SIGNED_IN),
    ("admin.change_password", "POST", "/admin/password",
     {"current_password": "wrong password!!", "new_password": "x", "new_password_confirm": "y"}, SIGNED_IN),
    ("admin.plugins", "GET", "/admin/plugins", None, "plugins.manage"),
    ("admin.plugin_enabled", "POST", "/admin/plugins/bank_transfer/enabled", {"enabled": "1"}, "plugins.manage"),
    ("admin.capability_list", "GET", "/admin/capabilities", None, "plugins.manage"),
    ("admin.capability_new", "GET", "/admin/capabilities/payment/fixture_bank_transfer/new", None, "plugins.manage"),
    ("admin.capability_new", "POST", "/admin/capabilities/payment/fixture_bank_transfer/new",
     {"display_name": "第二个账户", "enabled": "on", **BANK_SETTINGS}, "plugins.manage"),
    ("admin.capability_edit", "GET", "/admin/capabilities/{instance}", None, "plugins.manage"),
    ("admin.capability_edit", "POST", "/admin/capabilities/{instance}",
     {"display_name": "对公转账（新）", **BANK_SETTINGS, "notify_secret": ""}, "plugins.manage"),
    ("admin.capability_enabled", "POST", "/admin/capabilities/{instance}/enabled", {"enabled": "1"},
     "plugins.manage"),
    ("admin.capability_delete", "POST", "/admin/capabilities/{spare}/delete", None, "plugins.manage"),
    ("admin.themes", "GET", "/admin/themes", None, "themes.manage"),
    ("admin.theme_activate", "POST", "/admin/themes/garden/activate", None, "themes.manage"),
    ("admin.theme_preview", "POST", "/admin/themes/default/preview", None, "themes.manage"),
    ("admin.theme_preview_end", "POST", "/admin/themes/preview/end", None, "themes.manage"),
    ("admin.theme_settings_form", "GET", "/admin/themes/settings", None, "themes.manage"),
    ("admin.theme_settings_form", "POST", "/admin/themes/settings", {"primary_color": "#123456"}, "themes.manage"),
    ("admin.staff_list", "GET", "/admin/staff", None, "staff.manage"),
    ("admin.staff_invite", "POST", "/admin/staff/invite", {"email": "new@shop.test", "role": "read_only"},
     "staff.manage"),
    ("admin.staff_role", "POST", "/admin/staff/{clerk}/role", {"role": "read_only"}, "staff.manage"),
    ("admin.staff_active", "POST", "/admin/staff/{clerk}/active", {"active": "1"}, "staff.manage"),
    ("admin.audit_entries", "GET", "/admin/audit?object_type=capability", None, "audit.view"),
    ("admin.reports", "GET", "/admin/reports?preset=this_month", None, "reports.view"),
    ("admin.report_csv", "GET", "/admin/reports/sales.csv?preset=this_year&granularity=month", None, "reports.view"),
    ("admin.order_list", "GET", "/admin/orders?q=T0001", None, "orders.view"),
    ("admin.order_detail", "GET", "/admin/orders/{order}", None, "orders.view"),
    # the bank transfer's payment is unpaid: the kernel refuses each action (422) and the objects stay usable
    ("admin.order_payment_action", "POST", "/admin/orders/{order}/payments/{payment}/refund",
     {"mode": "amount", "amount": "1.00", "reason": "test"}, "orders.refund"),
    ("admin.order_payment_action", "POST", "/admin/orders/{order}/payments/{payment}/capture", None,
     "orders.refund"),
    ("admin.order_payment_action", "POST", "/admin/orders/{order}/payments/{payment}/void", None, "orders.refund"),
    ("admin.order_ship", "POST", "/admin/orders/{order}/ship", {"courier": "other", "courier_other": "顺丰速运",
     "waybill_number": "SF1234567890"}, "orders.fulfil"),  # the order is unpaid: refused with 422
    # the transfer has not arrived: the bank gateway refuses to capture it (422), and nothing changes
    ("admin.order_confirm_payment", "POST", "/admin/orders/{order}/confirm-payment", None, "orders.refund"),
    # the order is unpaid: the state machine refuses (422); cancelling it without a reason is refused too
    ("admin.order_status_action", "POST", "/admin/orders/{order}/deliver", None, "orders.fulfil"),
    ("admin.order_status_action", "POST", "/admin/orders/{order}/complete", None, "orders.fulfil"),
    ("admin.order_status_action", "POST", "/admin/orders/{order}/cancel", {"cancel_reason": ""}, "orders.fulfil"),
    # an empty note: refused with 422, nothing written (a note could not be emptied away after the test)
    ("admin.order_note_add", "POST", "/admin/orders/{order}/notes", {"body": ""}, "orders.note"),
    ("admin.order_packing_slip", "GET", "/admin/orders/{order}/packing-slip", None, "orders.view"),
    ("admin.order_packing_slips", "GET", "/admin/orders/packing-slips?number={order}", None, "orders.view"),
    ("admin.order_invoice", "GET", "/admin/orders/{order}/invoice", None, "orders.view"),
    ("admin.ticket_list", "GET", "/admin/tickets?status=open&assigned=none&q=TK", None, "support.view"),
    ("admin.ticket_detail", "GET", "/admin/tickets/{ticket}", None, "support.view"),
    ("admin.ticket_attachment", "GET", "/admin/tickets/{ticket}/attachments/{attachment}", None, "support.view"),
    # each support POST below is refused with 422 (an empty reply or note, a delivered reply to retry, nobody to
    # assign, an open ticket to reopen, no such order), and nothing changes
    ("admin.ticket_reply", "POST", "/admin/tickets/{ticket}/reply", {"body": ""}, "support.reply"),
    ("admin.ticket_retry", "POST", "/admin/tickets/{ticket}/messages/{reply}/retry", None, "support.reply"),
    ("admin.ticket_note_add", "POST", "/admin/tickets/{ticket}/notes", {"body": ""}, "support.reply"),
    ("admin.ticket_assign", "POST", "/admin/tickets/{ticket}/assign", {"staff_id": "999999"}, "support.reply"),
    ("admin.ticket_status", "POST", "/admin/tickets/{ticket}/reopen", None, "support.reply"),
    ("admin.ticket_link_order", "POST", "/admin/tickets/{ticket}/order", {"order_number": "NOPE"}, "support.reply"),
    ("admin.customer_list", "GET", "/admin/customers?q=buyer&status=active", None, "customers.view"),
    ("admin.customer_detail", "GET", "/admin/customers/{customer}", None, "customers.view"),
    ("admin.customer_note_add", "POST", "/admin/customers/{customer}/notes", {"body": "回访"}, "customers.edit"),
    ("admin.customer_tag_add", "POST", "/admin/customers/{customer}/tags", {"tag": "VIP"}, "customers.edit"),
    ("admin.customer_tag_remove", "POST", "/admin/customers/{customer}/tags/remove", {"tag": "VIP"},
     "customers.edit"),
    # the account is active already: refused with 422, and it stays usable
    ("admin.customer_active", "POST", "/admin/customers/{customer}/active", {"active": "1"}, "customers.edit"),
    ("admin.product_list", "GET", "/admin/products?q=tea&status=active", None, "catalogue.view"),
    # nothing selected: refused with 422, and nothing changes
    ("admin.product_bulk", "POST", "/admin/products/bulk", {"action": "stock", "stock": "5"}, "catalogue.edit"),
    ("admin.review_queue", "GET", "/admin/review-queue", None, "catalogue.view"),
    # no such product: refused with 422, and nothing changes
    ("admin.review_decide", "POST", "/admin/review-queue/999999/approve", None, "catalogue.edit"),
    ("admin.product_import", "GET", "/admin/products/import", None, "catalogue.edit"),
    # an empty file: refused with 422, and nothing changes
    ("admin.product_import", "POST", "/admin/products/import", {"content": ""}, "catalogue.edit"),
    ("admin.product_csv", "GET", "/admin/products.csv", None, "catalogue.view"),
    ("admin.product_new", "GET", "/admin/products/new", None, "catalogue.edit"),
    # no title: refused with 422, and nothing changes
    ("admin.product_new", "POST", "/admin/products/new", {"title": "", "variants.0.sku": "NEW-1"}, "catalogue.edit"),
    ("admin.product_edit", "GET", "/admin/products/{product}", None, "catalogue.view"),
    ("admin.product_save", "POST", "/admin/products/{product}", {"title": ""}, "catalogue.edit"),
    # a draft cannot be restored: refused with 422, and nothing changes
    ("admin.product_status", "POST", "/admin/products/{product}/restore", None, "catalogue.edit"),
    ("admin.product_image_update", "POST", "/admin/products/{product}/images/{image}", None, "catalogue.edit"),
    ("admin.product_image_move", "POST", "/admin/products/{product}/images/{image}/down", None, "catalogue.edit"),
    ("admin.product_image_delete", "POST", "/admin/products/{product}/images/{image}/delete", None,
     "catalogue.edit"),
    ("admin.category_list", "GET", "/admin/categories", None, "catalogue.view"),
    ("admin.category_new", "GET", "/admin/categories/new?parent={category}", None, "catalogue.edit"),
    ("admin.category_new", "POST", "/admin/categories/new", {"name": "白茶"}, "catalogue.edit"),
    ("admin.category_edit", "GET", "/admin/categories/{category}", None, "catalogue.edit"),
    ("admin.category_edit", "POST", "/admin/categories/{category}", {"name": "茶叶", "sort": "1"}, "catalogue.edit"),
    # the category holds a subcategory: refused with 422, and nothing changes
    ("admin.category_delete", "POST", "/admin/categories/{category}/delete", None, "catalogue.edit"),
    ("admin.brand_list", "GET", "/admin/brands", None, "catalogue.view"),
    ("admin.brand_new", "GET", "/admin/brands/new", None, "catalogue.edit"),
    ("admin.brand_new", "POST", "/admin/brands/new", {"name": "东山"}, "catalogue.edit"),
    ("admin.brand_edit", "GET", "/admin/brands/{brand}", None, "catalogue.edit"),
    ("admin.brand_edit", "POST", "/admin/brands/{brand}", {"name": "狮峰", "name_en": "Shifeng"}, "catalogue.edit"),
    # no such brand to give its products: refused with 422, and nothing changes
    ("admin.brand_delete", "POST", "/admin/brands/{brand}/delete", {"products_to": "999999"}, "catalogue.edit"),
    ("admin.error_monitor", "GET", "/admin/errors?status=all", None, "operations.view"),
    ("admin.error_monitor", "GET", "/admin/errors?tab=plugins&plugin=bank_transfer", None, "operations.view"),
    ("admin.error_detail", "GET", "/admin/errors/{error}", None, "operations.view"),
    ("admin.error_resolve", "POST", "/admin/errors/{error}/resolve", None, "operations.view"),
    ("admin.transfer", "GET", "/admin/transfer", None, SIGNED_IN),  # the page shows each role what it may do
    ("admin.transfer_export_stock", "GET", "/admin/transfer/stock.csv", None, "catalogue.view"),
    ("admin.transfer_export_categories", "GET", "/admin/transfer/categories.csv", None, "catalogue.view"),
    ("admin.transfer_export_customers", "GET", "/admin/transfer/customers.csv", None, "customers.view"),
    ("admin.transfer_export_orders", "GET", "/admin/transfer/orders.csv?status=paid", None, "orders.view"),
    # each import below names a bad row: refused with 422, and nothing changes
    ("admin.transfer_import_stock", "GET", "/admin/transfer/stock/import", None, "catalogue.edit"),
    ("admin.transfer_import_stock", "POST", "/admin/transfer/stock/import",
     {"step": "import", "content": "sku,price\r\nNOPE-1,1\r\n"}, "catalogue.edit"),
    ("admin.transfer_import_categories", "GET", "/admin/transfer/categories/import", None, "catalogue.edit"),
    ("admin.transfer_import_categories", "POST", "/admin/transfer/categories/import",
     {"step": "import", "content": "path,sort\r\n新类,x\r\n"}, "catalogue.edit"),
    ("admin.transfer_import_customers", "GET", "/admin/transfer/customers/import", None, "customers.edit"),
    ("admin.transfer_import_customers", "POST", "/admin/transfer/customers/import",
     {"step": "import", "content": "email,name\r\nnot-an-email,x\r\n"}, "customers.edit"),
    ("admin.logout", "POST", "/admin/logout", None, SIGNED_IN),
]


def test_every_admin_route_declares_a_permission(xty_app):
    undeclared = [
        rule.endpoint for rule in xty_app.url_map.iter_rules()
        if rule.rule.startswith("/admin") and not hasattr(xty_app.view_functions[rule.endpoint], "xty_permission")
    ]
    assert undeclared == []


def test_every_declared_permission_is_in_the_table(xty_app):
    declared = {xty_app.view_functions[r.endpoint].xty_permission for r in xty_app.url_map.iter_rules()
                if r.rule.startswith("/admin")}
    assert declared - {PUBLIC, SIGNED_IN} <= set(PERMISSIONS)
    assert all(perms <= set(PERMISSIONS) for perms in ROLE_PERMISSIONS.values())


def test_the_matrix_covers_every_admin_route_that_is_not_public(xty_app):
    endpoints = {r.endpoint for r in xty_app.url_map.iter_rules() if r.rule.startswith("/admin")
                 and xty_app.view_functions[r.endpoint].xty_permission != PUBLIC}
    assert endpoints == {row[0] for row in MATRIX}
    for endpoint, _method, _url, _form, permission in MATRIX:
        assert xty_app.view_functions[endpoint].xty_permission == permission, endpoint


@pytest.fixture
def objects(bank_app, make_staff_in):
    from xtycore.services import accounts, capabilities, errors
    from xtycore.extensions import transaction
    from xtycore.services import catalog

    with bank_app.app_context():
        spare = capabilities.create_instance("payment", "fixture_bank_transfer", display_name="备用",
                                             settings=BANK_SETTINGS)
        order, payment = unpaid_order(bank_app.config["XTY_TEST_BANK_INSTANCE"])
        buyer = accounts.register(email="buyer@example.cn", password="correct horse 42").id
        editor_product, editor_image = product_with_image()
        with transaction():
            category = catalog.category_by_path("茶叶/绿茶").parent_id
            brand = catalog.brand_by_name("狮峰").id
        error = errors.record(errors.Occurrence("RuntimeError", "xtycore/web/storefront.py:home", "boom", ""))
        ticket, attachment, reply = support_ticket()
    return {"error": error, "instance": bank_app.config["XTY_TEST_BANK_INSTANCE"], "spare": spare,
            "ticket": ticket, "attachment": attachment, "reply": reply,
            "clerk": make_staff_in(bank_app, StaffRole.READ_ONLY, "clerk@shop.test"),
            "order": order, "payment": payment, "customer": buyer,
            "product": editor_product, "image": editor_image, "category": category, "brand": brand}


def product_with_image() -> tuple[int, int]:
    """A draft product with one variant and one image, for the product editor's rows: (product id, image id)."""
    from xtycore.domain.money import Money
    from xtycore.extensions import transaction
    from xtycore.models import ProductImage
    from xtycore.services import catalog

    with transaction() as session:
        product = catalog.save_product(catalog.ProductInput(title="矩阵里的茶", variants=[
            catalog.VariantInput(sku="MATRIX-1", price=Money("10.00"))]))
        product.images.append(ProductImage(path=f"products/{product.id}/matrix.jpg", width=10, height=10))
        session.flush()
        return product.id, product.images[0].id


def support_ticket() -> tuple[str, int, int]:
    """An open ticket with a customer's message and its attachment, and a delivered reply:
    (reference, attachment id, reply id)."""
    from xtycore.extensions import transaction
    from xtycore.models import SupportTicket, TicketAttachment, TicketMessage
    from xtycore.services.support import save_attachments

    files = save_attachments([("发票.pdf", b"%PDF-1.4", "application/pdf")])
    with transaction() as session:
        ticket = SupportTicket(reference="TK20261127-MATRIX", contact="mei@example.cn", subject="发票",
                               status="open")
        session.add(ticket)
        session.flush()
        inbound = TicketMessage(ticket_id=ticket.id, direction="inbound", author="mei@example.cn", body="发票呢？")
        reply = TicketMessage(ticket_id=ticket.id, direction="outbound", author="agent@shop.test", body="已开",
                              delivery="delivered")
        session.add_all([inbound, reply])
        session.flush()
        attachment = TicketAttachment(message_id=inbound.id, **files.rows[0])
        session.add(attachment)
        session.flush()
        return ticket.reference, attachment.id, reply.id


def unpaid_order(instance_id: int) -> tuple[str, int]:
    """An order waiting for its bank transfer: (order number, payment id)."""
    from xtycore.extensions import transaction
    from xtycore.models import Order, Payment

    with transaction() as session:
        order = Order(
            number="T0001", status="pending_payment", currency="CNY", subtotal_minor=5000, total_minor=5000,
            ship_recipient="张三", ship_mobile="13800138000", ship_province="浙江省", ship_city="杭州市",
            ship_district="西湖区", ship_street="龙井路 1 号", courier_quote_code="standard", courier_label="快递",
            payment_instance_id=instance_id, checkout_token="permissions-test-order",
        )
        session.add(order)
        session.flush()
        payment = Payment(order_id=order.id, instance_id=instance_id, gateway_code="fixture_bank_transfer",
                          reference="PPERMISSIONSTEST", amount_minor=5000, currency="CNY", flow="offline")
        session.add(payment)
        session.flush()
        return order.number, payment.id


@pytest.fixture
def make_staff_in():
    from tests.admin.conftest import PASSWORD
    from xtycore.services import staff as staff_service

    def make(app, role, email=None):
        with app.app_context():
            return staff_service.create_staff(email or email_of(role), PASSWORD, role=role).id

    return make


@pytest.mark.parametrize("role", list(StaffRole), ids=[r.value for r in StaffRole])
def test_each_role_is_answered_or_refused_exactly_as_the_table_says(bank_app, objects, make_staff_in, role):
    make_staff_in(bank_app, role)
    if role is not StaffRole.OWNER:
        make_staff_in(bank_app, StaffRole.OWNER)
    client = bank_app.test_client()
    assert sign_in(client, email_of(role)).status_code == 302
    granted = permissions_of(role)
    for endpoint, method, url, form, permission in MATRIX:
        allowed = permission in (SIGNED_IN, PUBLIC) or permission in granted
        before = db_state(bank_app) if method == "POST" and not allowed else None
        response = client.open(url.format(**objects), method=method, data=form or {})
        response.close()  # a streamed CSV export ends its request only when its response is closed
        expected = {200, 302, 422} if allowed else {403}
        assert response.status_code in expected, (role, method, url, response.status_code)
        if not allowed:
            assert "Nothing was changed" in response.get_data(as_text=True) or "没有做任何修改" in \
                response.get_data(as_text=True)
        if before is not None:
            assert db_state(bank_app) == before, (role, method, url)


def test_signed_out_visitors_are_sent_to_the_sign_in_page_and_nothing_changes(bank_app, objects):
    client = bank_app.test_client()
    before = db_state(bank_app)
    for _endpoint, method, url, form, _permission in MATRIX:
        response = client.open(url.format(**objects), method=method, data=form or {})
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"], url
    assert db_state(bank_app) == before


@pytest.mark.parametrize("actor, target, allowed", [
    (StaffRole.OWNER, StaffRole.OWNER, True),
    (StaffRole.OWNER, StaffRole.MANAGER, True),
    (StaffRole.MANAGER, StaffRole.OWNER, False),
    (StaffRole.MANAGER, StaffRole.MANAGER, False),
    (StaffRole.MANAGER, StaffRole.FINANCE, True),
])
def test_a_staff_member_manages_only_lower_roles(actor, target, allowed):
    assert may_manage(actor, target) is allowed


def test_the_back_office_speaks_chinese_and_english(bank_app, objects, make_staff_in):
    make_staff_in(bank_app, StaffRole.OWNER)
    client = bank_app.test_client()
    sign_in(client, email_of(StaffRole.OWNER))
    chinese = client.get("/admin/?lang=zh_CN").get_data(as_text=True)
    assert '<html lang="zh-CN">' in chinese and "概览" in chinese and "操作日志" in chinese and "(店主)" in chinese
    staff_page = client.get("/admin/staff").get_data(as_text=True)
    assert "只读: 可查看全部内容，不能修改" in staff_page
    english = client.get("/admin/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and "Dashboard" in english and "(Owner)" in english
