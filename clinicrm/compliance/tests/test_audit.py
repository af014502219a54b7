"""The audit page: who sees it, filters, keyset pages, detail, CSV/XLSX exports, the staff
view across clinics, and the audit rows' immutability (app and PostgreSQL trigger)."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.test import Client
from openpyxl import load_workbook

from clinicrm.core.models import AuditLog, Role, User
from clinicrm.core.services import audit_log_record
from clinicrm.core.timeutils import SAO_PAULO
from clinicrm.people.models import Patient

pytestmark = pytest.mark.django_db

URL = "/configuracoes/auditoria"
SAAS_URL = "/saas/auditoria"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _rows(response) -> int:
    return response.content.decode().count('data-testid="audit-row"')


def _record(tenant, user=None, *, action="patient.update", obj_id="1", when=None):
    with time_machine.travel(when or dt.datetime(2026, 5, 10, 12, tzinfo=SAO_PAULO), tick=False):
        return audit_log_record(
            action=action, user=user, tenant=tenant, object_type="patient", object_id=obj_id
        )


@pytest.mark.parametrize("role", [Role.PROFESSIONAL, Role.SECRETARY])
def test_only_owners_and_admins_see_the_page(role, member_factory, owner_client):
    assert owner_client.get(URL).status_code == 200
    assert _client(member_factory(Role.ADMIN)).get(URL).status_code == 200
    assert _client(member_factory(role)).get(URL).status_code == 403


def test_the_page_lists_this_clinics_rows_only(
    tenant, owner, owner_client, other_tenant, other_owner
):
    _record(tenant, owner, action="message.send")
    _record(other_tenant, other_owner, action="conversation.assign")
    response = owner_client.get(URL)
    body = response.content.decode().split('id="audit-results"')[1]
    assert _rows(response) == 1
    assert "Mensagem enviada" in body and "Conversa atribuída" not in body


def test_empty_state(owner_client):
    response = owner_client.get(URL)
    assert "Nenhum registro" in response.content.decode()


def test_filters_user_action_object_and_period(tenant, owner, owner_client, member_factory):
    admin = member_factory(Role.ADMIN)
    _record(tenant, owner, action="patient.view", obj_id="7")
    _record(tenant, admin, action="patient.view", obj_id="8")
    _record(tenant, None, action="optout.create", obj_id="9")
    _record(
        tenant,
        admin,
        action="patient.update",
        obj_id="7",
        when=dt.datetime(2026, 6, 2, 9, tzinfo=SAO_PAULO),
    )

    def count(**params) -> int:
        response = owner_client.get(URL, params)
        assert response.status_code == 200, response.content[:500]
        return _rows(response)

    assert count() == 4
    assert count(user=str(admin.pk)) == 2
    assert count(user="sistema") == 1
    assert count(action="patient.view") == 2
    assert count(object_type="patient", object_id="7") == 2
    assert count(date_from="2026-06-01") == 1
    assert count(date_to="2026-05-31") == 3
    assert count(date_from="2026-05-10", date_to="2026-05-10", user=str(owner.pk)) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "2026-06-02", "date_to": "2026-06-01"},
        {"date_from": "ontem"},
        {"action": "nada.disso"},
        {"user": "00000000-0000-0000-0000-000000000000"},
        {"cursor": "forjado"},
    ],
)
def test_bad_filters_answer_400_with_a_reason(params, owner_client, tenant, owner):
    _record(tenant, owner)
    before = AuditLog.objects.count()
    response = owner_client.get(URL, params)
    assert response.status_code == 400
    assert "Corrija os filtros" in response.content.decode()
    assert AuditLog.objects.count() == before


def test_keyset_pages_cover_every_row_once(tenant, owner, owner_client):
    start = dt.datetime(2026, 5, 1, 8, tzinfo=SAO_PAULO)
    # Pairs share a timestamp: the cursor must still not skip or repeat a row.
    made = {
        _record(tenant, owner, obj_id=str(i), when=start + dt.timedelta(minutes=i // 2)).pk
        for i in range(120)
    }
    seen: list[int] = []
    url = URL
    pages = 0
    while url:
        response = owner_client.get(url)
        body = response.content.decode()
        seen += [int(x) for x in __import__("re").findall(r"/configuracoes/auditoria/(\d+)", body)]
        pages += 1
        marker = 'data-testid="audit-next"'
        if marker in body:
            href = body.split(marker)[0].rsplit('href="', 1)[1].split('"')[0]
            url = URL + href.replace("&amp;", "&")
        else:
            url = ""
    assert pages == 3
    assert len(seen) == len(set(seen)) == 120
    assert set(seen) == made
    assert seen == sorted(seen, reverse=True)


def test_detail_of_own_row_and_404_for_another_clinics(
    tenant, owner, owner_client, other_tenant, other_owner
):
    patient = Patient.objects.create(tenant=tenant, full_name="Maria Souza")
    mine = audit_log_record(
        action="patient.update", user=owner, tenant=tenant, obj=patient, details={"fields": ["cpf"]}
    )
    theirs = _record(other_tenant, other_owner)
    response = owner_client.get(f"{URL}/{mine.pk}")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Paciente alterado" in body and "cpf" in body
    assert f'href="/pacientes/{patient.pk}/"' in body
    assert owner_client.get(f"{URL}/{theirs.pk}").status_code == 404


def test_csv_and_xlsx_exports_hold_the_filtered_rows_and_are_audited(
    tenant, owner, owner_client, member_factory
):
    admin = member_factory(Role.ADMIN)
    _record(tenant, owner, action="message.send", obj_id="11")
    _record(tenant, admin, action="message.send", obj_id="12")
    _record(tenant, admin, action="patient.view", obj_id="13")

    response = owner_client.get(URL, {"user": str(admin.pk), "export": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="auditoria.csv"'
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0][:5] == ["Data", "Clínica", "Usuário", "E-mail", "Ação"]
    assert sorted(line[7] for line in lines[1:]) == ["12", "13"]
    assert {line[3] for line in lines[1:]} == {admin.email}

    response = owner_client.get(URL, {"action": "message.send", "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][4] == "Ação"
    assert sorted(v[7] for v in values[1:]) == ["11", "12"]
    assert values[1][4] == "Mensagem enviada"

    exports = AuditLog.objects.filter(action="audit.export", user=owner, tenant=tenant)
    assert [e.details["format"] for e in exports.order_by("id")] == ["csv", "xlsx"]
    assert exports.order_by("id")[0].details["filters"] == ["user"]


def test_staff_see_every_clinic_and_filter_by_clinic_and_email(
    staff_client, tenant, owner, other_tenant, other_owner, owner_client
):
    _record(tenant, owner)
    _record(other_tenant, other_owner)
    response = staff_client.get(SAAS_URL, {"action": "patient.update"})
    assert _rows(response) == 2
    assert "Clínica Alfa" in response.content.decode()
    assert _rows(staff_client.get(SAAS_URL, {"tenant_id": str(other_tenant.pk)})) == 1
    by_email = staff_client.get(SAAS_URL, {"user_email": owner.email})
    assert _rows(by_email) == AuditLog.objects.filter(user=owner).count() >= 1
    assert "Clínica Beta" not in by_email.content.decode().split('id="audit-results"')[1]
    assert staff_client.get(SAAS_URL, {"user_email": "ninguem@x.test"}).status_code == 400
    theirs = AuditLog.objects.get(tenant=other_tenant)
    assert staff_client.get(f"{SAAS_URL}/{theirs.pk}").status_code == 200
    assert owner_client.get(SAAS_URL).status_code == 403


def test_reading_a_patient_record_and_a_conversation_is_audited(tenant, owner, owner_client):
    from clinicrm.messaging.models import Thread

    patient = Patient.objects.create(tenant=tenant, full_name="Maria Souza")
    assert owner_client.get(f"/pacientes/{patient.pk}/").status_code == 200
    row = AuditLog.objects.get(action="patient.view")
    assert (row.user, row.tenant, row.object_id) == (owner, tenant, str(patient.pk))

    thread = Thread.objects.create(tenant=tenant, thread_key="+5511988887777")
    assert owner_client.get(f"/conversas/{thread.pk}/").status_code == 200
    row = AuditLog.objects.get(action="conversation.view")
    assert (row.user, row.object_type, row.object_id) == (owner, "thread", str(thread.pk))
    # The detail page links back to the conversation.
    body = owner_client.get(f"{URL}/{row.pk}").content.decode()
    assert f'href="/conversas/{thread.pk}/"' in body


def test_reading_a_patient_through_the_api_is_audited(tenant, owner):
    from clinicrm.api.services import api_token_create

    patient = Patient.objects.create(tenant=tenant, full_name="Maria Souza")
    plain = api_token_create(tenant=tenant, user=owner, name="t").plain
    response = Client().get(
        f"/api/v1/patients/{patient.pk}", headers={"Authorization": f"Bearer {plain}"}
    )
    assert response.status_code == 200
    row = AuditLog.objects.get(action="patient.view")
    assert (row.user, row.details) == (owner, {"via": "api"})


def test_the_application_refuses_to_change_or_delete_audit_rows(tenant, owner):
    row = _record(tenant, owner)
    row.action = "outra"
    with pytest.raises(TypeError, match="append-only"):
        row.save()
    with pytest.raises(TypeError, match="append-only"):
        row.delete()
    with pytest.raises(TypeError, match="append-only"):
        AuditLog.objects.filter(pk=row.pk).update(action="outra")
    with pytest.raises(TypeError, match="append-only"):
        AuditLog.objects.filter(pk=row.pk).delete()
    assert AuditLog.objects.get(pk=row.pk).action == "patient.update"


def test_deleting_a_user_keeps_their_audit_rows(tenant, member_factory):
    user = member_factory(Role.SECRETARY)
    row = _record(tenant, user)
    user.delete()
    row.refresh_from_db()
    assert row.user_id is None and row.action == "patient.update"


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only"
)


@postgresql_only
def test_postgresql_refuses_update_and_delete_of_an_audit_row(tenant, owner):
    row = _record(tenant, owner)
    statements = [
        ("UPDATE audit_logs SET action = 'x' WHERE id = %s", [row.pk]),
        ("UPDATE audit_logs SET details = %s::jsonb WHERE id = %s", ['{"x": 1}', row.pk]),
        ("UPDATE audit_logs SET user_id = NULL, object_id = '2' WHERE id = %s", [row.pk]),
        ("DELETE FROM audit_logs WHERE id = %s", [row.pk]),
    ]
    for sql, params in statements:
        with (
            pytest.raises(IntegrityError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, params)
    row.refresh_from_db()
    assert (row.action, row.object_id, row.user_id) == ("patient.update", "1", owner.pk)
