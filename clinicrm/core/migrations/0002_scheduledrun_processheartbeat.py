from django.db import migrations, models


class Migration(migrations.Migration):
    """`ScheduledRun` moves from automation to core (the table stays: state only), and
    background processes get heartbeats."""

    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ScheduledRun",
                    fields=[
                        ("id", models.BigAutoField(primary_key=True, serialize=False)),
                        ("job_name", models.CharField(max_length=100)),
                        (
                            "slot",
                            models.DateTimeField(
                                help_text="UTC start of the job's interval that this run covers."
                            ),
                        ),
                        ("task_result_id", models.CharField(blank=True, max_length=64)),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                    ],
                    options={
                        "db_table": "scheduled_runs",
                        "ordering": ["-slot", "job_name"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("job_name", "slot"), name="scheduled_runs_job_slot_uniq"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.CreateModel(
            name="ProcessHeartbeat",
            fields=[
                ("id", models.CharField(max_length=64, primary_key=True, serialize=False)),
                (
                    "kind",
                    models.CharField(
                        choices=[("worker", "Worker"), ("scheduler", "Scheduler")], max_length=20
                    ),
                ),
                ("hostname", models.CharField(blank=True, max_length=255)),
                ("pid", models.PositiveIntegerField(default=0)),
                ("started_at", models.DateTimeField()),
                ("beat_at", models.DateTimeField(db_index=True)),
                ("stopped_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={"db_table": "process_heartbeats", "ordering": ["kind", "-beat_at"]},
        ),
    ]
