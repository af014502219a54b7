"""Out-of-range dates and offsets answer 400 with a pt-BR reason, never 500 (pages and API)."""

import pytest
from django.test import Client

from clinicrm.api.services import api_token_create
from clinicrm.core.dates import DATE_OUT_OF_RANGE
from clinicrm.people.models import Patient, Professional

pytestmark = pytest.mark.django_db

BIG = "99999999999999999999"
OUT = ["9999-12-31", "0001-01-01", "1899-12-31", "2100-01-01"]

PAGES = [
    *[(f"/agenda/?data={d}", DATE_OUT_OF_RANGE) for d in OUT],
    *[(f"/agenda/profissionais/{{p}}/semana/?semana={d}", DATE_OUT_OF_RANGE) for d in OUT],
    ("/agenda/profissionais/{p}/semana/?semana=0001-01-03", DATE_OUT_OF_RANGE),
    ("/agenda/minha-semana/?semana=9999-12-31", DATE_OUT_OF_RANGE),
    ("/agenda/consultas/nova/?data=9999-12-31", DATE_OUT_OF_RANGE),
    ("/agenda/consultas/nova/?data=0001-01-01", DATE_OUT_OF_RANGE),
    ("/configuracoes/extrato?date_to=9999-12-31", DATE_OUT_OF_RANGE),
    ("/configuracoes/extrato?date_from=0001-01-01", DATE_OUT_OF_RANGE),
    ("/configuracoes/extrato?date_from=0001-01-01&date_to=9999-12-31", DATE_OUT_OF_RANGE),
    ("/configuracoes/extrato?date_to=9999-12-31&export=csv", DATE_OUT_OF_RANGE),
]

API = [
    (f"/api/v1/patients?offset={BIG}", "offset"),
    ("/api/v1/patients?offset=9223372036854775807", "offset"),
    ("/api/v1/patients?offset=-1", "offset"),
    (f"/api/v1/patients?limit={BIG}", "limit"),
    (f"/api/v1/professionals?offset={BIG}", "offset"),
    (f"/api/v1/appointments?offset={BIG}", "offset"),
    (f"/api/v1/credits/transactions?offset={BIG}", "offset"),
    (f"/api/v1/credits/purchases?offset={BIG}", "offset"),
    ("/api/v1/appointments?start=9999-12-31", "start"),
    ("/api/v1/appointments?start=0001-01-01&end=0001-01-02", "start"),
    ("/api/v1/appointments?end=9999-12-31", "end"),
    ("/api/v1/credits/transactions?date_from=0001-01-01", "date_from"),
    ("/api/v1/credits/transactions?date_to=9999-12-31", "date_to"),
]


@pytest.fixture
def professional(tenant):
    return Professional.objects.create(tenant=tenant, full_name="Dra. Limite")


@pytest.mark.parametrize(("url", "reason"), PAGES)
def test_pages_answer_400_with_the_reason(owner, professional, url, reason):
    professional.user = owner
    professional.save(update_fields=["user"])
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    response = client.get(url.replace("{p}", str(professional.pk)))
    assert response.status_code == 400
    assert reason in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/agenda/?data=1900-01-01",
        "/agenda/?data=2099-12-31",
        "/agenda/?data=2026-02-30",  # not a date: today's agenda, as before
        "/agenda/?data=amanha",
    ],
)
def test_the_ends_of_the_range_are_pages(owner_client, url):
    assert owner_client.get(url).status_code == 200


@pytest.mark.parametrize(("url", "field"), API)
def test_api_answers_400_with_the_field(owner, tenant, url, field):
    token = api_token_create(tenant=tenant, user=owner, name="limites").plain
    response = Client(raise_request_exception=False).get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["field"] == field
    assert "máximo" in body["detail"] or "mínimo" in body["detail"] or "Data fora" in body["detail"]


def test_api_body_dates_are_bounded_too(owner, tenant, professional):
    token = api_token_create(tenant=tenant, user=owner, name="limites").plain
    patient = Patient.objects.create(tenant=tenant, full_name="Paciente Limite")
    body = {"patient_id": patient.pk, "professional_id": professional.pk, "date": "9999-12-31"}
    response = Client(raise_request_exception=False).post(
        "/api/v1/appointments",
        body | {"start": "10:00", "end": "11:00"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 400
    assert response.json()["detail"] == f"date: {DATE_OUT_OF_RANGE}"


def test_appointment_form_dates_are_bounded(owner_client, tenant, professional):
    patient = Patient.objects.create(tenant=tenant, full_name="Paciente Limite")
    owner_client.raise_request_exception = False
    response = owner_client.post(
        "/agenda/consultas/nova/",
        {
            "patient": patient.pk,
            "professional": professional.pk,
            "date": "9999-12-31",
            "start_time": "23:00",
            "end_time": "23:50",
            "status": "scheduled",
        },
    )
    assert response.status_code in (200, 400)
    assert DATE_OUT_OF_RANGE in response.content.decode()


def test_saas_transaction_filters_are_bounded(staff_client):
    staff_client.raise_request_exception = False
    response = staff_client.get("/saas/addons/transacoes?start=0001-01-01&end=9999-12-31")
    assert response.status_code == 400
    assert DATE_OUT_OF_RANGE in response.content.decode()
