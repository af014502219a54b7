"""Reads of the CRM. Import from here: `from clinicrm.crm import selectors`."""

from clinicrm.crm.selectors.conversation import (
    Member,
    members_assignable,
    note_count,
    notes_of_thread,
    tags_of_tenant,
)
from clinicrm.crm.selectors.filters import VIEWS, Cursor, InboxFilters
from clinicrm.crm.selectors.inbox import (
    ThreadPage,
    stage_condition,
    thread_page,
    thread_row_get,
    threads_filtered,
)
from clinicrm.crm.selectors.kanban import (
    NO_TAG,
    Column,
    kanban_card_columns,
    kanban_column_get,
    kanban_column_page,
    kanban_columns,
)
from clinicrm.crm.selectors.rows import (
    ThreadRow,
    thread_display_name,
    thread_number_display,
    thread_rows,
)

__all__ = [
    "NO_TAG",
    "VIEWS",
    "Column",
    "Cursor",
    "InboxFilters",
    "Member",
    "ThreadPage",
    "ThreadRow",
    "kanban_card_columns",
    "kanban_column_get",
    "kanban_column_page",
    "kanban_columns",
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
]
