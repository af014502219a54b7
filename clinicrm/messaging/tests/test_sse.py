import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient

from clinicrm.messaging.models import RealtimeEvent
from clinicrm.messaging.services import realtime_event_emit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _polling(settings):
    # These tests never commit, so NOTIFY (sent on commit) cannot fire: exercise the polling
    # path here; the LISTEN/NOTIFY path is proven under uvicorn in test_sse_asgi.py.
    settings.MESSAGING_SSE_LISTEN = False


async def _read_frames(response, count: int, timeout: float = 5.0) -> list[str]:
    frames: list[str] = []
    iterator = response.streaming_content.__aiter__()

    async def collect():
        while len(frames) < count:
            chunk = await iterator.__anext__()
            text = chunk.decode() if isinstance(chunk, bytes) else chunk
            if text.startswith("id:"):
                frames.append(text)

    try:
        await asyncio.wait_for(collect(), timeout)
    finally:
        await iterator.aclose()
    return frames


def _parse(frame: str) -> tuple[int, str, dict]:
    lines = dict(line.split(": ", 1) for line in frame.strip().splitlines())
    return int(lines["id"]), lines["event"], json.loads(lines["data"])


def _stream(owner, query: str = "", headers: dict | None = None, count: int = 1):
    async def run():
        client = AsyncClient()
        await client.aforce_login(owner)
        response = await client.get(f"/eventos/{query}", headers=headers or {})
        assert response.status_code == 200
        assert response["Content-Type"] == "text/event-stream"
        return await _read_frames(response, count)

    return async_to_sync(run)()


def test_replays_events_after_last_event_id_of_own_tenant_only(
    tenant, other_tenant, owner, settings
):
    settings.MESSAGING_SSE_POLL_SECONDS = 0.05
    first = realtime_event_emit(tenant=tenant, kind="message", payload={"thread": 1})
    realtime_event_emit(tenant=other_tenant, kind="message", payload={"thread": 99})
    second = realtime_event_emit(
        tenant=tenant, kind="status", payload={"thread": 1, "status": "read"}
    )
    frames = _stream(owner, headers={"Last-Event-ID": str(first.pk)})
    assert _parse(frames[0]) == (second.pk, "status", {"thread": 1, "status": "read"})
    frames = _stream(owner, query=f"?last_event_id={first.pk - 1}", count=2)
    assert [_parse(f)[0] for f in frames] == [first.pk, second.pk]


def test_first_connection_starts_from_now(tenant, owner, settings):
    settings.MESSAGING_SSE_POLL_SECONDS = 0.05
    realtime_event_emit(tenant=tenant, kind="message", payload={"thread": 1})

    async def run():
        client = AsyncClient()
        await client.aforce_login(owner)
        response = await client.get("/eventos/")
        # Emitted after the connection: the only event it sees.
        from asgiref.sync import sync_to_async

        await sync_to_async(realtime_event_emit)(
            tenant=tenant, kind="thread", payload={"thread": 2}
        )
        return await _read_frames(response, 1)

    frames = async_to_sync(run)()
    assert _parse(frames[0])[1:] == ("thread", {"thread": 2})
    assert RealtimeEvent.objects.count() == 2


def test_anonymous_is_refused(db):
    async def run():
        return await AsyncClient().get("/eventos/")

    assert async_to_sync(run)().status_code == 401


def test_a_wsgi_server_gets_204_instead_of_an_endless_buffered_stream(owner_client):
    # Under WSGI the stream would be consumed into memory forever; EventSource stops on 204.
    response = owner_client.get("/eventos/")
    assert response.status_code == 204
    assert not response.streaming
