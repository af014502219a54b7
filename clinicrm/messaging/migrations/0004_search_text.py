"""Accent- and case-insensitive search for threads and messages (see `core.search`).

Adds `search_text` (threads: contact name + number; messages: the body, folded), fills it for
existing rows in primary-key batches and, on PostgreSQL, indexes it with trigrams (GIN on
tenant_id + search_text). Without the extensions (no privilege) no index is created and the
search still works, by scanning. The columns are added without a SQLite table rebuild (the
CRM's triggers mention conversation_threads; see `search_text_add`).
"""

from django.db import migrations

from clinicrm.core.search_index import (
    search_backfill,
    search_text_add,
    trigram_index_create,
    trigram_index_drop,
)

INDEXES = (
    ("conversation_threads", "threads_search_trgm_idx"),
    ("conversation_messages", "messages_search_trgm_idx"),
)


def forwards(apps, schema_editor):
    for model in ("Thread", "Message"):
        search_backfill(schema_editor.connection, apps.get_model("messaging", model))
    for table, name in INDEXES:
        trigram_index_create(schema_editor, table=table, name=name)


def backwards(apps, schema_editor):
    for _table, name in INDEXES:
        trigram_index_drop(schema_editor, name=name)


class Migration(migrations.Migration):
    dependencies = [("messaging", "0003_media_mime_from_bytes")]

    operations = [
        search_text_add(model_name="message", table="conversation_messages", sources=("body",)),
        search_text_add(
            model_name="thread",
            table="conversation_threads",
            sources=("contact_name", "thread_key"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
