"""Everything a tenant holds about one patient, as rows per kind (LGPD art. 18, II and V).

Every query filters by the patient's tenant and reaches the patient through their id, their
phones (conversations and opt-outs are keyed by phone number) or their conversations, so a
namesake in the same or another clinic never leaks in. Messages are read in chunks.
"""

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import Q, QuerySet

from clinicrm.agenda.models import Appointment
from clinicrm.automation.models import OptOut
from clinicrm.compliance.intake.erasure import intake_rows_of_patient
from clinicrm.core.models import AuditLog
from clinicrm.crm.models import Assignment, Note
from clinicrm.messaging.models import Message, Thread
from clinicrm.messaging.signing import media_signed_url
from clinicrm.people.models import ContactEmail, ContactPhone, EntityType, Patient

MESSAGE_FIELDS = (
    "id",
    "thread_key",
    "direction",
    "kind",
    "body",
    "status",
    "provider_timestamp",
    "created_at",
    "media_mime",
    "media_filename",
    "media_size",
    "media_path",
)
# Title of each kind, in the report's order.
KINDS: dict[str, str] = {
    "paciente": "Cadastro",
    "telefones": "Telefones",
    "emails": "E-mails",
    "consultas": "Consultas",
    "conversas": "Conversas",
    "mensagens": "Mensagens",
    "notas": "Notas internas das conversas",
    "atribuicoes": "Atribuições das conversas",
    "optouts": "Histórico de opt-out",
    "cadastros": "Cadastros enviados pelo paciente (convites)",
    "auditoria": "Registros de auditoria",
}


def _rows(qs: QuerySet[Any]) -> list[dict[str, Any]]:
    return [dict(row) for row in qs.values()]


def _messages(
    tenant_id: Any, keys: list[str], media_until: dt.datetime | None
) -> Iterator[dict[str, Any]]:
    qs = Message.objects.filter(tenant_id=tenant_id, thread_key__in=keys).order_by(
        "provider_timestamp", "id"
    )
    for message in qs.only(*MESSAGE_FIELDS, "tenant_id").iterator(chunk_size=2000):
        row = {f: getattr(message, f) for f in MESSAGE_FIELDS if f != "media_path"}
        row["media_url"] = (
            media_signed_url(message=message, absolute=True, until=media_until)
            if message.media_path
            else ""
        )
        yield row


def patient_data_collect(
    *, patient: Patient, media_until: dt.datetime | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Every kind of row about `patient`. Media links live until `media_until` (the export's
    own end) instead of the usual 15 minutes."""
    tenant_id = patient.tenant_id
    phones = _rows(
        ContactPhone.objects.filter(
            tenant_id=tenant_id, entity_type=EntityType.PATIENT, entity_id=patient.pk
        )
    )
    threads = _rows(Thread.objects.filter(tenant_id=tenant_id, patient=patient))
    keys = sorted({t["thread_key"] for t in threads} | {p["number_e164"] for p in phones})
    thread_ids = [t["id"] for t in threads]
    about = Q(object_type="patient", object_id=str(patient.pk)) | Q(
        object_type="thread", object_id__in=[str(i) for i in thread_ids]
    )
    return {
        "paciente": _rows(Patient.objects.filter(pk=patient.pk)),
        "telefones": phones,
        "emails": _rows(
            ContactEmail.objects.filter(
                tenant_id=tenant_id, entity_type=EntityType.PATIENT, entity_id=patient.pk
            )
        ),
        "consultas": _rows(Appointment.objects.filter(tenant_id=tenant_id, patient=patient)),
        "conversas": threads,
        "mensagens": list(_messages(tenant_id, keys, media_until)),
        "notas": _rows(Note.objects.filter(tenant_id=tenant_id, thread_id__in=thread_ids)),
        "atribuicoes": _rows(
            Assignment.objects.filter(tenant_id=tenant_id, thread_id__in=thread_ids)
        ),
        "optouts": _rows(OptOut.objects.filter(tenant_id=tenant_id, thread_key__in=keys)),
        "cadastros": intake_rows_of_patient(
            patient=patient, numbers=[p["number_e164"] for p in phones]
        ),
        "auditoria": _rows(
            AuditLog.objects.filter(tenant_id=tenant_id).filter(about).order_by("id")
        ),
    }
