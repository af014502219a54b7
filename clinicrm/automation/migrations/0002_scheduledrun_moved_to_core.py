from django.db import migrations


class Migration(migrations.Migration):
    """`ScheduledRun` now belongs to core; its table (created by 0001) stays where it is."""

    dependencies = [
        ("automation", "0001_initial"),
        ("core", "0002_scheduledrun_processheartbeat"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ScheduledRun")],
            database_operations=[],
        ),
    ]
