"""Least-privilege scopes of the people app's rows (the rule: `core.visibility`)."""

from django.db.models import Q

from clinicrm.core.models import Membership
from clinicrm.core.visibility import visibility_scope_register, visible_patients_q
from clinicrm.people.models import ContactEmail, ContactPhone, EntityType, Patient


def _contacts(membership: Membership) -> Q:
    # Professionals' contacts stay visible; a patient's only with the patient.
    return ~Q(entity_type=EntityType.PATIENT) | visible_patients_q(membership, "entity_id")


def people_visibility_register() -> None:
    visibility_scope_register(Patient, lambda m: visible_patients_q(m, "pk"))
    visibility_scope_register(ContactPhone, _contacts)
    visibility_scope_register(ContactEmail, _contacts)
