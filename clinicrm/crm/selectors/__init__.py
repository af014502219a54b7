"""Reads of the CRM. Import from here: `from clinicrm.crm import selectors`."""

from clinicrm.crm.selectors.conversation import (
    Member,
    Timeline,
    members_assignable,
    note_count,
    notes_of_thread,
    tags_of_tenant,
    timeline_latest,
    timeline_message,
    timeline_newer,
)
from clinicrm.crm.selectors.filters import VIEWS, Cursor, InboxFilters
from clinicrm.crm.selectors.inbox import (
    ThreadPage,
    stage_condition,
    thread_page,
    thread_row_get,
    threads_filtered,
)
from clinicrm.crm.selectors.rows import (
    ThreadRow,
    thread_display_name,
    thread_number_display,
    thread_rows,
)

__all__ = [
    "VIEWS",
    "Cursor",
    "InboxFilters",
    "Member",
    "ThreadPage",
    "ThreadRow",
    "Timeline",
    "members_assignable",
    "note_count",
    "notes_of_thread",
    "stage_condition",
    "tags_of_tenant",
    "thread_display_name",
    "thread_number_display",
    "thread_page",
    "thread_row_get",
    "thread_rows",
    "threads_filtered",
    "timeline_latest",
    "timeline_message",
    "timeline_newer",
]
