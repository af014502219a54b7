"""Two schedulers and two workers, real processes, over the same appointments: every reminder
is claimed once and queued for sending once."""

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clinicrm.automation.models import ReminderLog
from clinicrm.automation.tests.helpers import appointment_for, patient_with_whatsapp, reminders_on
from clinicrm.core.models import ScheduledRun
from clinicrm.core.tests.processes import subprocess_env
from clinicrm.messaging.models import Message
from clinicrm.messaging.tests.factories import make_channel
from clinicrm.people.models import Professional

JOB = "automation.reminders_enqueue_due"
PATIENTS = 40


def _run_together(commands: list[list[str]]) -> list[str]:
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    env = subprocess_env()
    procs = [
        subprocess.Popen(
            [sys.executable, manage, *cmd],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for cmd in commands
    ]
    outputs = [p.communicate(timeout=240)[0] for p in procs]
    assert [p.returncode for p in procs] == [0] * len(procs), outputs
    return outputs


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_and_two_workers_send_each_reminder_once(tenant):
    make_channel(tenant)
    reminders_on(tenant, enabled_2h=False)
    helena = Professional.objects.create(tenant=tenant, full_name="Dra. Helena")
    starts = timezone.now() + dt.timedelta(hours=10)  # inside the 24 h window
    for i in range(PATIENTS):
        patient, _ = patient_with_whatsapp(tenant, f"Paciente {i}")
        appointment_for(tenant, patient, starts + dt.timedelta(minutes=5 * i), professional=helena)

    # Two schedulers at once in the same slot: one job run. Two more in the next slot: a second
    # run, which the first one's claims must leave with nothing to send.
    slot = timezone.now().replace(second=1, microsecond=0)
    later = slot + dt.timedelta(minutes=5)
    outputs = _run_together(
        [
            ["scheduler", "--once", "--at", at.isoformat(), "--only", JOB]
            for at in (slot, slot, later, later)
        ]
    )
    assert sum(f"enqueued {JOB}" in out for out in outputs) == 2, outputs
    assert ScheduledRun.objects.filter(job_name=JOB).count() == 2

    # Two workers run both job tasks and the send batches at the same time (the "sends" queue
    # is left alone: what counts here is what was queued for the provider).
    _run_together([["worker", "--queue-name", "default", "--batch", "--no-reload"]] * 2)

    logs = list(ReminderLog.objects.all())
    assert len(logs) == PATIENTS
    assert {log.status for log in logs} == {"sent"}
    assert len({log.appointment_id for log in logs}) == PATIENTS
    reminders = Message.objects.filter(extra__automation="reminder")
    assert reminders.count() == PATIENTS
    assert set(reminders.values_list("pk", flat=True)) == {log.message_id for log in logs}
    sends = DBTaskResult.objects.filter(task_path__endswith="message_send_task")
    assert sends.count() == PATIENTS
    assert len({row.args_kwargs["kwargs"]["message_id"] for row in sends}) == PATIENTS
