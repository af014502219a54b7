"""Background tasks of the compliance app (thin: the services do the work). The LGPD export's
task sits beside its service (lgpd/services.py), which enqueues it."""

from django.tasks import task

from clinicrm.compliance.retention import retention_purge


@task(queue_name="default")
def retention_purge_task() -> dict[str, int]:
    return retention_purge()
