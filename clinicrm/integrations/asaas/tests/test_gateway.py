"""Asaas behind credits' PaymentGateway: registered at start-up, Asaas's words mapped to ours."""

from decimal import Decimal

import httpx
import pytest

from clinicrm.credits.gateway import GatewayError, PaymentGateway, PaymentState, payment_gateway
from clinicrm.integrations.asaas.client import AsaasClient
from clinicrm.integrations.asaas.gateway import AsaasGateway


def _gateway(status: int, body: dict) -> PaymentGateway:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, json=body))
    client = AsaasClient(base_url="http://asaas.test/v3", api_key="k", transport=transport)
    return AsaasGateway(client=client)


def test_integrations_registers_asaas_as_the_gateway():
    gateway = payment_gateway()
    try:
        assert isinstance(gateway, AsaasGateway)
    finally:
        gateway.close()


@pytest.mark.parametrize(
    ("body", "state"),
    [
        ({"status": "RECEIVED", "value": 10}, PaymentState.PAID),
        ({"status": "CONFIRMED", "value": 10}, PaymentState.PAID),
        ({"status": "RECEIVED_IN_CASH", "value": 10}, PaymentState.PAID),
        ({"status": "PENDING", "value": 10}, PaymentState.PENDING),
        ({"status": "OVERDUE", "value": 10}, PaymentState.OVERDUE),
        ({"status": "REFUNDED", "value": 10}, PaymentState.REFUNDED),
        ({"status": "RECEIVED", "value": 10, "deleted": True}, PaymentState.DELETED),
        ({"status": "AWAITING_RISK_ANALYSIS", "value": 10}, PaymentState.OTHER),
    ],
)
def test_payment_states(body, state):
    info = _gateway(200, body).payment_get(payment_id="pay_1")
    assert info is not None
    assert info.state == state
    assert info.status == body["status"]
    assert info.value == Decimal("10")


def test_unknown_payment_is_none_and_outage_raises():
    assert _gateway(404, {"errors": []}).payment_get(payment_id="pay_1") is None
    with pytest.raises(GatewayError) as info:
        _gateway(503, {"errors": []}).payment_get(payment_id="pay_1")
    assert info.value.retryable
