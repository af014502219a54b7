"""Benchmark: provider webhooks under granian (2 workers) on PostgreSQL, through the one road.

Evolution `messages.upsert` (apikey header) and Twilio inbound messages (form body signed with
X-Twilio-Signature) are measured in the same run, one after the other (`--providers`), each with
its own load phase and its own worker drain.

1. Web: an open-loop generator (raw asyncio HTTP/1.1 keep-alive connections, opened on demand up
   to --max-conns, bodies built before the clock starts) sends distinct, authenticated
   deliveries at a fixed rate (default 400/s for 60 s after a 3 s warm-up that is not counted).
   Latency is measured from each request's *scheduled* time, so a slow server cannot hide behind
   a late generator (coordinated omission); it reports the offered and achieved rates, errors,
   p50/p95/p99/max, the generator's own lateness, peak RSS of granian's processes and the CPU
   per delivery of granian, PostgreSQL and the generator (/proc accounting).
2. Worker: `manage.py worker` processes (default 2) drain the stored backlog into messages;
   rate from the first processed event to the last (process start-up is not throughput).
3. Baseline: the raw psycopg INSERT rate of a comparable row (one committed INSERT per row, like
   one webhook) into a scratch table, on the same machine in the same run.

    .venv/bin/python -m bench.webhooks_load --pool [--rate 400] [--seconds 60] [--workers 1]
        [--web-workers 2] [--providers evolution,twilio] [--phases web,worker,raw]
        [--granian-args "..."] [--url postgres://.../bench_webhooks]

A full run (two providers, web + worker, raw baseline) takes about ten minutes; `--providers`
and `--phases` run parts of it (e.g. `--providers twilio --phases web` for one load phase). The
end prints a summary per provider: offered rate, ok/s, errors, p50/p99, worker msg/s, beside the
raw INSERT rate and the load average (CPU per delivery counts every PostgreSQL process, so on a
shared machine other databases' work shows up in it).

The database is dropped, re-created and migrated at each run. Nothing is left running.
"""

import argparse
import asyncio
import collections
import json
import os
import re
import signal
import socket
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
TWILIO_ACCOUNT = "AC" + "b" * 32
TWILIO_AUTH_TOKEN = "bench-twilio-auth-token-5e1c"
TWILIO_SENDER = "+5511999990009"
BODIES = [
    "Bom dia! Gostaria de remarcar minha consulta de quinta-feira.",
    "Oi, tudo bem? Vocês atendem pelo convênio?",
    "Pode confirmar meu horário amanhã às 14h?",
    "Obrigada pelo atendimento de hoje 🙏",
    "Preciso do recibo da última sessão para o reembolso.",
]


def _env(url: str, port: int | None = None) -> dict[str, str]:
    env = dict(os.environ)
    if port is not None:  # what Twilio signs: our public URL
        env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
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


def _make_channels() -> dict[str, str]:
    """One clinic per provider (one active channel each); returns provider -> webhook token."""
    from clinicrm.core.models import Tenant
    from clinicrm.messaging.models import Channel, ChannelStatus, Provider

    tokens = {}
    for provider in (Provider.EVOLUTION, Provider.TWILIO):
        tenant = Tenant.objects.create(
            name=f"Clínica Bench {provider}", slug=f"bench-{uuid.uuid4().hex[:8]}"
        )
        evolution = provider == Provider.EVOLUTION
        channel = Channel(
            tenant=tenant,
            provider=provider,
            display_name="Bench",
            is_active=True,
            status=ChannelStatus.OPEN if evolution else ChannelStatus.ACTIVE,
            config={"instance_name": INSTANCE}
            if evolution
            else {"account_sid": TWILIO_ACCOUNT, "sender": TWILIO_SENDER},
        )
        channel.set_secrets({"apikey": APIKEY} if evolution else {"auth_token": TWILIO_AUTH_TOKEN})
        channel.save()
        tokens[str(provider)] = str(channel.webhook_token)
    return tokens


def _twilio_delivery(n: int) -> list[tuple[str, str]]:
    phone = f"+55119{70000000 + n % 5000:08d}"
    sid = f"SM{uuid.uuid4().hex[:24]}{n:08x}"
    return [
        ("SmsMessageSid", sid),
        ("NumMedia", "0"),
        ("ProfileName", f"Paciente {n % 5000}"),
        ("MessageType", "text"),
        ("SmsSid", sid),
        ("WaId", phone[1:]),
        ("SmsStatus", "received"),
        ("Body", BODIES[n % len(BODIES)]),
        ("To", f"whatsapp:{TWILIO_SENDER}"),
        ("NumSegments", "1"),
        ("MessageSid", sid),
        ("AccountSid", TWILIO_ACCOUNT),
        ("From", f"whatsapp:{phone}"),
        ("ApiVersion", "2010-04-01"),
    ]


def _requests(provider: str, token: str, port: int, count: int) -> tuple[str, list[bytes]]:
    """The raw HTTP/1.1 requests of one provider's load phase (built before the clock starts)."""
    from urllib.parse import urlencode

    from clinicrm.integrations.twilio.signature import signature_compute

    host = f"127.0.0.1:{port}"
    if provider == "evolution":
        path = f"/webhooks/evolution/{token}/"
        extra, ctype = f"apikey: {APIKEY}\r\n", "application/json"
    else:
        path = f"/webhooks/twilio/{token}/inbound/"
        ctype, extra = "application/x-www-form-urlencoded", ""
    raws = []
    for n in range(count):
        if provider == "evolution":
            body = _delivery(n)
            headers = extra
        else:
            params = _twilio_delivery(n)
            body = urlencode(params).encode()
            signature = signature_compute(
                url=f"http://{host}{path}", params=params, auth_token=TWILIO_AUTH_TOKEN
            )
            headers = f"X-Twilio-Signature: {signature}\r\n"
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: bench/1.0\r\n"
            f"Content-Type: {ctype}\r\n{headers}Content-Length: {len(body)}\r\n\r\n"
        )
        raws.append(head.encode() + body)
    return f"http://{host}{path}", raws


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


def _start_granian(url: str, port: int, workers: int, extra: str = "") -> subprocess.Popen[bytes]:
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
            *extra.split(),
            "clinicrm.config.asgi:application",
        ],
        cwd=ROOT,
        env=_env(url, port),
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


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: set[int] | None = None, name: str | None = None) -> float:
    """utime+stime of live processes (by pid or command name) plus what they reaped
    (cutime+cstime: PostgreSQL's postmaster collects its exited backends there)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        if (pids is not None and int(entry) in pids) or (name is not None and comm == name):
            total += sum(int(x) for x in fields[11:15])
    return total / _TICK


def _tree(root_pid: int) -> set[int]:
    return set(_rss_mb(root_pid))


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class _Conn(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection; one request in flight at a time (no pipelining)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiter: asyncio.Future[int] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection lost"))

    def data_received(self, data: bytes) -> None:
        self.buf += data
        self._try_complete()

    def _try_complete(self) -> None:
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        head_end = self.buf.find(b"\r\n\r\n")
        if head_end < 0:
            return
        head = bytes(self.buf[:head_end]).decode("latin-1").lower()
        status = int(head.split(" ", 2)[1])
        body_start = head_end + 4
        length = re.search(r"\ncontent-length:\s*(\d+)", head)
        if length:
            total = body_start + int(length.group(1))
            if len(self.buf) < total:
                return
            del self.buf[:total]
        elif "transfer-encoding: chunked" in head:
            end = self.buf.find(b"0\r\n\r\n", body_start)
            if end < 0:
                return
            del self.buf[: end + 5]
        else:
            del self.buf[:body_start]
        waiter.set_result(status)

    async def request(self, raw: bytes) -> int:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self.waiter


async def _load(
    url: str,
    rate: float,
    seconds: float,
    max_conns: int,
    root_pid: int,
    raws: list[bytes],
    warmup: float,
) -> dict[str, Any]:
    """Open-loop load: request n is due at n / rate whatever the server does.

    Latency is measured from the request's *scheduled* time, so queueing in the generator (no idle
    connection, event loop late) counts against the server instead of hiding it (coordinated
    omission). Connections are kept alive and opened on demand up to `max_conns`; the first
    `warmup` seconds are sent at the same rate but left out of the statistics.
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    loop = asyncio.get_running_loop()
    idle: list[_Conn] = []
    waiting: collections.deque[asyncio.Future[_Conn]] = collections.deque()
    opened = 0
    latencies: list[float] = []
    service: list[float] = []
    late: list[float] = []
    errors: dict[str, int] = {}
    rss_peak: dict[int, float] = {}
    counted_from = int(rate * warmup)
    total = counted_from + int(rate * seconds)

    async def acquire() -> _Conn:
        nonlocal opened
        while idle:
            conn = idle.pop()
            if not conn.closed:
                return conn
            opened -= 1
        if opened < max_conns:
            opened += 1
            try:
                _, conn = await loop.create_connection(_Conn, host, port)
            except OSError:
                opened -= 1
                raise
            return conn
        fut: asyncio.Future[_Conn] = loop.create_future()
        waiting.append(fut)
        return await fut

    def release(conn: _Conn) -> None:
        nonlocal opened
        if conn.closed:
            opened -= 1
            return
        while waiting:
            fut = waiting.popleft()
            if not fut.done():
                fut.set_result(conn)
                return
        idle.append(conn)

    def error(name: str, n: int) -> None:
        if n >= counted_from:
            errors[name] = errors.get(name, 0) + 1

    async def one(n: int, due: float, raw: bytes) -> None:
        try:
            conn = await acquire()
        except OSError as exc:
            error(type(exc).__name__, n)
            return
        sent = time.perf_counter()
        try:
            status = await asyncio.wait_for(conn.request(raw), timeout=10)
        except (OSError, ConnectionError, TimeoutError) as exc:
            conn.closed = True
            if conn.transport is not None:
                conn.transport.close()
            release(conn)
            error(type(exc).__name__, n)
            return
        done = time.perf_counter()
        release(conn)
        if status != 200:
            error(str(status), n)
        elif n >= counted_from:
            latencies.append(done - due)
            service.append(done - sent)
            late.append(sent - due)

    async def sample_rss() -> None:
        while True:
            for pid, mb in _rss_mb(root_pid).items():
                rss_peak[pid] = max(rss_peak.get(pid, 0.0), mb)
            await asyncio.sleep(1)

    sampler = asyncio.create_task(sample_rss())
    tasks: set[asyncio.Task[None]] = set()
    began = time.perf_counter()
    measured_from = began + warmup
    n = 0
    while n < total:
        now = time.perf_counter()
        while n < total and began + n / rate <= now:  # fire everything due (catch up if late)
            task = asyncio.create_task(one(n, began + n / rate, raws[n]))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            n += 1
        if n < total:
            await asyncio.sleep(max(0.0, began + n / rate - time.perf_counter()))
    sent_by = time.perf_counter()
    if tasks:
        await asyncio.gather(*tasks)
    finished = time.perf_counter()
    sampler.cancel()
    for pid, mb in _rss_mb(root_pid).items():
        rss_peak[pid] = max(rss_peak.get(pid, 0.0), mb)
    window = finished - measured_from
    return {
        "sent": total - counted_from,
        "ok": len(latencies),
        "errors": errors,
        "send_window": sent_by - measured_from,
        "elapsed": window,
        "offered_rate": (total - counted_from) / (sent_by - measured_from),
        "rate": len(latencies) / window,
        "conns": opened,
        "p50_ms": _pct(latencies, 0.50) * 1000,
        "p95_ms": _pct(latencies, 0.95) * 1000,
        "p99_ms": _pct(latencies, 0.99) * 1000,
        "max_ms": max(latencies, default=0) * 1000,
        "svc_p99_ms": _pct(service, 0.99) * 1000,
        "late_p99_ms": _pct(late, 0.99) * 1000,
        "rss_mb": rss_peak,
        "total_with_warmup": total,
    }


def _drain(url: str, workers: int, timeout: float, provider: str) -> dict[str, Any]:
    """Start the workers on the stored backlog; rate measured from the first processed event
    (process start-up is not throughput) to the last."""
    from django.db.models import Count

    from clinicrm.integrations.models import InboundEvent
    from clinicrm.messaging.models import Message

    events = InboundEvent.objects.filter(provider=provider)
    messages = Message.objects.filter(channel__provider=provider)
    expected = events.count()
    procs = [
        subprocess.Popen(
            [
                PYTHON,
                "manage.py",
                "worker",
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
    cpu_pg0 = _cpu_seconds(name="postgres")
    began = time.perf_counter()
    first_at: float | None = None
    first_done = 0
    done = 0
    try:
        while time.perf_counter() - began < timeout:
            done = events.exclude(status="pending").count()
            if done and first_at is None:
                first_at, first_done = time.perf_counter(), done
            if done >= expected:
                break
            time.sleep(0.1)
        ended = time.perf_counter()
        cpu_workers = _cpu_seconds(pids={pid for p in procs for pid in _tree(p.pid)})
        cpu_pg = _cpu_seconds(name="postgres") - cpu_pg0
    finally:
        for proc in procs:
            _stop(proc)
    statuses = dict(events.values_list("status").annotate(n=Count("id")))
    span = ended - (first_at or ended)
    return {
        "expected": expected,
        "processed": done,
        "elapsed": ended - began,
        "rate": (done - first_done) / span if span > 0 else 0.0,
        "statuses": statuses,
        "messages": messages.count(),
        "cpu_workers_ms": 1000 * cpu_workers / max(done, 1),
        "cpu_pg_ms": 1000 * cpu_pg / max(done, 1),
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


def _phase(
    args: argparse.Namespace,
    provider: str,
    granian: subprocess.Popen[bytes],
    target: str,
    raws: list[bytes],
) -> dict[str, Any]:
    """One provider: open-loop load on the running granian, then (phase "worker") the workers
    drain it. Returns the figures of the summary."""
    from django.db import connection

    web_pids = _tree(granian.pid)
    cpu_web0, cpu_pg0 = _cpu_seconds(pids=web_pids), _cpu_seconds(name="postgres")
    cpu_me0 = time.process_time()
    web = asyncio.run(
        _load(target, args.rate, args.seconds, args.max_conns, granian.pid, raws, args.warmup)
    )
    load_during = os.getloadavg()
    cpu_web = _cpu_seconds(pids=web_pids) - cpu_web0
    cpu_pg = _cpu_seconds(name="postgres") - cpu_pg0
    cpu_me = time.process_time() - cpu_me0
    print(
        f"\n== {provider} web: granian --interface asginl --workers {args.web_workers}"
        f" {args.granian_args} =="
    )
    print(
        f"open loop at {args.rate:.0f}/s for {args.seconds:.0f}s (+{args.warmup:.0f}s warm-up,"
        f" not counted): measured {web['sent']}, ok {web['ok']}, errors {web['errors']}"
    )
    print(
        f"offered {web['offered_rate']:.1f}/s; achieved {web['rate']:.1f} ok/s over"
        f" {web['elapsed']:.1f}s; connections used {web['conns']}"
    )
    print(
        f"latency from scheduled send, ms: p50 {web['p50_ms']:.1f}  p95 {web['p95_ms']:.1f}"
        f"  p99 {web['p99_ms']:.1f}  max {web['max_ms']:.1f}  (service-time p99"
        f" {web['svc_p99_ms']:.1f}, generator lateness p99 {web['late_p99_ms']:.1f})"
    )
    print(
        "peak RSS MB per process: " + ", ".join(f"{p}: {m:.0f}" for p, m in web["rss_mb"].items())
    )
    n_all = web["total_with_warmup"]
    print(
        f"CPU per delivery (incl. warm-up, {n_all} requests):"
        f" granian {1000 * cpu_web / n_all:.2f} ms,"
        f" postgres {1000 * cpu_pg / n_all:.2f} ms, load generator {1000 * cpu_me / n_all:.2f} ms"
    )
    print(f"load average after load: {load_during}")

    result = {"web": web, "load": load_during, "drain": None}
    if "worker" not in args.phases:
        return result
    drain = _drain(args.url, args.workers, timeout=args.drain_timeout, provider=provider)
    result["drain"] = drain
    connection.close()
    print(f"\n== {provider} worker: {args.workers} x manage.py worker --queue-name webhooks ==")
    print(
        f"processed {drain['processed']}/{drain['expected']} events in {drain['elapsed']:.1f}s"
        f" (incl. start-up); steady rate"
        f" {drain['rate']:.1f} msg/s; statuses {drain['statuses']}; messages {drain['messages']}"
    )
    print(
        f"CPU per event (incl. start-up): workers {drain['cpu_workers_ms']:.2f} ms,"
        f" postgres {drain['cpu_pg_ms']:.2f} ms"
    )
    return result


def _summary(results: dict[str, dict[str, Any]], raw: float | None) -> None:
    print("\n== summary ==")
    print(
        f"{'provider':<10} {'offered/s':>9} {'ok/s':>7} {'errors':>6} {'p50 ms':>8}"
        f" {'p99 ms':>8} {'worker msg/s':>12}  load avg after web"
    )
    for provider, result in results.items():
        web, drain = result["web"], result["drain"]
        worker = f"{drain['rate']:.1f}" if drain else "-"
        print(
            f"{provider:<10} {web['offered_rate']:>9.1f} {web['rate']:>7.1f}"
            f" {sum(web['errors'].values()):>6} {web['p50_ms']:>8.1f} {web['p99_ms']:>8.1f}"
            f" {worker:>12}  {' '.join(f'{x:.2f}' for x in result['load'])}"
        )
    print(f"raw single-row committed INSERT: {f'{raw:.0f} rows/s' if raw else 'not run'}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--rate", type=float, default=400)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-conns", type=int, default=64)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--granian-args", default="", help="extra granian options, space-separated")
    parser.add_argument("--raw-rows", type=int, default=20000)
    parser.add_argument("--drain-timeout", type=float, default=180)
    parser.add_argument("--pool", action="store_true", help="DATABASE_POOL=1 (psycopg pool)")
    parser.add_argument("--providers", default="evolution,twilio", help="comma-separated, in order")
    parser.add_argument(
        "--phases",
        default="web,worker,raw",
        help="comma-separated: web (always, per provider), worker (drain), raw (INSERT baseline)",
    )
    args = parser.parse_args()
    args.phases = set(args.phases.split(","))
    sys.path.insert(0, str(ROOT))
    if args.pool:
        os.environ["DATABASE_POOL"] = "1"
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # one INFO line per delivery is not the test
    print(f"settings: DATABASE_POOL={os.environ.get('DATABASE_POOL', '0')}")

    print(f"load average before: {os.getloadavg()}")
    _recreate_database(args.url)
    _django_setup(args.url)
    tokens = _make_channels()
    from django.db import connection

    connection.close()
    port = _free_port()
    total = int(args.rate * (args.seconds + args.warmup))
    providers = [p for p in args.providers.split(",") if p]
    phases = {p: _requests(p, tokens[p], port, total) for p in providers}  # before the clock
    granian = _start_granian(args.url, port, args.web_workers, args.granian_args)
    results = {}
    try:
        for provider in providers:
            results[provider] = _phase(args, provider, granian, *phases[provider])
    finally:
        _stop(granian)

    raw = None
    if "raw" in args.phases and args.raw_rows:
        raw = _raw_insert_rate(args.url, args.raw_rows)["single_row_commit_per_s"]
        print("\n== raw SQL baseline (psycopg, same machine, same run) ==")
        print(f"single-row committed INSERT: {raw:.0f} rows/s")
    _summary(results, raw)
    print(f"\nload average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
