"""Writes of the agenda (see appointments.py and rules.py)."""

from clinicrm.agenda.services.appointments import (
    ALLOWED_TRANSITIONS,
    AppointmentNeedsConfirmation,
    NotFoundError,
    appointment_cancel,
    appointment_create,
    appointment_set_status,
    appointment_update,
)
from clinicrm.agenda.services.rules import (
    availability_rule_create,
    availability_rule_delete,
    availability_rule_update,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "AppointmentNeedsConfirmation",
    "NotFoundError",
    "appointment_cancel",
    "appointment_create",
    "appointment_set_status",
    "appointment_update",
    "availability_rule_create",
    "availability_rule_delete",
    "availability_rule_update",
]
