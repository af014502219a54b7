import pytest
from django.test import Client
from django.urls import reverse

from clinicrm.core.models import AuditLog, Role, Tenant
from clinicrm.people import services
from clinicrm.people.models import (
    ContactEmail,
    ContactEmailType,
    ContactPhone,
    ContactType,
    Patient,
    Professional,
)

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def patient(tenant, owner):
    return services.patient_create(tenant=tenant, actor=owner, full_name="Ana Souza")


def phone_url(name, patient, phone=None):
    kwargs = {"patient_id": patient.pk}
    if phone is not None:
        kwargs["phone_id"] = phone.pk
    return reverse(f"people:{name}", kwargs=kwargs)


def celular_id():
    services.system_contact_types_ensure()
    return ContactType.objects.get(tenant=None, code="celular").pk


def test_patient_list_search_empty_state_and_htmx_partial(owner_client, patient, tenant, owner):
    response = owner_client.get(reverse("people:patient_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ana Souza" in body and 'id="list-q"' in body
    response = owner_client.get(
        reverse("people:patient_list"), {"q": "zzz"}, HTTP_HX_TARGET="list-results", **HX
    )
    body = response.content.decode()
    assert "Nenhum paciente encontrado" in body
    assert "<html" not in body  # just the fragment
    services.patient_archive(patient=patient, actor=owner)
    assert "Ana Souza" not in owner_client.get(reverse("people:patient_list")).content.decode()
    archived = owner_client.get(reverse("people:patient_list"), {"status": "archived"})
    assert "Ana Souza" in archived.content.decode()


def test_patient_list_paginates(owner_client, tenant):
    Patient.objects.bulk_create(
        [Patient(tenant=tenant, full_name=f"Paciente {i:03d}") for i in range(60)]
    )
    response = owner_client.get(reverse("people:patient_list"), {"page": 3})
    assert response.context["page_obj"].number == 3
    assert "Página 3 de 3" in response.content.decode()


def test_create_patient_with_phone_and_email(owner_client, tenant):
    response = owner_client.post(
        reverse("people:patient_create"),
        {
            "full_name": "Carla Dias",
            "cpf": "529.982.247-25",
            "phone": "551188887777",
            "email": "carla@exemplo.com",
        },
    )
    patient = Patient.objects.get(tenant=tenant)
    assert response.status_code == 302
    assert response.url == reverse("people:patient_detail", kwargs={"patient_id": patient.pk})
    phone = ContactPhone.objects.get()
    assert phone.number_e164 == "+5511988887777" and phone.is_primary
    assert ContactEmail.objects.get().email == "carla@exemplo.com"
    detail = owner_client.get(response.url).content.decode()
    assert "529.982.247-25" in detail
    # The contacts have their own tab of the record.
    contacts = owner_client.get(response.url, {"aba": "contatos"}).content.decode()
    assert "+55 (11) 98888-7777" in contacts and "Principal" in contacts


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cpf", "529.982.247-24", "CPF inválido"),
        ("phone", "(11) 1234", "Telefone inválido"),
        ("email", "carla@", "E-mail inválido"),
        ("full_name", "", "Este campo é obrigatório"),
    ],
)
def test_create_patient_bad_input_is_400_and_saves_nothing(owner_client, field, value, message):
    data = {"full_name": "Carla", "cpf": "", "phone": "11988887777", "email": "c@exemplo.com"}
    data[field] = value
    response = owner_client.post(reverse("people:patient_create"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Patient.objects.exists()
    assert not ContactPhone.objects.exists() and not ContactEmail.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="patient").exists()


def test_edit_patient(owner_client, patient):
    url = reverse("people:patient_edit", kwargs={"patient_id": patient.pk})
    page = owner_client.get(url)
    assert page.status_code == 200 and 'id="phones-editor"' in page.content.decode()
    bad = owner_client.post(url, {"full_name": "Ana", "cpf": "123"})
    assert bad.status_code == 400
    patient.refresh_from_db()
    assert patient.full_name == "Ana Souza" and patient.cpf == ""
    ok = owner_client.post(url, {"full_name": "Ana Lima", "cpf": "52998224725"})
    assert ok.status_code == 302
    patient.refresh_from_db()
    assert patient.full_name == "Ana Lima" and patient.cpf == "52998224725"


def test_phone_editor_add_set_primary_edit_remove(owner_client, patient):
    url = phone_url("patient_phones", patient)
    r = owner_client.post(
        url, {"new-phone-number": "(11) 98888-7777", "new-phone-contact_type": celular_id()}, **HX
    )
    assert r.status_code == 200 and "<html" not in r.content.decode()
    r = owner_client.post(
        url,
        {
            "new-phone-number": "11977776666",
            "new-phone-contact_type": celular_id(),
            "new-phone-whatsapp_linked": "on",
        },
        **HX,
    )
    body = r.content.decode()
    assert "+55 (11) 97777-6666" in body and "WhatsApp vinculado" in body
    first, second = ContactPhone.objects.order_by("id")
    assert first.is_primary and second.whatsapp_linked

    r = owner_client.post(phone_url("patient_phone_primary", patient, second), **HX)
    assert r.status_code == 200
    body = r.content.decode()
    # The new primary is listed first, with the pill.
    assert body.index("97777-6666") < body.index("98888-7777")
    second.refresh_from_db()
    assert second.is_primary

    edit_url = phone_url("patient_phone_edit", patient, first)
    assert f'name="phone-{first.pk}-number"' in owner_client.get(edit_url, **HX).content.decode()
    r = owner_client.post(
        edit_url,
        {f"phone-{first.pk}-number": "1133334444", f"phone-{first.pk}-contact_type": celular_id()},
        **HX,
    )
    assert r.status_code == 200
    first.refresh_from_db()
    assert first.number_e164 == "+551133334444"

    remove_url = phone_url("patient_phone_remove", patient, second)
    confirm = owner_client.get(remove_url, **HX).content.decode()
    assert "Confirmar remoção" in confirm
    assert ContactPhone.objects.count() == 2  # GET only asks
    owner_client.post(remove_url, **HX)
    first.refresh_from_db()
    assert ContactPhone.objects.count() == 1 and first.is_primary


def test_invalid_phone_is_400_fragment_and_saves_nothing(owner_client, patient):
    r = owner_client.post(
        phone_url("patient_phones", patient),
        {"new-phone-number": "(11) 1234-56", "new-phone-contact_type": celular_id()},
        **HX,
    )
    assert r.status_code == 400
    assert "Telefone inválido" in r.content.decode()
    assert not ContactPhone.objects.exists()


def test_invalid_phone_on_edit_keeps_the_old_number(owner_client, patient, owner):
    phone = services.contact_phone_add(entity=patient, actor=owner, number="11988887777")
    r = owner_client.post(
        phone_url("patient_phone_edit", patient, phone),
        {f"phone-{phone.pk}-number": "abc", f"phone-{phone.pk}-contact_type": celular_id()},
        **HX,
    )
    assert r.status_code == 400 and "Telefone inválido" in r.content.decode()
    phone.refresh_from_db()
    assert phone.number_e164 == "+5511988887777"


def test_invalid_email_is_400_and_saves_nothing(owner_client, patient):
    services.system_contact_types_ensure()
    type_id = ContactEmailType.objects.get(tenant=None, code="pessoal").pk
    url = reverse("people:patient_emails", kwargs={"patient_id": patient.pk})
    r = owner_client.post(url, {"new-email-email": "ana@", "new-email-email_type": type_id}, **HX)
    assert r.status_code == 400
    assert "E-mail inválido" in r.content.decode()
    assert not ContactEmail.objects.exists()
    r = owner_client.post(
        url, {"new-email-email": "ana@exemplo.com", "new-email-email_type": type_id}, **HX
    )
    assert r.status_code == 200 and ContactEmail.objects.get().is_primary


def test_without_htmx_the_editor_falls_back_to_pages(owner_client, patient):
    url = phone_url("patient_phones", patient)
    r = owner_client.post(url, {"new-phone-number": "123", "new-phone-contact_type": celular_id()})
    assert r.status_code == 400 and "<html" in r.content.decode()
    assert "Telefone inválido" in r.content.decode()
    r = owner_client.post(
        url, {"new-phone-number": "11988887777", "new-phone-contact_type": celular_id()}
    )
    assert r.status_code == 302
    assert ContactPhone.objects.count() == 1


def test_phone_of_another_patient_is_404_under_this_patient(owner_client, patient, tenant, owner):
    other = services.patient_create(tenant=tenant, actor=owner, full_name="Bia")
    phone = services.contact_phone_add(entity=other, actor=owner, number="11988887777")
    for name in ("patient_phone_edit", "patient_phone_remove", "patient_phone_primary"):
        assert owner_client.post(phone_url(name, patient, phone), **HX).status_code == 404
    assert ContactPhone.objects.filter(pk=phone.pk).exists()
    # and a patient's phone is not reachable through a professional URL with the same id
    pro = Professional.objects.create(tenant=tenant, full_name="Dr. X", pk=patient.pk)
    url = reverse(
        "people:professional_phone_remove", kwargs={"professional_id": pro.pk, "phone_id": phone.pk}
    )
    assert owner_client.post(url, **HX).status_code == 404


def test_other_tenant_gets_404(other_owner_client, patient, owner):
    phone = services.contact_phone_add(entity=patient, actor=owner, number="11988887777")
    assert (
        other_owner_client.get(
            reverse("people:patient_detail", kwargs={"patient_id": patient.pk})
        ).status_code
        == 404
    )
    assert (
        other_owner_client.post(phone_url("patient_phone_remove", patient, phone), **HX).status_code
        == 404
    )
    assert ContactPhone.objects.filter(pk=phone.pk).exists()


def test_roles(member_factory, patient):
    # Roles only: least privilege (a professional sees the patients they attend) is off here;
    # it has its own tests (compliance/tests/test_visibility.py, the isolation walker).
    Tenant.objects.filter(pk=patient.tenant_id).update(professionals_own_patients_only=False)
    client = Client()
    client.force_login(member_factory(Role.PROFESSIONAL))
    assert client.get(reverse("people:patient_list")).status_code == 200
    assert (
        client.get(reverse("people:patient_detail", kwargs={"patient_id": patient.pk})).status_code
        == 200
    )
    assert client.get(reverse("people:professional_list")).status_code == 403
    assert (
        client.post(
            reverse("people:patient_archive", kwargs={"patient_id": patient.pk})
        ).status_code
        == 403
    )
    secretary = Client()
    secretary.force_login(member_factory(Role.SECRETARY))
    assert secretary.get(reverse("people:professional_list")).status_code == 200


def test_archive_flow(owner_client, patient):
    url = reverse("people:patient_archive", kwargs={"patient_id": patient.pk})
    assert "Arquivar paciente" in owner_client.get(url).content.decode()
    patient.refresh_from_db()
    assert patient.is_active  # GET only confirms
    assert owner_client.post(url).status_code == 302
    patient.refresh_from_db()
    assert not patient.is_active
    owner_client.post(reverse("people:patient_unarchive", kwargs={"patient_id": patient.pk}))
    patient.refresh_from_db()
    assert patient.is_active


def test_professional_crud_and_contacts(owner_client, tenant, other_owner):
    r = owner_client.post(
        reverse("people:professional_create"),
        {"full_name": "Dra. Maria", "specialty": "Psicologia", "session_minutes": "50"},
    )
    pro = Professional.objects.get(tenant=tenant)
    assert r.status_code == 302
    # A user of another tenant cannot be linked: 400 and nothing changes.
    edit = reverse("people:professional_edit", kwargs={"professional_id": pro.pk})
    r = owner_client.post(
        edit, {"full_name": "Dra. Maria", "session_minutes": "50", "user": str(other_owner.pk)}
    )
    assert r.status_code == 400
    pro.refresh_from_db()
    assert pro.user is None and pro.specialty == "Psicologia"
    url = reverse("people:professional_phones", kwargs={"professional_id": pro.pk})
    r = owner_client.post(
        url, {"new-phone-number": "+55 21 97777-6666", "new-phone-contact_type": celular_id()}, **HX
    )
    assert r.status_code == 200
    listing = owner_client.get(reverse("people:professional_list")).content.decode()
    assert "Dra. Maria" in listing and "+55 (21) 97777-6666" in listing
    bad = owner_client.post(
        reverse("people:professional_create"), {"full_name": "X", "session_minutes": "2"}
    )
    assert bad.status_code == 400 and Professional.objects.count() == 1
