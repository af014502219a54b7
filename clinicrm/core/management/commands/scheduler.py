"""`manage.py scheduler`: enqueue periodic jobs, once per slot, however many schedulers run.

A lost database (restart, "too many clients") is retried with backoff, never fatal; a heartbeat
row (`core.heartbeats`) tells `/readyz` and operators that a scheduler is alive. Jobs span every
clinic: the scheduler runs with row-level security bypassed, and the tasks it enqueues inherit it.
"""

import datetime as dt
import logging
import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils.crypto import get_random_string

from clinicrm.core.dbutil import DATABASE_UNAVAILABLE, backoff_delay, connections_discard
from clinicrm.core.heartbeats import HeartbeatThread
from clinicrm.core.models import ProcessKind
from clinicrm.core.rls import rls_bypass
from clinicrm.core.scheduler import Job, jobs_all, scheduler_tick

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Enfileira as tarefas periódicas (uma vez por janela de tempo)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run one tick and exit.")
        parser.add_argument(
            "--interval", type=float, default=5.0, help="Seconds between ticks (default 5)."
        )
        parser.add_argument(
            "--at",
            default=None,
            help="Pretend it is this ISO-8601 instant (tests, debugging; a fixed clock).",
        )
        parser.add_argument(
            "--only", default="", help="Comma-separated job names to consider (default: all)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with rls_bypass():
            self._handle(**options)

    def _handle(self, **options: Any) -> None:
        jobs = self._jobs(options["only"])
        at = dt.datetime.fromisoformat(options["at"]) if options["at"] else None
        if at is not None and at.tzinfo is None:
            raise CommandError("--at needs a timezone offset (e.g. 2026-01-05T12:00:00+00:00)")
        if options["once"]:
            self._tick(at, jobs)
            return

        self._running = True
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGTERM, self._stop)
        self.stdout.write(f"scheduler: {len(jobs)} job(s): {', '.join(sorted(jobs))}")
        heartbeat = HeartbeatThread(
            process_id=f"scheduler-{get_random_string(16)}", kind=ProcessKind.SCHEDULER
        )
        heartbeat.start()
        failures = 0
        try:
            while self._running:
                try:
                    self._tick(at, jobs)
                    failures = 0
                    delay = options["interval"]
                    # Like a request boundary: drop broken or expired connections between ticks.
                    close_old_connections()
                except DATABASE_UNAVAILABLE as exc:
                    failures += 1
                    delay = backoff_delay(failures)
                    logger.warning(
                        "scheduler: database unavailable (%s); retry in %.1fs",
                        type(exc).__name__,
                        delay,
                    )
                    connections_discard()
                self._sleep(delay)
        finally:
            heartbeat.stop()

    def _jobs(self, only: str) -> dict[str, Job]:
        jobs = jobs_all()
        if not only:
            return jobs
        names = [n.strip() for n in only.split(",") if n.strip()]
        unknown = [n for n in names if n not in jobs]
        if unknown:
            raise CommandError(f"Unknown job(s): {', '.join(unknown)}")
        return {n: jobs[n] for n in names}

    def _tick(self, at: dt.datetime | None, jobs: dict[str, Job]) -> None:
        for name in scheduler_tick(now=at, jobs=jobs):
            self.stdout.write(f"scheduler: enqueued {name}")

    def _sleep(self, seconds: float) -> None:
        # Small steps so a signal stops us promptly.
        deadline = time.monotonic() + seconds
        while self._running and time.monotonic() < deadline:
            time.sleep(min(0.2, seconds))

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self._running = False
