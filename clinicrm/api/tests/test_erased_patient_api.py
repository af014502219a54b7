"""The API refuses writes to an erased patient (LGPD): 400, pt-BR message, nothing changed."""

import pytest

from clinicrm.compliance.lgpd.erase import patient_erase
from clinicrm.people.models import ContactEmail, ContactPhone, EntityType, Patient
from clinicrm.people.services import contact_phone_add

pytestmark = pytest.mark.django_db

REFUSAL = "não podem mais ser alterados"


def test_writes_to_an_erased_patient_are_refused(tenant, owner, api):
    maria = Patient.objects.create(tenant=tenant, full_name="Maria Souza")
    contact_phone_add(entity=maria, actor=None, number="+5511988887777")
    assert api.patch(f"patients/{maria.pk}", {"notes": "antes"}).status_code == 200
    patient_erase(tenant=tenant, patient=maria, actor=owner)
    maria.refresh_from_db()
    before = (maria.full_name, maria.notes, maria.is_active, maria.updated_at)

    calls = [
        api.patch(f"patients/{maria.pk}", {"full_name": "Maria Souza"}),
        api.put(f"patients/{maria.pk}", {"full_name": "Maria Souza"}),
        api.post(f"patients/{maria.pk}/unarchive"),
        api.post(f"patients/{maria.pk}/phones", {"number": "(11) 97777-6666"}),
        api.post(f"patients/{maria.pk}/emails", {"email": "maria@exemplo.com.br"}),
    ]
    patch, put, unarchive, phone, email = calls
    for response in (patch, unarchive, phone, email):
        assert response.status_code == 400, response.content
        assert REFUSAL in response.json()["detail"]
    assert put.status_code in (400, 405)  # the API has no PUT of a patient
    maria.refresh_from_db()
    assert (maria.full_name, maria.notes, maria.is_active, maria.updated_at) == before
    owned = {"entity_type": EntityType.PATIENT, "entity_id": maria.pk}
    assert not ContactPhone.objects.filter(**owned).exists()
    assert not ContactEmail.objects.filter(**owned).exists()
    assert api.get(f"patients/{maria.pk}").status_code == 200  # still readable
