"""Server-Sent Events for the tenant's members (ASGI only: WSGI servers buffer the stream).

The tenant is resolved once at connect. The loop then runs one small indexed query per wake-up
(`realtime_events_after`) through `sync_to_async`, forwards rows as SSE frames (`id:` = the
RealtimeEvent id, so a reconnecting browser sends `Last-Event-ID` and gets what it missed),
and writes a heartbeat comment when idle. No templates, no personal data: the page fetches
fragments with htmx when told something changed.

On PostgreSQL the stream subscribes to the process's LISTEN hub (`listen.py`): it queries only
when a NOTIFY for its tenant wakes it, plus one safety query per heartbeat, and falls back to
polling while the hub's connection is down. On SQLite it polls every `poll_seconds`. Either way
each wake-up costs one small indexed query, never more.
"""

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.db import close_old_connections, connection
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from clinicrm.core.tenancy import resolve_membership
from clinicrm.messaging.listen import RealtimeHub, realtime_hub
from clinicrm.messaging.selectors import realtime_events_after, realtime_last_id

MAX_STREAM_SECONDS = 300  # then the browser reconnects (with Last-Event-ID): frees the worker
RETRY_MS = 2000


def _last_event_id(request: HttpRequest) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id") or ""
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if value >= 0 else None


def sse_frame(event_id: int, kind: str, payload: dict[str, Any]) -> str:
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=True)
    return f"id: {event_id}\nevent: {kind}\ndata: {data}\n\n"


async def event_stream(
    *,
    tenant_id: Any,
    after_id: int,
    poll_seconds: float,
    heartbeat_seconds: float,
    max_seconds: float = MAX_STREAM_SECONDS,
) -> AsyncIterator[str]:
    fetch = sync_to_async(realtime_events_after)
    yield f"retry: {RETRY_MS}\n\n"
    hub = realtime_hub()
    try:
        async for frame in _stream_loop(
            fetch=fetch,
            hub=hub,
            tenant_id=tenant_id,
            after_id=after_id,
            poll_seconds=poll_seconds,
            heartbeat_seconds=heartbeat_seconds,
            max_seconds=max_seconds,
        ):
            yield frame
    finally:
        # A dropped client cancels the stream before Django's request_finished fires: release
        # the connection our queries opened in this request's thread ourselves.
        with contextlib.suppress(Exception):
            await sync_to_async(_release_connection)()


def _release_connection() -> None:
    if not connection.in_atomic_block:  # never inside a caller's (or a test's) transaction
        close_old_connections()


async def _stream_loop(
    *,
    fetch: Any,
    hub: RealtimeHub | None,
    tenant_id: Any,
    after_id: int,
    poll_seconds: float,
    heartbeat_seconds: float,
    max_seconds: float,
) -> AsyncIterator[str]:
    with hub.subscribe(tenant_id) if hub else contextlib.nullcontext() as wake:
        started = last_write = time.monotonic()
        while time.monotonic() - started < max_seconds:
            if wake is not None:
                wake.clear()  # before the query: a NOTIFY landing after it re-wakes us
            rows = await fetch(tenant_id=tenant_id, after_id=after_id)
            for event_id, kind, payload in rows:
                after_id = event_id
                yield sse_frame(event_id, kind, payload)
                last_write = time.monotonic()
            if time.monotonic() - last_write >= heartbeat_seconds:
                yield ": ping\n\n"
                last_write = time.monotonic()
            if rows:
                continue  # a full page may hide more rows
            if wake is None or hub is None:
                await asyncio.sleep(poll_seconds)
                continue
            # Hub down: poll (it wakes us when it connects); hub up: sleep until a NOTIFY,
            # re-querying once per heartbeat as a safety net for a lost wake-up.
            idle = max(0.0, heartbeat_seconds - (time.monotonic() - last_write))
            timeout = idle if hub.connected else min(poll_seconds, idle)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=timeout)


@require_GET
async def events(request: HttpRequest) -> HttpResponseBase:
    if isinstance(request, WSGIRequest):
        # A WSGI server (runserver, pytest's live_server) would buffer this endless stream and
        # hold a thread forever. 204 tells EventSource to stop reconnecting; pages still work,
        # only without live updates. Production and the demo serve ASGI (granian).
        return HttpResponse(status=204)
    user = await request.auser()
    if not user.is_authenticated:
        return HttpResponse("Faça login.", status=401, content_type="text/plain; charset=utf-8")
    membership = await sync_to_async(resolve_membership)(request)
    if membership is None:
        return HttpResponse(
            "Você não faz parte de nenhuma clínica ativa.",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    tenant_id = membership.tenant_id
    after_id = _last_event_id(request)
    if after_id is None:
        # First connection: start from now (replay is for reconnections).
        after_id = await sync_to_async(realtime_last_id)(tenant_id=tenant_id)
    response = StreamingHttpResponse(
        event_stream(
            tenant_id=tenant_id,
            after_id=after_id,
            poll_seconds=settings.MESSAGING_SSE_POLL_SECONDS,
            heartbeat_seconds=settings.MESSAGING_SSE_HEARTBEAT_SECONDS,
        ),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
