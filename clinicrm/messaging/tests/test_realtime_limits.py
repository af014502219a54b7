"""More open streams than the database allows connections: pages and webhooks keep working.

A real web process (granian, as in production) runs as a PostgreSQL role limited to a handful
of connections. Before the hub, every open `/eventos/` stream held one of them for its whole
life: the 7th tab took the last one, and pages and webhooks got 500 (nothing stored). Now the
streams hold none. When connections really run out (the test takes them all), requests answer
503 with Retry-After, and work again as soon as one is free.
"""

import queue
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from django.db import connection
from django.test import Client

from clinicrm.core.dbutil import listen_connection_params
from clinicrm.core.tests.processes import child_process, wait_for
from clinicrm.integrations.models import InboundEvent
from clinicrm.messaging.services import realtime_event_emit
from clinicrm.messaging.tests.test_sse_asgi import Stream
from tests.asgi_server import free_port

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL connection limits"),
    pytest.mark.concurrency,
    pytest.mark.xdist_group("concurrency"),
    pytest.mark.django_db(transaction=True),
]

ROLE = "clinicrm_test_limited"
LIMIT = 6
STREAMS = 20
WEBHOOK_TOKEN = "limits-token"


def _limited_role() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "DO $$ BEGIN CREATE ROLE clinicrm_test_limited LOGIN;"
            " EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
        # BYPASSRLS: this role is about the connection limit; the row-level-security policies an
        # earlier test of the same database may have installed are not its subject.
        cursor.execute(f"ALTER ROLE {ROLE} CONNECTION LIMIT {LIMIT} BYPASSRLS")
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {ROLE}")
        cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {ROLE}")


@pytest.fixture
def server() -> Iterator[str]:
    _limited_role()
    db = connection.settings_dict
    port = free_port()
    granian = str(Path(sys.executable).parent / "granian")
    env = {
        "DATABASE_URL": f"postgres://{ROLE}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "ASAAS_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
        "MESSAGING_SSE_HEARTBEAT_SECONDS": "2",
        "DJANGO_DEBUG": "0",
    }
    cmd = [granian, "--interface", "asginl", "--port", str(port), "--workers", "1"]
    with child_process([*cmd, "clinicrm.config.asgi:application"], env) as proc:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _up(url) or proc.poll() is not None, what="granian to start")
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        yield url


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/entrar/", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _webhook(url: str, n: int) -> httpx.Response:
    body = f'{{"id": "evt_limits_{n}", "event": "PAYMENT_CREATED", "payment": {{"id": "pay_{n}"}}}}'
    return httpx.post(
        f"{url}/webhooks/asaas/",
        content=body.encode(),
        headers={"asaas-access-token": WEBHOOK_TOKEN, "content-type": "application/json"},
        timeout=10,
    )


def _page(url: str, cookies: dict[str, str]) -> httpx.Response:
    return httpx.get(f"{url}/pacientes/", cookies=cookies, timeout=10)


def _until_listening(streams: list[Stream], tenant) -> None:
    """An event committed before the server's hub LISTENs is never pushed: probe until one
    arrives (the hub lives in the granian process, out of this test's reach)."""

    def probe_arrived() -> bool:
        realtime_event_emit(tenant=tenant, kind="thread", payload={"probe": True})
        try:
            streams[0].next(timeout=0.2)
        except queue.Empty:
            return False
        return True

    wait_for(probe_arrived, timeout=15, what="the hub to LISTEN")


def _next_from(stream: Stream, event_id: int) -> int:
    """The first frame at or after `event_id` (probes before it are skipped)."""
    while (got := stream.next(timeout=10)[0]) < event_id:
        pass
    return got


def test_streams_beyond_the_connection_limit_leave_pages_and_webhooks_working(
    server, tenant, owner
) -> None:
    client = Client()
    client.force_login(owner)
    cookies = {"sessionid": client.cookies["sessionid"].value}

    streams = [Stream(server, owner, tenant) for _ in range(STREAMS)]  # > LIMIT, all 200
    try:
        assert _page(server, cookies).status_code == 200
        assert _webhook(server, 1).status_code == 200
        assert InboundEvent.objects.filter(event_id="evt_limits_1").exists()
        _until_listening(streams, tenant)
        event = realtime_event_emit(tenant=tenant, kind="thread", payload={"thread": 1})
        assert all(_next_from(stream, event.pk) == event.pk for stream in streams)

        # Now take every connection the role has: the site degrades to 503, never 500.
        held = [
            psycopg.connect(**{**listen_connection_params(), "user": ROLE})
            for _ in range(LIMIT - 1)  # the server's hub holds the last one
        ]
        try:
            page = _page(server, cookies)
            assert page.status_code == 503 and page.headers["Retry-After"] == "5"
            hook = _webhook(server, 2)
            assert hook.status_code == 503 and hook.headers["Retry-After"] == "5"
        finally:
            for conn in held:
                conn.close()
        assert _page(server, cookies).status_code == 200
        assert _webhook(server, 2).status_code == 200
        assert InboundEvent.objects.filter(event_id__startswith="evt_limits_").count() == 2
    finally:
        for stream in streams:
            stream.close()
        event = realtime_event_emit(tenant=tenant, kind="thread", payload={"thread": 2})
        for stream in streams:
            stream.join()
