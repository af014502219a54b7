"""LGPD export of one patient: everything the clinic holds about them, nothing of a namesake
in another clinic or of another patient; built by the task; signed, expiring, audited link."""

import csv
import io
import json
import logging
import re
import zipfile

import pytest
from django.utils import timezone

from clinicrm.agenda.tests.factories import make_appointment
from clinicrm.automation.models import OptOut
from clinicrm.compliance.models import PatientExport
from clinicrm.core.log_context import log_task_begin
from clinicrm.core.models import AuditLog
from clinicrm.core.services import audit_log_record
from clinicrm.core.tests.helpers import (
    caplog_as_production,
    caplog_json_lines,
    run_queued_tasks,
)
from clinicrm.crm.models import Assignment, Note
from clinicrm.messaging.models import Direction, Message
from clinicrm.messaging.tests.factories import make_channel, make_thread
from clinicrm.people.models import Patient
from clinicrm.people.services import contact_email_add, contact_phone_add

pytestmark = pytest.mark.django_db


def _patient_with_everything(tenant, owner, *, phone: str, email: str, text: str) -> Patient:
    patient = Patient.objects.create(tenant=tenant, full_name="Maria Souza", cpf="52998224725")
    contact_phone_add(entity=patient, actor=None, number=phone)
    contact_email_add(entity=patient, actor=None, email=email)
    make_appointment(tenant, patient=patient)
    thread = make_thread(tenant, thread_key=phone, patient=patient)
    channel = make_channel(tenant)
    message = Message.objects.create(
        tenant=tenant,
        channel=channel,
        thread_key=phone,
        direction=Direction.INBOUND,
        body=text,
        provider_timestamp=timezone.now(),
    )
    Note.objects.create(tenant=tenant, thread=thread, author=owner, body=f"nota {text}")
    Assignment.objects.create(tenant=tenant, thread=thread, assigned_to=owner)
    OptOut.objects.create(
        tenant=tenant,
        thread_key=phone,
        opted_out_at=timezone.now(),
        source="keyword",
        keyword="PARE",
        message=message,
    )
    audit_log_record(action="patient.update", user=owner, tenant=tenant, obj=patient)
    return patient


@pytest.fixture
def maria(tenant, owner):
    return _patient_with_everything(
        tenant, owner, phone="+5511988887777", email="maria@exemplo.com.br", text="olá da Maria A"
    )


@pytest.fixture
def namesake(other_tenant, other_owner):
    return _patient_with_everything(
        other_tenant,
        other_owner,
        phone="+5521977776666",
        email="maria@outra.com.br",
        text="segredo da Maria B",
    )


def _export(client, patient, fmt: str) -> tuple[PatientExport, bytes]:
    response = client.post(f"/pacientes/{patient.pk}/lgpd/exportar/", {"format": fmt})
    assert response.status_code == 302
    assert run_queued_tasks() >= 1
    status = client.get(response["Location"]).content.decode()
    link = re.search(r'href="(/lgpd/exportacoes/baixar/[^"]+/)"', status)
    assert link, status
    download = client.get(link.group(1))
    assert download.status_code == 200
    return PatientExport.objects.get(patient=patient), b"".join(download.streaming_content)


def test_json_export_holds_every_kind_and_nothing_of_others(
    owner_client, tenant, owner, maria, namesake
):
    other = Patient.objects.create(tenant=tenant, full_name="João Lima")
    make_appointment(tenant, patient=other)
    export, content = _export(owner_client, maria, "json")
    data = json.loads(content)
    for kind in (
        "paciente",
        "telefones",
        "emails",
        "consultas",
        "conversas",
        "mensagens",
        "notas",
        "atribuicoes",
        "optouts",
        "auditoria",
    ):
        assert data[kind], f"{kind} is empty"
    assert data["paciente"][0]["cpf"] == "52998224725"
    assert [m["body"] for m in data["mensagens"]] == ["olá da Maria A"]
    assert data["telefones"][0]["number_e164"] == "+5511988887777"
    assert {c["patient_id"] for c in data["consultas"]} == {maria.pk}
    text = content.decode()
    assert "segredo da Maria B" not in text and "+5521977776666" not in text
    assert "maria@outra.com.br" not in text and "João Lima" not in text
    assert export.counts["mensagens"] == 1
    actions = list(
        AuditLog.objects.filter(action__startswith="lgpd.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["lgpd.export_request", "lgpd.export_download"]


def test_csv_zip_and_html_report(owner_client, maria, namesake):
    _, content = _export(owner_client, maria, "csv")
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert {"paciente.csv", "mensagens.csv", "optouts.csv", "auditoria.csv"} <= set(
        archive.namelist()
    )
    rows = list(
        csv.reader(io.StringIO(archive.read("mensagens.csv").decode("utf-8-sig")), delimiter=";")
    )
    assert len(rows) == 2 and "olá da Maria A" in rows[1]
    assert b"segredo" not in b"".join(archive.read(n) for n in archive.namelist())
    PatientExport.objects.all().delete()
    _, html = _export(owner_client, maria, "html")
    assert "Dados pessoais de Maria Souza" in html.decode() and b"segredo" not in html


def test_bad_requests_change_nothing(
    owner_client, other_owner_client, maria, namesake, owner, settings
):
    assert (
        owner_client.post(
            f"/pacientes/{namesake.pk}/lgpd/exportar/", {"format": "json"}
        ).status_code
        == 404
    )
    assert (
        owner_client.post(f"/pacientes/{maria.pk}/lgpd/exportar/", {"format": "pdf"}).status_code
        == 400
    )
    assert not PatientExport.objects.exists()
    forged = owner_client.get("/lgpd/exportacoes/baixar/forjado:abc:def/")
    assert forged.status_code == 404
    assert "Link de download inválido ou expirado" in forged.content.decode()
    export, _ = _export(owner_client, maria, "json")
    from clinicrm.compliance.lgpd.services import patient_export_token

    token = patient_export_token(export=export)
    # Another clinic's owner holding the genuine link gets nothing.
    assert other_owner_client.get(f"/lgpd/exportacoes/baixar/{token}/").status_code == 404
    settings.LGPD_EXPORT_LINK_SECONDS = -1  # every link has expired
    assert owner_client.get(f"/lgpd/exportacoes/baixar/{token}/").status_code == 404
    assert AuditLog.objects.filter(action="lgpd.export_download").count() == 1


def test_the_build_tasks_lines_name_the_clinic_and_no_patient(
    owner, tenant, maria, monkeypatch, caplog
):
    from clinicrm.compliance.lgpd import services

    def collect_fails(*, patient, media_until=None):
        logging.getLogger("clinicrm.compliance").warning("collecting export data")
        raise RuntimeError("storage down")

    monkeypatch.setattr(services, "patient_data_collect", collect_fails)
    services.patient_export_request(tenant=tenant, patient=maria, fmt="json", actor=owner)
    caplog_as_production(caplog)
    log_task_begin("t-export")  # as the worker does: no request, no tenant yet
    try:
        with caplog.at_level(logging.INFO):
            run_queued_tasks()
    finally:
        log_task_begin("")
    lines = caplog_json_lines(caplog)
    inside = [line for line in lines if line["message"] == "collecting export data"]
    failed = [line for line in lines if line["level"] == "ERROR"]  # the worker's failure line
    assert inside and failed
    assert {line["tenant_id"] for line in inside + failed} == {str(tenant.pk)}
    assert PatientExport.objects.get().status == "failed"
    assert "Maria" not in caplog.text and "88887777" not in caplog.text
