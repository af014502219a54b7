"""PostgreSQL LISTEN/NOTIFY fan-out that wakes SSE streams at once (one per event loop).

`realtime_event_emit` sends `NOTIFY realtime, '<tenant hex>:<event id>'` after its transaction
commits. Each ASGI worker process runs one event loop; the first SSE stream of that loop starts a
`RealtimeHub`: ONE direct psycopg async connection (autocommit, outside Django's pool, which
cannot LISTEN) that LISTENs on the single `realtime` channel and sets the asyncio.Event of every
stream subscribed to the notified tenant. Streams then run their one small query only when woken
(plus a safety re-query per heartbeat), instead of polling every second.

While the connection is down (start-up, database restart) `hub.connected` is False and streams
fall back to polling; each (re)connection wakes every stream once, so whatever was committed
before LISTEN took effect is fetched by that query. SQLite has no NOTIFY: `realtime_hub()`
returns None there and the stream polls.
"""

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

REALTIME_CHANNEL = "realtime"
RECONNECT_SECONDS = (0.5, 1.0, 2.0, 5.0)


def notify_payload(*, tenant_id: Any, event_id: int) -> str:
    return f"{str(tenant_id).replace('-', '')}:{event_id}"


def tenant_key(tenant_id: Any) -> str:
    return str(tenant_id).replace("-", "")


def _conninfo() -> dict[str, Any]:
    s = connections["default"].settings_dict
    params: dict[str, Any] = {"dbname": s["NAME"], "autocommit": True}
    for key, name in (("USER", "user"), ("PASSWORD", "password"), ("HOST", "host")):
        if s.get(key):
            params[name] = s[key]
    if s.get("PORT"):
        params["port"] = int(s["PORT"])
    for key in ("sslmode", "sslrootcert", "sslcert", "sslkey"):
        if (s.get("OPTIONS") or {}).get(key):
            params[key] = s["OPTIONS"][key]
    return params


class RealtimeHub:
    """Fan-out of NOTIFYs to the streams of one event loop."""

    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self.connected = False
        self.notifications = 0  # received (tests and diagnostics)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="realtime-hub")

    @contextlib.contextmanager
    def subscribe(self, tenant_id: Any) -> Iterator[asyncio.Event]:
        """An Event set whenever the tenant gets a new event (or the hub reconnects)."""
        key = tenant_key(tenant_id)
        event = asyncio.Event()
        self._waiters.setdefault(key, set()).add(event)
        self.start()
        try:
            yield event
        finally:
            waiters = self._waiters.get(key)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._waiters[key]

    def _wake(self, key: str | None = None) -> None:
        groups = self._waiters.values() if key is None else [self._waiters.get(key, set())]
        for group in groups:
            for event in group:
                event.set()

    async def _run(self) -> None:
        import psycopg

        failures = 0
        while True:
            conn: psycopg.AsyncConnection[Any] | None = None
            try:
                conn = await psycopg.AsyncConnection.connect(**_conninfo())
                await conn.execute(f"LISTEN {REALTIME_CHANNEL}")
                self.connected = True
                failures = 0
                self._wake()  # re-query once: covers events committed before LISTEN took effect
                async for notify in conn.notifies():
                    self.notifications += 1
                    self._wake(notify.payload.partition(":")[0])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # No connection details in the log (they may carry a password).
                logger.warning("realtime LISTEN connection lost (%s)", type(exc).__name__)
            finally:
                self.connected = False
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()
            self._wake()  # streams fall back to polling meanwhile
            await asyncio.sleep(RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)])
            failures += 1


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, RealtimeHub]" = (
    weakref.WeakKeyDictionary()
)


def realtime_hub() -> RealtimeHub | None:
    """The running loop's hub on PostgreSQL (when enabled), else None (poll)."""
    if connections["default"].vendor != "postgresql":
        return None
    if not getattr(settings, "MESSAGING_SSE_LISTEN", True):
        return None
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = RealtimeHub()
    return hub
