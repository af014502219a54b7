"""An unknown number becomes a patient: "Cadastrar paciente" or "Vincular existente".

Both put the thread's number on the patient as a WhatsApp-linked phone (with the provider's raw
id, which sends use) and point the thread at the patient, so the inbox and the drawer show the
record's name from then on. Threads are also linked without anyone clicking: migration 0004's
triggers link a new thread, or a thread whose number a patient gains, to the one active patient
that has that number (never when two patients share it: then the clinic chooses here).
"""

import datetime as dt
from typing import Any

from django.db import transaction

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant
from clinicrm.core.services import audit_log_record
from clinicrm.crm.services.common import thread_check_tenant
from clinicrm.crm.services.events import PATIENT, crm_event_emit
from clinicrm.messaging.identity import LID_KEY_PREFIX
from clinicrm.messaging.models import Thread
from clinicrm.people.models import ContactPhone, EntityType, Patient
from clinicrm.people.services import contact_phone_add, contact_phone_update, patient_create


def _phone_link(*, patient: Patient, thread: Thread, actor: Any, ip: str | None) -> None:
    """The thread's number on the patient, WhatsApp-linked (added, or flagged if present)."""
    if thread.thread_key.startswith(LID_KEY_PREFIX):
        return  # WhatsApp hid the number (LID only): nothing to store as a phone
    phone = ContactPhone.objects.filter(
        tenant_id=patient.tenant_id,
        entity_type=EntityType.PATIENT,
        entity_id=patient.pk,
        number_e164=thread.thread_key,
    ).first()
    raw = thread.contact_raw_id if not thread.contact_raw_id.endswith("@lid") else ""
    if phone is None:
        contact_phone_add(
            entity=patient,
            actor=actor,
            number=thread.thread_key,
            whatsapp_linked=True,
            provider_raw_id=raw,
            ip=ip,
        )
        return
    contact_phone_update(
        phone=phone,
        actor=actor,
        whatsapp_linked=True,
        provider_raw_id=raw if raw and not phone.provider_raw_id else None,
        ip=ip,
    )


def _link(*, tenant: Tenant, thread: Thread, patient: Patient, actor: Any, ip: str | None) -> None:
    _phone_link(patient=patient, thread=thread, actor=actor, ip=ip)
    Thread.objects.filter(pk=thread.pk, tenant=tenant).update(patient=patient)
    thread.patient = patient
    audit_log_record(
        action="conversation.patient_link",
        user=actor,
        tenant=tenant,
        object_type="thread",
        object_id=str(thread.pk),
        ip=ip,
        details={"patient": patient.pk},
    )
    crm_event_emit(tenant=tenant, thread_id=thread.pk, what=PATIENT)


@transaction.atomic
def thread_patient_create(
    *,
    tenant: Tenant,
    thread: Thread,
    actor: Any,
    full_name: str,
    social_name: str = "",
    cpf: str = "",
    birth_date: dt.date | None = None,
    ip: str | None = None,
) -> Patient:
    """ "Cadastrar paciente": a new patient from the conversation, linked to it."""
    thread_check_tenant(tenant=tenant, thread=thread)
    patient = patient_create(
        tenant=tenant,
        actor=actor,
        full_name=full_name,
        social_name=social_name,
        cpf=cpf,
        birth_date=birth_date,
        ip=ip,
    )
    _link(tenant=tenant, thread=thread, patient=patient, actor=actor, ip=ip)
    return patient


@transaction.atomic
def thread_patient_link(
    *, tenant: Tenant, thread: Thread, patient_id: Any, actor: Any, ip: str | None = None
) -> Patient:
    """ "Vincular existente": point the thread at a patient of the same clinic."""
    thread_check_tenant(tenant=tenant, thread=thread)
    try:
        patient = Patient.objects.get(tenant=tenant, pk=int(patient_id))
    except (Patient.DoesNotExist, TypeError, ValueError) as exc:
        raise ApplicationError("Escolha um paciente da lista.", field="patient") from exc
    if thread.patient_id == patient.pk:
        return patient
    _link(tenant=tenant, thread=thread, patient=patient, actor=actor, ip=ip)
    return patient
