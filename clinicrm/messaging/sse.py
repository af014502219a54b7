"""Server-Sent Events for the tenant's members (ASGI only: WSGI servers buffer the stream).

The tenant is resolved once at connect. The loop then runs one small indexed query per tick
(`realtime_events_after`) through `sync_to_async`, forwards rows as SSE frames (`id:` = the
RealtimeEvent id, so a reconnecting browser sends `Last-Event-ID` and gets what it missed),
and writes a heartbeat comment when idle. No templates, no personal data: the page fetches
fragments with htmx when told something changed.

Production path on PostgreSQL: `realtime_event_emit` already NOTIFYs `realtime_<tenant>` on
commit; a per-process LISTEN connection (psycopg async) can replace the sleep below to wake
streams at once. Polling at ~1 s keeps SQLite and PostgreSQL on the same code meanwhile.
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from clinicrm.core.tenancy import resolve_membership
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
    started = last_write = time.monotonic()
    while time.monotonic() - started < max_seconds:
        rows = await fetch(tenant_id=tenant_id, after_id=after_id)
        for event_id, kind, payload in rows:
            after_id = event_id
            yield sse_frame(event_id, kind, payload)
            last_write = time.monotonic()
        if time.monotonic() - last_write >= heartbeat_seconds:
            yield ": ping\n\n"
            last_write = time.monotonic()
        if not rows:
            await asyncio.sleep(poll_seconds)


@require_GET
async def events(request: HttpRequest) -> HttpResponseBase:
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
