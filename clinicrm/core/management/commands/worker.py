"""`manage.py worker`: run background tasks (use it instead of django-tasks-db's `db_worker`).

Same options as `db_worker`; see `clinicrm/core/worker.py` for what it adds (database outages
survived with backoff, NOTIFY wake-up on PostgreSQL, heartbeat for the reaper).
"""

import logging
import os
from argparse import ArgumentParser
from typing import Any

from django.db import connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from clinicrm.core.worker import ResilientWorker

# Seconds between polls when nothing wakes the worker: PostgreSQL is woken by NOTIFY (the poll
# only serves deferred tasks); SQLite has no NOTIFY, and a short poll of an indexed table is
# cheap, so a new task starts within ~50 ms there too.
POLL_SECONDS = {"postgresql": 1.0, "sqlite": 0.05}


class Command(DBWorkerCommand):
    help = "Executa as tarefas em segundo plano (fila no banco de dados)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(interval=None)

    def configure_logging(self, verbosity: int) -> None:
        # Levels only: the records reach the site's LOGGING handlers (with the redaction
        # filter) instead of a second, unfiltered handler of the package's.
        level = {0: logging.CRITICAL, 1: logging.INFO}.get(verbosity, logging.DEBUG)
        for name in ("django.tasks", "django_tasks_db"):
            logging.getLogger(name).setLevel(level)

    def handle(self, **options: Any) -> None:
        self.configure_logging(options["verbosity"])
        interval = options["interval"]
        if interval is None:
            interval = POLL_SECONDS.get(connections["default"].vendor, 1.0)
        queue_names = options["queue_name"].split(",")
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        worker = ResilientWorker(
            queue_names=queue_names,
            interval=interval,
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=excluded,
        )
        if options["reload"] and not options["batch"]:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
