"""Production (JSON) log lines of the webhook road name the request, the clinic and the task,
and nothing personal: the delivery's line carries its request id and tenant id, the worker's
lines about the drain task carry the task id and the tenant id of the events it processed."""

import importlib
import io
import json
import logging
from collections.abc import Iterator

import pytest

from clinicrm.core.log_context import LogContext, log_task_begin
from clinicrm.core.log_filters import RedactPersonalData
from clinicrm.core.log_json import JsonFormatter
from clinicrm.core.worker import ResilientWorker
from clinicrm.integrations.evolution.tests.helpers import APIKEY, make_channel
from clinicrm.integrations.evolution.tests.helpers import fixture_bytes as evolution_fixture
from clinicrm.integrations.models import InboundEvent, InboundEventStatus
from clinicrm.integrations.tests.test_asgi_road import asgi_post

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """The production handler (settings.LOGGING with LOG_FORMAT=json) on the root logger."""
    # Loading the ASGI application sets logging up again (django.setup), which would remove
    # a handler added before it.
    importlib.import_module("clinicrm.config.asgi")
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(LogContext())
    handler.addFilter(RedactPersonalData())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield out
    finally:
        root.removeHandler(handler)


def _lines(out: io.StringIO) -> list[dict[str, str]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def _worker() -> ResilientWorker:
    return ResilientWorker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="log-worker",
        excluded_queue_names=[],
    )


def test_webhook_and_worker_lines_carry_request_tenant_and_task_ids(
    tenant, other_tenant, json_lines
):
    make_channel(other_tenant)  # another clinic's channel: its id must not show up
    channel = make_channel(tenant)
    log_task_begin("")  # this thread's context as a fresh worker's
    answer = asgi_post(
        f"/webhooks/evolution/{channel.webhook_token}/",
        evolution_fixture("messages_upsert_text"),
        [
            (b"content-type", b"application/json"),
            (b"apikey", APIKEY.encode()),
            (b"x-request-id", b"hook-req-1"),
        ],
    )
    assert answer["status"] == 200
    (stored,) = [line for line in _lines(json_lines) if "webhook stored" in line["message"]]
    assert (stored["request_id"], stored["tenant_id"]) == ("hook-req-1", str(tenant.pk))
    assert stored["task_id"] == "-"

    json_lines.truncate(0)
    json_lines.seek(0)
    _worker().run()
    assert InboundEvent.objects.get().status == InboundEventStatus.PROCESSED
    task_lines = [line for line in _lines(json_lines) if line["logger"] == "django.tasks"]
    assert task_lines, json_lines.getvalue()
    finished = task_lines[-1]
    assert "SUCCESSFUL" in finished["message"]
    assert finished["tenant_id"] == str(tenant.pk)
    assert finished["task_id"] != "-" and finished["task_id"] in finished["message"]
    assert finished["request_id"] == "-"
    assert str(other_tenant.pk) not in json_lines.getvalue()
    # The worker's own lines after the task name no task and no clinic.
    logging.getLogger("clinicrm.core.worker").info("idle")
    assert _lines(json_lines)[-1]["task_id"] == _lines(json_lines)[-1]["tenant_id"] == "-"
