"""Test helpers of automation: patients with WhatsApp, appointments, inbound texts."""

import datetime as dt
import itertools

from django.utils import timezone

from clinicrm.agenda.models import Appointment, AppointmentStatus
from clinicrm.automation.models import ReminderSettings
from clinicrm.core.models import Tenant
from clinicrm.messaging.models import Channel, Message
from clinicrm.messaging.services import message_ingest
from clinicrm.messaging.tests.factories import inbound_text
from clinicrm.people.models import Patient, Professional
from clinicrm.people.services import contact_phone_add

_seq = itertools.count(1)


def new_number() -> str:
    return f"+55119{70000000 + next(_seq):08d}"


def patient_with_whatsapp(
    tenant: Tenant, name: str = "Joana Prado", number: str | None = None, linked: bool = True
) -> tuple[Patient, str]:
    patient = Patient.objects.create(tenant=tenant, full_name=name)
    number = number or new_number()
    contact_phone_add(entity=patient, actor=None, number=number, whatsapp_linked=linked)
    return patient, number


def appointment_for(
    tenant: Tenant,
    patient: Patient,
    starts_at: dt.datetime,
    *,
    professional: Professional | None = None,
    status: str = AppointmentStatus.SCHEDULED,
) -> Appointment:
    professional = professional or Professional.objects.create(
        tenant=tenant, full_name=f"Dra. Helena {next(_seq)}"
    )
    return Appointment.objects.create(
        tenant=tenant,
        professional=professional,
        patient=patient,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=50),
        status=status,
    )


def reminders_on(tenant: Tenant, **fields: object) -> ReminderSettings:
    values: dict[str, object] = {"enabled_24h": True, "enabled_2h": True}
    values.update(fields)
    return ReminderSettings.objects.create(tenant=tenant, **values)


def jid_of(number: str, channel: Channel) -> str:
    digits = number.lstrip("+")
    return f"whatsapp:{number}" if channel.is_twilio else f"{digits}@s.whatsapp.net"


def patient_writes(
    channel: Channel, number: str, body: str, *, at: dt.datetime | None = None
) -> Message:
    """The patient's text reaches the ingest (hooks included), as a provider delivery would."""
    message = message_ingest(
        channel=channel,
        inbound=inbound_text(jid=jid_of(number, channel), body=body, ts=at or timezone.now()),
    )
    assert message is not None
    return message


def automated(tenant: Tenant, purpose: str | None = None) -> list[Message]:
    qs = Message.objects.filter(tenant=tenant, direction="out", extra__has_key="automation")
    rows = list(qs.order_by("pk"))
    return [m for m in rows if purpose is None or m.extra["automation"] == purpose]
