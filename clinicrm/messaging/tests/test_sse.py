"""The SSE view and the hub's fan-out, in process (the live path under a real ASGI server and
the database is proven in test_sse_asgi.py)."""

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient

from clinicrm.messaging.hub import QUEUE_SIZE, RealtimeHub, realtime_hub, tenant_key
from clinicrm.messaging.services import realtime_event_emit
from clinicrm.messaging.sse import event_stream


async def _read_frames(response, count: int, timeout: float = 5.0) -> list[str]:
    frames: list[str] = []
    iterator = response.streaming_content.__aiter__()

    async def collect():
        while len(frames) < count:
            chunk = await iterator.__anext__()
            text = chunk.decode() if isinstance(chunk, bytes) else chunk
            if text.startswith("id:") and "\nevent: ready\n" not in text:
                frames.append(text)

    try:
        await asyncio.wait_for(collect(), timeout)
    finally:
        await iterator.aclose()
        await realtime_hub().stop()
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


@pytest.mark.django_db
def test_replays_events_after_last_event_id_of_own_tenant_only(tenant, other_tenant, owner):
    first = realtime_event_emit(tenant=tenant, kind="message", payload={"thread": 1})
    realtime_event_emit(tenant=other_tenant, kind="message", payload={"thread": 99})
    second = realtime_event_emit(
        tenant=tenant, kind="status", payload={"thread": 1, "status": "read"}
    )
    frames = _stream(owner, headers={"Last-Event-ID": str(first.pk)})
    assert _parse(frames[0]) == (second.pk, "status", {"thread": 1, "status": "read"})
    frames = _stream(owner, query=f"?last_event_id={first.pk - 1}", count=2)
    assert [_parse(f)[0] for f in frames] == [first.pk, second.pk]


@pytest.mark.django_db
def test_a_replay_longer_than_one_page_is_complete(tenant, owner):
    ids = [
        realtime_event_emit(tenant=tenant, kind="thread", payload={"thread": n}).pk
        for n in range(450)
    ]
    frames = _stream(owner, headers={"Last-Event-ID": str(ids[0] - 1)}, count=450)
    assert [_parse(f)[0] for f in frames] == ids


@pytest.mark.django_db
def test_anonymous_is_refused(db):
    async def run():
        return await AsyncClient().get("/eventos/")

    assert async_to_sync(run)().status_code == 401


@pytest.mark.django_db
def test_a_wsgi_server_gets_204_instead_of_an_endless_buffered_stream(owner_client):
    # Under WSGI the stream would be consumed into memory forever; EventSource stops on 204.
    response = owner_client.get("/eventos/")
    assert response.status_code == 204
    assert not response.streaming


@pytest.mark.parametrize("bad", ["-1", "abc", "99999999999999999999999"])
@pytest.mark.django_db
def test_a_bad_last_event_id_starts_from_now(owner, bad):
    async def run():
        client = AsyncClient()
        await client.aforce_login(owner)
        response = await client.get("/eventos/", headers={"Last-Event-ID": bad})
        iterator = response.streaming_content.__aiter__()  # type: ignore[attr-defined]
        first = await iterator.__anext__()
        await iterator.aclose()
        await realtime_hub().stop()
        return response.status_code, first

    status, first = async_to_sync(run)()
    assert status == 200
    assert first.startswith(b"retry:")


# --- the hub's fan-out, without a database ------------------------------------------------


def _run(coro_fn) -> None:
    """Run a database-free coroutine on a fresh loop in its own thread (an earlier test in this
    process, e.g. Playwright's, may have a loop running in the main thread)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coro_fn()).result()


def _hub_deliver(hub: RealtimeHub, tenant: str, event_id: int) -> None:
    hub._deliver(tenant, (event_id, "message", {"thread": event_id}))


def test_the_hub_routes_by_tenant_and_drops_duplicates():
    async def run():
        hub = RealtimeHub(listen=False, poll_seconds=60)
        hub.start = lambda: None  # type: ignore[method-assign]  # no database here
        with hub.subscribe("a" * 32) as alfa, hub.subscribe("b" * 32) as beta:
            _hub_deliver(hub, "a" * 32, 1)
            _hub_deliver(hub, "a" * 32, 1)  # the catch-up after a reconnection re-reads it
            _hub_deliver(hub, "b" * 32, 2)
            _hub_deliver(hub, "c" * 32, 3)  # nobody here
            assert [alfa.queue.get_nowait()[0]] == [1] and alfa.queue.empty()
            assert [beta.queue.get_nowait()[0]] == [2] and beta.queue.empty()
        assert hub.streams == 0

    _run(run)


def test_a_stream_that_cannot_keep_up_is_ended_not_blocking_the_others():
    async def run():
        hub = RealtimeHub(listen=False, poll_seconds=60)
        hub.start = lambda: None  # type: ignore[method-assign]
        key = tenant_key("5f0c6a1e-1111-4222-8333-444455556666")
        with hub.subscribe(key) as slow, hub.subscribe(key) as fast:
            for n in range(1, QUEUE_SIZE + 2):
                _hub_deliver(hub, key, n)
                if not fast.queue.empty():
                    fast.queue.get_nowait()
            assert slow.overflowed and not fast.overflowed

    _run(run)


def test_a_stream_beats_while_idle_forwards_each_event_once_and_ends_at_its_deadline():
    async def run():
        hub = RealtimeHub(listen=False, poll_seconds=60)
        hub.start = lambda: None  # type: ignore[method-assign]
        key = "a" * 32
        stream = event_stream(
            hub=hub, tenant_id=key, after_id=None, heartbeat_seconds=0.02, max_seconds=1.0
        )
        frames = [await anext(stream)]  # retry:, then subscribed
        while (frame := await anext(stream)) != ": ping\n\n":
            frames.append(frame)
        _hub_deliver(hub, key, 7)
        _hub_deliver(hub, key, 7)  # a catch-up re-reading it
        frames += [frame async for frame in stream]  # ends by itself at the deadline
        assert hub.streams == 0
        return frames

    with ThreadPoolExecutor(1) as pool:
        frames = pool.submit(asyncio.run, asyncio.wait_for(run(), 30)).result()
    assert frames[0].startswith("retry:")
    assert [f for f in frames if f.startswith("id:")] == [
        'id: 7\nevent: message\ndata: {"thread":7}\n\n'
    ]
