"""Periodic work: one row per (job name, slot) is the lock that makes a slot run once.

The scheduler computes the current slot of every registered job (the UTC start of the interval
that contains "now", aligned on the epoch) and, in one transaction, inserts the `ScheduledRun`
row and enqueues the job's task. The unique constraint turns a second scheduler's insert for the
same slot into an IntegrityError, so any number of schedulers can run without double work, and
the task row commits together with the slot row (or neither does).
"""

from django.db import models


class ScheduledRun(models.Model):
    id = models.BigAutoField(primary_key=True)
    job_name = models.CharField(max_length=100)
    slot = models.DateTimeField(help_text="UTC start of the job's interval that this run covers.")
    task_result_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "scheduled_runs"
        ordering = ["-slot", "job_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["job_name", "slot"], name="scheduled_runs_job_slot_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.job_name} @ {self.slot.isoformat()}"
