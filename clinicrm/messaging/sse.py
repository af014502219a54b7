"""Server-Sent Events for the tenant's members (ASGI only: WSGI servers buffer the stream).

An open stream holds no database connection while it waits. The request's middleware already
authenticated the member and resolved the tenant; the stream subscribes to the process's
realtime hub (`hub.py`), replays from the events table what a reconnecting browser missed
(`Last-Event-ID`), and closes the connection its request opened. From then on it only forwards
events the hub puts in its in-memory queue: `id:` is the RealtimeEvent id (so a reconnecting
browser gets what it missed), a comment line is written every heartbeat when idle, and after
`MAX_STREAM_SECONDS` the stream ends and the browser reconnects. No templates, no personal data:
the page fetches fragments with htmx when told something changed.

Cost per open stream: one coroutine, one small queue and the idle thread Django's ASGI handler
keeps per request. Database cost: the queries at open only; PostgreSQL connections stay at one
per process (the hub's LISTEN session) however many streams are open.
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.db import connection
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from clinicrm.messaging.hub import Event, RealtimeHub, realtime_hub
from clinicrm.messaging.selectors import EVENTS_PER_TICK, realtime_events_after

MAX_STREAM_SECONDS = 300  # then the browser reconnects (with Last-Event-ID)
RETRY_MS = 2000
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


def sse_frame(event_id: int, kind: str, payload: dict[str, Any]) -> str:
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=True)
    return f"id: {event_id}\nevent: {kind}\ndata: {data}\n\n"


def _replay_and_release(*, tenant_id: Any, after_id: int | None) -> list[Event]:
    """Events after `after_id` (none for a first connection), then close this request's
    connection: the stream waits without one."""
    try:
        rows: list[Event] = []
        while after_id is not None and len(rows) < REPLAY_LIMIT:
            page = realtime_events_after(tenant_id=tenant_id, after_id=after_id)
            rows.extend(page)
            if len(page) < EVENTS_PER_TICK:
                break
            after_id = page[-1][0]
        return rows
    finally:
        if not connection.in_atomic_block:  # never inside a caller's (or a test's) transaction
            connection.close()


async def event_stream(
    *,
    hub: RealtimeHub,
    tenant_id: Any,
    after_id: int | None,
    heartbeat_seconds: float,
    max_seconds: float = MAX_STREAM_SECONDS,
) -> AsyncIterator[str]:
    yield f"retry: {RETRY_MS}\n\n"
    # Subscribe before replaying: an event committed meanwhile is queued, not lost (and dropped
    # below if the replay already sent it).
    with hub.subscribe(tenant_id) as sub:
        replayed = await sync_to_async(_replay_and_release)(tenant_id=tenant_id, after_id=after_id)
        sent = {event_id for event_id, _, _ in replayed}
        for event in replayed:
            yield sse_frame(*event)
        deadline = time.monotonic() + max_seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = await asyncio.wait_for(sub.queue.get(), min(heartbeat_seconds, left))
            except TimeoutError:
                yield ": ping\n\n"
                continue
            if sub.overflowed:
                return  # too slow: the browser reconnects and replays from the table
            if event[0] not in sent:
                yield sse_frame(*event)


@require_GET
async def events(request: HttpRequest) -> HttpResponseBase:
    if isinstance(request, WSGIRequest):
        # A WSGI server (runserver, pytest's live_server) would buffer this endless stream and
        # hold a thread forever. 204 tells EventSource to stop reconnecting; pages still work,
        # only without live updates. Production and the demo serve ASGI (granian).
        return HttpResponse(status=204)
    user = await request.auser()
    membership = getattr(request, "membership", None)
    if not user.is_authenticated:
        return HttpResponse("Faça login.", status=401, content_type="text/plain; charset=utf-8")
    if membership is None:
        return HttpResponse(
            "Você não faz parte de nenhuma clínica ativa.",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    response = StreamingHttpResponse(
        event_stream(
            hub=realtime_hub(),
            tenant_id=membership.tenant_id,
            after_id=_last_event_id(request),
            heartbeat_seconds=settings.MESSAGING_SSE_HEARTBEAT_SECONDS,
        ),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
