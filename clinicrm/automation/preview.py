"""The reminder preview of the settings page: the texts as a patient would read them."""

import datetime as dt

from django.utils import timezone

from clinicrm.agenda.models import Appointment
from clinicrm.automation.services.reminder_plan import reminder_values
from clinicrm.automation.texts import REMINDER_VARIABLES, text_check, text_render
from clinicrm.core.models import Tenant
from clinicrm.core.timeutils import local_datetime, local_today
from clinicrm.people.models import Patient, Professional


def reminder_preview(*, tenant: Tenant, text_24h: str, text_2h: str) -> dict[str, str]:
    """Both texts for the tenant's next appointment (a sample one when there is none). Raises
    ApplicationError (pt-BR) for an invalid text, as saving would."""
    texts = {
        "24h": text_check(text=text_24h, allowed=REMINDER_VARIABLES, field="text_24h"),
        "2h": text_check(text=text_2h, allowed=REMINDER_VARIABLES, field="text_2h"),
    }
    appointment = (
        Appointment.objects.filter(tenant=tenant, starts_at__gt=timezone.now())
        .select_related("patient", "professional")
        .order_by("starts_at")
        .first()
    )
    if appointment is None:
        tomorrow = local_today() + dt.timedelta(days=1)
        appointment = Appointment(
            patient=Patient(full_name="Maria Souza"),
            professional=Professional(full_name="Dra. Ana Lima"),
            starts_at=local_datetime(tomorrow, dt.time(14, 0)),
        )
    values = reminder_values(appointment, tenant.name)
    return {window: text_render(text, values) for window, text in texts.items()}
