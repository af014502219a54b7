"""`manage.py scheduler`: enqueue periodic jobs, once per slot, however many schedulers run."""

import datetime as dt
import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from clinicrm.automation.scheduler import jobs_all, scheduler_tick


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
        jobs = jobs_all()
        if options["only"]:
            names = [n.strip() for n in options["only"].split(",") if n.strip()]
            unknown = [n for n in names if n not in jobs]
            if unknown:
                raise CommandError(f"Unknown job(s): {', '.join(unknown)}")
            jobs = {n: jobs[n] for n in names}
        at = dt.datetime.fromisoformat(options["at"]) if options["at"] else None
        if at is not None and at.tzinfo is None:
            raise CommandError("--at needs a timezone offset (e.g. 2026-01-05T12:00:00+00:00)")

        self._running = True
        if not options["once"]:
            signal.signal(signal.SIGINT, self._stop)
            signal.signal(signal.SIGTERM, self._stop)
            self.stdout.write(f"scheduler: {len(jobs)} job(s): {', '.join(sorted(jobs))}")

        while self._running:
            for name in scheduler_tick(now=at, jobs=jobs):
                self.stdout.write(f"scheduler: enqueued {name}")
            if options["once"]:
                break
            # Like a request boundary: drop broken or expired connections between ticks.
            close_old_connections()
            # Sleep in small steps so a signal stops us promptly.
            deadline = time.monotonic() + options["interval"]
            while self._running and time.monotonic() < deadline:
                time.sleep(min(0.2, options["interval"]))

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self._running = False
