"""The task worker, in the test's process: what `manage.py db_worker --batch` does."""

from django_tasks_db.management.commands.db_worker import Worker


def run_worker(*, queue_names: tuple[str, ...] = ("*",), worker_id: str = "test-worker") -> None:
    """Process every task that is due now (`run_after` against the, possibly travelled, clock).

    The worker closes "old" connections between tasks, so tests using it need real transactions
    (`django_db(transaction=True)`) instead of the test-wrapping one.
    """
    Worker(
        queue_names=list(queue_names),
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    ).run()
