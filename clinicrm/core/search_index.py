"""Database side of `core.search`, for migrations: trigram indexes and the backfill.

On PostgreSQL a GIN index on (tenant_id, search_text gin_trgm_ops) serves the search's
`LIKE '%term%'` filters inside one tenant (btree_gin provides the uuid part). Creating the
extensions needs a privilege the database may not grant: then no index is made and searches
still answer, by scanning. SQLite has no trigram index; its `search_text` is scanned.
"""

from collections.abc import Sequence
from typing import Any

from django.db import migrations, models

from clinicrm.core.search import SearchTextField, search_fields_of, search_text_of


def search_text_add(*, model_name: str, table: str, sources: Sequence[str]) -> Any:
    """The migration operation adding `search_text` to `table`, with a plain ADD COLUMN.

    Django adds a NOT NULL column on SQLite by rebuilding the table (create, copy, drop,
    rename), which drops the table's own triggers and fails on triggers of other tables that
    mention it (the CRM's links between threads, patients and phones). `ADD COLUMN .. NOT NULL
    DEFAULT ''` touches neither; PostgreSQL then drops the default, as Django would.
    """

    def forwards(apps: Any, schema_editor: Any) -> None:
        qn = schema_editor.quote_name
        schema_editor.execute(
            f"ALTER TABLE {qn(table)} ADD COLUMN search_text text NOT NULL DEFAULT ''"
        )
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE {qn(table)} ALTER COLUMN search_text DROP DEFAULT")

    def backwards(apps: Any, schema_editor: Any) -> None:
        schema_editor.execute(
            f"ALTER TABLE {schema_editor.quote_name(table)} DROP COLUMN search_text"
        )

    return migrations.SeparateDatabaseAndState(
        state_operations=[
            migrations.AddField(
                model_name=model_name,
                name="search_text",
                field=SearchTextField(sources=tuple(sources)),
            )
        ],
        database_operations=[migrations.RunPython(forwards, backwards)],
    )


def trigram_extensions_ready(schema_editor: Any) -> bool:
    """Create pg_trgm and btree_gin if missing; False (and nothing broken) when the database
    refuses (no privilege, extension not installed on the server) or is not PostgreSQL."""
    if schema_editor.connection.vendor != "postgresql":
        return False
    with schema_editor.connection.cursor() as cursor:
        try:
            cursor.execute("SAVEPOINT search_trgm")
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
            cursor.execute("RELEASE SAVEPOINT search_trgm")
        except Exception:
            cursor.execute("ROLLBACK TO SAVEPOINT search_trgm")
            return False
    return True


def trigram_index_create(schema_editor: Any, *, table: str, name: str) -> bool:
    """GIN (tenant_id, search_text gin_trgm_ops) on `table`, when the extensions exist."""
    if not trigram_extensions_ready(schema_editor):
        return False
    qn = schema_editor.quote_name
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {qn(name)} ON {qn(table)} "
        "USING gin (tenant_id, search_text gin_trgm_ops)"
    )
    return True


def trigram_index_drop(schema_editor: Any, *, name: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def search_backfill(connection: Any, model: type[models.Model], *, batch: int = 2000) -> int:
    """Fill `search_text` of every existing row of `model` (a migration's historical model) on
    `connection`, in primary-key batches; returns the number of rows written."""
    (field,) = search_fields_of(model)
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(field.column)
    manager = model._base_manager.using(connection.alias)
    done, last = 0, None
    while True:
        qs = manager.order_by("pk")
        if last is not None:
            qs = qs.filter(pk__gt=last)
        rows = list(qs.values_list("pk", *field.sources)[:batch])
        if not rows:
            return done
        params = [(search_text_of(*row[1:]), row[0]) for row in rows]
        with connection.cursor() as cursor:
            # Names from the model's metadata; values are parameters.
            sql = f"UPDATE {table} SET {column} = %s WHERE id = %s"  # noqa: S608
            cursor.executemany(sql, params)
        done += len(rows)
        last = rows[-1][0]
