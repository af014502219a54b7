"""Ending long-lived responses when the web process is told to stop (SIGTERM, SIGINT).

granian stops a worker gracefully: it stops accepting, then waits for every open response to
finish. An event stream never finishes by itself, so a worker with a browser tab open used to
wait forever after SIGTERM (granian kills no worker unless `--workers-kill-timeout` is given)
and a deploy hung, or was cut by the supervisor's SIGKILL mid-frame. The server tells the
application nothing before the connections are gone (no lifespan event under `asginl`, and under
`asgi` the shutdown event comes after the drain).

The signal does reach the worker process: granian's worker loop handles SIGTERM and SIGINT
through asyncio (`loop.add_signal_handler`, a wake-up file descriptor under a no-op Python
handler). `stop_signal_subscribe` puts a Python-level handler in front of that no-op: it
schedules the callbacks on their event loops and calls the handler that was there, while the
wake-up byte still reaches the loop, so the server's own graceful stop runs as before. Streams
end at once, the server drains them and exits. Where no handler was installed (a plain script,
SIG_DFL) or outside the main thread (a test server in a thread), nothing is installed: the
default behaviour is left alone.
"""

import asyncio
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGTERM, signal.SIGINT)

_callbacks: list[tuple[asyncio.AbstractEventLoop, Callable[[], None]]] = []
_installed: set[int] = set()


def _chain(previous: Any) -> Callable[[int, FrameType | None], None]:
    def handler(sig: int, frame: FrameType | None) -> None:
        for loop, callback in list(_callbacks):
            if not loop.is_closed():
                loop.call_soon_threadsafe(callback)
        previous(sig, frame)

    return handler


def stop_signal_subscribe(callback: Callable[[], None]) -> bool:
    """Call `callback` on the running loop when this process gets SIGTERM or SIGINT.
    Returns whether the handler is in place (False: not the main thread, or no handler to
    chain to)."""
    loop = asyncio.get_running_loop()
    if threading.current_thread() is not threading.main_thread():
        return False
    for signum in SIGNALS:
        if signum in _installed:
            continue
        previous = signal.getsignal(signum)
        if not callable(previous):  # SIG_DFL / SIG_IGN / unknown: leave the default alone
            continue
        signal.signal(signum, _chain(previous))
        _installed.add(signum)
    if not _installed:
        return False
    _callbacks[:] = [(lp, cb) for lp, cb in _callbacks if not lp.is_closed()]
    _callbacks.append((loop, callback))
    return True
