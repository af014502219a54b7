"""Server time of the global search on the inbox data (run `bench.inbox_data` first).

    .venv/bin/python -m bench.search [--url postgres://postgres@127.0.0.1:5432/bench_inbox]
        [--rounds 3]

Drives the real view stack (middleware, tenant resolution, selectors, template) with Django's
test Client, logged in as the owner of the first bench tenant, over a fixed list of queries
typed the way people type them (names with and without accents, capitals, message words common
and rare, phone digits, two-letter queries, misses), each `--rounds` times. Prints p50/p95/max
in ms of the wall time and of the CPU time (this process + its PostgreSQL backend; on a busy
machine the wall time also counts waiting for a CPU), overall and per kind of query, for: the
top bar's fragment (`/busca/?q=`), the JSON API (`/api/v1/search?q=`) and, for the inbox, the
first page of `thread_list(search=...)`.
Target: global search p95 < 100 ms.
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

from bench.inbox_data import DEFAULT_URL, bench_owner_membership
from bench.inbox_rows import phone_number
from bench.people_list import _percentile

TARGET_MS = 100.0
QUERIES: dict[str, list[str]] = {
    "name, typed without accents": [
        "joao", "araujo", "goncalves", "heloisa", "vinicius", "conceicao", "patricia", "leticia",
        "joao silva", "maria araujo", "otavio", "benicio", "jessica souza", "helena dias",
    ],
    "name, accented or in capitals": [
        "João", "ARAÚJO", "Gonçalves", "Heloísa Lima", "MARIANA", "Otávio Prado", "Letícia",
    ],
    "message words, common": [
        "sessao", "remarcar", "pix", "consulta", "obrigada", "amanhã", "horario", "avaliação",
    ],
    "message words, rarer": [
        "convenio unimed", "nota fiscal", "laudo", "reembolso", "estacionamento", "gripado",
        "fonoaudiologia", "neuropediatra", "sulamerica", "corpus christi",
    ],
    "phone digits": [phone_number(i)[3:] for i in (5, 77, 901, 4242, 12345)]
    + ["(11) 9", "98765-4", "2199"],
    "two letters": ["jo", "an", "mã", "li"],
    "no match": ["zzzz", "xilofone quântico", "ninguém-aqui", "%_%"],
}  # fmt: skip


class Clock:
    """Wall time of a request and the CPU it used: this process's thread plus the PostgreSQL
    backend serving it (`/proc/<pid>/schedstat`, nanoseconds). On a shared, busy machine the
    wall time includes waiting for a CPU; the CPU time is what the request costs."""

    def __init__(self, backend_pid: int) -> None:
        self.stat = f"/proc/{backend_pid}/schedstat"

    def _backend_ns(self) -> int:
        with open(self.stat) as f:
            return int(f.read().split()[0])

    def timed(self, call: Callable[[str], int], query: str) -> tuple[float, float]:
        wall, cpu, backend = time.perf_counter(), time.thread_time_ns(), self._backend_ns()
        status = call(query)
        cpu_ms = (time.thread_time_ns() - cpu + self._backend_ns() - backend) / 1e6
        wall_ms = (time.perf_counter() - wall) * 1000
        if status != 200:
            raise SystemExit(f"HTTP {status}")
        return wall_ms, cpu_ms


def _measure(label: str, samples: list[tuple[float, float]]) -> tuple[float, float]:
    """Prints p50/p95 of wall and CPU time; returns the p95s."""
    wall = [w for w, _ in samples]
    cpu = [c for _, c in samples]
    p95s = (_percentile(wall, 95), _percentile(cpu, 95))
    print(f"  {label:<30} n={len(samples):<4} wall p50={statistics.median(wall):6.1f}"
          f" p95={p95s[0]:6.1f} max={max(wall):6.1f} | cpu p50={statistics.median(cpu):6.1f}"
          f" p95={p95s[1]:6.1f} ms")  # fmt: skip
    return p95s


def _series(
    title: str, rounds: int, clock: Clock, call: Callable[[str], int]
) -> tuple[float, float]:
    print(title)
    for queries in QUERIES.values():  # warm caches and the connection
        call(queries[0])
    everything: list[tuple[float, float]] = []
    for kind, queries in QUERIES.items():
        samples = [clock.timed(call, q) for _ in range(rounds) for q in queries]
        everything += samples
        _measure(kind, samples)
    return _measure("ALL QUERIES", everything)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Global search benchmark")
    parser.add_argument("--url", default=os.environ.get("BENCH_INBOX_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    membership = bench_owner_membership(args.url)
    from django.db import connection
    from django.test import Client

    from clinicrm.api.services import api_token_create
    from clinicrm.messaging.models import Message, Thread
    from clinicrm.messaging.selectors import thread_list

    tenant = membership.tenant
    print(
        f"PostgreSQL {getattr(connection, 'pg_version', '?')}: {Message.objects.count()} messages,"
        f" {Thread.objects.count()} threads; measured tenant:"
        f" {Message.objects.filter(tenant=tenant).count()} messages,"
        f" {Thread.objects.filter(tenant=tenant).count()} threads"
    )
    client = Client()
    client.force_login(membership.user)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        clock = Clock(cursor.fetchone()[0])
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    token = api_token_create(tenant=tenant, user=membership.user, name="bench").plain
    auth = {"Authorization": f"Bearer {token}"}
    hx = {"HX-Request": "true"}

    wall, cpu = _series(
        "global search, top bar fragment (/busca/?q=)",
        args.rounds,
        clock,
        lambda q: client.get("/busca/", {"q": q}, headers=hx).status_code,
    )
    _series(
        "global search, JSON API (/api/v1/search?q=)",
        args.rounds,
        clock,
        lambda q: client.get("/api/v1/search", {"q": q}, headers=auth).status_code,
    )
    _series(
        "inbox search, first 30 threads (thread_list selector)",
        args.rounds,
        clock,
        lambda q: 200 if list(thread_list(tenant=tenant, search=q)[:30]) is not None else 0,
    )
    verdict = "OK" if wall < TARGET_MS else "ABOVE TARGET"
    print(
        f"global search p95: {wall:.1f} ms wall, {cpu:.1f} ms CPU (target < {TARGET_MS:.0f} ms"
        f" wall): {verdict}"
    )


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main()
