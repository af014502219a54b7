"""POST /api/v1/patients/{id}/erase: the LGPD erasure, managers only, name as confirmation."""

import pytest

from clinicrm.compliance.models import PatientErasure
from clinicrm.core.models import Role
from clinicrm.people.models import Patient
from clinicrm.people.services import contact_phone_add

pytestmark = pytest.mark.django_db

NAME = "Maria Souza"


def test_erase_through_the_api(tenant, other_tenant, owner, make_api_client, member_factory):
    maria = Patient.objects.create(tenant=tenant, full_name=NAME, cpf="52998224725")
    contact_phone_add(entity=maria, actor=None, number="+5511988887777")
    namesake = Patient.objects.create(tenant=other_tenant, full_name=NAME)
    api = make_api_client(owner, tenant)
    secretary = make_api_client(member_factory(Role.SECRETARY), tenant)
    path = f"patients/{maria.pk}/erase"
    assert secretary.post(path, {"confirm_name": NAME}).status_code == 403
    assert api.post(f"patients/{namesake.pk}/erase", {"confirm_name": NAME}).status_code == 404
    wrong = api.post(path, {"confirm_name": "outra pessoa"})
    assert wrong.status_code == 400 and not PatientErasure.objects.exists()

    body = api.post(path, {"confirm_name": NAME}).json()
    assert body["already_erased"] is False and body["counts"]["telefones"] == 1
    again = api.post(path, {"confirm_name": f"Paciente anonimizado #{maria.pk}"}).json()
    assert again["already_erased"] is True and "já foram anonimizados" in again["message"]
    detail = api.get(f"patients/{maria.pk}").json()
    assert (detail["full_name"], detail["cpf"]) == (f"Paciente anonimizado #{maria.pk}", "")
    namesake.refresh_from_db()
    assert namesake.full_name == NAME
