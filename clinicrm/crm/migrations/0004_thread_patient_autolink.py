"""Conversations find their patient by phone number, whoever creates the thread or the phone.

A thread is linked to a patient when exactly one active patient of its tenant has the thread's
number among their phones (two patients sharing a phone, a mother and her child, stay for the
clinic to choose in the drawer). Three places, all in the database so ingest, sends, the API,
imports and the seed are covered without a query of their own:

1. existing unlinked threads, once, here;
2. a new thread (AFTER INSERT on `conversation_threads`: only inserts that really insert, not
   the ingest's ON CONFLICT updates of existing threads, so the hot path pays nothing);
3. a patient phone added or renumbered (AFTER INSERT/UPDATE on `contact_phones`).

Links are never undone here: removing a phone keeps the conversation on the record.
"""

from django.db import migrations

# The one active patient of tenant T with number N, or NULL. Placeholders: {tenant}, {number}.
_UNIQUE_PATIENT = """(
  SELECT MIN(p.entity_id) FROM contact_phones p
    JOIN patients pa ON pa.id = p.entity_id AND pa.tenant_id = p.tenant_id AND pa.is_active
   WHERE p.tenant_id = {tenant} AND p.entity_type = 'patient' AND p.number_e164 = {number}
  HAVING COUNT(DISTINCT p.entity_id) = 1
)"""

BACKFILL = (
    "UPDATE conversation_threads SET patient_id = "
    + _UNIQUE_PATIENT.format(
        tenant="conversation_threads.tenant_id", number="conversation_threads.thread_key"
    )
    + " WHERE patient_id IS NULL"
)

PG_FORWARDS = f"""
CREATE OR REPLACE FUNCTION conversation_threads_link_patient() RETURNS trigger AS $$
DECLARE pid bigint;
BEGIN
  SELECT {_UNIQUE_PATIENT.format(tenant="NEW.tenant_id", number="NEW.thread_key")} INTO pid;
  IF pid IS NOT NULL THEN
    UPDATE conversation_threads SET patient_id = pid WHERE id = NEW.id AND patient_id IS NULL;
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER conversation_threads_link_patient
  AFTER INSERT ON conversation_threads
  FOR EACH ROW WHEN (NEW.patient_id IS NULL)
  EXECUTE FUNCTION conversation_threads_link_patient();

CREATE OR REPLACE FUNCTION contact_phones_link_threads() RETURNS trigger AS $$
DECLARE pid bigint;
BEGIN
  SELECT {_UNIQUE_PATIENT.format(tenant="NEW.tenant_id", number="NEW.number_e164")} INTO pid;
  IF pid IS NOT NULL THEN
    UPDATE conversation_threads SET patient_id = pid
     WHERE tenant_id = NEW.tenant_id AND thread_key = NEW.number_e164 AND patient_id IS NULL;
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER contact_phones_link_threads
  AFTER INSERT OR UPDATE OF number_e164 ON contact_phones
  FOR EACH ROW WHEN (NEW.entity_type = 'patient')
  EXECUTE FUNCTION contact_phones_link_threads();
"""

PG_BACKWARDS = """
DROP TRIGGER IF EXISTS contact_phones_link_threads ON contact_phones;
DROP FUNCTION IF EXISTS contact_phones_link_threads();
DROP TRIGGER IF EXISTS conversation_threads_link_patient ON conversation_threads;
DROP FUNCTION IF EXISTS conversation_threads_link_patient();
"""

_SQLITE_THREAD = _UNIQUE_PATIENT.format(tenant="NEW.tenant_id", number="NEW.thread_key")
_SQLITE_PHONE = _UNIQUE_PATIENT.format(tenant="NEW.tenant_id", number="NEW.number_e164")
_SQLITE_PHONE_BODY = f"""
  BEGIN
    UPDATE conversation_threads SET patient_id = {_SQLITE_PHONE}
     WHERE tenant_id = NEW.tenant_id AND thread_key = NEW.number_e164 AND patient_id IS NULL
       AND {_SQLITE_PHONE} IS NOT NULL;
  END
"""

SQLITE_FORWARDS = (
    "CREATE TRIGGER conversation_threads_link_patient AFTER INSERT ON conversation_threads"
    f" WHEN NEW.patient_id IS NULL AND {_SQLITE_THREAD} IS NOT NULL"
    f" BEGIN UPDATE conversation_threads SET patient_id = {_SQLITE_THREAD}"
    " WHERE id = NEW.id; END",
    "CREATE TRIGGER contact_phones_link_threads_ins AFTER INSERT ON contact_phones"
    " WHEN NEW.entity_type = 'patient'" + _SQLITE_PHONE_BODY,
    "CREATE TRIGGER contact_phones_link_threads_upd AFTER UPDATE OF number_e164 ON contact_phones"
    " WHEN NEW.entity_type = 'patient'" + _SQLITE_PHONE_BODY,
)

SQLITE_BACKWARDS = (
    "DROP TRIGGER IF EXISTS contact_phones_link_threads_upd",
    "DROP TRIGGER IF EXISTS contact_phones_link_threads_ins",
    "DROP TRIGGER IF EXISTS conversation_threads_link_patient",
)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    schema_editor.execute(BACKFILL)
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARDS)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARDS:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARDS)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARDS:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0003_assignment_member_triggers"),
        ("people", "0004_patient_name_trigram"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
