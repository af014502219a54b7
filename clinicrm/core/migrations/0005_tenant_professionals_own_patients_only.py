"""`tenants.professionals_own_patients_only` (least privilege, on by default; core.visibility).

A plain ADD COLUMN, as in 0004 (no SQLite rebuild of a table other apps point at).
"""

from django.db import migrations, models


def forwards(apps, schema_editor):
    schema_editor.execute(
        "ALTER TABLE tenants ADD COLUMN professionals_own_patients_only boolean NOT NULL "
        "DEFAULT true"
    )
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE tenants ALTER COLUMN professionals_own_patients_only DROP DEFAULT"
        )


def backwards(apps, schema_editor):
    schema_editor.execute("ALTER TABLE tenants DROP COLUMN professionals_own_patients_only")


class Migration(migrations.Migration):
    dependencies = [("core", "0004_tenant_state")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="tenant",
                    name="professionals_own_patients_only",
                    field=models.BooleanField(
                        default=True, verbose_name="profissionais veem só os próprios pacientes"
                    ),
                )
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        )
    ]
