"""The SSE endpoint under a real ASGI server (uvicorn in a thread, real sockets, real database).

WSGI test servers buffer streams, so this is the only test that proves frames leave the server
as they happen. On PostgreSQL the process's hub is fed by LISTEN/NOTIFY (`messaging/hub.py`): the
poll interval is set to 30 s there, so an event arriving within 2 s can only have come through a
NOTIFY. On SQLite the hub polls (0.2 s). Run the file on both databases.
"""

import queue
import threading
import time
from collections.abc import Iterator
from functools import partial
from typing import Any

import httpx
import pytest
from django.db import connection
from django.test import Client

from clinicrm.core.models import Tenant, User
from clinicrm.core.tests.processes import wait_for
from clinicrm.messaging import hub as hub_module
from clinicrm.messaging import sse
from clinicrm.messaging.services import realtime_event_emit
from tests.asgi_server import asgi_server

pytestmark = pytest.mark.django_db(transaction=True)

ARRIVAL_SECONDS = 2.0
ON_POSTGRES = connection.vendor == "postgresql"


@pytest.fixture
def asgi_url(settings) -> Iterator[str]:
    settings.MESSAGING_SSE_POLL_SECONDS = 30.0 if ON_POSTGRES else 0.2
    settings.MESSAGING_SSE_HEARTBEAT_SECONDS = 30.0
    with asgi_server() as url:
        yield url


def _session_cookie(user: User) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    return {"sessionid": client.cookies["sessionid"].value}


class Stream:
    """Reads one SSE response on a thread; frames (id, event, data) land in `frames`."""

    def __init__(
        self, url: str, user: User, tenant: Tenant, last_event_id: int | None = None
    ) -> None:
        self.tenant = tenant
        self.frames: queue.Queue[tuple[int, str, str]] = queue.Queue()
        self.status: queue.Queue[int] = queue.Queue()
        self.ended = threading.Event()  # the response is over (the server ended it, or close())
        self.last_id: int | None = None  # what EventSource would send as Last-Event-ID
        self.ready_id: int | None = None  # a first stream's "ready" event: where it starts
        self._stop = threading.Event()
        headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
        self._client = httpx.Client(
            cookies=_session_cookie(user), timeout=httpx.Timeout(5, read=60)
        )
        self._thread = threading.Thread(
            target=self._read, args=(f"{url}/eventos/", headers), daemon=True
        )
        self._thread.start()
        assert self.status.get(timeout=10) == 200

    def _read(self, url: str, headers: dict[str, str]) -> None:
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                self.status.put(response.status_code)
                assert response.headers["content-type"].startswith("text/event-stream")
                fields: dict[str, str] = {}
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return
                    if line.startswith(("id:", "event:", "data:")):
                        name, _, value = line.partition(":")
                        fields[name] = value.strip()
                    elif line == "" and "id" in fields:
                        if fields.get("event") == "ready":
                            self.ready_id = int(fields["id"])
                        else:
                            self.frames.put((int(fields["id"]), fields["event"], fields["data"]))
                        self.last_id = int(fields["id"])
                        fields = {}
        except (httpx.HTTPError, AssertionError):
            self.status.put(-1)
        finally:
            self._client.close()
            self.ended.set()

    def next(self, timeout: float = ARRIVAL_SECONDS) -> tuple[int, str, str]:
        return self.frames.get(timeout=timeout)

    def close(self) -> None:
        """The browser goes away: the reader drops the connection at its next line (a blocked
        read cannot be interrupted from here; stopping the server ends it at teardown)."""
        self._stop.set()

    def join(self) -> None:
        self._thread.join(timeout=10)
        assert not self._thread.is_alive()


@pytest.fixture
def streams() -> Iterator[list[Stream]]:
    opened: list[Stream] = []
    yield opened
    for stream in opened:
        stream.close()
    # Wake the blocked readers so they hang up: the server then sees a client disconnect (as
    # in production) and the stream releases its database connection.
    for tenant in {stream.tenant for stream in opened}:
        _emit(tenant, 0)
    for stream in opened:
        stream.join()


def _emit(tenant: Tenant, n: int) -> int:
    return realtime_event_emit(tenant=tenant, kind="message", payload={"thread": n}).pk


def _server_hubs() -> list[hub_module.RealtimeHub]:
    return [hub for loop, hub in list(hub_module._hubs.items()) if not loop.is_closed()]


def _wait_listening() -> None:
    """Wait until the server's hub listens (PostgreSQL) or polls (SQLite): the first stream
    starts it."""
    wait_for(
        lambda: (hubs := _server_hubs()) and all(h.connected for h in hubs),
        timeout=10,
        what="the realtime hub to connect",
    )


def test_events_arrive_live_and_replay_after_reconnect(
    asgi_url, tenant, other_tenant, owner, other_owner, streams
) -> None:
    alfa = Stream(asgi_url, owner, tenant)
    beta = Stream(asgi_url, other_owner, other_tenant)
    streams += [alfa, beta]
    _wait_listening()

    started = time.monotonic()
    first = _emit(tenant, 1)
    assert alfa.next() == (first, "message", '{"thread":1}')
    assert time.monotonic() - started < ARRIVAL_SECONDS
    second = _emit(tenant, 2)
    assert alfa.next()[0] == second

    # While alfa's browser is away, three events happen (and one of another tenant).
    alfa.close()
    missed = [_emit(tenant, 3), _emit(tenant, 4)]
    foreign = _emit(other_tenant, 99)
    missed.append(_emit(tenant, 5))

    again = Stream(asgi_url, owner, tenant, last_event_id=second)
    streams.append(again)
    assert [again.next()[0] for _ in missed] == missed  # exactly the missed ones, in order
    live = _emit(tenant, 6)
    assert again.next()[0] == live  # events arrive in order: nothing came between

    # The other tenant's stream saw only its own events (again: in order, nothing between).
    assert beta.next()[0] == foreign
    beta_live = _emit(other_tenant, 100)
    assert beta.next()[0] == beta_live


def test_other_tenant_events_never_arrive(asgi_url, tenant, other_tenant, owner, streams) -> None:
    alfa = Stream(asgi_url, owner, tenant, last_event_id=0)
    streams.append(alfa)
    _wait_listening()
    for n in range(5):
        _emit(other_tenant, n)
    mine = _emit(tenant, 7)
    # The hub delivers in commit order: had a foreign event leaked, it would come first.
    assert alfa.next()[0] == mine


def test_open_streams_run_no_query_while_they_wait(
    asgi_url, tenant, owner, streams, monkeypatch
) -> None:
    """The stream queries only to replay at open; the hub does the rest (PostgreSQL: no query at
    all, SQLite: one poll per tick for the whole process, however many streams)."""
    replays: list[float] = []
    polls: list[float] = []
    real_replay, real_poll = sse.realtime_events_after, hub_module._rows_after

    def counting_replay(**kwargs: Any) -> Any:
        replays.append(time.monotonic())
        return real_replay(**kwargs)

    def counting_poll(**kwargs: Any) -> Any:
        polls.append(time.monotonic())
        return real_poll(**kwargs)

    monkeypatch.setattr(sse, "realtime_events_after", counting_replay)
    monkeypatch.setattr(hub_module, "_rows_after", counting_poll)
    opened = [Stream(asgi_url, owner, tenant) for _ in range(10)]
    streams.extend(opened)
    _wait_listening()
    assert replays == []  # first connections start from now: nothing to replay
    if not ON_POSTGRES:
        # One poll per 0.2 s tick for the process: ten streams polling would come in bursts.
        before = len(polls)
        wait_for(lambda: len(polls) >= before + 4, timeout=10, what="four hub polls")
        gaps = [b - a for a, b in zip(polls[before:], polls[before + 1 :], strict=False)]
        assert min(gaps) > 0.1, gaps
    mine = _emit(tenant, 1)
    assert all(stream.next()[0] == mine for stream in opened)
    assert replays == []
    if ON_POSTGRES:
        assert polls == []  # the event came by NOTIFY


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL: counts server sessions")
def test_open_streams_hold_no_database_connection(asgi_url, tenant, owner, streams) -> None:
    opened = [Stream(asgi_url, owner, tenant) for _ in range(25)]
    streams.extend(opened)
    _wait_listening()
    # The server's sessions on the test database: the hub's LISTEN and nothing per stream.
    wait_for(lambda: _other_sessions() <= 1, timeout=10, what="the streams' connections to close")
    mine = _emit(tenant, 1)
    assert all(stream.next()[0] == mine for stream in opened)


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL: kills the hub's LISTEN session")
def test_the_hub_reconnects_by_itself_and_catches_up(asgi_url, tenant, owner, streams) -> None:
    alfa = Stream(asgi_url, owner, tenant)
    streams.append(alfa)
    _wait_listening()
    (hub,) = _server_hubs()
    for round_ in range(3):
        killed = hub.backend_pid
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [killed])
        # Committed while the hub is (probably) not listening: only the catch-up can bring it.
        missed = _emit(tenant, round_)
        assert alfa.next(timeout=15)[0] == missed
        wait_for(partial(_relistened, hub, killed), what="the hub to LISTEN again")
        live = _emit(tenant, 100 + round_)
        assert alfa.next()[0] == live
    last = _emit(tenant, 200)
    assert alfa.next()[0] == last  # and nothing twice: the next frame is the next event


def _relistened(hub: hub_module.RealtimeHub, killed: int | None) -> bool:
    return hub.connected and hub.backend_pid != killed


def _other_sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


def test_anonymous_is_refused_over_asgi(asgi_url) -> None:
    response = httpx.get(f"{asgi_url}/eventos/", timeout=5)
    assert response.status_code == 401
