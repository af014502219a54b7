"""Audit rows are append-only, and the audit page's filters have indexes to walk.

On PostgreSQL a trigger refuses DELETE and any UPDATE of `audit_logs`, except the one Django
issues when a user or tenant is deleted (`SET NULL` of `user_id` / `tenant_id`, every other
column unchanged). The error is SQLSTATE 23001 (restrict_violation): Django raises
IntegrityError. SQLite gets no trigger (its test flush deletes rows; see credits 0002).

The indexes serve "newest first" per tenant with one filter (user, action, object), and the
same across tenants for the SaaS staff page. They are plain SQL (valid on both databases)
because the model lives in `core`.
"""

from django.db import migrations

APPEND_ONLY = """
CREATE FUNCTION audit_logs_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND NEW.id = OLD.id
        AND NEW.action = OLD.action
        AND NEW.object_type = OLD.object_type
        AND NEW.object_id = OLD.object_id
        AND NEW.details = OLD.details
        AND NEW.ip_address IS NOT DISTINCT FROM OLD.ip_address
        AND NEW.created_at = OLD.created_at
        AND (NEW.user_id IS NULL OR NEW.user_id = OLD.user_id)
        AND (NEW.tenant_id IS NULL OR NEW.tenant_id = OLD.tenant_id)
    THEN
        RETURN NEW;  -- a deleted user or tenant: the row stays, the link goes
    END IF;
    RAISE EXCEPTION 'audit_logs is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER audit_logs_append_only
    BEFORE UPDATE OR DELETE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION audit_logs_append_only();
"""

APPEND_ONLY_REVERSE = """
DROP TRIGGER IF EXISTS audit_logs_append_only ON audit_logs;
DROP FUNCTION IF EXISTS audit_logs_append_only();
"""

INDEXES = [
    ("audit_tenant_user_idx", "tenant_id, user_id, created_at DESC, id DESC"),
    ("audit_tenant_action_idx", "tenant_id, action, created_at DESC, id DESC"),
    ("audit_tenant_object_idx", "tenant_id, object_type, object_id, created_at DESC, id DESC"),
    ("audit_user_idx", "user_id, created_at DESC, id DESC"),
    ("audit_action_idx", "action, created_at DESC, id DESC"),
    ("audit_object_idx", "object_type, object_id, created_at DESC, id DESC"),
]


class RunSQLOnPostgreSQL(migrations.RunSQL):
    """RunSQL that does nothing on other databases."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_tenant_state")]

    operations = [
        RunSQLOnPostgreSQL(APPEND_ONLY, APPEND_ONLY_REVERSE),
        *[
            migrations.RunSQL(
                f"CREATE INDEX {name} ON audit_logs ({columns})",
                f"DROP INDEX IF EXISTS {name}",
            )
            for name, columns in INDEXES
        ],
    ]
