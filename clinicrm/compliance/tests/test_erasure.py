"""LGPD erasure of a patient: after it, no table of the database holds the patient's name,
numbers, CPF or e-mail (a raw scan of every column of every table), media files are gone from
storage, the records the clinic keeps stay as facts, a namesake in another clinic is untouched;
erasing twice changes nothing; bad requests change nothing."""

import datetime as dt
import json
import unicodedata
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from clinicrm.agenda.models import Appointment
from clinicrm.agenda.tests.factories import make_appointment
from clinicrm.automation.models import AutoReplyLog, OptOut, ReminderLog
from clinicrm.compliance.lgpd.erase import patient_erase
from clinicrm.compliance.lgpd.services import patient_export_request
from clinicrm.compliance.models import PatientErasure, PatientExport
from clinicrm.compliance.retention import retention_purge
from clinicrm.core.models import AuditLog, Role
from clinicrm.core.services import audit_log_record
from clinicrm.core.tests.helpers import run_queued_tasks
from clinicrm.credits.models import CreditTransaction, TransactionKind
from clinicrm.credits.services.ledger import credits_add, credits_deduct
from clinicrm.crm.models import Assignment, Note
from clinicrm.integrations.models import InboundEvent
from clinicrm.messaging.models import Direction, MediaStatus, Message, Thread
from clinicrm.messaging.services.inbound import message_ingest
from clinicrm.messaging.services.media import media_save
from clinicrm.messaging.tests.factories import inbound_text, make_channel
from clinicrm.people.models import ContactPhone, Patient
from clinicrm.people.services import contact_email_add, contact_phone_add

pytestmark = pytest.mark.django_db

NAME = "Maria Souza"
PHONE = "+5511988887777"
CPF = "52998224725"
EMAIL = "maria@exemplo.com.br"
# Every form the patient's data could be stored in, folded like the scan folds.
NEEDLES = (
    "maria souza",
    "11988887777",
    "1188887777",  # the old 8-digit form WhatsApp still sends
    "98888-7777",
    CPF,
    "529.982.247-25",
    EMAIL,
)


def _patient_with_everything(tenant, owner, *, phone: str, email: str, cpf: str) -> Patient:
    patient = Patient.objects.create(
        tenant=tenant,
        full_name=NAME,
        social_name="Mari Souza",
        cpf=cpf,
        birth_date=dt.date(1990, 5, 17),
        notes=f"{NAME} prefere atendimento à tarde",
    )
    contact_phone_add(entity=patient, actor=None, number=phone)
    contact_email_add(entity=patient, actor=None, email=email)
    appointment = make_appointment(tenant, patient=patient)
    Appointment.objects.filter(pk=appointment.pk).update(notes=f"Primeira sessão de {NAME}")
    channel = make_channel(tenant)
    digits = phone.lstrip("+")
    inbound = message_ingest(
        channel=channel,
        inbound=inbound_text(
            jid=f"{digits}@s.whatsapp.net", body=f"Oi, aqui é {NAME}", contact_name=NAME
        ),
    )
    assert inbound is not None
    thread = Thread.objects.get(tenant=tenant, thread_key=phone)
    media = Message.objects.create(
        tenant=tenant,
        channel=channel,
        thread_key=phone,
        direction=Direction.INBOUND,
        kind="image",
        body=f"foto do CPF {cpf}",
        media_status=MediaStatus.STORED,
        media_path=media_save(tenant=tenant, content=b"\x89PNG fake", mime="image/png"),
        media_filename=f"{NAME}.png",
        provider_timestamp=timezone.now(),
    )
    credits_add(tenant=tenant, amount=5, kind=TransactionKind.TOPUP_MANUAL, admin=owner)
    outbound = Message.objects.create(
        tenant=tenant,
        channel=channel,
        thread_key=phone,
        direction=Direction.OUTBOUND,
        body=f"Olá {NAME}, sua consulta está confirmada",
        provider_timestamp=timezone.now(),
    )
    credits_deduct(tenant=tenant, message_id=outbound.pk)
    Note.objects.create(tenant=tenant, thread=thread, author=owner, body=f"{NAME} ligou")
    Assignment.objects.get_or_create(tenant=tenant, thread=thread, defaults={"assigned_to": owner})
    now = timezone.now()
    OptOut.objects.create(
        tenant=tenant,
        thread_key=phone,
        opted_out_at=now,
        source="manual",
        reason=f"{NAME} pediu por telefone",
        message=inbound,
    )
    AutoReplyLog.objects.create(
        tenant=tenant, thread_key=phone, inbound_message=inbound, decision="sent", created_at=now
    )
    ReminderLog.objects.create(
        tenant=tenant,
        appointment=appointment,
        window="24h",
        appointment_starts_at=appointment.starts_at,
        thread_key=phone,
        message=outbound,
        created_at=now,
        updated_at=now,
    )
    InboundEvent.objects.create(
        provider="evolution",
        event_id=f"ev-{tenant.slug}",
        event_type="messages.upsert",
        tenant=tenant,
        body=json.dumps({"remoteJid": f"{digits}@s.whatsapp.net", "pushName": NAME}).encode(),
        headers={"x": "y"},
        status="processed",
    )
    audit_log_record(action="patient.update", user=owner, tenant=tenant, obj=patient)
    patient.media_message = media  # type: ignore[attr-defined]
    return patient


@pytest.fixture
def maria(tenant, owner):
    patient = _patient_with_everything(tenant, owner, phone=PHONE, email=EMAIL, cpf=CPF)
    patient_export_request(tenant=tenant, patient=patient, fmt="json", actor=owner)
    run_queued_tasks()
    assert PatientExport.objects.get(patient=patient).file_path
    return patient


@pytest.fixture
def namesake(other_tenant, other_owner):
    return _patient_with_everything(
        other_tenant, other_owner, phone="+5521977776666", email="maria@outra.com.br", cpf=""
    )


def _fold(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, memoryview | bytes | bytearray):
        value = bytes(value).decode("utf-8", "ignore")
    elif isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    text = unicodedata.normalize("NFKD", str(value).lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def _scan(*, skip_tenant) -> list[tuple[str, str, str]]:
    """(table, column, needle) of every value in the database holding one of NEEDLES, read
    raw (every table the introspection lists, every column), rows of `skip_tenant` aside."""
    skip = {str(skip_tenant.pk), skip_tenant.pk.hex}
    hits = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                record = dict(zip(columns, row, strict=True))
                if str(record.get("tenant_id")) in skip:
                    continue
                for column, value in record.items():
                    folded = _fold(value)
                    hits += [(table, column, n) for n in NEEDLES if n in folded]
    return hits


def test_erasure_leaves_no_personal_data_in_any_table(
    tenant, owner, other_tenant, maria, namesake, django_capture_on_commit_callbacks
):
    assert len(_scan(skip_tenant=other_tenant)) > 20  # the scan sees the data it looks for
    media_path = maria.media_message.media_path
    export_path = PatientExport.objects.get(patient=maria).file_path
    assert default_storage.exists(media_path) and default_storage.exists(export_path)
    ledger = list(CreditTransaction.objects.filter(tenant=tenant).values())

    with django_capture_on_commit_callbacks(execute=True):
        result = patient_erase(tenant=tenant, patient=maria, actor=owner, ip="203.0.113.9")

    assert not result.already
    assert _scan(skip_tenant=other_tenant) == []
    assert not default_storage.exists(media_path)
    assert not default_storage.exists(export_path)
    # What the clinic keeps, as facts without identification.
    maria.refresh_from_db()
    assert maria.full_name == f"Paciente anonimizado #{maria.pk}"
    assert (maria.is_active, maria.birth_date) == (False, None)
    assert PatientErasure.objects.get(patient=maria).pending_files == []
    appointment = Appointment.objects.get(tenant=tenant, patient=maria)
    assert appointment.notes == "" and appointment.professional_id
    assert Message.objects.filter(tenant=tenant).count() == 3
    assert set(Message.objects.filter(tenant=tenant).values_list("body", flat=True)) == {""}
    assert list(CreditTransaction.objects.filter(tenant=tenant).values()) == ledger
    assert ReminderLog.objects.get(tenant=tenant).appointment_id == appointment.pk
    assert not Note.objects.filter(tenant=tenant).exists()
    assert not ContactPhone.objects.filter(tenant=tenant).exists()
    thread = Thread.objects.get(tenant=tenant)
    assert thread.thread_key == f"anon:{thread.pk}" and thread.patient_id == maria.pk
    assert AuditLog.objects.filter(object_type="patient", object_id=str(maria.pk)).count() >= 2
    row = AuditLog.objects.get(action="lgpd.erase")
    assert (row.user, row.tenant, row.object_id) == (owner, tenant, str(maria.pk))
    assert row.details["mensagens"] == 3 and row.details["webhooks"] == 1
    # The namesake in the other clinic keeps everything.
    namesake.refresh_from_db()
    assert (namesake.full_name, namesake.is_active) == (NAME, True)
    assert default_storage.exists(namesake.media_message.media_path)
    assert Message.objects.filter(tenant=other_tenant).exclude(body="").count() == 3
    assert bytes(InboundEvent.objects.get(tenant=other_tenant).body)

    again = patient_erase(tenant=tenant, patient=maria, actor=owner)
    assert again.already and "já foram anonimizados" in again.message
    assert AuditLog.objects.filter(action="lgpd.erase").count() == 1


def test_retention_deletes_media_an_erasure_left_behind(tenant, owner, maria, settings):
    media_path = maria.media_message.media_path
    # No on-commit callbacks here: the files are still in storage after the erasure.
    patient_erase(tenant=tenant, patient=maria, actor=owner)
    assert default_storage.exists(media_path)
    # A download in flight stored a file on the erased conversation afterwards.
    late = media_save(tenant=tenant, content=b"late", mime="image/png")
    Message.objects.filter(pk=maria.media_message.pk).update(media_path=late)

    counts = retention_purge()

    assert counts["erased_patient_media"] == 3  # media + export file + the late one
    assert not default_storage.exists(media_path) and not default_storage.exists(late)
    assert PatientErasure.objects.get(patient=maria).pending_files == []
    assert Message.objects.get(pk=maria.media_message.pk).media_path == ""
    purge = AuditLog.objects.get(action="retention.purge")
    assert purge.details["purged"]["erased_patient_media"] == 3
    assert retention_purge()["erased_patient_media"] == 0


def test_erase_from_the_patient_page(owner_client, owner, maria, namesake, member_factory):
    page = owner_client.get(f"/pacientes/{maria.pk}/?aba=lgpd").content.decode()
    assert 'id="erase-dialog"' in page and "digite o nome completo" in page
    url = f"/pacientes/{maria.pk}/lgpd/anonimizar/"

    wrong = owner_client.post(url, {"confirm": "Maria"})
    assert wrong.status_code == 400 and "digite o nome completo" in wrong.content.decode()
    assert owner_client.post(f"/pacientes/{namesake.pk}/lgpd/anonimizar/").status_code == 404
    secretary = member_factory(Role.SECRETARY)
    owner_client.force_login(secretary)
    assert owner_client.post(url, {"confirm": NAME}).status_code in (403, 404)
    assert not PatientErasure.objects.exists()

    owner_client.force_login(owner)
    done = owner_client.post(url, {"confirm": "  maria   SOUZA "}, follow=True)
    assert done.status_code == 200
    html = done.content.decode()
    assert "Dados pessoais do paciente anonimizados" in html and NAME not in html
    assert 'data-testid="lgpd-erased"' in html and 'id="erase-dialog"' not in html
    again = owner_client.post(url, {"confirm": f"Paciente anonimizado #{maria.pk}"}, follow=True)
    assert "já foram anonimizados" in again.content.decode()
    assert PatientErasure.objects.count() == 1
