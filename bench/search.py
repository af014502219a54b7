"""Server time of the global search on the inbox data (run `bench.inbox_data` first).

    .venv/bin/python -m bench.search [--url postgres://postgres@127.0.0.1:5432/bench_inbox]
        [--rounds 3]

Drives the real view stack (middleware, tenant resolution, selectors, template) with Django's
test Client, logged in as the owner of the first bench tenant, over a fixed list of queries
typed the way people type them (names with and without accents, capitals, message words common
and rare, phone digits, two-letter queries, misses), each `--rounds` times. Prints p50/p95/max
in ms overall and per kind of query for: the top bar's fragment (`/busca/?q=`), the JSON API
(`/api/v1/search?q=`) and, for the inbox, the first page of `thread_list(search=...)`.
Target: global search p95 < 100 ms.
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

from bench.inbox_data import DEFAULT_URL, EMAIL_DOMAIN
from bench.inbox_rows import phone_number
from bench.people_data import django_setup
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


def _measure(label: str, samples: list[float]) -> float:
    p50, p95 = statistics.median(samples), _percentile(samples, 95)
    print(f"  {label:<32} n={len(samples):<4} p50={p50:6.1f} ms  p95={p95:6.1f} ms"
          f"  max={max(samples):6.1f} ms")  # fmt: skip
    return p95


def _timed(call: Callable[[str], int], query: str) -> float:
    start = time.perf_counter()
    status = call(query)
    elapsed = (time.perf_counter() - start) * 1000
    if status != 200:
        raise SystemExit(f"HTTP {status}")
    return elapsed


def _series(title: str, rounds: int, call: Callable[[str], int]) -> float:
    print(title)
    for queries in QUERIES.values():  # warm caches and the connection
        call(queries[0])
    everything: list[float] = []
    for kind, queries in QUERIES.items():
        samples = [_timed(call, q) for _ in range(rounds) for q in queries]
        everything += samples
        _measure(kind, samples)
    return _measure("ALL QUERIES", everything)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Global search benchmark")
    parser.add_argument("--url", default=os.environ.get("BENCH_INBOX_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    django_setup(args.url)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from django.test import Client

    from clinicrm.api.services import api_token_create
    from clinicrm.core.models import Membership
    from clinicrm.messaging.models import Message, Thread
    from clinicrm.messaging.selectors import thread_list

    membership = (
        Membership.objects.filter(user__email=f"owner0@{EMAIL_DOMAIN}")
        .select_related("user", "tenant")
        .first()
    )
    if membership is None:
        raise SystemExit("No bench data: run `python -m bench.inbox_data` first.")
    tenant = membership.tenant
    print(
        f"PostgreSQL {getattr(connection, 'pg_version', '?')}: {Message.objects.count()} messages,"
        f" {Thread.objects.count()} threads; measured tenant:"
        f" {Message.objects.filter(tenant=tenant).count()} messages,"
        f" {Thread.objects.filter(tenant=tenant).count()} threads"
    )
    client = Client()
    client.force_login(membership.user)
    token = api_token_create(tenant=tenant, user=membership.user, name="bench").plain
    auth = {"Authorization": f"Bearer {token}"}
    hx = {"HX-Request": "true"}

    worst = _series(
        "global search, top bar fragment (/busca/?q=)",
        args.rounds,
        lambda q: client.get("/busca/", {"q": q}, headers=hx).status_code,
    )
    _series(
        "global search, JSON API (/api/v1/search?q=)",
        args.rounds,
        lambda q: client.get("/api/v1/search", {"q": q}, headers=auth).status_code,
    )
    _series(
        "inbox search, first 30 threads (thread_list selector)",
        args.rounds,
        lambda q: 200 if list(thread_list(tenant=tenant, search=q)[:30]) is not None else 0,
    )
    verdict = "OK" if worst < TARGET_MS else "ABOVE TARGET"
    print(f"global search p95: {worst:.1f} ms (target < {TARGET_MS:.0f} ms): {verdict}")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main()
