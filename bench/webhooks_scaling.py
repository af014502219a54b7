"""Benchmark: inbound webhooks/s with 1, 2 and 4 web processes (granian workers) on PostgreSQL.

Reuses bench/webhooks_load.py's pieces (database set-up, signed Evolution/Twilio deliveries built
before the clock starts, its keep-alive HTTP/1.1 connection, /proc CPU accounting). For each
process count it starts `granian --interface asginl --workers N` and saturates it closed-loop:
`--conns` keep-alive connections each send the next distinct delivery as soon as the previous
one is answered, for `--seconds` after a warm-up that is not counted. Capacity is the answered
deliveries per second; it also reports errors, latency percentiles (per request: under
saturation they are the queueing at that concurrency, not a service level) and CPU per delivery
of granian and PostgreSQL. Only the web side is measured (verify, store, 200): the workers'
drain is webhooks_load.py's second phase (open-loop at a fixed rate, for latency).

    .venv/bin/python -m bench.webhooks_scaling --pool [--web-processes 1,2,4] [--conns 32]
        [--seconds 15] [--provider evolution] [--url postgres://.../bench_webhooks_scaling]

The capacity of N processes is bounded by the machine's cores (the generator and PostgreSQL
share them): on a 2-core machine 4 processes cannot beat 2. The load average before and after
each run is printed; numbers from a loaded machine are only an order of magnitude. The database
is dropped at the end. Nothing is left running.
"""

import argparse
import asyncio
import os
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.webhooks_load import (
    _Conn,
    _cpu_seconds,
    _django_setup,
    _free_port,
    _make_channels,
    _pct,
    _recreate_database,
    _requests,
    _start_granian,
    _stop,
    _tree,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_webhooks_scaling"


async def _saturate(
    port: int, raws: list[bytes], conns: int, warmup: float, seconds: float
) -> dict[str, Any]:
    """`conns` connections send back to back; counts what is answered in the measured window."""
    loop = asyncio.get_running_loop()
    began = time.perf_counter()
    measured_from, until = began + warmup, began + warmup + seconds
    latencies: list[float] = []
    errors: dict[str, int] = {}
    answered = 0  # warm-up included: what the CPU counters also include
    feed = iter(raws)

    async def client() -> None:
        nonlocal answered
        _, conn = await loop.create_connection(_Conn, "127.0.0.1", port)
        while (sent := time.perf_counter()) < until:
            raw = next(feed, None)
            if raw is None:
                raise SystemExit("not enough deliveries prepared: raise --prepared")
            try:
                status = await asyncio.wait_for(conn.request(raw), timeout=30)
            except (OSError, ConnectionError, TimeoutError) as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                _, conn = await loop.create_connection(_Conn, "127.0.0.1", port)
                continue
            done = time.perf_counter()
            answered += 1
            if sent < measured_from or done > until:
                continue
            if status == 200:
                latencies.append(done - sent)
            else:
                errors[str(status)] = errors.get(str(status), 0) + 1
        if conn.transport is not None:
            conn.transport.close()

    await asyncio.gather(*(client() for _ in range(conns)))
    return {
        "ok": len(latencies),
        "answered": answered,
        "rate": len(latencies) / seconds,
        "errors": errors,
        "p50_ms": _pct(latencies, 0.50) * 1000,
        "p99_ms": _pct(latencies, 0.99) * 1000,
    }


def _run(args: argparse.Namespace, token: str, processes: int) -> dict[str, Any]:
    port = _free_port()
    _, raws = _requests(args.provider, token, port, args.prepared)  # before the clock
    granian = _start_granian(args.url, port, processes)
    try:
        pids = _tree(granian.pid)
        load_before = os.getloadavg()[0]
        web0, pg0 = _cpu_seconds(pids=pids), _cpu_seconds(name="postgres")
        result = asyncio.run(_saturate(port, raws, args.conns, args.warmup, args.seconds))
        answered = max(result["answered"], 1)
        result["cpu_web_ms"] = 1000 * (_cpu_seconds(pids=pids) - web0) / answered
        result["cpu_pg_ms"] = 1000 * (_cpu_seconds(name="postgres") - pg0) / answered
        result["load"] = (load_before, os.getloadavg()[0])
    finally:
        _stop(granian)
    return result


def _drop_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--web-processes", default="1,2,4", help="comma-separated counts")
    parser.add_argument("--conns", type=int, default=32, help="concurrent connections")
    parser.add_argument("--prepared", type=int, default=60000, help="deliveries built per run")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--provider", default="evolution", choices=["evolution", "twilio"])
    parser.add_argument("--pool", action="store_true", help="DATABASE_POOL=1 (psycopg pool)")
    args = parser.parse_args()
    if args.pool:
        os.environ["DATABASE_POOL"] = "1"
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # one INFO line per delivery is not the test
    counts = [int(n) for n in args.web_processes.split(",") if n.strip()]
    print(
        f"cores {os.cpu_count()}; DATABASE_POOL={os.environ.get('DATABASE_POOL', '0')};"
        f" provider {args.provider}; {args.conns} connections for {args.seconds:.0f}s"
        f" (+{args.warmup:.0f}s warm-up); load average before {os.getloadavg()}"
    )
    _recreate_database(args.url)
    try:
        _django_setup(args.url)
        token = _make_channels()[args.provider]
        from django.db import connection

        connection.close()
        rows = []
        for processes in counts:
            began = time.monotonic()
            web = _run(args, token, processes)
            rows.append((processes, web))
            print(
                f"{processes} web process(es): {web['rate']:.0f} ok/s, errors {web['errors']},"
                f" p50 {web['p50_ms']:.0f} ms, p99 {web['p99_ms']:.0f} ms, CPU/delivery granian"
                f" {web['cpu_web_ms']:.2f} ms postgres {web['cpu_pg_ms']:.2f} ms, load"
                f" {web['load'][0]:.1f}->{web['load'][1]:.1f} ({time.monotonic() - began:.0f}s)",
                flush=True,
            )
    finally:
        _drop_database(args.url)
    base = rows[0][1]["rate"] if rows else 0
    print("\nweb processes | webhooks/s | vs first | p50 ms | p99 ms | errors")
    for processes, web in rows:
        ratio = web["rate"] / base if base else float("nan")
        print(
            f"{processes:>13} | {web['rate']:>10.0f} | {ratio:>8.2f} | {web['p50_ms']:>6.0f} |"
            f" {web['p99_ms']:>6.0f} | {sum(web['errors'].values())}"
        )
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
