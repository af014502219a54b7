"""The project's real ASGI application serves every provider's webhook on the lean path.

`integrations/asgi.py` builds a Django handler without middleware by setting attributes
Django keeps private. This test is the tripwire for a Django upgrade: a delivery of each
provider goes through `clinicrm.config.asgi.application`; it must be stored and answered 200
with no trace of the middleware chain (no CSP, X-Frame-Options or Vary: Cookie), while any
other path keeps the whole chain. A renamed or newly required private attribute turns these
answers into 500s (or puts the chain back) and fails here.
"""

import threading
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import connection

from clinicrm.core.tests.asgi_client import Headers, asgi_request, asgi_run
from clinicrm.integrations.asaas.tests.helpers import TOKEN as ASAAS_TOKEN
from clinicrm.integrations.asaas.tests.helpers import fixture_bytes as asaas_fixture
from clinicrm.integrations.evolution.tests.helpers import APIKEY, make_channel
from clinicrm.integrations.evolution.tests.helpers import fixture_bytes as evolution_fixture
from clinicrm.integrations.models import InboundEvent
from clinicrm.integrations.twilio.tests.helpers import (
    PUBLIC_BASE_URL,
    fixture_body,
    fixture_meta,
    make_twilio_channel,
)
from clinicrm.integrations.webhooks import WEBHOOK_BODY_MAX

pytestmark = pytest.mark.django_db(transaction=True)

_CHAIN_HEADERS = (b"content-security-policy", b"x-frame-options", b"vary")


def asgi_post(path: str, body: bytes, headers: Headers, query: bytes = b"") -> dict[str, Any]:
    from clinicrm.config.asgi import application

    answer = asgi_request(application, path, method="POST", body=body, headers=headers, query=query)
    connection.close()  # the handler's thread had its own; this one reads fresh
    return answer


def _lean(answer: dict[str, Any]) -> None:
    assert answer["status"] == 200, answer["body"]
    assert not [name for name in _CHAIN_HEADERS if name in answer["headers"]]


def test_every_provider_takes_the_lean_asgi_path(tenant, other_tenant, settings):
    settings.ASAAS_WEBHOOK_TOKEN = ASAAS_TOKEN
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    evolution = make_channel(tenant)
    make_twilio_channel(other_tenant)  # one active channel per tenant

    _lean(
        asgi_post(
            f"/webhooks/evolution/{evolution.webhook_token}/",
            evolution_fixture("messages_upsert_text"),
            [(b"content-type", b"application/json"), (b"apikey", APIKEY.encode())],
        )
    )
    meta = fixture_meta("inbound_text")
    _lean(
        asgi_post(
            meta["url"][len(PUBLIC_BASE_URL) :],
            fixture_body("inbound_text"),
            [
                (b"content-type", b"application/x-www-form-urlencoded"),
                (b"x-twilio-signature", meta["signature"].encode()),
            ],
        )
    )
    _lean(
        asgi_post(
            "/webhooks/asaas/",
            asaas_fixture("PAYMENT_CREATED"),
            [(b"content-type", b"application/json"), (b"asaas-access-token", ASAAS_TOKEN.encode())],
        )
    )
    assert sorted(InboundEvent.objects.values_list("provider", flat=True)) == [
        "asaas",
        "evolution",
        "twilio",
    ]


def test_other_paths_keep_the_middleware_chain():
    page = asgi_post("/entrar/", b"", [])
    assert b"content-security-policy" in page["headers"]  # full chain: CSP, CSRF (403 here)
    assert page["status"] == 403


def test_a_body_over_the_largest_webhook_limit_is_refused_before_django_reads_it(tenant):
    channel = make_channel(tenant)
    path = f"/webhooks/evolution/{channel.webhook_token}/"
    from clinicrm.config.asgi import application

    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        raise AssertionError("the body must not be read")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "headers": [(b"content-length", str(WEBHOOK_BODY_MAX + 1).encode())],
    }
    asgi_run(lambda: application(scope, receive, send))
    assert sent[0]["status"] == 413
    assert InboundEvent.objects.count() == 0


def test_a_delivery_is_served_in_one_hop_to_the_webhook_threads(tenant):
    """request_started, the view and request_finished run in one thread of the webhook path's
    own pool (Django's handler would start a thread per request for its three hops)."""
    channel = make_channel(tenant)
    seen: list[tuple[str, str]] = []

    def started(**kwargs: Any) -> None:
        seen.append(("started", threading.current_thread().name))

    def finished(**kwargs: Any) -> None:
        seen.append(("finished", threading.current_thread().name))

    request_started.connect(started)
    request_finished.connect(finished)
    try:
        _lean(
            asgi_post(
                f"/webhooks/evolution/{channel.webhook_token}/",
                evolution_fixture("messages_upsert_text"),
                [(b"content-type", b"application/json"), (b"apikey", APIKEY.encode())],
            )
        )
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)
    assert [event for event, _ in seen] == ["started", "finished"]
    assert seen[0][1] == seen[1][1] and seen[0][1].startswith("webhook")
    assert InboundEvent.objects.count() == 1
