"""The demo seed: complete, valid, idempotent, and its logins work."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from clinicrm.agenda.models import Appointment, AppointmentStatus
from clinicrm.core.models import Membership, Role, Tenant, User
from clinicrm.core.timeutils import local_today
from clinicrm.devtools.seed import DEMO_PASSWORD, STAFF_EMAIL, seed_counts, seed_demo
from clinicrm.people.documents import cnpj_is_valid, cpf_is_valid
from clinicrm.people.models import ContactEmail, ContactPhone, EntityType, Patient, Professional


@pytest.fixture
def seeded(db):
    return seed_demo()


def test_seed_twice_changes_nothing(seeded):
    before = seed_counts()
    again = seed_demo()
    assert again.created == {}
    assert seed_counts() == before
    call_command("seed_demo", verbosity=0)
    assert seed_counts() == before


def test_seed_builds_two_tenants_with_every_role(seeded):
    clinic = Tenant.objects.get(slug="bem-estar")
    solo = Tenant.objects.get(slug="dra-ana-lima")
    assert clinic.name == "Clínica Bem-Estar" and cnpj_is_valid(clinic.cpf_cnpj or "")
    assert solo.name == "Consultório Dra. Ana Lima" and cpf_is_valid(solo.cpf_cnpj or "")
    for tenant in (clinic, solo):
        roles = sorted(Membership.objects.filter(tenant=tenant).values_list("role", flat=True))
        assert roles == sorted(
            [Role.OWNER, Role.ADMIN, Role.PROFESSIONAL, Role.PROFESSIONAL, Role.SECRETARY]
        )
        assert Patient.objects.filter(tenant=tenant).count() == 30
        # Every professional member has a linked professional profile.
        pro_users = Membership.objects.filter(tenant=tenant, role=Role.PROFESSIONAL).values("user")
        assert Professional.objects.filter(tenant=tenant, user__in=pro_users).count() == 2
    assert Membership.objects.get(user__email="dona@bemestar.demo").role == Role.OWNER
    assert User.objects.get(email=STAFF_EMAIL).is_staff


def test_seeded_contacts_follow_the_invariants(seeded):
    phones = ContactPhone.objects.filter(entity_type=EntityType.PATIENT)
    assert phones.count() > 60  # some patients have two phones
    assert all(p.number_e164.startswith("+55") for p in phones)
    assert phones.filter(whatsapp_linked=True).exists()
    for patient in Patient.objects.all():
        mine = phones.filter(tenant=patient.tenant, entity_id=patient.pk)
        assert mine.filter(is_primary=True).count() == 1
        emails = ContactEmail.objects.filter(tenant=patient.tenant, entity_id=patient.pk)
        assert emails.filter(is_primary=True).count() == (1 if emails.exists() else 0)
    # Mobiles keep the 9th digit: +55 + 2-digit area + 9 digits.
    mobiles = phones.filter(contact_type__code="celular")
    assert all(len(p.number_e164) == 14 and p.number_e164[5] == "9" for p in mobiles)


def test_seeded_week_has_past_and_future_statuses(seeded):
    today = local_today()
    monday = today - dt.timedelta(days=today.weekday())
    appts = Appointment.objects.all()
    assert appts.count() >= 20
    assert all(a.starts_at.date() >= monday - dt.timedelta(days=1) for a in appts)
    for appt in appts:
        if appt.status in (AppointmentStatus.ATTENDED, AppointmentStatus.NO_SHOW):
            assert appt.ends_at <= dt.datetime.now(tz=dt.UTC)
        else:
            assert appt.status in (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED)


def test_demo_logins_work_and_a_wrong_password_does_not(seeded):
    for email in ("dona@bemestar.demo", "secretaria@analima.demo", STAFF_EMAIL):
        client = Client()
        response = client.post(reverse("core:login"), {"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
        assert client.session.get("_auth_user_id") == str(User.objects.get(email=email).pk)

    client = Client()
    response = client.post(
        reverse("core:login"), {"email": "dona@bemestar.demo", "password": "errada"}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
