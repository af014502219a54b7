"""Accent- and case-insensitive search for patients and professionals (see `core.search`).

Adds `search_text` (the folded copy of the searchable columns), fills it for existing rows and,
on PostgreSQL, indexes it with trigrams (GIN on tenant_id + search_text). The trigram indexes of
0004 on UPPER(name) served `icontains`, which nothing runs any more: they go. Without the
extensions (no privilege) no index is created and the search still works, by scanning. The
column is added without a SQLite table rebuild (see `search_text_add`).
"""

from django.db import migrations

from clinicrm.core.search_index import (
    search_backfill,
    search_text_add,
    trigram_index_create,
    trigram_index_drop,
)

INDEXES = (("patients", "patients_search_trgm_idx"), ("professionals", "professionals_search_trgm_idx"))
OLD_INDEXES = ("patients_full_name_trgm_idx", "patients_social_name_trgm_idx")


def forwards(apps, schema_editor):
    for model in ("Patient", "Professional"):
        search_backfill(schema_editor.connection, apps.get_model("people", model))
    for table, name in INDEXES:
        trigram_index_create(schema_editor, table=table, name=name)
    for name in OLD_INDEXES:
        trigram_index_drop(schema_editor, name=name)


def backwards(apps, schema_editor):
    for _table, name in INDEXES:
        trigram_index_drop(schema_editor, name=name)


class Migration(migrations.Migration):
    dependencies = [("people", "0004_patient_name_trigram")]

    operations = [
        search_text_add(
            model_name="patient", table="patients", sources=("full_name", "social_name")
        ),
        search_text_add(
            model_name="professional",
            table="professionals",
            sources=("full_name", "specialty", "council_registration"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
