"""The database half of "the assignee is an active member of the same tenant".

`conversation_assignments` rows are checked by a trigger before every INSERT and UPDATE: the
thread must belong to the row's tenant and a non-NULL `assigned_to` must have an active
membership in it (on PostgreSQL the membership row is locked FOR SHARE, so a concurrent
deactivation waits for the assignment and then clears it, instead of both committing). When a
membership is deactivated, moved or deleted, its assignments in that tenant are cleared. Both
engines raise an integrity error for a refused row; the service (`assignment_set`) checks first
and answers in pt-BR, so the trigger only ever fires for writers that bypass it.
"""

from django.db import migrations

PG_FORWARDS = """
CREATE OR REPLACE FUNCTION conversation_assignments_check() RETURNS trigger AS $$
BEGIN
  IF NOT EXISTS (
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

CREATE TRIGGER conversation_assignments_check
  BEFORE INSERT OR UPDATE ON conversation_assignments
  FOR EACH ROW EXECUTE FUNCTION conversation_assignments_check();

CREATE OR REPLACE FUNCTION memberships_release_assignments() RETURNS trigger AS $$
BEGIN
  UPDATE conversation_assignments SET assigned_to = NULL, updated_at = now()
   WHERE tenant_id = OLD.tenant_id AND assigned_to = OLD.user_id;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER memberships_release_assignments_upd
  AFTER UPDATE ON memberships
  FOR EACH ROW
  WHEN (OLD.is_active AND (NOT NEW.is_active OR NEW.tenant_id <> OLD.tenant_id
                           OR NEW.user_id <> OLD.user_id))
  EXECUTE FUNCTION memberships_release_assignments();

CREATE TRIGGER memberships_release_assignments_del
  AFTER DELETE ON memberships
  FOR EACH ROW EXECUTE FUNCTION memberships_release_assignments();
"""

PG_BACKWARDS = """
DROP TRIGGER IF EXISTS memberships_release_assignments_del ON memberships;
DROP TRIGGER IF EXISTS memberships_release_assignments_upd ON memberships;
DROP FUNCTION IF EXISTS memberships_release_assignments();
DROP TRIGGER IF EXISTS conversation_assignments_check ON conversation_assignments;
DROP FUNCTION IF EXISTS conversation_assignments_check();
"""

_SQLITE_REFUSED = """
  WHEN NOT EXISTS (
         SELECT 1 FROM conversation_threads t
          WHERE t.id = NEW.thread_id AND t.tenant_id = NEW.tenant_id)
    OR (NEW.assigned_to IS NOT NULL AND NOT EXISTS (
         SELECT 1 FROM memberships m
          WHERE m.tenant_id = NEW.tenant_id AND m.user_id = NEW.assigned_to AND m.is_active))
  BEGIN
    SELECT RAISE(ABORT, 'conversation_assignments: assignee is not an active member of the tenant');
  END
"""

_SQLITE_RELEASE = """
  BEGIN
    UPDATE conversation_assignments SET assigned_to = NULL
     WHERE tenant_id = OLD.tenant_id AND assigned_to = OLD.user_id;
  END
"""

SQLITE_FORWARDS = (
    "CREATE TRIGGER conversation_assignments_check_ins BEFORE INSERT ON conversation_assignments"
    + _SQLITE_REFUSED,
    "CREATE TRIGGER conversation_assignments_check_upd BEFORE UPDATE ON conversation_assignments"
    + _SQLITE_REFUSED,
    "CREATE TRIGGER memberships_release_assignments_upd AFTER UPDATE ON memberships"
    " WHEN OLD.is_active AND (NOT NEW.is_active OR NEW.tenant_id <> OLD.tenant_id"
    " OR NEW.user_id <> OLD.user_id)" + _SQLITE_RELEASE,
    "CREATE TRIGGER memberships_release_assignments_del AFTER DELETE ON memberships"
    + _SQLITE_RELEASE,
)

SQLITE_BACKWARDS = (
    "DROP TRIGGER IF EXISTS memberships_release_assignments_del",
    "DROP TRIGGER IF EXISTS memberships_release_assignments_upd",
    "DROP TRIGGER IF EXISTS conversation_assignments_check_upd",
    "DROP TRIGGER IF EXISTS conversation_assignments_check_ins",
)


def _run(schema_editor, *, postgresql, sqlite):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(postgresql)
    elif vendor == "sqlite":
        for statement in sqlite:
            schema_editor.execute(statement)


def forwards(apps, schema_editor):
    _run(schema_editor, postgresql=PG_FORWARDS, sqlite=SQLITE_FORWARDS)


def backwards(apps, schema_editor):
    _run(schema_editor, postgresql=PG_BACKWARDS, sqlite=SQLITE_BACKWARDS)


class Migration(migrations.Migration):
    dependencies = [("crm", "0002_seed_system_tags")]

    operations = [migrations.RunPython(forwards, backwards)]
