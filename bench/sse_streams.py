"""Benchmark: N open SSE streams on granian (2 workers) + worker, on PostgreSQL.

For each N (default 500, 2000, 5000): open N `/eventos/` streams of one clinic at a steady rate
(raw asyncio HTTP/1.1, chunked decoding; one login session per tab, spread over `--users`
members), then post `--messages` Evolution `messages.upsert` webhooks (one every `--gap` s) that
a `manage.py worker` turns into messages and realtime events. It reports:

- open time (first request to last stream answering), failed opens, 503s retried;
- reconnections: a tab behaves like the page (notifier.js): when the server ends a stream it
  reconnects with Last-Event-ID, after a 503 it backs off and retries; an event counts as missed
  only if a tab never received it, across all its reconnections (and twice-received are counted);
- RSS of each granian worker process;
- PostgreSQL sessions on the database with the streams open, and their peak while opening and
  posting (neither must grow with N);
- fan-out latency from each webhook POST to each stream receiving that message's event
  (p50 / p99 / max over every (stream, message) pair), and missed events;
- a page (`/pacientes/`) and a webhook served while the streams are open (status, latency).

    .venv/bin/python -m bench.sse_streams [--streams 500,2000,5000] [--messages 20] [--gap 0.5]
        [--open-rate 250] [--users 500] [--stream-seconds S] [--worker worker|db_worker]
        [--url postgres://.../bench_sse]

Needs `ulimit -n` above 2 x N (the client and the server each hold N sockets). The database
is created and migrated at each run and dropped at the end. Nothing is left running.
"""

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import resource
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from bench.webhooks_load import (
    APIKEY,
    PYTHON,
    ROOT,
    _delivery,
    _django_setup,
    _env,
    _free_port,
    _make_channels,
    _pct,
    _recreate_database,
    _rss_mb,
    _start_granian,
    _stop,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_sse"
# granian: room for every stream (backlog and per-worker concurrency), see README production.
GRANIAN_ARGS = "--backlog 16384 --backpressure 8192"


@dataclass
class Reader:
    """One browser tab's stream, across its reconnections: the (event id, message id, arrival
    time, connection number) of every event received; connection 0 is the first stream."""

    cookie: str
    opened: float = 0.0
    status: int = 0  # of the first answer that was not a 503
    retries: int = 0  # 503s answered and retried
    reconnections: int = 0  # streams the server ended that the tab resumed
    last_id: str = ""
    events: list[tuple[int, int | None, float, int]] = field(default_factory=list)


async def _read_stream(port: int, state: Reader, stop: asyncio.Event) -> None:
    """Behave like the page (static/clinicrm/notifier.js): EventSource reconnects by itself
    `retry:` ms after a stream ends, sending Last-Event-ID; after an error status (503 while
    the database is saturated) the page reconnects itself, backing off from 2 s to 60 s."""
    retry_ms = 2000
    backoff = 2.0
    connection = 0
    while not stop.is_set():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        resume = f"Last-Event-ID: {state.last_id}\r\n" if state.last_id else ""
        writer.write(
            (
                f"GET /eventos/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Cookie: sessionid={state.cookie}\r\nAccept: text/event-stream\r\n{resume}\r\n"
            ).encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        if status == 503 and state.retries < 20:
            writer.close()
            state.retries += 1
            await asyncio.sleep(backoff * (0.5 + random.random()))
            backoff = min(backoff * 2, 60.0)
            continue
        if status != 200:
            writer.close()
            state.status = state.status or status
            return
        backoff = 2.0
        if state.status == 0:
            state.status, state.opened = 200, time.monotonic()
        else:
            state.reconnections += 1
        try:
            retry_ms = await _read_events(reader, state, connection) or retry_ms
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
        connection += 1
        await asyncio.sleep(retry_ms / 1000)


async def _read_events(reader: asyncio.StreamReader, state: Reader, connection: int) -> int | None:
    """Read one chunked SSE response to its end; returns the last `retry:` the server sent."""
    buf = b""
    fields: dict[str, str] = {}
    retry_ms = None
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.strip() or b"0", 16)
        if size == 0:
            return retry_ms
        buf += await reader.readexactly(size)
        await reader.readexactly(2)
        *lines, buf = buf.split(b"\n")
        for raw in lines:
            line = raw.decode()
            if line.startswith(("id:", "event:", "data:", "retry:")):
                name, _, value = line.partition(":")
                fields[name] = value.strip()
            elif line == "" and "retry" in fields:
                retry_ms = int(fields.pop("retry"))
            elif line == "" and "id" in fields:
                data = json.loads(fields.get("data") or "{}")
                state.last_id = fields["id"]
                state.events.append(
                    (int(fields["id"]), data.get("message"), time.monotonic(), connection)
                )
                fields = {}


async def _post(port: int, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, float]:
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
        f"Connection: close\r\n{head}\r\n".encode()
        + body
    )
    status_line = await reader.readline()
    await reader.read()
    writer.close()
    return int(status_line.split()[1]), time.monotonic() - started


async def _get(port: int, path: str, cookie: str) -> tuple[int, float]:
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: sessionid={cookie}\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    status_line = await reader.readline()
    await reader.read()
    writer.close()
    return int(status_line.split()[1]), time.monotonic() - started


def _pg_sessions(url: str) -> int:
    import psycopg

    name = url.rsplit("/", 1)[-1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name]
        ).fetchone()
    return int(row[0]) if row else 0


async def _settle(readers: list[Reader], keys: list[str], limit: float) -> float | None:
    """Wait until every open tab received every posted message (a tab between two streams
    gets them when it resumes), or `limit` s; returns the wait, None when not settled."""
    started = time.monotonic()
    while (waited := time.monotonic() - started) < limit:
        wanted = set((await asyncio.to_thread(_message_ids, keys)).values())
        if len(wanted) == len(keys) and all(
            wanted <= {mid for _, mid, _, _ in r.events} for r in readers if r.status == 200
        ):
            return waited
        await asyncio.sleep(0.5)
    return None


async def _sample_sessions(url: str, peak: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        peak.append(await asyncio.to_thread(_pg_sessions, url))
        await asyncio.sleep(1)


def _login_cookies(tenant_id: Any, count: int, users: int) -> list[str]:
    """`count` sessions (one per tab) of `users` members, as a login would leave them: each
    stream open loads its own session, user and membership, as with real staff."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.base import VALID_KEY_CHARS
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from clinicrm.core.accounts.middleware import session_stamp_login
    from clinicrm.core.models import Membership, Role, User

    tag = uuid.uuid4().hex[:6]
    members = User.objects.bulk_create(
        User(email=f"bench-{tag}-{i}@bench.test", password="!") for i in range(users)
    )
    Membership.objects.bulk_create(
        Membership(tenant_id=tenant_id, user=user, role=Role.SECRETARY) for user in members
    )
    store = SessionStore()  # only to encode: keys are random, unlike a login's no query each
    expires = timezone.now() + dt.timedelta(hours=1)
    rows = []
    for i in range(count):
        user = members[i % users]
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "clinicrm.core.accounts.backends.ThrottledModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        session_stamp_login(data)
        key = get_random_string(32, VALID_KEY_CHARS)
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
    Session.objects.bulk_create(rows, batch_size=1000)
    return [row.session_key for row in rows]


def _message_ids(keys: list[str]) -> dict[str, int]:
    from clinicrm.messaging.models import Message

    rows = Message.objects.filter(provider_message_id__in=keys).values_list(
        "provider_message_id", "pk"
    )
    return {str(key): int(pk) for key, pk in rows}


def _event_rows(message_ids: list[int]) -> dict[int, float]:
    """Message id -> wall-clock time its realtime event row was written."""
    from clinicrm.messaging.models import RealtimeEvent

    rows = RealtimeEvent.objects.filter(kind="message").values_list("payload", "created_at")
    wanted = set(message_ids)
    return {
        int(payload["message"]): created.timestamp()
        for payload, created in rows
        if payload.get("message") in wanted
    }


async def _run_n(args: argparse.Namespace, n: int, port: int, ctx: dict[str, Any]) -> None:
    stop = asyncio.Event()
    readers = [Reader(cookie=cookie) for cookie in ctx["cookies"]]
    peak: list[int] = []
    sampler = asyncio.create_task(_sample_sessions(args.url, peak, stop))
    started = time.monotonic()
    tasks = []
    for i, state in enumerate(readers):
        tasks.append(asyncio.create_task(_read_stream(port, state, stop)))
        # Steady opening rate (a reconnect storm after a deploy is the harder case; see note).
        delay = started + (i + 1) / args.open_rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
    deadline = time.monotonic() + 300
    while any(r.status == 0 for r in readers) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    opened = [r for r in readers if r.status == 200]
    open_seconds = max((r.opened for r in opened), default=started) - started
    await asyncio.sleep(2)
    rss = _rss_mb(ctx["granian"].pid)
    sessions = _pg_sessions(args.url)

    posted: dict[str, float] = {}
    posted_wall: dict[str, float] = {}
    side: list[tuple[str, int, float]] = []
    for m in range(args.messages):
        body = _delivery(ctx["serial"])
        ctx["serial"] += 1
        key = json.loads(body)["data"]["key"]["id"]
        posted[key] = time.monotonic()
        posted_wall[key] = time.time()
        status, _ = await _post(port, ctx["hook"], body, {"apikey": APIKEY})
        if status != 200:
            side.append(("webhook-in-run", status, 0.0))
        if m % 5 == 0:
            side.append(("page", *(await _get(port, "/pacientes/", ctx["cookies"][0]))))
        await asyncio.sleep(args.gap)
    settled = await _settle(readers, list(posted), args.settle)
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await sampler

    ids = await asyncio.to_thread(_message_ids, list(posted))
    by_message = {ids[key]: t for key, t in posted.items() if key in ids}
    written = await asyncio.to_thread(_event_rows, list(by_message))
    # Webhook POST -> event row, in posting order: flat, or growing message after message?
    to_row = [
        (written[ids[key]] - posted_wall[key]) * 1000
        for key in posted
        if key in ids and ids[key] in written
    ]
    latencies: list[float] = []
    missed = twice = resumed = 0
    for state in opened:
        got: dict[int, float] = {}
        for _, mid, t, connection in state.events:
            if mid not in by_message:
                continue
            if mid in got:
                twice += 1
                continue
            got[mid] = t
            resumed += connection > 0
        missed += len(by_message) - len(got)
        latencies.extend(t - by_message[mid] for mid, t in got.items())
    pages = [s for s in side if s[0] == "page"]
    print(
        f"\nN = {n}: opened {len(opened)}/{n} in {open_seconds:.1f} s "
        f"(failed {n - len(opened)}, 503s retried {sum(r.retries for r in readers)});"
        f" messages stored {len(by_message)}/{len(posted)}"
    )
    after = (
        f"every tab had every message {settled:.1f} s after the last POST"
        if settled is not None
        else f"NOT every tab had every message {args.settle:.0f} s after the last POST"
    )
    print(
        "  reconnections (a stream the server ended, resumed with Last-Event-ID):"
        f" {sum(r.reconnections for r in opened)}; {after}"
    )
    print(
        "  RSS per granian process (MB): "
        + ", ".join(f"{v:.0f}" for v in sorted(rss.values(), reverse=True))
    )
    print(
        f"  PostgreSQL sessions on the database: {sessions} with every stream open and idle,"
        f" at most {max(peak, default=0)} while opening and posting (sampled each second)"
    )
    print(
        "  webhook POST -> event row (ms, in posting order): "
        + " ".join(f"{v:.0f}" for v in to_row)
    )
    print(
        f"  fan-out latency from the webhook POST (ms): p50 {_pct(latencies, 0.5) * 1000:.0f}"
        f"  p99 {_pct(latencies, 0.99) * 1000:.0f}"
        f"  max {max(latencies, default=float('nan')) * 1000:.0f}"
        f"  over {len(latencies)} deliveries ({resumed} of them after a resume);"
        f" missed {missed} of {len(by_message) * len(opened)}, received twice {twice}"
    )
    print(
        "  pages while open: "
        + ", ".join(f"{s[1]} in {s[2] * 1000:.0f} ms" for s in pages)
        + (
            f"; non-200 webhooks: {[s for s in side if s[0] != 'page']}"
            if len(side) > len(pages)
            else ""
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--streams", default="500,2000,5000")
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--gap", type=float, default=0.5)
    parser.add_argument("--open-rate", type=float, default=250.0)
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument(
        "--settle",
        type=float,
        default=30.0,
        help="after the last POST, wait this long at most for every tab to have every message",
    )
    parser.add_argument(
        "--stream-seconds",
        type=float,
        help="the server's MESSAGING_SSE_MAX_SECONDS (default 300): set it below the run to make"
        " every tab reconnect and resume while messages are posted",
    )
    parser.add_argument(
        "--users", type=int, default=500, help="members the N tabs belong to (one session per tab)"
    )
    parser.add_argument(
        "--no-pool",
        action="store_true",
        help="without psycopg's pool (DATABASE_POOL=0): every open takes its own connection",
    )
    parser.add_argument(
        "--worker",
        default="worker",
        help="worker command: `worker` (ours) or `db_worker` (the package's, to see its drift)",
    )
    args = parser.parse_args()
    counts = [int(x) for x in args.streams.split(",")]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(counts) * 2 + 1024)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    # The production setting: each process's sessions are bounded by its pool.
    os.environ["DATABASE_POOL"] = "0" if args.no_pool else "1"
    if args.stream_seconds:
        os.environ["MESSAGING_SSE_MAX_SECONDS"] = str(args.stream_seconds)
    _recreate_database(args.url)
    _django_setup(args.url)
    from clinicrm.messaging.models import Channel

    token = _make_channels()["evolution"]
    tenant_id = Channel.objects.get(webhook_token=token).tenant_id
    ctx: dict[str, Any] = {"hook": f"/webhooks/evolution/{token}/", "serial": 0}
    port = _free_port()
    ctx["granian"] = _start_granian(args.url, port, args.web_workers, GRANIAN_ARGS)
    worker = subprocess.Popen(
        [PYTHON, "manage.py", args.worker, "--queue-name", "*", "--no-reload", "-v", "0"],
        cwd=ROOT,
        env=_env(args.url),
        start_new_session=True,
    )
    try:
        print(
            f"granian --workers {args.web_workers} {GRANIAN_ARGS}; 1 x manage.py {args.worker};"
            f" DATABASE_POOL={os.environ['DATABASE_POOL']}"
            f" DATABASE_POOL_MAX={os.environ.get('DATABASE_POOL_MAX', '10 (default)')}"
            f" MESSAGING_SSE_MAX_SECONDS={os.environ.get('MESSAGING_SSE_MAX_SECONDS', '300')}"
        )
        for n in counts:
            ctx["cookies"] = _login_cookies(tenant_id, n, min(n, args.users))
            asyncio.run(_run_n(args, n, port, ctx))
    finally:
        _stop(worker)
        _stop(ctx["granian"])
        _drop_database(args.url)


def _drop_database(url: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    name = url.rsplit("/", 1)[-1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
