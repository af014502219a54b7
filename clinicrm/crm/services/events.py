"""The realtime event the CRM emits when a thread's CRM data changes (ids only, no names).

Browsers listening on the shared stream refetch the row, card or drawer section named by
`what`; the payload never carries who, which tag or any text.
"""

from clinicrm.core.models import Tenant
from clinicrm.messaging.services import realtime_event_emit

KIND_CRM = "crm"
# What changed on the thread: the browser refreshes the matching part.
ASSIGNMENT = "assignment"
TAGS = "tags"
STAGE = "stage"
NOTES = "notes"
PATIENT = "patient"


def crm_event_emit(*, tenant: Tenant, thread_id: int | None, what: str) -> None:
    """`thread_id` None: the change touched many threads (a tag was deleted)."""
    realtime_event_emit(tenant=tenant, kind=KIND_CRM, payload={"thread": thread_id, "what": what})
