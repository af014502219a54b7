"""The raw SQL of messaging, where the ORM can't say it (PostgreSQL and SQLite >= 3.35).

- `row_insert`: single-statement inserts for the ingest hot path, columns from the model.
- `THREAD_UPSERT_ACTION`: the ON CONFLICT action of a thread's upsert.
- `THREAD_RECORD_SQL`: folding a message into its thread in one UPDATE .. RETURNING.

`INSERT .. ON CONFLICT .. RETURNING` replaces "SELECT, then INSERT inside a savepoint, catch
IntegrityError": one round trip instead of four, and a lost race is an empty RETURNING rather
than an exception. Values are prepared exactly like Django's own insert (`pre_save` fills
`auto_now(_add)` fields on the instance, `get_db_prep_save` adapts them).
"""

from collections.abc import Sequence
from typing import Any

from django.db import connection, models

from clinicrm.messaging.models import Thread


def row_insert(
    obj: models.Model,
    *,
    conflict: str | None,
    action: str = "DO NOTHING",
    returning: Sequence[str] = ("id",),
    params: Sequence[Any] = (),
    prefix: str = "",
    suffix: str = "",
) -> tuple[Any, ...] | None:
    """Insert `obj` (primary key left to the database) with `ON CONFLICT <conflict> <action>`
    (no ON CONFLICT clause when `conflict` is None).

    Returns the RETURNING row (column names in `returning`), or None when the conflict left
    nothing to return. `params` feed placeholders in `action`/`suffix`; `prefix`/`suffix` wrap
    the statement (e.g. a CTE). Every SQL fragment comes from code, every value is a parameter.
    """
    meta = obj._meta
    qn = connection.ops.quote_name
    # Generated columns (Message.status_rank) are the database's to fill.
    fields = [f for f in meta.concrete_fields if not f.primary_key and not f.generated]
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    columns = ", ".join(qn(str(f.column)) for f in fields)  # concrete: never None
    marks = ", ".join(["%s"] * len(fields))
    on_conflict = f" ON CONFLICT {conflict} {action}" if conflict is not None else ""
    # Identifiers from model metadata, clauses from code; every value is a parameter.
    head = ("INSERT INTO ", qn(meta.db_table), f" ({columns}) VALUES ({marks})")
    sql = "".join((prefix, *head, on_conflict, " RETURNING ", ", ".join(returning), suffix))
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *params])
        row = cursor.fetchone()
    if row is None:
        return None
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return tuple(row)


# The same rules as `thread_get_or_create` on an existing row, as one upsert: the latest
# provider addresses win, a name only fills a blank one (and its folded search text with it),
# `updated_at` moves only on a change.
_T = Thread._meta.db_table  # model metadata, not input
_CHANGED = (
    f"((excluded.contact_raw_id <> '' AND excluded.contact_raw_id <> {_T}.contact_raw_id)"
    f" OR (excluded.contact_lid <> '' AND excluded.contact_lid <> {_T}.contact_lid)"
    f" OR ({_T}.contact_name = '' AND excluded.contact_name <> ''))"
)
THREAD_UPSERT_ACTION = (
    "DO UPDATE SET"
    " contact_raw_id = CASE WHEN excluded.contact_raw_id <> ''"
    f" THEN excluded.contact_raw_id ELSE {_T}.contact_raw_id END,"
    " contact_lid = CASE WHEN excluded.contact_lid <> ''"
    f" THEN excluded.contact_lid ELSE {_T}.contact_lid END,"
    f" contact_name = CASE WHEN {_T}.contact_name = ''"
    f" THEN excluded.contact_name ELSE {_T}.contact_name END,"
    f" search_text = CASE WHEN {_T}.contact_name = ''"
    f" THEN excluded.search_text ELSE {_T}.search_text END,"
    f" updated_at = CASE WHEN {_CHANGED} THEN excluded.updated_at ELSE {_T}.updated_at END"
)


# "newer" = (last_message_at IS NULL OR last_message_at <= %s), spelled out in each CASE. The
# table name comes from model metadata; every value is a parameter.
THREAD_RECORD_SQL = (
    f"UPDATE {_T} SET"  # noqa: S608
    " last_message_preview = CASE WHEN (last_message_at IS NULL OR last_message_at <= %s)"
    " THEN %s ELSE last_message_preview END,"
    " last_direction = CASE WHEN (last_message_at IS NULL OR last_message_at <= %s)"
    " THEN %s ELSE last_direction END,"
    " last_message_id = CASE WHEN (last_message_at IS NULL OR last_message_at <= %s)"
    " THEN %s ELSE last_message_id END,"
    " updated_at = CASE WHEN (last_message_at IS NULL OR last_message_at <= %s)"
    " THEN %s ELSE updated_at END,"
    " last_message_at = CASE WHEN (last_message_at IS NULL OR last_message_at <= %s)"
    " THEN %s ELSE last_message_at END,"
    " last_inbound_at = CASE WHEN %s AND (last_inbound_at IS NULL OR last_inbound_at < %s)"
    " THEN %s ELSE last_inbound_at END,"
    " unread_count = unread_count + %s"
    " WHERE id = %s RETURNING unread_count"
)
