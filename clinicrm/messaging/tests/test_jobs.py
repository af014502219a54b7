import datetime as dt

import pytest
from django_tasks_db.models import DBTaskResult

from clinicrm.core.scheduler import jobs_all, scheduler_tick
from clinicrm.messaging.services.reconcile import message_reconcile_task

NOON = dt.datetime(2026, 3, 2, 12, 0, 30, tzinfo=dt.UTC)
MESSAGING_JOBS = ("messaging.reconcile_sends",)


def test_reconciliation_runs_every_minute():
    jobs = jobs_all()
    assert jobs["messaging.reconcile_sends"].interval == dt.timedelta(minutes=1)
    assert jobs["messaging.reconcile_sends"].task is message_reconcile_task
    # realtime events are purged by the retention job (compliance/tests/test_retention.py)
    assert "messaging.prune_realtime_events" not in jobs


@pytest.mark.django_db
def test_a_scheduler_tick_enqueues_the_messaging_jobs_once_per_slot():
    jobs = {name: jobs_all()[name] for name in MESSAGING_JOBS}
    assert sorted(scheduler_tick(now=NOON, jobs=jobs)) == sorted(MESSAGING_JOBS)
    assert scheduler_tick(now=NOON + dt.timedelta(seconds=10), jobs=jobs) == []
    paths = set(DBTaskResult.objects.values_list("task_path", flat=True))
    assert paths == {message_reconcile_task.module_path}
