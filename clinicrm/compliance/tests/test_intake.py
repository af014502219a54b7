"""Patient intake invites: create, public form (validation, once only, forged/expired/used
links), review (accept creates or updates the patient with a WhatsApp-linked phone, reject),
the drawer's send, least privilege and the per-address cap."""

import datetime as dt

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinicrm.compliance.intake.models import IntakeInvite, IntakeSubmission
from clinicrm.compliance.intake.services import intake_invite_create, intake_submission_accept
from clinicrm.compliance.intake.tokens import SALT, intake_invite_token
from clinicrm.compliance.lgpd.collect import patient_data_collect
from clinicrm.compliance.lgpd.erase import patient_erase
from clinicrm.core.models import AuditLog, Role
from clinicrm.messaging.models import Message
from clinicrm.messaging.tests.factories import make_channel, make_thread
from clinicrm.people.models import ContactEmail, ContactPhone, Patient, Professional
from clinicrm.people.services import contact_phone_add

pytestmark = pytest.mark.django_db

CPF = "52998224725"
VALID = {
    "full_name": "Joana Prado",
    "cpf": "529.982.247-25",
    "birth_date": "1990-05-01",
    "phone": "(11) 98888-7777",
    "email": "Joana@Exemplo.com.br",
    "consent": "on",
}


def _public_url(invite: IntakeInvite) -> str:
    return reverse(
        "compliance:intake_public", kwargs={"intake_token": intake_invite_token(invite=invite)}
    )


def _invite(tenant, owner, **kw) -> IntakeInvite:
    return intake_invite_create(tenant=tenant, actor=owner, **kw)


def _counts() -> tuple[int, int, int]:
    return IntakeSubmission.objects.count(), Patient.objects.count(), ContactPhone.objects.count()


def test_member_creates_an_invite_and_sees_its_link(owner_client, tenant, owner):
    response = owner_client.post(
        reverse("compliance:intake_invite_new"), {"name": "Joana", "phone": "", "days": "7"}
    )
    invite = IntakeInvite.objects.get(tenant=tenant)
    assert response.status_code == 302
    assert invite.created_by == owner
    assert (
        dt.timedelta(days=6, hours=23) < invite.expires_at - timezone.now() <= dt.timedelta(days=7)
    )
    page = owner_client.get(response["Location"]).content.decode()
    assert intake_invite_token(invite=invite) in page
    assert AuditLog.objects.filter(action="intake.invite_create", object_id=str(invite.pk)).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [({"days": "0"}, "entre 1 e 30"), ({"days": "7", "phone": "(11) 1234"}, "Telefone inválido")],
)
def test_bad_invite_input_is_refused(owner_client, data, message):
    response = owner_client.post(reverse("compliance:intake_invite_new"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not IntakeInvite.objects.exists()


def test_public_page_shows_clinic_and_professional_only(client, tenant, owner):
    Professional.objects.create(tenant=tenant, full_name="Dra. Helena Costa", user=owner)
    invite = _invite(tenant, owner, name="Nome Secreto", phone="11977776666")
    page = client.get(_public_url(invite)).content.decode()
    assert tenant.name in page and "Dra. Helena Costa" in page
    assert "Nome Secreto" not in page and "97777" not in page
    assert "Lei Geral de Proteção de Dados" in page


def test_submit_once_then_accept_creates_patient_with_whatsapp_phone(
    client, owner_client, tenant, owner
):
    invite = _invite(tenant, owner)
    url = _public_url(invite)
    response = client.post(url, VALID)
    assert response.status_code == 200 and "Cadastro enviado" in response.content.decode()
    submission = IntakeSubmission.objects.get(invite=invite)
    assert (submission.cpf, submission.phone_e164, submission.email) == (
        CPF,
        "+5511988887777",
        "joana@exemplo.com.br",
    )

    before = _counts()
    again = client.post(url, {**VALID, "full_name": "Outra Pessoa"})
    assert again.status_code == 410 and "já foi usado" in again.content.decode()
    assert _counts() == before
    assert client.get(url).status_code == 410

    review = owner_client.get(reverse("compliance:intake_review", args=[submission.pk]))
    assert "Aceitar e criar paciente" in review.content.decode()
    owner_client.post(reverse("compliance:intake_accept", args=[submission.pk]))
    patient = Patient.objects.get(tenant=tenant, cpf=CPF)
    assert patient.full_name == "Joana Prado" and patient.birth_date == dt.date(1990, 5, 1)
    phone = ContactPhone.objects.get(entity_id=patient.pk, entity_type="patient")
    assert phone.number_e164 == "+5511988887777" and phone.whatsapp_linked
    assert ContactEmail.objects.filter(entity_id=patient.pk, email="joana@exemplo.com.br").exists()
    submission.refresh_from_db()
    assert submission.status == "accepted" and submission.patient == patient
    audit = AuditLog.objects.get(action="intake.accept")
    assert audit.details == {"patient": patient.pk, "result": "created", "matched_by": ""}
    # A second accept changes nothing.
    before = _counts()
    response = owner_client.post(reverse("compliance:intake_accept", args=[submission.pk]))
    assert response.status_code == 400 and _counts() == before


def test_accept_updates_the_patient_holding_the_phone(client, owner_client, tenant, owner):
    patient = Patient.objects.create(tenant=tenant, full_name="Jo")
    phone = contact_phone_add(entity=patient, actor=None, number="11988887777")
    assert not phone.whatsapp_linked
    invite = _invite(tenant, owner)
    client.post(_public_url(invite), VALID)
    submission = IntakeSubmission.objects.get()
    owner_client.post(reverse("compliance:intake_accept", args=[submission.pk]))
    patient.refresh_from_db()
    phone.refresh_from_db()
    assert (patient.full_name, patient.cpf) == ("Joana Prado", CPF)
    assert phone.whatsapp_linked
    assert Patient.objects.filter(tenant=tenant).count() == 1
    assert AuditLog.objects.get(action="intake.accept").details["matched_by"] == "phone"


def test_accept_matches_by_cpf_and_ignores_other_tenants(
    client, owner_client, tenant, owner, other_tenant
):
    ours = Patient.objects.create(tenant=tenant, full_name="Joana P.", cpf=CPF)
    theirs = Patient.objects.create(tenant=other_tenant, full_name="Joana Prado", cpf=CPF)
    contact_phone_add(entity=theirs, actor=None, number="11988887777")
    invite = _invite(tenant, owner)
    client.post(_public_url(invite), VALID)
    owner_client.post(reverse("compliance:intake_accept", args=[IntakeSubmission.objects.get().pk]))
    assert ContactPhone.objects.get(entity_id=ours.pk, entity_type="patient").whatsapp_linked
    theirs.refresh_from_db()
    assert theirs.full_name == "Joana Prado"
    assert ContactPhone.objects.filter(tenant=other_tenant).count() == 1


def test_reject_creates_no_patient(client, owner_client, tenant, owner):
    client.post(_public_url(_invite(tenant, owner)), VALID)
    submission = IntakeSubmission.objects.get()
    response = owner_client.post(reverse("compliance:intake_reject", args=[submission.pk]))
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == "rejected"
    assert not Patient.objects.exists()
    assert AuditLog.objects.filter(action="intake.reject").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cpf", "529.982.247-26", "CPF inválido"),
        ("phone", "(11) 1234", "Telefone inválido"),
        ("email", "joana@", "E-mail inválido"),
        ("birth_date", "2999-01-01", "no futuro"),
        ("full_name", "Joana", "nome completo"),
        ("consent", "", "aceite os termos"),
    ],
)
def test_bad_form_input_is_refused_in_ptbr(client, tenant, owner, field, value, message):
    invite = _invite(tenant, owner)
    data = {**VALID, field: value}
    if not value:
        data.pop(field)
    response = client.post(_public_url(invite), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not IntakeSubmission.objects.exists()


def test_forged_and_expired_links_say_so_and_change_nothing(client, tenant, owner):
    invite = _invite(tenant, owner, days=1)
    forged = signing.Signer(salt="outro-sal").sign(str(invite.pk))
    tampered = intake_invite_token(invite=invite)[:-2] + "xx"
    unknown = signing.Signer(salt=SALT).sign("00000000-0000-0000-0000-000000000000")
    for token in (forged, tampered, unknown, "nada"):
        url = reverse("compliance:intake_public", kwargs={"intake_token": token})
        for response in (client.get(url), client.post(url, VALID)):
            assert response.status_code == 404
            page = response.content.decode()
            assert "não é válido" in page and tenant.name not in page
    with time_machine.travel(timezone.now() + dt.timedelta(days=1, minutes=1)):
        response = client.post(_public_url(invite), VALID)
    assert response.status_code == 410 and "expirou" in response.content.decode()
    assert not IntakeSubmission.objects.exists() and not Patient.objects.exists()


def test_posts_per_address_are_capped(client, tenant, owner, settings):
    settings.INTAKE_PUBLIC_MAX_PER_HOUR = 2
    invite = _invite(tenant, owner)
    url = _public_url(invite)
    for _ in range(2):
        assert client.post(url, {**VALID, "cpf": "1"}).status_code == 400
    response = client.post(url, VALID)
    assert response.status_code == 429 and "Muitas tentativas" in response.content.decode()
    assert not IntakeSubmission.objects.exists()


def test_public_form_needs_csrf(tenant, owner):
    invite = _invite(tenant, owner)
    response = Client(enforce_csrf_checks=True).post(_public_url(invite), VALID)
    assert response.status_code == 403
    assert not IntakeSubmission.objects.exists()


def test_drawer_sends_the_invite_in_the_conversation(owner_client, tenant):
    make_channel(tenant)
    thread = make_thread(tenant, thread_key="+5511988887777", contact_name="Joana")
    response = owner_client.post(
        reverse("compliance:intake_thread_invite", args=[thread.pk]), {"acao": "enviar"}
    )
    assert response.status_code == 200
    invite = IntakeInvite.objects.get(tenant=tenant)
    assert (invite.phone_e164, invite.name) == ("+5511988887777", "Joana")
    message = Message.objects.get(tenant=tenant, thread_key=thread.thread_key)
    assert intake_invite_token(invite=invite) in message.body
    assert intake_invite_token(invite=invite) in response.content.decode()
    drawer = owner_client.get(reverse("messaging:thread", args=[thread.pk])).content.decode()
    assert "Enviar convite de cadastro" in drawer


def test_drawer_send_without_channel_creates_no_invite(owner_client, tenant):
    thread = make_thread(tenant, thread_key="+5511988887777")
    response = owner_client.post(
        reverse("compliance:intake_thread_invite", args=[thread.pk]), {"acao": "enviar"}
    )
    assert response.status_code == 400
    assert not IntakeInvite.objects.exists() and not Message.objects.exists()


def test_a_professional_sees_only_their_own_invites(client, tenant, owner, member_factory):
    pro = member_factory(Role.PROFESSIONAL)
    invite = _invite(tenant, owner)
    client.post(_public_url(invite), VALID)
    submission = IntakeSubmission.objects.get()
    client.force_login(pro)
    assert client.get(reverse("compliance:intake_review", args=[submission.pk])).status_code == 404
    assert client.post(reverse("compliance:intake_accept", args=[submission.pk])).status_code == 404
    listing = client.get(reverse("compliance:intake_list")).content.decode()
    assert "Joana Prado" not in listing and "Nenhum cadastro" in listing
    assert not Patient.objects.exists()


def test_list_paginates(client, owner_client, tenant, owner):
    for i in range(21):
        invite = _invite(tenant, owner)
        client.post(_public_url(invite), {**VALID, "full_name": f"Paciente {i:02d} Silva"})
    first = owner_client.get(reverse("compliance:intake_list")).content.decode()
    second = owner_client.get(reverse("compliance:intake_list") + "?page=2").content.decode()
    assert "Página 1 de 2" in first and "Paciente 20 Silva" in first
    assert "Paciente 00 Silva" in second and "Paciente 00 Silva" not in first


def test_export_holds_the_submission_and_erasure_deletes_it(client, tenant, owner, other_tenant):
    invite = _invite(tenant, owner)
    client.post(_public_url(invite), VALID)
    patient = intake_submission_accept(submission=IntakeSubmission.objects.get(), actor=owner)
    namesake = _invite(other_tenant, None)
    client.post(_public_url(namesake), VALID)  # same data, another clinic
    rows = patient_data_collect(patient=patient)["cadastros"]
    assert [r["invite_id"] for r in rows] == [invite.pk]

    patient_erase(tenant=tenant, patient=patient, actor=owner)
    assert not IntakeSubmission.objects.filter(tenant=tenant).exists()
    assert not IntakeInvite.objects.filter(tenant=tenant).exists()
    assert IntakeSubmission.objects.filter(tenant=other_tenant).count() == 1
    assert client.get(_public_url(invite)).status_code == 404
