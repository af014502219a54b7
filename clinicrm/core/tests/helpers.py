"""Helpers for the core tests: running queued tasks the way the worker does, reading log lines
as production writes them."""

import json
import re
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from clinicrm.core.log_context import LogContext
from clinicrm.core.log_filters import RedactPersonalData
from clinicrm.core.log_json import JsonFormatter


def run_queued_tasks() -> int:
    """Claim and run every ready task with the worker's own code (`db_worker --batch` would
    also close the connection between tasks, which a test's transaction cannot survive)."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    ran = 0
    while True:
        with transaction.atomic():
            row = DBTaskResult.objects.ready().get_locked()
            if row is None:
                return ran
            row.claim(worker.worker_id)
        worker.run_task(row)
        ran += 1


def link_in_last_email(to: str) -> str:
    """The signed link of the last e-mail sent to `to` (locmem backend)."""
    message = [m for m in mail.outbox if to in m.to][-1]
    match = re.search(r"https?://\S+/(?:senha/redefinir|convite)/\S+/", str(message.body))
    assert match, message.body
    return match.group(0)


def caplog_as_production(caplog: pytest.LogCaptureFixture) -> None:
    """caplog's handler gets what settings.LOGGING gives the production one: the context and
    redaction filters and the JSON format."""
    caplog.handler.addFilter(LogContext())
    caplog.handler.addFilter(RedactPersonalData())
    caplog.handler.setFormatter(JsonFormatter())


def caplog_json_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(line) for line in caplog.text.splitlines() if line]
