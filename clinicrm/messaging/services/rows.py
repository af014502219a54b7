"""Single-statement inserts for the ingest hot path (PostgreSQL and SQLite >= 3.35).

`INSERT .. ON CONFLICT .. RETURNING` replaces "SELECT, then INSERT inside a savepoint, catch
IntegrityError": one round trip instead of four, and a lost race is an empty RETURNING rather
than an exception. Values are prepared exactly like Django's own insert (`pre_save` fills
`auto_now(_add)` fields on the instance, `get_db_prep_save` adapts them).
"""

from collections.abc import Sequence
from typing import Any

from django.db import connection, models


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
    fields = [f for f in meta.concrete_fields if not f.primary_key]
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
