import datetime as dt

import pytest
from django_tasks_db.models import DBTaskResult

from clinicrm.core.scheduler import jobs_all, scheduler_tick
from clinicrm.messaging.tasks import message_reconcile_task, realtime_events_prune_task

NOON = dt.datetime(2026, 3, 2, 12, 0, 30, tzinfo=dt.UTC)
MESSAGING_JOBS = ("messaging.reconcile_sends", "messaging.prune_realtime_events")


def test_reconciliation_runs_every_minute_and_events_are_pruned():
    jobs = jobs_all()
    assert jobs["messaging.reconcile_sends"].interval == dt.timedelta(minutes=1)
    assert jobs["messaging.reconcile_sends"].task is message_reconcile_task
    assert jobs["messaging.prune_realtime_events"].task is realtime_events_prune_task


@pytest.mark.django_db
def test_a_scheduler_tick_enqueues_the_messaging_jobs_once_per_slot():
    jobs = {name: jobs_all()[name] for name in MESSAGING_JOBS}
    assert sorted(scheduler_tick(now=NOON, jobs=jobs)) == sorted(MESSAGING_JOBS)
    assert scheduler_tick(now=NOON + dt.timedelta(seconds=10), jobs=jobs) == []
    paths = set(DBTaskResult.objects.values_list("task_path", flat=True))
    assert paths == {message_reconcile_task.module_path, realtime_events_prune_task.module_path}
