"""The customer's device reaches the gateway: phones get the mobile cashier and a redirect instead of a QR code."""

from __future__ import annotations

import pytest

from xtycore.domain.payments import Device, Flow, GatewayFeatures, PaymentAction, device_of, preferred_flow
from xtycore.services import payments

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.0 Mobile/15E148 Safari/604.1")
ANDROID_WECHAT = ("Mozilla/5.0 (Linux; Android 14; 23013RK75C) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/116.0 Mobile Safari/537.36 MicroMessenger/8.0.47")
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"


@pytest.mark.parametrize("agent, device", [
    (IPHONE, Device.MOBILE), (ANDROID_WECHAT, Device.MOBILE), (DESKTOP, Device.DESKTOP), ("", Device.DESKTOP),
])
def test_the_user_agent_names_the_device(agent, device):
    assert device_of(agent) is device


@pytest.mark.parametrize("flows, device, wanted", [
    ({Flow.QR, Flow.REDIRECT}, Device.MOBILE, Flow.REDIRECT),  # WeChat Pay: H5 on a phone
    ({Flow.QR, Flow.REDIRECT}, Device.DESKTOP, None),  # the gateway's default: a QR code to scan
    ({Flow.QR}, Device.MOBILE, None),  # nothing else to offer
    ({Flow.REDIRECT, Flow.FORM}, Device.MOBILE, None),  # Alipay: the device picks its cashier
])
def test_a_phone_is_asked_to_redirect_only_when_the_gateway_also_shows_a_qr_code(flows, device, wanted):
    assert preferred_flow(GatewayFeatures(flows=frozenset(flows)), device) is wanted


@pytest.mark.parametrize("agent, device, flow", [
    (IPHONE, Device.MOBILE, Flow.REDIRECT), (DESKTOP, Device.DESKTOP, None),
])
def test_start_payment_tells_the_gateway_the_device_and_the_flow(shop, monkeypatch, agent, device, flow):
    from xtycore_payment_sandbox.gateway import SandboxGateway

    asked = []

    def create_payment(self, request, settings):
        asked.append(request)
        return PaymentAction(flow=Flow.REDIRECT, url="https://pay.test/cashier", gateway_reference="T1")

    monkeypatch.setattr(SandboxGateway, "create_payment", create_payment)
    monkeypatch.setattr(SandboxGateway, "features", GatewayFeatures(flows=frozenset({Flow.QR, Flow.REDIRECT})))
    order_id = shop.order(instance_id=shop.sandbox_id)
    with shop.app.test_request_context(headers={"User-Agent": agent}):
        payments.start_payment(order_id, "http://shop.test/orders/confirmation")
    [request] = asked
    assert request.device is device
    assert request.flow is flow


def test_a_refused_callback_is_worded_as_the_gateway_documents_when_it_says_how(shop, monkeypatch):
    from xtycore_payment_sandbox.gateway import SandboxGateway

    client = shop.client()
    plain = client.post(f"/webhooks/payment/{shop.sandbox_id}", data=b"forged", content_type="text/plain")
    assert (plain.status_code, plain.get_data(as_text=True)) == (400, "invalid callback")

    monkeypatch.setattr(SandboxGateway, "rejection_reply", lambda self, status: ('{"code":"FAIL"}', "application/json"),
                        raising=False)
    worded = client.post(f"/webhooks/payment/{shop.sandbox_id}", data=b"forged", content_type="text/plain")
    assert (worded.status_code, worded.mimetype, worded.get_json()) == (400, "application/json", {"code": "FAIL"})

    def broken(self, status):
        raise RuntimeError("wording failed")

    monkeypatch.setattr(SandboxGateway, "rejection_reply", broken)
    fallback = client.post(f"/webhooks/payment/{shop.sandbox_id}", data=b"forged", content_type="text/plain")
    assert (fallback.status_code, fallback.get_data(as_text=True)) == (400, "invalid callback")
