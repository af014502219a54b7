"""Clearing an assignee is always allowed: the UPDATE check looks only at what the UPDATE changes.

The check of 0003 ran every condition on every UPDATE, so the release that a membership's
deletion triggers (`assigned_to = NULL`) was refused when the assignment's thread was already
gone, as when SQLite's test flush deletes tables one by one. Now an UPDATE checks the thread only
when it moves the row to another thread or tenant, and the assignee only when it sets one; INSERT
keeps checking both.
"""

from django.db import migrations

PG_FORWARDS = """
CREATE OR REPLACE FUNCTION conversation_assignments_check() RETURNS trigger AS $$
BEGIN
  IF (TG_OP = 'INSERT' OR NEW.thread_id <> OLD.thread_id OR NEW.tenant_id <> OLD.tenant_id)
     AND NOT EXISTS (
    SELECT 1 FROM conversation_threads t WHERE t.id = NEW.thread_id AND t.tenant_id = NEW.tenant_id
  ) THEN
    RAISE EXCEPTION 'conversation_assignments: thread of another tenant'
      USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.assigned_to IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM memberships m
     WHERE m.tenant_id = NEW.tenant_id AND m.user_id = NEW.assigned_to AND m.is_active
     FOR SHARE
  ) THEN
    RAISE EXCEPTION 'conversation_assignments: assignee is not an active member of the tenant'
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
"""

SQLITE_FORWARDS = (
    "DROP TRIGGER IF EXISTS conversation_assignments_check_upd",
    """CREATE TRIGGER conversation_assignments_check_upd BEFORE UPDATE ON conversation_assignments
  WHEN ((NEW.thread_id <> OLD.thread_id OR NEW.tenant_id <> OLD.tenant_id) AND NOT EXISTS (
         SELECT 1 FROM conversation_threads t
          WHERE t.id = NEW.thread_id AND t.tenant_id = NEW.tenant_id))
    OR (NEW.assigned_to IS NOT NULL AND NOT EXISTS (
         SELECT 1 FROM memberships m
          WHERE m.tenant_id = NEW.tenant_id AND m.user_id = NEW.assigned_to AND m.is_active))
  BEGIN
    SELECT RAISE(ABORT, 'conversation_assignments: assignee is not an active member of the tenant');
  END""",
)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARDS)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARDS:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("crm", "0004_thread_patient_autolink")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
