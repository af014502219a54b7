"""The patient record's "Consultas" tab (people/extensions.py): upcoming and past appointments
with their status, newest past first."""

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from clinicrm.agenda.models import STATUS_PILL_CLASS, Appointment
from clinicrm.people.extensions import PatientTab, patient_freeze, patient_tab_register
from clinicrm.people.models import Patient

SHOWN = 20


def patient_appointments(*, patient: Patient, limit: int = SHOWN) -> dict[str, list[Appointment]]:
    qs = Appointment.objects.filter(tenant_id=patient.tenant_id, patient=patient).select_related(
        "professional"
    )
    now = timezone.now()
    upcoming = list(qs.filter(starts_at__gte=now).order_by("starts_at", "id")[:limit])
    past = list(qs.filter(starts_at__lt=now).order_by("-starts_at", "-id")[:limit])
    for row in (*upcoming, *past):
        row.pill_class = STATUS_PILL_CLASS.get(row.status, "pill")  # type: ignore[attr-defined]
    return {"upcoming": upcoming, "past": past}


def appointments_tab_render(*, request: HttpRequest, patient: Patient) -> SafeString:
    context = {
        "patient": patient,
        # An erased patient keeps its history but gets no new appointment (archived for good).
        "frozen": patient_freeze(patient=patient) is not None,
        **patient_appointments(patient=patient),
    }
    html = render_to_string("agenda/_patient_appointments.html", context, request=request)
    return mark_safe(html)  # noqa: S308  # the template's own escaped output


def agenda_patient_tab_register() -> None:
    patient_tab_register(
        PatientTab(code="consultas", label="Consultas", render=appointments_tab_render, order=20)
    )
