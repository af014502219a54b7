"""Tasks the worker tests enqueue (importable by a worker subprocess)."""

import time
from pathlib import Path

from django.tasks import task


@task()
def touch_task(*, path: str) -> str:
    Path(path).write_text("done")
    return path


@task()
def block_task(*, seconds: float) -> None:
    time.sleep(seconds)
