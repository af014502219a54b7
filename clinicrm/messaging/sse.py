"""Server-Sent Events for the tenant's members (ASGI only: WSGI servers buffer the stream).

An open stream holds no database connection while it waits. Opening it costs one thread hop
that loads the session, the user (Django's check of the session's auth hash, so a logout or a
password change revokes it) and the membership, checks the session's expiry clocks, and releases
the connection before returning (`stream_member`): the stream is served without the middleware
chain (`asgi.py`), so no middleware holds the connection across its own thread hops meanwhile. A
reconnecting browser (`Last-Event-ID`) then gets what it missed from the events table in a second
hop that also ends by releasing its connection. From then on the stream only forwards events the
process's realtime hub (`hub.py`) puts in its in-memory queue: `id:` is the RealtimeEvent id (so
a reconnecting browser gets what it missed), a comment line is written every heartbeat
(`_StreamClock`), and after MESSAGING_SSE_MAX_SECONDS the stream ends and the browser reconnects;
when the process is stopping (SIGTERM, `hub.drain`) it ends at once with a `closing` frame. No
templates, no personal data: the page fetches fragments with htmx when told something changed.

Cost per open stream: one coroutine, one small queue and the idle thread Django's ASGI handler
keeps per request. Database cost: the queries at open only, each hop holding a pool connection
just for its queries; PostgreSQL connections stay at one per process (the hub's LISTEN session)
plus the pool's, however many streams are open.
"""

import asyncio
import random
import time
from collections.abc import AsyncIterator
from importlib import import_module
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user
from django.core.handlers.wsgi import WSGIRequest
from django.db import connection
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from clinicrm.core.accounts.middleware import (
    LOGIN_AT_KEY,
    SEEN_AT_KEY,
    background_view,
    expiry_reason,
)
from clinicrm.core.log_context import log_tenant_set
from clinicrm.core.rls import rls_tenant
from clinicrm.core.tenancy import resolve_membership
from clinicrm.messaging.hub import Event, RealtimeHub, Subscription, realtime_hub, sse_frame
from clinicrm.messaging.selectors import EVENTS_PER_TICK, realtime_events_after

RETRY_MS = 2000
CLOSING_SPREAD_MS = 3000
# A stream opened while its process's hub is still connecting waits this long for it (beyond,
# it goes on without telling the browser where it started).
CURSOR_WAIT_SECONDS = 5.0
# A reconnecting browser replays at most this many missed events (then it reloads its
# fragments anyway on the next event).
REPLAY_LIMIT = 1000


def _last_event_id(request: HttpRequest) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id") or ""
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if 0 <= value < 2**63 else None


def closing_frame() -> str:
    """The last frame of a stream whose process is stopping: reconnect after a spread-out
    delay (the tabs of a drained process do not all land on the others at once). No `id:`, so
    the browser keeps its Last-Event-ID and replays what it misses meanwhile."""
    retry = RETRY_MS + random.randrange(CLOSING_SPREAD_MS)
    return f"retry: {retry}\nevent: closing\ndata: {{}}\n\n"


def ready_frame(cursor: int) -> str:
    """A first stream's opening event: where it starts (`id:`), no payload."""
    return f"id: {cursor}\nevent: ready\ndata: {{}}\n\n"


def _release() -> None:
    if not connection.in_atomic_block:  # never inside a caller's (or a test's) transaction
        connection.close()


def stream_member(request: HttpRequest) -> tuple[int, Any]:
    """(200, tenant id) for an active member with a live session, else (refusal status, None).
    Then this thread's connection goes back: the stream waits without one.

    On the lean path (`asgi.py`) no middleware ran, so the session comes from the cookie and
    the user from Django's `get_user`; behind the full chain (Django's test client) they are
    the middlewares' lazy objects, loaded here on the same thread."""
    try:
        if not hasattr(request, "session"):
            engine = import_module(settings.SESSION_ENGINE)
            cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
            request.session = engine.SessionStore(cookie)
            request.user = get_user(request)
        if not request.user.is_authenticated:
            return 401, None
        session = request.session
        login_at, seen_at = session.get(LOGIN_AT_KEY), session.get(SEEN_AT_KEY)
        if expiry_reason(login_at=login_at, seen_at=seen_at, now=time.time()):
            # 204 stops EventSource; the member's next page logs the session out and says why.
            return 204, None
        membership = getattr(request, "membership", None) or resolve_membership(request)
        if membership is None:
            return 403, None
        log_tenant_set(membership.tenant_id)
        return 200, membership.tenant_id
    finally:
        _release()


def _replay_and_release(*, tenant_id: Any, after_id: int) -> list[Event]:
    """Events after `after_id` (a reconnecting browser's Last-Event-ID), then close this
    request's connection."""
    try:
        rows: list[Event] = []
        with rls_tenant(tenant_id):  # no middleware scoped this lean request
            while len(rows) < REPLAY_LIMIT:
                page = realtime_events_after(tenant_id=tenant_id, after_id=after_id)
                rows.extend(page)
                if len(page) < EVENTS_PER_TICK:
                    break
                after_id = page[-1][0]
        return rows
    finally:
        _release()


class _StreamClock:
    """A stream's two timers, armed once rather than per event (a timeout around each queue
    read cost a timer per event per stream, the fan-out's main CPU cost with thousands of
    streams): a heartbeat marker every `heartbeat` seconds and the stream's end at its deadline."""

    def __init__(self, sub: Subscription, *, heartbeat: float, max_seconds: float) -> None:
        self._loop = asyncio.get_running_loop()
        self._sub = sub
        self._heartbeat = heartbeat
        self._beat = self._loop.call_later(heartbeat, self._ping)
        self._end = self._loop.call_later(max_seconds, sub.end)

    def _ping(self) -> None:
        self._sub.ping()
        self._beat = self._loop.call_later(self._heartbeat, self._ping)

    def cancel(self) -> None:
        self._beat.cancel()
        self._end.cancel()


async def event_stream(
    *,
    hub: RealtimeHub,
    tenant_id: Any,
    after_id: int | None,
    heartbeat_seconds: float,
    max_seconds: float,
) -> AsyncIterator[str]:
    yield f"retry: {RETRY_MS}\n\n"
    # Subscribe before replaying: an event committed meanwhile is queued, not lost (and dropped
    # below if the replay already sent it).
    with hub.subscribe(tenant_id) as sub:
        replayed = []
        if after_id is not None:
            replayed = await sync_to_async(_replay_and_release)(
                tenant_id=tenant_id, after_id=after_id
            )
        elif (cursor := await hub.cursor(timeout=CURSOR_WAIT_SECONDS)) is not None:
            # A first connection starts from now: tell the browser where "now" is, so a tab
            # whose stream ends before any event arrived resumes from here and misses nothing.
            # A named event, not an `id:` alone: that would move EventSource's own
            # Last-Event-ID but fire nothing, and the page's reconnect after an error status
            # (which EventSource gives up on) must know the id too.
            yield ready_frame(cursor)
        sent = {event_id for event_id, _, _ in replayed}
        for event in replayed:
            yield sse_frame(*event)
        clock = _StreamClock(sub, heartbeat=heartbeat_seconds, max_seconds=max_seconds)
        try:
            while True:
                event_id, frame = await sub.queue.get()
                if sub.overflowed:
                    return  # too slow: the browser reconnects and replays from the table
                if sub.closing:
                    yield closing_frame()
                    return
                if sub.ended:
                    return  # time is up: the browser reconnects with Last-Event-ID
                if event_id not in sent:
                    yield frame
        finally:
            clock.cancel()


@background_view
@require_GET
async def events(request: HttpRequest) -> HttpResponseBase:
    if isinstance(request, WSGIRequest):
        # A WSGI server (runserver, pytest's live_server) would buffer this endless stream and
        # hold a thread forever. 204 tells EventSource to stop reconnecting; pages still work,
        # only without live updates. Production and the demo serve ASGI (granian).
        return HttpResponse(status=204)
    status, tenant_id = await sync_to_async(stream_member)(request)
    if status == 401:
        return HttpResponse("Faça login.", status=401, content_type="text/plain; charset=utf-8")
    if status == 403:
        return HttpResponse(
            "Você não faz parte de nenhuma clínica ativa.",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    if status != 200:
        return HttpResponse(status=status)
    response = StreamingHttpResponse(
        event_stream(
            hub=realtime_hub(),
            tenant_id=tenant_id,
            after_id=_last_event_id(request),
            heartbeat_seconds=settings.MESSAGING_SSE_HEARTBEAT_SECONDS,
            max_seconds=settings.MESSAGING_SSE_MAX_SECONDS,
        ),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
