"""Profile of one webhook delivery and of one processed event, in-process, on PostgreSQL.

Where `bench.webhooks_load` measures rates under granian, this says where the time goes: it
posts N deliveries of a provider one after the other through the project's real ASGI
application (the lean /webhooks/ path) and then drains them in this process as the worker
would, counting SQL statements per delivery and per event (every statement on every
connection, by kind) and CPU seconds per delivery/event (process time, so a busy machine slows
it less than wall time). `--profile DIR` also writes cProfile stats of both phases.

    .venv/bin/python -m bench.webhooks_profile --url postgres://.../bench_profile
        [--provider evolution|twilio] [--n 500] [--profile DIR]

The database is dropped, re-created and migrated at each run.
"""

import argparse
import asyncio
import collections
import cProfile
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench.webhooks_load import (
    ROOT,
    _django_setup,
    _make_channels,
    _recreate_database,
    _requests,
)

PORT = 8999  # what Twilio's signature covers (PUBLIC_BASE_URL); nothing listens on it


class _Counter:
    """Every statement on every database connection, counted by its first word."""

    def __init__(self) -> None:
        self.kinds: collections.Counter[str] = collections.Counter()
        self.total = 0
        self.seen: list[str] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.total += 1
        self.kinds[_kind(sql)] += 1
        self.seen.append(sql)
        return execute(sql, params, many, context)

    def reset(self) -> None:
        self.kinds.clear()
        self.total = 0
        self.seen = []


def _kind(sql: str) -> str:
    words = sql.lstrip().split(None, 3)
    head = " ".join(words[:2]).upper() if words else "?"
    if head.startswith("WITH"):
        return "WITH (insert+lock)"
    if head.startswith("SELECT") and "pg_advisory" in sql:
        return "SELECT advisory lock"
    return words[0].upper() if words else "?"


def _scope(raw: bytes) -> tuple[dict[str, Any], bytes]:
    head, body = raw.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    path, _, query = target.partition("?")
    headers = [
        (name.strip().lower().encode(), value.strip().encode())
        for name, value in (line.split(":", 1) for line in lines[1:])
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", PORT),
    }
    return scope, body


async def _post(app: Any, raw: bytes) -> int:
    scope, body = _scope(raw)
    sent = False
    status = 0
    never = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await never.wait()  # the client stays connected
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])

    await app(scope, receive, send)
    return status


async def _web(app: Any, raws: list[bytes]) -> list[int]:
    return [await _post(app, raw) for raw in raws]


def _report(name: str, counter: _Counter, n: int, cpu: float, wall: float, show: int) -> None:
    kinds = ", ".join(f"{k} {v / n:.2f}" for k, v in counter.kinds.most_common())
    print(f"{name}: {n} in {wall:.2f}s wall; CPU {1000 * cpu / n:.2f} ms each")
    print(f"  SQL statements each: {counter.total / n:.2f} ({kinds})")
    for sql in counter.seen[:show]:
        print(f"    {' '.join(sql.split())[:160]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--provider", default="evolution", choices=("evolution", "twilio"))
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--profile", default="", help="directory for cProfile stats")
    parser.add_argument("--show", type=int, default=0, help="print the first SHOW statements")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_POOL"] = "1"
    os.environ["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{PORT}"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    _recreate_database(args.url)
    _django_setup(args.url)
    os.environ["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{PORT}"

    from django.db import connection
    from django.db.backends.signals import connection_created

    from clinicrm.config.asgi import application
    from clinicrm.integrations.models import InboundEvent
    from clinicrm.integrations.services_drain import inbound_events_drain

    counter = _Counter()

    def _instrument(sender: Any, connection: Any, **kwargs: Any) -> None:
        if counter not in connection.execute_wrappers:
            connection.execute_wrappers.append(counter)

    connection_created.connect(_instrument)
    tokens = _make_channels()
    _, raws = _requests(args.provider, tokens[args.provider], PORT, args.warmup + args.n)
    connection.close()
    profile_dir = Path(args.profile) if args.profile else None
    if profile_dir:
        profile_dir.mkdir(parents=True, exist_ok=True)

    # Web: warm-up deliveries (imports, pool, caches), then the measured ones.
    statuses = asyncio.run(_web(application, raws[: args.warmup]))
    counter.reset()
    profiler = cProfile.Profile(time.process_time) if profile_dir else None
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    statuses += asyncio.run(_web(application, raws[args.warmup :]))
    if profiler and profile_dir:
        profiler.disable()
        profiler.dump_stats(str(profile_dir / f"{args.provider}-web.prof"))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    bad = {s: statuses.count(s) for s in set(statuses) if s != 200}
    print(f"== {args.provider} (statuses other than 200: {bad or 'none'}) ==")
    _report("delivery", counter, args.n, cpu, wall, args.show)

    # Worker: the drain of the channel's backlog, in this process (warm-up events first).
    connection.ensure_connection()
    if counter not in connection.execute_wrappers:
        connection.execute_wrappers.append(counter)
    channel_key = str(InboundEvent.objects.values_list("channel_key", flat=True).first())
    inbound_events_drain(provider=args.provider, channel_key=channel_key, limit=args.warmup)
    counter.reset()
    profiler = cProfile.Profile(time.process_time) if profile_dir else None
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    counts = inbound_events_drain(provider=args.provider, channel_key=channel_key, limit=args.n)
    if profiler and profile_dir:
        profiler.disable()
        profiler.dump_stats(str(profile_dir / f"{args.provider}-worker.prof"))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    print(f"drain statuses: {counts}")
    _report("event", counter, max(sum(counts.values()), 1), cpu, wall, args.show * 5)
    connection.close()


if __name__ == "__main__":
    main()
