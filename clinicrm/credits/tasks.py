"""Background tasks of the credits app (thin: the services do the work)."""

from django.tasks import task

from clinicrm.credits.services.ledger_check import credits_ledger_check


@task(queue_name="default")
def credits_ledger_check_task() -> int:
    return credits_ledger_check()
