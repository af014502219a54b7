"""Benchmark: Evolution `messages.upsert` webhooks under granian (2 workers) on PostgreSQL.

1. Web: an open-loop async httpx client fires distinct, correctly authenticated deliveries at a
   target rate (default 400/s for 60 s, loopback only, bounded in-flight) and records latency
   p50/p95/p99, errors, the achieved rate and the peak RSS of granian's processes.
2. Worker: `manage.py db_worker` processes (default 2) turn the stored events into messages;
   measured as events processed per second until the queue drains.
3. Baseline: the raw psycopg INSERT rate of a comparable row (one committed INSERT per row, like
   one webhook) into a scratch table, on the same machine in the same run.

    .venv/bin/python -m bench.webhooks_load [--rate 400] [--seconds 60] [--workers 2]
        [--url postgres://postgres@127.0.0.1:5432/bench_webhooks]

The database is dropped, re-created and migrated at each run. Nothing is left running.
"""

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GRANIAN = str(ROOT / ".venv" / "bin" / "granian")
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_webhooks"
APIKEY = "bench-apikey-0f3c9e5b7a1d4e2f"
INSTANCE = "bench-clinica"
BODIES = [
    "Bom dia! Gostaria de remarcar minha consulta de quinta-feira.",
    "Oi, tudo bem? Vocês atendem pelo convênio?",
    "Pode confirmar meu horário amanhã às 14h?",
    "Obrigada pelo atendimento de hoje 🙏",
    "Preciso do recibo da última sessão para o reembolso.",
]


def _env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="clinicrm.config.settings",
        DJANGO_ENV="development",
        DJANGO_DEBUG="0",
    )
    return env


def _recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=_env(url), check=True)


def _django_setup(url: str) -> None:
    os.environ.update(_env(url))
    import django

    django.setup()


def _make_channel() -> str:
    from clinicrm.core.models import Tenant
    from clinicrm.messaging.models import Channel, ChannelStatus, Provider

    tenant = Tenant.objects.create(name="Clínica Bench", slug=f"bench-{uuid.uuid4().hex[:8]}")
    channel = Channel(
        tenant=tenant,
        provider=Provider.EVOLUTION,
        display_name="Bench",
        is_active=True,
        status=ChannelStatus.OPEN,
        config={"instance_name": INSTANCE},
    )
    channel.set_secrets({"apikey": APIKEY})
    channel.save()
    return str(channel.webhook_token)


def _delivery(n: int) -> bytes:
    phone = f"55119{70000000 + n % 5000:08d}"  # 5000 patients, many messages each
    now = time.time()
    return json.dumps(
        {
            "event": "messages.upsert",
            "instance": INSTANCE,
            "data": {
                "key": {
                    "remoteJid": f"{phone}@s.whatsapp.net",
                    "fromMe": False,
                    "id": f"3EB0{uuid.uuid4().hex[:16].upper()}{n:08d}",
                    "addressingMode": "pn",
                },
                "pushName": f"Paciente {n % 5000}",
                "status": "DELIVERY_ACK",
                "message": {"conversation": BODIES[n % len(BODIES)]},
                "messageType": "conversation",
                "messageTimestamp": int(now),
                "instanceId": "0b6f1a3e-6c2d-4d2a-9f55-2f1f8c3e7a10",
                "source": "android",
            },
            "destination": "http://127.0.0.1/webhooks/evolution",
            "date_time": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now)),
            "sender": "5511988887777@s.whatsapp.net",
            "server_url": "http://127.0.0.1:8081",
            "apikey": None,
        },
        ensure_ascii=False,
    ).encode()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_granian(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            GRANIAN,
            "--interface",
            "asginl",
            "--workers",
            str(workers),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "clinicrm.config.asgi:application",
        ],
        cwd=ROOT,
        env=_env(url),
        start_new_session=True,
    )
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/entrar/", timeout=2)
            return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    _stop(proc)
    raise SystemExit("granian did not start")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _rss_mb(root_pid: int) -> dict[int, float]:
    """RSS of a process and its children (granian's workers), MB."""
    out = subprocess.run(
        ["ps", "-o", "pid=,ppid=,rss=", "-A"], capture_output=True, text=True, check=True
    ).stdout
    rows = [tuple(int(x) for x in line.split()) for line in out.splitlines() if line.strip()]
    tree = {root_pid}
    grew = True
    while grew:
        grew = False
        for pid, ppid, _ in rows:
            if ppid in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return {pid: rss / 1024 for pid, _, rss in rows if pid in tree}


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _load(
    url: str, rate: float, seconds: float, max_in_flight: int, root_pid: int
) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    errors: dict[str, int] = {}
    rss_peak: dict[int, float] = {}
    sem = asyncio.Semaphore(max_in_flight)
    headers = {"apikey": APIKEY, "content-type": "application/json"}
    limits = httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=max_in_flight)
    total = int(rate * seconds)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:

        async def one(n: int) -> None:
            body = _delivery(n)
            async with sem:
                start = time.perf_counter()
                try:
                    response = await client.post(url, content=body, headers=headers)
                    if response.status_code != 200:
                        errors[str(response.status_code)] = (
                            errors.get(str(response.status_code), 0) + 1
                        )
                    else:
                        latencies.append(time.perf_counter() - start)
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1

        async def sample_rss() -> None:
            while True:
                for pid, mb in _rss_mb(root_pid).items():
                    rss_peak[pid] = max(rss_peak.get(pid, 0.0), mb)
                await asyncio.sleep(1)

        sampler = asyncio.create_task(sample_rss())
        tasks: list[asyncio.Task[None]] = []
        began = time.perf_counter()
        for n in range(total):  # open loop: request n is due at n / rate
            delay = began + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - began
        sampler.cancel()
    for pid, mb in _rss_mb(root_pid).items():
        rss_peak[pid] = max(rss_peak.get(pid, 0.0), mb)
    return {
        "sent": total,
        "ok": len(latencies),
        "errors": errors,
        "elapsed": elapsed,
        "rate": len(latencies) / elapsed,
        "p50_ms": _pct(latencies, 0.50) * 1000,
        "p95_ms": _pct(latencies, 0.95) * 1000,
        "p99_ms": _pct(latencies, 0.99) * 1000,
        "max_ms": max(latencies, default=0) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000 if latencies else float("nan"),
        "rss_mb": rss_peak,
    }


def _drain(url: str, workers: int, expected: int, timeout: float) -> dict[str, Any]:
    from django.db.models import Count

    from clinicrm.integrations.models import InboundEvent
    from clinicrm.messaging.models import Message

    procs = [
        subprocess.Popen(
            [
                PYTHON,
                "manage.py",
                "db_worker",
                "--queue-name",
                "webhooks",
                "--interval",
                "0.05",
                "--no-startup-delay",
                "--no-reload",
                "-v",
                "0",
            ],
            cwd=ROOT,
            env=_env(url),
            start_new_session=True,
        )
        for _ in range(workers)
    ]
    began = time.perf_counter()
    first_at = None
    done = 0
    try:
        while time.perf_counter() - began < timeout:
            done = InboundEvent.objects.exclude(status="pending").count()
            if done and first_at is None:
                first_at = time.perf_counter()
            if done >= expected:
                break
            time.sleep(0.25)
        elapsed = time.perf_counter() - began
    finally:
        for proc in procs:
            _stop(proc)
    statuses = dict(InboundEvent.objects.values_list("status").annotate(n=Count("id")))
    return {
        "processed": done,
        "elapsed": elapsed,
        "rate": done / elapsed if elapsed else 0.0,
        "statuses": statuses,
        "messages": Message.objects.count(),
    }


def _raw_insert_rate(url: str, rows: int) -> dict[str, float]:
    """Single-row committed INSERTs of an inbound-event-sized row (the web path's floor)."""
    import psycopg
    from psycopg.types.json import Jsonb

    body = _delivery(0)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_scratch")
        conn.execute(
            "CREATE TABLE bench_scratch (id bigserial PRIMARY KEY, provider varchar(30),"
            " event_id varchar(255) UNIQUE, event_type varchar(100), tenant_id uuid,"
            " channel_key varchar(255), headers jsonb, body bytea,"
            " received_at timestamptz DEFAULT now(), status varchar(20))"
        )
        tenant = uuid.uuid4()
        began = time.perf_counter()
        for n in range(rows):
            conn.execute(
                "INSERT INTO bench_scratch (provider, event_id, event_type, tenant_id,"
                " channel_key, headers, body, status) VALUES (%s,%s,%s,%s,%s,%s,%s,%s)",
                [
                    "evolution",
                    f"1:messages.upsert:{n}",
                    "messages.upsert",
                    tenant,
                    "1",
                    Jsonb({"content-type": "application/json", "user-agent": "axios/1.7"}),
                    body,
                    "pending",
                ],
            )
        single = rows / (time.perf_counter() - began)
        conn.execute("DROP TABLE bench_scratch")
    return {"single_row_commit_per_s": single}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--rate", type=float, default=400)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-in-flight", type=int, default=256)
    parser.add_argument("--raw-rows", type=int, default=20000)
    parser.add_argument("--drain-timeout", type=float, default=180)
    parser.add_argument("--pool", action="store_true", help="DATABASE_POOL=1 (psycopg pool)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.pool:
        os.environ["DATABASE_POOL"] = "1"
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # one INFO line per delivery is not the test
    print(f"settings: DATABASE_POOL={os.environ.get('DATABASE_POOL', '0')}")

    print(f"load average before: {os.getloadavg()}")
    _recreate_database(args.url)
    _django_setup(args.url)
    token = _make_channel()
    from django.db import connection

    connection.close()
    port = _free_port()
    granian = _start_granian(args.url, port, args.web_workers)
    try:
        target = f"http://127.0.0.1:{port}/webhooks/evolution/{token}/"
        web = asyncio.run(_load(target, args.rate, args.seconds, args.max_in_flight, granian.pid))
        load_during = os.getloadavg()
    finally:
        _stop(granian)
    print(f"\n== web: granian --interface asginl --workers {args.web_workers} ==")
    print(f"target {args.rate:.0f}/s for {args.seconds:.0f}s: sent {web['sent']}, ok {web['ok']}")
    print(f"achieved {web['rate']:.1f} req/s over {web['elapsed']:.1f}s, errors {web['errors']}")
    print(
        f"latency ms: p50 {web['p50_ms']:.1f}  p95 {web['p95_ms']:.1f}  p99 {web['p99_ms']:.1f}"
        f"  max {web['max_ms']:.1f}  mean {web['mean_ms']:.1f}"
    )
    print(
        "peak RSS MB per process: " + ", ".join(f"{p}: {m:.0f}" for p, m in web["rss_mb"].items())
    )
    print(f"load average after load: {load_during}")

    drain = _drain(args.url, args.workers, web["ok"], timeout=args.drain_timeout)
    connection.close()
    print(f"\n== worker: {args.workers} x manage.py db_worker --queue-name webhooks ==")
    print(
        f"processed {drain['processed']}/{web['ok']} events in {drain['elapsed']:.1f}s ="
        f" {drain['rate']:.1f} msg/s; statuses {drain['statuses']}; messages {drain['messages']}"
    )

    raw = _raw_insert_rate(args.url, args.raw_rows)
    print("\n== raw SQL baseline (psycopg, same machine, same run) ==")
    print(f"single-row committed INSERT: {raw['single_row_commit_per_s']:.0f} rows/s")
    print(f"\nload average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
