"""Trigram indexes for the patient name search, on PostgreSQL only.

`icontains` becomes `UPPER(col) LIKE UPPER('%term%')`, which no btree can serve; a GIN index on
(tenant_id, UPPER(name) gin_trgm_ops) can (btree_gin provides the uuid part). SQLite has no such
thing, so this runs through RunPython and does nothing there; if the extensions cannot be
created (no privilege), the search still works, only slower.
"""

from django.db import migrations

INDEXES = (
    ("patients_full_name_trgm_idx", "full_name"),
    ("patients_social_name_trgm_idx", "social_name"),
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        try:
            cursor.execute("SAVEPOINT people_trgm")
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
            cursor.execute("RELEASE SAVEPOINT people_trgm")
        except Exception:
            cursor.execute("ROLLBACK TO SAVEPOINT people_trgm")
            return
        for name, column in INDEXES:
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON patients "
                f"USING gin (tenant_id, UPPER({column}) gin_trgm_ops)"
            )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, _column in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("people", "0003_patient_list_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
