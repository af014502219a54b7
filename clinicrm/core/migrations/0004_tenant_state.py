"""`tenants.state` (UF): the state whose holidays count besides the national ones.

Added with a plain ADD COLUMN (no SQLite table rebuild of a table other apps' triggers and
foreign keys point at); PostgreSQL then drops the default, as Django would.
"""

from django.db import migrations, models


def forwards(apps, schema_editor):
    schema_editor.execute("ALTER TABLE tenants ADD COLUMN state varchar(2) NOT NULL DEFAULT ''")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE tenants ALTER COLUMN state DROP DEFAULT")


def backwards(apps, schema_editor):
    schema_editor.execute("ALTER TABLE tenants DROP COLUMN state")


class Migration(migrations.Migration):
    dependencies = [("core", "0003_login_attempts_and_no_admin")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="tenant",
                    name="state",
                    field=models.CharField(
                        blank=True, default="", max_length=2, verbose_name="estado (UF)"
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
