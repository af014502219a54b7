"""Pytest fixtures around the fake Asaas (import them into a test module or conftest).

`fake_asaas` starts the fake on a free port and points the CRM's settings at it.
`asaas_webhooks_live` additionally registers the running `live_server` as the webhook URL and runs
a small worker thread that processes stored events, as `db_worker` would.
"""

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import close_old_connections, connection

from clinicrm.devtools.fake_asaas.server import FakeAsaasServer

API_KEY = "$aact_hmlg_000MzkwODA2MWY2OGM3MWRlMDU2NWM3MzJlNzZmNGZhZGY6OmZha2U="
WEBHOOK_TOKEN = "whk-test-3f7c2a9e-token"


@pytest.fixture
def fake_asaas(settings: Any) -> Iterator[FakeAsaasServer]:
    server = FakeAsaasServer(api_keys={API_KEY}).start()
    settings.ASAAS_BASE_URL = server.base_url
    settings.ASAAS_API_KEY = API_KEY
    settings.ASAAS_WEBHOOK_TOKEN = WEBHOOK_TOKEN
    try:
        yield server
    finally:
        server.stop()


class EventWorker:
    """Processes pending inbound events in a background thread until stopped."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="test-event-worker")
        self.errors: list[BaseException] = []

    def _run(self) -> None:
        from clinicrm.integrations.models import InboundEvent, InboundEventStatus
        from clinicrm.integrations.services import inbound_event_process

        try:
            while not self._stop.wait(self.interval):
                try:
                    ids = list(
                        InboundEvent.objects.filter(status=InboundEventStatus.PENDING)
                        .order_by("pk")
                        .values_list("pk", flat=True)
                    )
                    for pk in ids:
                        inbound_event_process(event_id=pk)
                except Exception as exc:  # keep going, report at the end
                    self.errors.append(exc)
                finally:
                    close_old_connections()
        finally:
            connection.close()

    def start(self) -> "EventWorker":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@pytest.fixture
def asaas_webhooks_live(fake_asaas: FakeAsaasServer, live_server: Any) -> Iterator[EventWorker]:
    fake_asaas.state.webhook_create(
        {
            "name": "Clinicrm",
            "url": f"{live_server.url}/webhooks/asaas/",
            "email": "dev@clinicrm.test",
            "sendType": "SEQUENTIALLY",
            "authToken": WEBHOOK_TOKEN,
            "events": [],
        }
    )
    worker = EventWorker().start()
    try:
        yield worker
    finally:
        worker.stop()
