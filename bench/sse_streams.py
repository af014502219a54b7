"""Benchmark: N open SSE streams on granian (2 workers) + worker, on PostgreSQL.

For each N (default 500, 2000, 5000): open N `/eventos/` streams of one clinic at a steady rate
(raw asyncio HTTP/1.1, chunked decoding), then post `--messages` Evolution `messages.upsert`
webhooks (one every `--gap` s) that a `manage.py worker` turns into messages and realtime
events. It reports:

- open time (first request to last stream answering), failed opens;
- RSS of each granian worker process;
- PostgreSQL sessions on the database while the streams are open (it must not grow with N);
- fan-out latency from each webhook POST to each stream receiving that message's event
  (p50 / p99 / max over every (stream, message) pair), and missed events;
- a page (`/pacientes/`) and a webhook served while the streams are open (status, latency).

    .venv/bin/python -m bench.sse_streams [--streams 500,2000,5000] [--messages 20] [--gap 0.5]
        [--open-rate 500] [--worker worker|db_worker] [--url postgres://.../bench_sse]

Needs `ulimit -n` above 2 x N (the client and the server each hold N sockets). The database
is dropped, re-created and migrated at each run. Nothing is left running.
"""

import argparse
import asyncio
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
    _make_channel,
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
    """One open stream: the (event id, message id, arrival time) of every event received."""

    opened: float = 0.0
    status: int = 0
    retries: int = 0
    events: list[tuple[int, int | None, float]] = field(default_factory=list)


async def _read_stream(port: int, cookie: str, reader_state: Reader, stop: asyncio.Event) -> None:
    """Open like a browser does: a 503 (database saturated) is retried after Retry-After."""
    while True:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            (
                f"GET /eventos/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Cookie: sessionid={cookie}\r\nAccept: text/event-stream\r\n\r\n"
            ).encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        if status != 503 or reader_state.retries >= 20:
            break
        writer.close()
        reader_state.retries += 1
        await asyncio.sleep(5 * (0.5 + random.random()))  # Retry-After: 5, with jitter
    reader_state.status = status
    reader_state.opened = time.monotonic()
    if reader_state.status != 200:
        writer.close()
        return
    buf = b""
    fields: dict[str, str] = {}
    try:
        while not stop.is_set():
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.strip() or b"0", 16)
            if size == 0:
                break
            buf += await reader.readexactly(size)
            await reader.readexactly(2)
            *lines, rest = buf.split(b"\n")
            buf = rest
            for raw in lines:
                line = raw.decode()
                if line.startswith(("id:", "event:", "data:")):
                    name, _, value = line.partition(":")
                    fields[name] = value.strip()
                elif line == "" and "id" in fields:
                    data = json.loads(fields.get("data") or "{}")
                    reader_state.events.append(
                        (int(fields["id"]), data.get("message"), time.monotonic())
                    )
                    fields = {}
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


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


def _login_cookie(tenant_id: Any) -> str:
    from django.test import Client

    from clinicrm.core.models import Membership, Role, User

    user = User.objects.create_user(email=f"bench-{uuid.uuid4().hex[:6]}@bench.test", password="x")
    Membership.objects.create(tenant_id=tenant_id, user=user, role=Role.SECRETARY)
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


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
    readers = [Reader() for _ in range(n)]
    started = time.monotonic()
    tasks = []
    for i, state in enumerate(readers):
        tasks.append(asyncio.create_task(_read_stream(port, ctx["cookie"], state, stop)))
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
            side.append(("page", *(await _get(port, "/pacientes/", ctx["cookie"]))))
        await asyncio.sleep(args.gap)
    await asyncio.sleep(3)  # let the last events arrive
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

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
    missed = 0
    for state in opened:
        got = {mid: t for _, mid, t in state.events if mid in by_message}
        missed += len(by_message) - len(got)
        latencies.extend(t - by_message[mid] for mid, t in got.items())
    pages = [s for s in side if s[0] == "page"]
    print(
        f"\nN = {n}: opened {len(opened)}/{n} in {open_seconds:.1f} s "
        f"(failed {n - len(opened)}, 503s retried {sum(r.retries for r in readers)});"
        f" messages stored {len(by_message)}/{len(posted)}"
    )
    print(
        "  RSS per granian process (MB): "
        + ", ".join(f"{v:.0f}" for v in sorted(rss.values(), reverse=True))
    )
    print(f"  PostgreSQL sessions on the database while open: {sessions}")
    print(
        "  webhook POST -> event row (ms, in posting order): "
        + " ".join(f"{v:.0f}" for v in to_row)
    )
    print(
        f"  fan-out latency from the webhook POST (ms): p50 {_pct(latencies, 0.5) * 1000:.0f}"
        f"  p99 {_pct(latencies, 0.99) * 1000:.0f}"
        f"  max {max(latencies, default=float('nan')) * 1000:.0f}"
        f"  over {len(latencies)} deliveries; missed {missed}"
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
    _recreate_database(args.url)
    _django_setup(args.url)
    from clinicrm.messaging.models import Channel

    token = _make_channel()
    tenant_id = Channel.objects.get(webhook_token=token).tenant_id
    ctx: dict[str, Any] = {
        "cookie": _login_cookie(tenant_id),
        "hook": f"/webhooks/evolution/{token}/",
        "serial": 0,
    }
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
        )
        for n in counts:
            asyncio.run(_run_n(args, n, port, ctx))
    finally:
        _stop(worker)
        _stop(ctx["granian"])


if __name__ == "__main__":
    main()
