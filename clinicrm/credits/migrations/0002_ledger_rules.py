"""The WhatsApp ledger's rows are never rewritten: PROTECT on their causes, a sign per kind,
and on PostgreSQL a trigger refusing UPDATE and DELETE of `whatsapp_credits_transactions`.

The trigger is PostgreSQL only: SQLite would need one too, but Django empties SQLite tables
between transactional tests with DELETE (PostgreSQL uses TRUNCATE, which row triggers do not
see). The error is SQLSTATE 23001 (restrict_violation), which Django raises as IntegrityError.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

APPEND_ONLY = """
CREATE FUNCTION whatsapp_credits_transactions_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'whatsapp_credits_transactions is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER whatsapp_credits_transactions_append_only
    BEFORE UPDATE OR DELETE ON whatsapp_credits_transactions
    FOR EACH ROW EXECUTE FUNCTION whatsapp_credits_transactions_append_only();
"""

APPEND_ONLY_REVERSE = """
DROP TRIGGER IF EXISTS whatsapp_credits_transactions_append_only ON whatsapp_credits_transactions;
DROP FUNCTION IF EXISTS whatsapp_credits_transactions_append_only();
"""


class RunSQLOnPostgreSQL(migrations.RunSQL):
    """RunSQL that does nothing on other databases."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("credits", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="credittransaction",
            name="admin",
            field=models.ForeignKey(
                blank=True,
                db_column="admin_id",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="credittransaction",
            name="purchase",
            field=models.ForeignKey(
                blank=True,
                db_column="purchase_id",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="transactions",
                to="credits.creditpurchase",
            ),
        ),
        migrations.AddConstraint(
            model_name="credittransaction",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("amount__lt", 0), ("kind", "usage")),
                    models.Q(("amount__gt", 0), ("kind__in", ("purchase", "refund", "topup_manual"))),
                    ("kind", "adjustment"),
                    _connector="OR",
                ),
                name="wct_amount_sign_per_kind_chk",
            ),
        ),
        RunSQLOnPostgreSQL(APPEND_ONLY, APPEND_ONLY_REVERSE),
    ]
