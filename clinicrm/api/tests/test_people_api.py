import pytest

from clinicrm.core.models import AuditLog, Role
from clinicrm.people.models import ContactEmail, ContactPhone, Patient, Professional

pytestmark = pytest.mark.django_db


def _counts():
    return (
        Patient.objects.count(),
        Professional.objects.count(),
        ContactPhone.objects.count(),
        ContactEmail.objects.count(),
        AuditLog.objects.count(),
    )


def test_patient_crud_and_archive(api, tenant):
    created = api.post(
        "patients",
        {"full_name": "Maria da Silva", "cpf": "529.982.247-25", "birth_date": "1990-05-01"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["cpf"] == "52998224725" and body["is_active"] is True
    pid = body["id"]
    assert Patient.objects.get(pk=pid).tenant == tenant
    assert api.get(f"patients/{pid}").json()["full_name"] == "Maria da Silva"

    updated = api.patch(f"patients/{pid}", {"social_name": "Mari", "notes": "alergia"})
    assert updated.status_code == 200
    assert updated.json()["social_name"] == "Mari"
    assert AuditLog.objects.filter(action="patient.update", object_id=str(pid)).exists()

    archived = api.post(f"patients/{pid}/archive")
    assert archived.status_code == 200 and archived.json()["is_active"] is False
    assert api.get("patients").json()["count"] == 0
    assert api.get("patients", status="archived").json()["count"] == 1
    assert api.post(f"patients/{pid}/unarchive").json()["is_active"] is True


def test_patient_list_search_and_pagination(api, tenant):
    for i in range(7):
        Patient.objects.create(tenant=tenant, full_name=f"Paciente {i:02d}")
    Patient.objects.create(tenant=tenant, full_name="Joana Prado")
    page = api.get("patients", limit=3, offset=3).json()
    assert page["count"] == 8 and page["limit"] == 3 and page["offset"] == 3
    assert [p["full_name"] for p in page["items"]] == ["Paciente 02", "Paciente 03", "Paciente 04"]
    found = api.get("patients", search="joana").json()
    assert [p["full_name"] for p in found["items"]] == ["Joana Prado"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "full_name"),
        ({"full_name": "A"}, "full_name"),
        ({"full_name": "Maria", "cpf": "529.982.247-26"}, "cpf"),
        ({"full_name": "Maria", "birth_date": "01/05/1990"}, "birth_date"),
        ({"full_name": "Maria", "birth_date": "2999-01-01"}, "birth_date"),
        ({"full_name": "Maria", "telefone": "11999999999"}, "telefone"),
        ({"full_name": "x" * 201}, "full_name"),
    ],
)
def test_patient_create_bad_input_is_400_naming_the_field(api, body, field):
    before = _counts()
    response = api.post("patients", body)
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert response.json()["detail"]
    assert _counts() == before


def test_patient_update_bad_input_changes_nothing(api, tenant):
    patient = Patient.objects.create(tenant=tenant, full_name="Maria")
    before, stamp = _counts(), patient.updated_at
    for body, field in (({"cpf": "111.111.111-11"}, "cpf"), ({"full_name": None}, "full_name")):
        response = api.patch(f"patients/{patient.pk}", body)
        assert response.status_code == 400
        assert response.json()["field"] == field
    patient.refresh_from_db()
    assert patient.updated_at == stamp and patient.cpf == ""
    assert _counts() == before


def test_pagination_limits_are_validated(api):
    response = api.get("patients", limit=1000)
    assert response.status_code == 400
    assert response.json()["field"] == "limit"


def test_non_json_body_is_400(api):
    response = api.client.post(
        "/api/v1/patients", "not json", content_type="application/json", headers=api.headers
    )
    assert response.status_code == 400


def test_other_tenant_patient_is_404(api, other_tenant):
    foreign = Patient.objects.create(tenant=other_tenant, full_name="Outra")
    response = api.get(f"patients/{foreign.pk}")
    assert response.status_code == 404
    assert response.json()["detail"] == "Não encontrado."
    assert api.patch(f"patients/{foreign.pk}", {"full_name": "Hack"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.full_name == "Outra"


def test_professional_crud(api, tenant, member_factory):
    doctor = member_factory(Role.PROFESSIONAL)
    created = api.post(
        "professionals",
        {"full_name": "Dr. João", "specialty": "Psicologia", "user_id": str(doctor.pk)},
    )
    assert created.status_code == 201, created.content
    prof_id = created.json()["id"]
    assert created.json()["user_id"] == str(doctor.pk)
    assert api.get("professionals", search="psico").json()["count"] == 1
    assert (
        api.patch(f"professionals/{prof_id}", {"session_minutes": 40}).json()["session_minutes"]
        == 40
    )
    assert api.post(f"professionals/{prof_id}/archive").json()["is_active"] is False


def test_professional_bad_input(api, tenant, other_owner):
    before = _counts()
    assert (
        api.post("professionals", {"full_name": "Dra", "session_minutes": 1}).json()["field"]
        == "session_minutes"
    )
    foreign_user = api.post(
        "professionals", {"full_name": "Dra Ana", "user_id": str(other_owner.pk)}
    )
    assert foreign_user.status_code == 400 and foreign_user.json()["field"] == "user_id"
    assert (
        api.post("professionals", {"full_name": "Dra Ana", "user_id": "x"}).json()["field"]
        == "user_id"
    )
    assert _counts() == before


def test_professional_member_cannot_manage_professionals(make_api_client, tenant, member_factory):
    client = make_api_client(member_factory(Role.PROFESSIONAL), tenant)
    prof = Professional.objects.create(tenant=tenant, full_name="Dr. X")
    assert client.get("professionals").status_code == 403
    assert client.get(f"professionals/{prof.pk}").status_code == 403
    assert client.post("professionals", {"full_name": "Dr. Y"}).status_code == 403
    assert Professional.objects.count() == 1
    assert client.get("patients").status_code == 200


def test_patient_phones_and_emails(api, tenant):
    patient = Patient.objects.create(tenant=tenant, full_name="Maria")
    base = f"patients/{patient.pk}"
    first = api.post(f"{base}/phones", {"number": "(11) 98888-7777"})
    assert first.status_code == 201, first.content
    assert first.json()["number"] == "+5511988887777" and first.json()["is_primary"] is True
    second = api.post(f"{base}/phones", {"number": "11 3333-4444", "type": "residencial"})
    assert second.status_code == 201, second.content
    primary = api.post(f"{base}/phones/{second.json()['id']}/primary")
    assert primary.status_code == 200 and primary.json()["is_primary"] is True
    phones = api.get(f"{base}/phones").json()
    assert [p["is_primary"] for p in phones] == [True, False]
    assert phones[0]["id"] == second.json()["id"]
    edited = api.patch(f"{base}/phones/{first.json()['id']}", {"whatsapp_linked": True})
    assert edited.json()["whatsapp_linked"] is True
    assert api.delete(f"{base}/phones/{first.json()['id']}").status_code == 204
    assert len(api.get(f"{base}/phones").json()) == 1

    email = api.post(f"{base}/emails", {"email": "Maria@Exemplo.com.br"})
    assert email.status_code == 201 and email.json()["email"] == "maria@exemplo.com.br"
    other = api.post(f"{base}/emails", {"email": "m2@exemplo.com.br"}).json()
    assert api.post(f"{base}/emails/{other['id']}/primary").json()["is_primary"] is True
    assert (
        api.patch(f"{base}/emails/{other['id']}", {"email": "m3@exemplo.com.br"}).json()["email"]
        == "m3@exemplo.com.br"
    )
    assert api.delete(f"{base}/emails/{email.json()['id']}").status_code == 204
    assert AuditLog.objects.filter(action__startswith="contact_").count() >= 8


def test_professional_contacts(api, tenant):
    prof = Professional.objects.create(tenant=tenant, full_name="Dr. X")
    response = api.post(f"professionals/{prof.pk}/phones", {"number": "+55 11 98888-7777"})
    assert response.status_code == 201
    assert api.get(f"professionals/{prof.pk}/phones").json()[0]["number"] == "+5511988887777"
    assert api.post(f"professionals/{prof.pk}/emails", {"email": "dr@x.com.br"}).status_code == 201


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("phones", {"number": "123"}, "number"),
        ("phones", {"number": "(11) 98888-7777", "type": "inexistente"}, "type"),
        ("phones", {}, "number"),
        ("emails", {"email": "não-é-email"}, "email"),
        ("emails", {"email": "a@b.com.br", "is_primary": "talvez"}, "is_primary"),
    ],
)
def test_contact_bad_input(api, tenant, kind, body, field):
    patient = Patient.objects.create(tenant=tenant, full_name="Maria")
    before = _counts()
    response = api.post(f"patients/{patient.pk}/{kind}", body)
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert _counts() == before


def test_contact_of_another_entity_is_404(api, tenant):
    a = Patient.objects.create(tenant=tenant, full_name="Ana")
    b = Patient.objects.create(tenant=tenant, full_name="Bia")
    phone = api.post(f"patients/{a.pk}/phones", {"number": "11988887777"}).json()
    # The phone exists in this tenant, but not under patient b.
    assert api.delete(f"patients/{b.pk}/phones/{phone['id']}").status_code == 404
    assert ContactPhone.objects.filter(pk=phone["id"]).exists()
