"""Realtime fan-out: one hub per ASGI process feeds every open SSE stream from memory.

Why: an open `/eventos/` stream used to run its own queries on its request's thread, so each
open browser tab held a database connection (and a thread) for its whole life, and about a
hundred tabs exhausted PostgreSQL. Now a stream touches the database only when it opens
(authenticate, resolve the tenant, replay what a reconnecting browser missed) and then closes
its connection (`sse.py`); while it waits it reads a bounded in-memory queue that this hub fills.
The hub's own connection is the only one a process holds for realtime, however many streams.

- PostgreSQL: ONE direct psycopg async connection (autocommit, outside Django's pool, which
  cannot LISTEN; `DATABASE_DIRECT_URL` when the site goes through PgBouncer) LISTENs on the
  `realtime` channel. `realtime_event_emit` NOTIFYs the whole event (tenant, id, kind, payload)
  in the statement that inserts it; PostgreSQL delivers it at commit, in commit order, so the
  fan-out costs no query. A payload too large for NOTIFY's 8,000 bytes is announced by id and
  fetched once. The hub reconnects by itself with backoff, and after every (re)connection it
  catches up with one query on that same connection on what was committed while it was not
  listening (duplicates are dropped by id).
- SQLite (development, tests): one poll per MESSAGING_SSE_POLL_SECONDS of the events table for
  every tenant, in a worker thread. SQLite serialises writers, so ids grow in commit order and
  `id > last` misses nothing.

Each stream gets a queue of `QUEUE_SIZE` frames; a stream too slow to drain it is ended
(`Subscription.overflowed`): the browser reconnects with Last-Event-ID and replays from the table.
An event's SSE frame is rendered once here and shared by every stream of its tenant (with
thousands of streams, rendering it per stream was a good part of the fan-out's CPU).

When the process is told to stop (SIGTERM from a deploy or the supervisor), the hub ends every
stream (`drain`, hooked by `core/stop_signal.py`) so the server can finish its graceful stop: the
browsers reconnect, through the proxy, to a process that stays, and replay what they missed.
"""

import asyncio
import contextlib
import contextvars
import datetime as dt
import json
import logging
import weakref
from collections import deque
from collections.abc import Iterator
from typing import Any

import psycopg
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from clinicrm.core.dbutil import backoff_delay, listen_connection_params
from clinicrm.core.rls import BYPASS_SESSION_SQL, rls_bypass
from clinicrm.core.stop_signal import stop_signal_subscribe
from clinicrm.messaging.models import RealtimeEvent

logger = logging.getLogger(__name__)

REALTIME_CHANNEL = "realtime"
# NOTIFY payloads must stay under 8,000 bytes; past this the event is announced by id only.
NOTIFY_MAX_BYTES = 7000
QUEUE_SIZE = 500
SEEN_IDS = 20_000
# Catch-up after a reconnection: events created this long before the connection was lost
# (covers transactions that were still open), and at most this many rows.
CATCH_UP_MARGIN = dt.timedelta(seconds=60)
CATCH_UP_LIMIT = 10_000

Event = tuple[int, str, dict[str, Any]]
# What a stream's queue holds: (event id, SSE frame); id 0 is a marker (heartbeat, wake-up).
Frame = tuple[int, str]
PING: Frame = (0, ": ping\n\n")


def tenant_key(tenant_id: Any) -> str:
    return str(tenant_id).replace("-", "")


def sse_frame(event_id: int, kind: str, payload: dict[str, Any]) -> str:
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=True)
    return f"id: {event_id}\nevent: {kind}\ndata: {data}\n\n"


def notify_message(*, tenant_id: Any, kind: str, payload: dict[str, Any]) -> tuple[str, bool]:
    """The NOTIFY text of an event, without its id: the caller appends `<id>}` in SQL, where the
    id is known. Returns (prefix, complete): complete is False when the payload was left out
    because it is too large (the hub then fetches the row)."""
    head = {"t": tenant_key(tenant_id), "k": kind, "p": payload}
    text = json.dumps(head, separators=(",", ":"), ensure_ascii=True)
    if len(text) <= NOTIFY_MAX_BYTES:
        return text[:-1] + ',"i":', True
    return json.dumps({"t": tenant_key(tenant_id)}, separators=(",", ":"))[:-1] + ',"i":', False


class Subscription:
    """One stream's view of the hub: frames of its tenant's events, in arrival order."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Frame] = asyncio.Queue(QUEUE_SIZE)
        self.overflowed = False
        self.closing = False  # the process is stopping: end the stream
        self.ended = False  # the stream's time is up (set by its own timer, `sse.py`)

    def put(self, frame: Frame) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.overflowed = True
            self._wake()

    def close(self) -> None:
        self.closing = True
        self._wake()

    def _wake(self) -> None:
        """Let the reader notice `overflowed` / `closing` / `ended` (it checks them on every
        item)."""
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(PING)

    def ping(self) -> None:
        """A heartbeat for an idle stream; a full queue needs none (the reader is busy)."""
        if not self.queue.full():
            self.queue.put_nowait(PING)

    def end(self) -> None:
        self.ended = True
        self._wake()


class RealtimeHub:
    """Fan-out of one process's realtime events to its streams (see the module docstring)."""

    def __init__(self, *, listen: bool, poll_seconds: float) -> None:
        self.listen = listen
        self.poll_seconds = poll_seconds
        self.connected = False  # LISTEN session up (PostgreSQL) / polling (SQLite)
        self.notifications = 0
        self.backend_pid: int | None = None
        self._subs: dict[str, set[Subscription]] = {}
        self._seen: set[int] = set()
        self._seen_order: deque[int] = deque()
        self._last_id: int | None = None
        self._lost_at: dt.datetime | None = None
        self._task: asyncio.Task[None] | None = None
        self.draining = False
        self._stop_hooked = False

    @property
    def streams(self) -> int:
        return sum(len(subs) for subs in self._subs.values())

    @property
    def last_id(self) -> int | None:
        """The newest event id this hub has seen (None before it first connected): a stream
        subscribed now receives every event after it through its queue."""
        return self._last_id

    async def cursor(self, *, timeout: float) -> int | None:
        """`last_id`, waiting up to `timeout` for the first connection of a starting process
        (a short poll: only the streams opened in a process's first moments ever wait)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._last_id is None and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        return self._last_id

    def start(self) -> None:
        if not self._stop_hooked:
            self._stop_hooked = True
            stop_signal_subscribe(self.drain)
        if self._task is None or self._task.done():
            run = self._run_listen if self.listen else self._run_poll
            # A fresh context: the hub outlives the request that started it, and must not
            # inherit that request's thread-sensitive executor (gone when the request ends).
            self._task = asyncio.get_running_loop().create_task(
                run(), name="realtime-hub", context=contextvars.Context()
            )

    async def stop(self) -> None:
        """Stop listening or polling (process shutdown, tests); `start()` resumes."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.connected = False

    def drain(self) -> None:
        """The process is stopping: end every open stream, and any opened from now on."""
        self.draining = True
        for subs in self._subs.values():
            for sub in subs:
                sub.close()

    @contextlib.contextmanager
    def subscribe(self, tenant_id: Any) -> Iterator[Subscription]:
        key = tenant_key(tenant_id)
        sub = Subscription()
        if self.draining:
            sub.close()
        self._subs.setdefault(key, set()).add(sub)
        self.start()
        try:
            yield sub
        finally:
            subs = self._subs.get(key)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[key]

    # --- delivery --------------------------------------------------------------------------

    def _deliver(self, key: str, event: Event) -> None:
        event_id = event[0]
        if event_id in self._seen:
            return
        self._seen.add(event_id)
        self._seen_order.append(event_id)
        if len(self._seen_order) > SEEN_IDS:
            self._seen.discard(self._seen_order.popleft())
        if self._last_id is None or event_id > self._last_id:
            self._last_id = event_id
        subs = self._subs.get(key)
        if subs:
            frame = (event_id, sse_frame(*event))
            for sub in subs:
                sub.put(frame)

    def _deliver_row(self, row: tuple[int, Any, str, Any]) -> None:
        event_id, tenant_id, kind, payload = row
        if isinstance(payload, str):
            payload = json.loads(payload)
        self._deliver(tenant_key(tenant_id), (int(event_id), kind, payload or {}))

    async def _on_notify(self, text: str) -> None:
        self.notifications += 1
        try:
            message = json.loads(text)
            key, event_id = str(message["t"]), int(message["i"])
        except (ValueError, KeyError, TypeError):
            logger.warning("realtime: unreadable NOTIFY ignored")
            return
        if "k" in message:
            self._deliver(key, (event_id, str(message["k"]), message.get("p") or {}))
            return
        if key not in self._subs:
            return  # nobody here cares: no need to fetch the large payload
        rows = await sync_to_async(_rows_by_id, thread_sensitive=False)(ids=[event_id])
        for row in rows:
            self._deliver_row(row)

    # --- PostgreSQL ---------------------------------------------------------------------------

    async def _run_listen(self) -> None:
        failures = 0
        while True:
            conn: psycopg.AsyncConnection[Any] | None = None
            try:
                conn = await psycopg.AsyncConnection.connect(
                    **listen_connection_params(), connect_timeout=10
                )
                await conn.execute(f"LISTEN {REALTIME_CHANNEL}")
                # The hub reads every clinic's events and hands each stream its own clinic's.
                await conn.execute(BYPASS_SESSION_SQL)
                self.backend_pid = conn.info.backend_pid
                await self._catch_up(conn)
                self.connected = True
                failures = 0
                async for notify in conn.notifies():
                    await self._on_notify(notify.payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # No connection details in the log (they may carry a password).
                logger.warning("realtime LISTEN connection lost (%s)", type(exc).__name__)
            finally:
                if self.connected:
                    self._lost_at = timezone.now()
                self.connected = False
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()
            failures += 1
            await asyncio.sleep(backoff_delay(failures))

    async def _catch_up(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """Deliver what was committed while not listening. On the first connection there is
        nothing to catch up (streams opened before it replay their own history): just note
        where the table stands."""
        table = RealtimeEvent._meta.db_table  # model metadata, not input
        if self._lost_at is None or self._last_id is None:
            cursor = await conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608
            row = await cursor.fetchone()
            self._last_id = max(self._last_id or 0, int(row[0]) if row else 0)
            return
        cursor = await conn.execute(
            f"SELECT id, tenant_id, kind, payload FROM {table}"  # noqa: S608
            " WHERE id > %s AND created_at >= %s ORDER BY id LIMIT %s",
            [self._last_id - CATCH_UP_LIMIT, self._lost_at - CATCH_UP_MARGIN, CATCH_UP_LIMIT],
        )
        for row in await cursor.fetchall():
            self._deliver_row(row)

    # --- SQLite -------------------------------------------------------------------------------

    async def _run_poll(self) -> None:
        fetch = sync_to_async(_rows_after, thread_sensitive=False)
        failures = 0
        while True:
            try:
                if self._last_id is None:
                    self._last_id = await sync_to_async(_last_id, thread_sensitive=False)()
                for row in await fetch(after_id=self._last_id):
                    self._deliver_row(row)
                self.connected = True
                failures = 0
                await asyncio.sleep(self.poll_seconds)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.connected = False
                failures += 1
                logger.warning("realtime poll failed (%s)", type(exc).__name__)
                await asyncio.sleep(backoff_delay(failures))


# Worker-thread queries of the hub: each closes its connection (none is kept between polls).


def _closing(func: Any) -> Any:
    def wrapper(**kwargs: Any) -> Any:
        try:
            with rls_bypass():  # every clinic's events, sorted per stream in memory
                return func(**kwargs)
        finally:
            connection.close()

    return wrapper


@_closing
def _rows_after(*, after_id: int) -> list[tuple[int, Any, str, Any]]:
    return list(
        RealtimeEvent.objects.filter(id__gt=after_id)
        .order_by("id")
        .values_list("id", "tenant_id", "kind", "payload")[:CATCH_UP_LIMIT]
    )


@_closing
def _rows_by_id(*, ids: list[int]) -> list[tuple[int, Any, str, Any]]:
    return list(
        RealtimeEvent.objects.filter(id__in=ids).values_list("id", "tenant_id", "kind", "payload")
    )


@_closing
def _last_id() -> int:
    return RealtimeEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, RealtimeHub]" = (
    weakref.WeakKeyDictionary()
)


def realtime_hub() -> RealtimeHub:
    """The running event loop's hub (one per ASGI worker process)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        listen = connections["default"].vendor == "postgresql" and settings.MESSAGING_SSE_LISTEN
        hub = RealtimeHub(listen=listen, poll_seconds=settings.MESSAGING_SSE_POLL_SECONDS)
        _hubs[loop] = hub
    return hub
