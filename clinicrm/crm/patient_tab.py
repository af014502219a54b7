"""The patient record's "Conversas" tab (people/extensions.py): the patient's WhatsApp
conversations, with stats (total, received, sent, first and last message), a filter by
direction, the timeline (media through signed URLs, ticks) and "Abrir no CRM"."""

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from clinicrm.crm.selectors.patient import patient_conversations
from clinicrm.people.extensions import PatientTab, patient_tab_register
from clinicrm.people.models import Patient

DIRECTIONS = {"recebidas": "in", "enviadas": "out"}


def conversations_tab_render(*, request: HttpRequest, patient: Patient) -> SafeString:
    chosen = request.GET.get("direcao", "")
    direction = DIRECTIONS.get(chosen, "")
    data = patient_conversations(
        patient=patient, direction=direction, before=request.GET.get("antes")
    )
    context = {"patient": patient, "data": data, "direcao": chosen if direction else ""}
    html = render_to_string("crm/_patient_conversations.html", context, request=request)
    return mark_safe(html)  # noqa: S308  # the template's own escaped output


def crm_patient_tab_register() -> None:
    patient_tab_register(
        PatientTab(code="conversas", label="Conversas", render=conversations_tab_render, order=30)
    )
