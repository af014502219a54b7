"""A reminder batch spans clinics: each reminder's log lines name its own clinic (by id, never
the patient), and the lines after the batch name none."""

import datetime as dt
import logging

import pytest

from clinicrm.automation.models import ReminderLog
from clinicrm.automation.services import reminders as reminder_services
from clinicrm.automation.services import reminders_enqueue_due, reminders_send_batch
from clinicrm.automation.tests.helpers import appointment_for, patient_with_whatsapp, reminders_on
from clinicrm.core.log_context import log_task_begin, tenant_id_var
from clinicrm.core.tests.helpers import caplog_as_production, caplog_json_lines
from clinicrm.core.timeutils import SAO_PAULO
from clinicrm.messaging.tests.factories import make_channel

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 11, 10, 0, tzinfo=SAO_PAULO)


def test_each_reminders_lines_name_its_clinic_and_the_batch_resets(
    tenant, other_tenant, adapters, monkeypatch, caplog
):
    numbers = []
    for clinic in (tenant, other_tenant):
        make_channel(clinic)
        reminders_on(clinic)
        patient, number = patient_with_whatsapp(clinic, "Joana Prado Lima")
        appointment_for(clinic, patient, START)
        numbers.append(number)
    now = START - dt.timedelta(hours=23, minutes=58)
    assert reminders_enqueue_due(now=now) == 2

    def send_fails(*, tenant, **kwargs):
        logging.getLogger("clinicrm.automation").warning("sending reminder")
        raise RuntimeError("provider down")

    monkeypatch.setattr(reminder_services, "automated_send", send_fails)
    caplog_as_production(caplog)
    log_task_begin("t-reminders")  # as the worker does: no request, no tenant yet
    try:
        with caplog.at_level(logging.INFO):
            ids = list(ReminderLog.objects.order_by("pk").values_list("pk", flat=True))
            assert reminders_send_batch(log_ids=ids, now=now) == 0
            after_batch = tenant_id_var.get()
    finally:
        log_task_begin("")
    lines = caplog_json_lines(caplog)
    inside = [line["tenant_id"] for line in lines if line["message"] == "sending reminder"]
    failed = [line["tenant_id"] for line in lines if line["level"] == "ERROR"]
    expected = sorted([str(tenant.pk), str(other_tenant.pk)])
    assert sorted(inside) == sorted(failed) == expected
    assert after_batch == ""  # the last clinic's id does not stay on the worker's lines
    assert "Joana" not in caplog.text
    assert not any(number.lstrip("+")[-8:] in caplog.text for number in numbers)
