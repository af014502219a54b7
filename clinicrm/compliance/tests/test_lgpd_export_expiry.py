"""An LGPD export lives `LGPD_EXPORT_LINK_SECONDS` (24 h) from its build: its download link and
the media links inside the file work until then and not after, and the retention job then
deletes its file (its clinic's only), marks it expired and audits it, once (time-machine)."""

import datetime as dt
import json
import re
from typing import Any

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from clinicrm.compliance.lgpd.services import patient_export_request, patient_export_token
from clinicrm.compliance.models import ExportStatus, PatientExport
from clinicrm.compliance.retention import retention_purge
from clinicrm.core.models import AuditLog, Tenant, User
from clinicrm.core.tests.helpers import run_queued_tasks
from clinicrm.messaging.models import Direction, MediaStatus, Message, MessageKind
from clinicrm.messaging.tests.factories import make_channel, make_thread
from clinicrm.people.models import Patient
from tests.storage_backends import private_storage_use

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16


def _patient_with_a_photo(tenant: Tenant, phone: str) -> Patient:
    patient = Patient.objects.create(tenant=tenant, full_name="Maria Souza")
    make_thread(tenant, thread_key=phone, patient=patient)
    path = default_storage.save(f"{tenant.pk}/media/foto.jpg", ContentFile(JPEG))
    Message.objects.create(
        tenant=tenant,
        channel=make_channel(tenant),
        thread_key=phone,
        direction=Direction.INBOUND,
        kind=MessageKind.IMAGE,
        media_path=path,
        media_mime="image/jpeg",
        media_status=MediaStatus.STORED,
        provider_timestamp=timezone.now(),
    )
    return patient


def _build(tenant: Tenant, patient: Patient, actor: User, at: dt.datetime) -> PatientExport:
    with time_machine.travel(at, tick=False):
        export = patient_export_request(tenant=tenant, patient=patient, fmt="json", actor=actor)
        run_queued_tasks()
    export.refresh_from_db()
    assert export.status == ExportStatus.READY
    return export


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_media_links_inside_an_export_live_as_long_as_its_download_link(
    tenant, owner, tmp_path, settings
):
    private_storage_use(settings, tmp_path)
    patient = _patient_with_a_photo(tenant, "+5511988887777")
    export = _build(tenant, patient, owner, T0)
    assert export.expires_at == T0 + dt.timedelta(seconds=settings.LGPD_EXPORT_LINK_SECONDS)
    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        download = f"/lgpd/exportacoes/baixar/{patient_export_token(export=export)}/"
        response: Any = _client(owner).get(download)
        assert response.status_code == 200
        data = json.loads(b"".join(response.streaming_content))
    (url,) = [m["media_url"] for m in data["mensagens"]]
    path = url.removeprefix(settings.PUBLIC_BASE_URL)
    assert re.fullmatch(r"/midia/[^/]+/", path), url

    # The patient opens the file a day later, without a session: the photo still opens.
    with time_machine.travel(T0 + dt.timedelta(hours=23, minutes=59), tick=False):
        photo: Any = Client().get(path)
        assert photo.status_code == 200
        assert b"".join(photo.streaming_content) == JPEG
        assert _client(owner).get(download).status_code == 200
    # Past the export's end neither the download nor the media links work.
    with time_machine.travel(T0 + dt.timedelta(hours=24, seconds=1), tick=False):
        assert Client().get(path).status_code == 404
        assert _client(owner).get(download).status_code == 404
        status = _client(owner).get(f"/lgpd/exportacoes/{export.pk}/").content.decode()
        assert 'data-testid="lgpd-expired"' in status and "lgpd-download" not in status


def test_the_retention_job_deletes_each_export_file_once_its_link_has_ended(
    tenant, owner, other_tenant, other_owner, tmp_path, settings
):
    private_storage_use(settings, tmp_path)
    ours = _build(tenant, _patient_with_a_photo(tenant, "+5511988887777"), owner, T0)
    # Another clinic's export, built 12 hours later: its link ends 12 hours later.
    theirs = _build(
        other_tenant,
        _patient_with_a_photo(other_tenant, "+5521977776666"),
        other_owner,
        T0 + dt.timedelta(hours=12),
    )
    files = {ours.pk: ours.file_path, theirs.pk: theirs.file_path}
    assert all(default_storage.exists(p) for p in files.values())

    def purge(at: dt.datetime) -> int:
        with time_machine.travel(at, tick=False):
            return retention_purge()["lgpd_export_files"]

    assert purge(T0 + dt.timedelta(hours=23, minutes=59)) == 0
    assert purge(T0 + dt.timedelta(hours=24, minutes=1)) == 1
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert (ours.status, ours.file_path) == (ExportStatus.EXPIRED, "")
    assert not default_storage.exists(files[ours.pk])
    assert theirs.status == ExportStatus.READY and default_storage.exists(files[theirs.pk])
    row = AuditLog.objects.get(action="lgpd.export_expire")
    assert (row.tenant_id, row.object_id) == (tenant.pk, str(ours.patient_id))
    assert row.details["export"] == str(ours.pk)
    assert AuditLog.objects.get(action="retention.purge").details["purged"]["lgpd_export_files"]

    # Idempotent: a second run deletes and audits nothing more.
    assert purge(T0 + dt.timedelta(hours=24, minutes=2)) == 0
    assert AuditLog.objects.filter(action="lgpd.export_expire").count() == 1
    assert AuditLog.objects.filter(action="retention.purge").count() == 1

    assert purge(T0 + dt.timedelta(hours=36, minutes=1)) == 1
    theirs.refresh_from_db()
    assert theirs.status == ExportStatus.EXPIRED and not default_storage.exists(files[theirs.pk])
    assert AuditLog.objects.get(action="lgpd.export_expire", tenant=other_tenant).object_id == str(
        theirs.patient_id
    )


def test_a_file_outside_the_exports_clinic_folder_is_never_deleted(
    tenant, owner, other_tenant, tmp_path, settings
):
    private_storage_use(settings, tmp_path)
    export = _build(tenant, _patient_with_a_photo(tenant, "+5511988887777"), owner, T0)
    foreign = default_storage.save(f"{other_tenant.pk}/lgpd/deles.json", ContentFile(b"{}"))
    PatientExport.objects.filter(pk=export.pk).update(file_path=foreign)
    with time_machine.travel(T0 + dt.timedelta(days=2), tick=False):
        assert retention_purge()["lgpd_export_files"] == 1
    assert default_storage.exists(foreign)
