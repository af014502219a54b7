"""Writes of the automation app."""

import datetime as dt

from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clinicrm.automation.models import ScheduledRun


def housekeeping_prune(*, keep: dt.timedelta) -> dict[str, int]:
    """Delete slot rows and successful task rows older than `keep`; failed ones stay for triage."""
    cutoff = timezone.now() - keep
    runs, _ = ScheduledRun.objects.filter(slot__lt=cutoff).delete()
    results, _ = DBTaskResult.objects.filter(
        status=TaskResultStatus.SUCCESSFUL, finished_at__lt=cutoff
    ).delete()
    return {"scheduled_runs": runs, "task_results": results}
