"""/metrics: behind its token, requests counted, and the database's view of queues, webhook
deliveries, sends and credit movements; no tenant, phone or text in any label."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from clinicrm.automation.tasks import reminders_preflight_notify_task
from clinicrm.credits.services import credits_add
from clinicrm.integrations.models import InboundEvent
from clinicrm.messaging.models import Message, MessageStatus
from clinicrm.messaging.tests.factories import make_channel

pytestmark = pytest.mark.django_db

TOKEN = "m" * 40


def _scrape(client) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    resp = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/plain")
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(resp.content.decode()):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def test_without_the_token_the_endpoint_does_not_exist(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer errado").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_requests_queue_webhooks_sends_and_credits(client, settings, tenant):
    settings.METRICS_TOKEN = TOKEN
    # No request counted yet in this process: the family has no samples.
    before = _scrape(client).get("clinicrm_http_requests_total", {})
    client.get("/healthz")
    client.get("/nao-existe/")
    channel = make_channel(tenant)
    reminders_preflight_notify_task.enqueue()
    reminders_preflight_notify_task.enqueue()
    events = (("twilio", "processed"), ("twilio", "processed"), ("asaas", "failed"))
    for n, (provider, status) in enumerate(events):
        InboundEvent.objects.create(
            provider=provider, event_id=f"e-{n}", event_type="x", body=b"{}", status=status
        )
    phone = "+5511988887777"
    Message.objects.create(
        tenant=tenant,
        channel=channel,
        thread_key=phone,
        direction="out",
        from_me=True,
        body="texto do paciente",
        status=MessageStatus.FAILED,
        provider_timestamp="2026-01-01T00:00Z",
    )
    credits_add(tenant=tenant, amount=25, kind="adjustment", note="teste")

    got = _scrape(client)
    requests = got["clinicrm_http_requests_total"]
    get_2xx = (("method", "GET"), ("status", "2xx"))
    get_4xx = (("method", "GET"), ("status", "4xx"))
    assert requests[get_2xx] >= before.get(get_2xx, 0) + 2  # /healthz and the first scrape
    assert requests[get_4xx] >= before.get(get_4xx, 0) + 1
    assert got["clinicrm_task_queue_depth"][(("queue", "default"),)] == 2
    assert got["clinicrm_task_queue_oldest_age_seconds"][(("queue", "default"),)] >= 0
    deliveries = got["clinicrm_webhook_deliveries_window"]
    assert deliveries[(("provider", "twilio"), ("result", "processed"))] == 2
    assert deliveries[(("provider", "asaas"), ("result", "failed"))] == 1
    assert got["clinicrm_sends_window"][(("status", "failed"),)] == 1
    assert got["clinicrm_credit_movements_window"][(("kind", "adjustment"),)] == 1
    assert got["clinicrm_credit_amount_window"][(("kind", "adjustment"),)] == 25
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    for private in (str(tenant.pk), tenant.slug, "5511988887777", "texto do paciente"):
        assert private not in text
