"""Writes of the CRM. Import from here: `from clinicrm.crm.services import ...`."""

from clinicrm.crm.services.assignment import UNASSIGNED, assignment_set, assignment_take
from clinicrm.crm.services.notes import note_create, note_delete, note_update
from clinicrm.crm.services.patient_link import thread_patient_create, thread_patient_link
from clinicrm.crm.services.stages import (
    crm_settings_get,
    kanban_group_set,
    kanban_move,
    thread_stage_set,
)
from clinicrm.crm.services.tags import (
    tag_create,
    tag_delete,
    tag_name_key,
    tag_system_ensure,
    tag_update,
    thread_tag_add,
    thread_tag_remove,
)

__all__ = [
    "UNASSIGNED",
    "assignment_set",
    "assignment_take",
    "crm_settings_get",
    "kanban_group_set",
    "kanban_move",
    "note_create",
    "note_delete",
    "note_update",
    "tag_create",
    "tag_delete",
    "tag_name_key",
    "tag_system_ensure",
    "tag_update",
    "thread_patient_create",
    "thread_patient_link",
    "thread_stage_set",
    "thread_tag_add",
    "thread_tag_remove",
]
