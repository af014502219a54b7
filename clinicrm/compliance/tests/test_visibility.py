"""Least privilege (core.visibility): a professional's lists hold only the patients they
attend (an appointment with them, or a conversation assigned to them), those patients'
conversations and the conversations assigned to them; other roles, or the setting off, see all.
(The URL-by-URL proof is the role dimension of tests/test_tenant_isolation.py.)"""

import pytest
from django.test import Client

from clinicrm.agenda.tests.factories import make_appointment
from clinicrm.core.models import Membership, Role, Tenant
from clinicrm.crm.models import Assignment
from clinicrm.messaging.models import Thread
from clinicrm.people.models import Patient, Professional

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic(tenant, member_factory):
    rafael = member_factory(Role.PROFESSIONAL, "rafael@alfa.test")
    marina = member_factory(Role.PROFESSIONAL, "marina@alfa.test")
    secretary = member_factory(Role.SECRETARY)
    pro_r = Professional.objects.create(tenant=tenant, full_name="Rafael", user=rafael)
    pro_m = Professional.objects.create(tenant=tenant, full_name="Marina", user=marina)
    ana = Patient.objects.create(tenant=tenant, full_name="Ana Atendida")
    bia = Patient.objects.create(tenant=tenant, full_name="Bia Alheia")
    caio = Patient.objects.create(tenant=tenant, full_name="Caio Atribuido")
    make_appointment(tenant, professional=pro_r, patient=ana)
    make_appointment(tenant, professional=pro_m, patient=bia)
    threads = {}
    for key, patient in (
        ("+5511900000001", ana),
        ("+5511900000002", bia),
        ("+5511900000003", caio),
        ("+5511900000004", None),
    ):
        threads[key] = Thread.objects.create(
            tenant=tenant, thread_key=key, patient=patient, last_message_at="2026-05-01T10:00Z"
        )
    for key, user in (("+5511900000003", rafael), ("+5511900000004", rafael)):
        Assignment.objects.create(tenant=tenant, thread=threads[key], assigned_to=user)
    return {
        "rafael": rafael,
        "marina": marina,
        "secretary": secretary,
        "threads": threads,
        "ana": ana,
        "bia": bia,
        "caio": caio,
    }


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _names(body: str, *names: str) -> set[str]:
    return {n for n in names if n in body}


def test_a_professional_lists_only_their_patients(clinic):
    body = _client(clinic["rafael"]).get("/pacientes/").content.decode()
    assert _names(body, "Ana Atendida", "Bia Alheia", "Caio Atribuido") == {
        "Ana Atendida",
        "Caio Atribuido",
    }
    body = _client(clinic["marina"]).get("/pacientes/").content.decode()
    assert _names(body, "Ana Atendida", "Bia Alheia", "Caio Atribuido") == {"Bia Alheia"}


def test_clinic_roles_and_the_setting_off_list_everyone(clinic, owner, tenant):
    everyone = {"Ana Atendida", "Bia Alheia", "Caio Atribuido"}
    for user in (owner, clinic["secretary"]):
        body = _client(user).get("/pacientes/").content.decode()
        assert _names(body, *everyone) == everyone
    Tenant.objects.filter(pk=tenant.pk).update(professionals_own_patients_only=False)
    body = _client(clinic["marina"]).get("/pacientes/").content.decode()
    assert _names(body, *everyone) == everyone


def test_a_professionals_inbox_and_thread_pages(clinic):
    from clinicrm.core.visibility import visibility_filter
    from clinicrm.crm.selectors.inbox import threads_filtered  # noqa: F401 - the list's source

    rafael, marina = clinic["rafael"], clinic["marina"]
    threads = clinic["threads"]
    qs = Thread.objects.filter(tenant=threads["+5511900000001"].tenant)

    seen = set(
        visibility_filter(qs, Membership.objects.get(user=rafael)).values_list(
            "thread_key", flat=True
        )
    )
    assert seen == {"+5511900000001", "+5511900000003", "+5511900000004"}
    seen = set(
        visibility_filter(qs, Membership.objects.get(user=marina)).values_list(
            "thread_key", flat=True
        )
    )
    assert seen == {"+5511900000002"}
    client = _client(marina)
    inbox = client.get("/conversas/").content.decode()
    assert _names(inbox, "Ana Atendida", "Bia Alheia", "Caio Atribuido") == {"Bia Alheia"}
    assert client.get(f"/conversas/{threads['+5511900000002'].pk}/").status_code == 200
    assert client.get(f"/conversas/{threads['+5511900000001'].pk}/").status_code == 404
    assert client.get(f"/pacientes/{clinic['ana'].pk}/").status_code == 404
    assert client.get(f"/pacientes/{clinic['bia'].pk}/").status_code == 200


def test_owners_turn_the_setting_off_and_on_audited(clinic, owner, owner_client, tenant):
    from clinicrm.core.models import AuditLog

    url = "/configuracoes/privacidade"
    assert _client(clinic["rafael"]).get(url).status_code == 403
    assert "checked" in owner_client.get(url).content.decode()
    assert owner_client.post(url, {}).status_code == 302
    tenant.refresh_from_db()
    assert tenant.professionals_own_patients_only is False
    body = _client(clinic["marina"]).get("/pacientes/").content.decode()
    assert "Ana Atendida" in body
    owner_client.post(url, {"own_patients_only": "on"})
    owner_client.post(url, {"own_patients_only": "on"})  # unchanged: not audited again
    tenant.refresh_from_db()
    assert tenant.professionals_own_patients_only is True
    rows = AuditLog.objects.filter(action="privacy.settings_update").order_by("id")
    assert [r.details["on"] for r in rows] == [False, True]
    assert {r.user for r in rows} == {owner}
