"""An erased patient's record is a retained fact: a banner, no write actions, writes refused."""

import pytest

from clinicrm.compliance.lgpd.erase import patient_erase
from clinicrm.core.models import AuditLog
from clinicrm.people.models import (
    ContactEmail,
    ContactEmailType,
    ContactPhone,
    ContactType,
    EntityType,
    Patient,
)
from clinicrm.people.services import contact_phone_add

pytestmark = pytest.mark.django_db

BANNER = "a pedido do titular (LGPD)"
REFUSAL = "não podem mais ser alterados"


@pytest.fixture
def erased(tenant, owner) -> Patient:
    patient = Patient.objects.create(tenant=tenant, full_name="Maria Souza", cpf="52998224725")
    contact_phone_add(entity=patient, actor=None, number="+5511988887777")
    patient_erase(tenant=tenant, patient=patient, actor=owner)
    patient.refresh_from_db()
    return patient


def _snapshot(patient: Patient) -> tuple:
    patient.refresh_from_db()
    contacts = (
        ContactPhone.objects.filter(entity_id=patient.pk, entity_type=EntityType.PATIENT).count(),
        ContactEmail.objects.filter(entity_id=patient.pk, entity_type=EntityType.PATIENT).count(),
    )
    writes = AuditLog.objects.filter(action__in=("patient.update", "patient.unarchive")).count()
    return (
        patient.full_name,
        patient.notes,
        patient.is_active,
        patient.updated_at,
        contacts,
        writes,
    )


def test_the_record_shows_the_banner_and_no_write_action(owner_client, tenant, erased):
    page = owner_client.get(f"/pacientes/{erased.pk}/").content.decode()
    assert 'data-testid="patient-frozen"' in page and BANNER in page
    assert "Paciente anonimizado em " in page
    assert f"/pacientes/{erased.pk}/editar/" not in page
    assert f"/pacientes/{erased.pk}/reativar/" not in page
    contacts = owner_client.get(f"/pacientes/{erased.pk}/?aba=contatos").content.decode()
    assert "Adicionar telefone" not in contacts and "Adicionar e-mail" not in contacts
    # The appointment history stays reachable.
    assert 'data-tab="consultas"' in page
    history = owner_client.get(f"/pacientes/{erased.pk}/?aba=consultas")
    assert history.status_code == 200 and "Consultas anteriores" in history.content.decode()
    assert "Marcar consulta" not in history.content.decode()


def test_a_live_patient_keeps_its_actions(owner_client, tenant):
    live = Patient.objects.create(tenant=tenant, full_name="Ana Lima", is_active=False)
    page = owner_client.get(f"/pacientes/{live.pk}/").content.decode()
    assert 'data-testid="patient-frozen"' not in page
    assert f"/pacientes/{live.pk}/editar/" in page and f"/pacientes/{live.pk}/reativar/" in page
    contacts = owner_client.get(f"/pacientes/{live.pk}/?aba=contatos").content.decode()
    assert "Adicionar telefone" in contacts
    history = owner_client.get(f"/pacientes/{live.pk}/?aba=consultas").content.decode()
    assert "Marcar consulta" in history


def test_the_edit_form_refuses_an_erased_patient(owner_client, erased):
    before = _snapshot(erased)
    url = f"/pacientes/{erased.pk}/editar/"
    shown = owner_client.get(url, follow=True)
    assert shown.redirect_chain[-1][0] == f"/pacientes/{erased.pk}/"
    assert REFUSAL in shown.content.decode()
    posted = owner_client.post(url, {"full_name": "Maria Souza", "notes": "volta"})
    assert posted.status_code == 400 and REFUSAL in posted.content.decode()
    assert _snapshot(erased) == before


def test_reactivation_is_refused(owner_client, erased):
    before = _snapshot(erased)
    response = owner_client.post(f"/pacientes/{erased.pk}/reativar/")
    assert response.status_code == 400 and REFUSAL in response.content.decode()
    assert _snapshot(erased) == before and not erased.is_active


def _type_id(model, tenant) -> int:
    return model.objects.filter(code__in=("celular", "pessoal"), tenant__isnull=True).first().pk


@pytest.mark.parametrize("segment", ["telefones", "emails"])
def test_adding_a_contact_is_refused(owner_client, tenant, erased, segment):
    if segment == "telefones":
        data = {
            "new-phone-number": "(11) 97777-6666",
            "new-phone-contact_type": _type_id(ContactType, tenant),
        }
    else:
        data = {
            "new-email-email": "maria@exemplo.com.br",
            "new-email-email_type": _type_id(ContactEmailType, tenant),
        }
    before = _snapshot(erased)
    response = owner_client.post(f"/pacientes/{erased.pk}/{segment}/", data)
    assert response.status_code == 400 and REFUSAL in response.content.decode()
    assert _snapshot(erased) == before


def test_editing_a_contact_is_refused(owner_client, tenant, erased):
    # The erasure removed the contacts; a row put back behind the services' back is still frozen.
    phone = ContactPhone.objects.create(
        tenant=tenant,
        entity_type=EntityType.PATIENT,
        entity_id=erased.pk,
        contact_type_id=_type_id(ContactType, tenant),
        number_e164="+5511977776666",
    )
    base = f"/pacientes/{erased.pk}/telefones/{phone.pk}/"
    edit = owner_client.post(
        f"{base}editar/",
        {
            f"phone-{phone.pk}-number": "(11) 96666-5555",
            f"phone-{phone.pk}-contact_type": phone.contact_type_id,
        },
        HTTP_HX_REQUEST="true",
    )
    assert edit.status_code == 400 and REFUSAL in edit.content.decode()
    assert owner_client.post(f"{base}remover/").status_code == 400
    phone.refresh_from_db()
    assert phone.number_e164 == "+5511977776666"
