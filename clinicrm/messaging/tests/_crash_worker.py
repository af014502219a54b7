"""Child process of the crash-injection tests (started with the "spawn" method).

It configures Django on the parent's test database, installs one crash point by wrapping a
function of the send pipeline, then runs ONE task through django-tasks-db's real worker loop
(so the task row is claimed RUNNING exactly as `manage.py db_worker` does it). At the crash
point the process SIGKILLs itself: no `finally`, no atexit, no commit, like an OOM kill.

Nothing Django-related is imported at module level (see credits/tests/_workers.py).
"""

import os
import signal
from typing import Any

CRASH_POINTS = (
    "before_claim",  # the worker took the task row, the message was not claimed yet
    "before_provider_call",  # message claimed (committed), provider never called
    "after_provider_call",  # provider created the message, nothing recorded
    "after_save_before_commit",  # provider id written inside the open transaction
)


def _die(*args: Any, **kwargs: Any) -> Any:
    os.kill(os.getpid(), signal.SIGKILL)


def _install(point: str) -> None:
    from clinicrm.messaging.services import sending

    if point == "before_claim":
        sending.message_send_perform = _die
    elif point == "before_provider_call":
        sending._dispatch = _die
    elif point == "after_provider_call":
        real_dispatch = sending._dispatch

        def dispatch_then_die(message: Any) -> Any:
            real_dispatch(message)
            _die()

        sending._dispatch = dispatch_then_die
    elif point == "after_save_before_commit":
        real_backlog = sending.status_backlog_apply

        def save_then_die(*, message: Any) -> int:
            # Called inside `_record_ok`'s atomic block, after the provider id UPDATE.
            real_backlog(message=message)
            _die()
            return 0

        sending.status_backlog_apply = save_then_die
    else:
        raise ValueError(point)


def send_worker(db_name: str, twilio_url: str, point: str) -> None:
    """Run the next `sends` task with `point` armed; the process is expected to die."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicrm.config.settings")
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = db_name
    import django

    django.setup()
    settings.TWILIO_API_BASE_URL = twilio_url
    _install(point)
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["sends"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=1,
        worker_id=f"crash-{point}"[:64],
        excluded_queue_names=[],
    ).run()
    # Reaching this line means the crash point was never hit: the parent sees exit code 3.
    os._exit(3)
