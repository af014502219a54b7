"""Helpers for the core tests: running queued tasks the way the worker does."""

import re

from django.core import mail
from django.db import transaction
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult


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
