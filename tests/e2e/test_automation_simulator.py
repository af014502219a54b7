# ruff: noqa: F811 - pytest fixtures imported from devtools.fake_evolution.testing
"""LGPD opt-out and confirm by reply, end to end through the phone simulator, the fake Evolution
server, the webhook road, the inbound hooks, the reminder job and the agenda:

the patient writes "PARE" and gets the acknowledgement; tomorrow's 24 h reminder is not sent;
the patient writes "voltar" (acknowledged) and the next reminder (2 h before) goes; the patient
answers "1" and the clinic's agenda shows the appointment confirmed.
"""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, expect

from clinicrm.agenda.models import Appointment
from clinicrm.automation.models import OptOut, ReminderLog
from clinicrm.automation.services import reminders_enqueue_due, reminders_send_batch
from clinicrm.automation.tests.helpers import appointment_for, reminders_on
from clinicrm.core.models import Membership, Role, Tenant
from clinicrm.core.timeutils import SAO_PAULO
from clinicrm.devtools.fake_evolution.server import FakeEvolutionServer
from clinicrm.devtools.fake_evolution.testing import (  # noqa: F401
    INSTANCE,
    INSTANCE_TOKEN,
    fake_evolution,
)
from clinicrm.integrations.evolution.tests.helpers import make_channel
from clinicrm.people.models import Patient, Professional
from clinicrm.people.services import contact_phone_add
from conftest import make_user
from tests.e2e.helpers import Worker, login

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]

PATIENT = "+5511977776666"


def _reminders(now: dt.datetime) -> None:
    """One run of the reminder job at `now`, and its send batches (the worker's part)."""
    reminders_enqueue_due(now=now)
    queued = list(ReminderLog.objects.filter(status="queued").values_list("pk", flat=True))
    reminders_send_batch(log_ids=queued, now=now)


def test_pare_voltar_and_confirm_by_reply_through_the_simulator(
    context: BrowserContext,
    asgi_url: str,
    fake_evolution: FakeEvolutionServer,
    screenshot_dir: Path,
) -> None:
    tenant = Tenant.objects.create(name="Clínica Horizonte", slug="horizonte")
    owner = make_user("dona@horizonte.test")
    Membership.objects.create(tenant=tenant, user=owner, role=Role.OWNER)
    patient = Patient.objects.create(tenant=tenant, full_name="Rafael Souza")
    contact_phone_add(entity=patient, actor=None, number=PATIENT, whatsapp_linked=True)
    helena = Professional.objects.create(tenant=tenant, full_name="Dra. Helena Costa")
    starts = (timezone.now() + dt.timedelta(hours=23)).replace(second=0, microsecond=0)
    appointment = appointment_for(tenant, patient, starts, professional=helena)
    reminders_on(tenant)
    channel = make_channel(tenant, server_url=fake_evolution.url)
    fake_evolution.create_open_instance(
        INSTANCE,
        token=INSTANCE_TOKEN,
        webhook={
            "url": f"{asgi_url}/webhooks/evolution/{channel.webhook_token}/",
            "enabled": True,
            "events": ["MESSAGES_UPSERT", "MESSAGES_UPDATE", "SEND_MESSAGE"],
            "headers": {"apikey": INSTANCE_TOKEN},
        },
    )
    fake_evolution.state.switches.auto_status = "delivered"

    clinic = context.new_page()
    login(clinic, asgi_url, owner.email)
    phone = context.new_page()
    phone.goto(f"{asgi_url}/simulador/?numero={PATIENT}")
    replies = phone.get_by_test_id("sim-reply")

    def write(text: str) -> None:
        phone.get_by_label("Mensagem").fill(text)
        phone.get_by_role("button", name="Enviar", exact=True).click()
        expect(phone.locator(".phone-bubble-patient").last).to_contain_text(text)

    with Worker(send_queued=True):
        write("PARE")
        expect(replies.last).to_contain_text("não receberá mais mensagens automáticas")
        assert OptOut.objects.filter(tenant=tenant, opted_in_at__isnull=True).count() == 1

        # Tomorrow's reminder is due now: not sent, and the log says why.
        _reminders(timezone.now())
        log = ReminderLog.objects.get(window="24h")
        assert (log.status, log.reason) == ("skipped", "opted_out")
        expect(replies).to_have_count(1)

        write("voltar")
        expect(replies.last).to_contain_text("voltará a receber lembretes")

        # Two hours before the appointment: the next reminder goes.
        _reminders(starts - dt.timedelta(hours=1, minutes=55))
        local = starts.astimezone(SAO_PAULO)
        expect(replies.last).to_contain_text(
            f"Sua consulta com Dra. Helena Costa é hoje às {local:%H:%M}"
        )
        expect(replies).to_have_count(3)

        write("1")
        expect(replies.last).to_contain_text("está confirmada")
    phone.screenshot(path=str(screenshot_dir / "automation-simulator-phone.png"), full_page=True)

    appointment.refresh_from_db()
    assert appointment.status == "confirmed"
    clinic.goto(f"{asgi_url}/agenda/?data={local.date().isoformat()}")
    card = clinic.locator(f"#appt-{appointment.pk}")
    expect(card.locator("select")).to_have_value("confirmed")
    expect(card.locator('[data-badge="confirmed"]')).to_have_text("Confirmada pelo paciente")
    clinic.screenshot(path=str(screenshot_dir / "automation-agenda-confirmed.png"), full_page=True)
    assert Appointment.objects.get().status == "confirmed"
