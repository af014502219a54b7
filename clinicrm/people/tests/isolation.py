"""Objects of a given tenant for the project's tenant-isolation walker (see common rules)."""

from collections.abc import Callable
from itertools import count

from clinicrm.core.models import Tenant
from clinicrm.people.models import Patient, Professional
from clinicrm.people.services import contact_email_add, contact_phone_add

_seq = count(1)


def _patient(tenant: Tenant) -> Patient:
    return Patient.objects.create(tenant=tenant, full_name=f"Paciente Isolado {next(_seq)}")


def make_patient(tenant: Tenant) -> str:
    return str(_patient(tenant).pk)


def make_professional(tenant: Tenant) -> str:
    return str(
        Professional.objects.create(tenant=tenant, full_name=f"Profissional {next(_seq)}").pk
    )


def make_phone(tenant: Tenant) -> str:
    patient = _patient(tenant)
    phone = contact_phone_add(entity=patient, actor=None, number=f"119{next(_seq):08d}")
    return str(phone.pk)


def make_email(tenant: Tenant) -> str:
    patient = _patient(tenant)
    email = contact_email_add(
        entity=patient, actor=None, email=f"isolado{next(_seq)}@exemplo.com.br"
    )
    return str(email.pk)


FACTORIES: dict[str, Callable[[Tenant], str]] = {
    "patient_id": make_patient,
    "professional_id": make_professional,
    "phone_id": make_phone,
    "email_id": make_email,
}

EXEMPT: dict[str, str] = {}
