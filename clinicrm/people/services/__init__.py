"""Writes of the people app. Import from here: `from clinicrm.people.services import ...`."""

from clinicrm.people.services.contacts import (
    contact_email_add,
    contact_email_remove,
    contact_email_set_primary,
    contact_email_update,
    contact_phone_add,
    contact_phone_remove,
    contact_phone_set_primary,
    contact_phone_update,
    email_normalize,
    system_contact_types_ensure,
)
from clinicrm.people.services.people import (
    patient_archive,
    patient_create,
    patient_unarchive,
    patient_update,
    professional_archive,
    professional_create,
    professional_unarchive,
    professional_update,
)

__all__ = [
    "contact_email_add",
    "contact_email_remove",
    "contact_email_set_primary",
    "contact_email_update",
    "contact_phone_add",
    "contact_phone_remove",
    "contact_phone_set_primary",
    "contact_phone_update",
    "email_normalize",
    "patient_archive",
    "patient_create",
    "patient_unarchive",
    "patient_update",
    "professional_archive",
    "professional_create",
    "professional_unarchive",
    "professional_update",
    "system_contact_types_ensure",
]
