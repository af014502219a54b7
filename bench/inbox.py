"""Server time of the CRM inbox on the inbox data (run `bench.inbox_data` first).

    .venv/bin/python -m bench.inbox [--url postgres://postgres@127.0.0.1:5432/bench_inbox]
        [--rounds 20]

Logged in as the owner of the first bench tenant (20,000 threads, ~100,000 messages of the
1,000,000), through the real view stack with Django's test Client:
- the inbox's first page, as the page opens (`/conversas/`) and as each filter answers (htmx
  fragment): Todas, Minhas, Não atribuídas, each tag, Só não lidas, search (name without accents,
  a message word, phone digits), a combination; and the same first page from the JSON API and
  from the selector alone. Target p95 < 50 ms.
- a thread's latest 50 messages (`timeline_latest`, and `/api/v1/threads/{id}/messages`) over
  random threads and the largest ones. Target p95 < 20 ms.
- the global search (`/busca/?q=`) over `bench.search.QUERIES`. Target p95 < 100 ms.
- the naive first page: the same 30 threads computed the way the original system's view did, by
  aggregating `conversation_messages` per thread at read time; the ratio to the selector's time
  (goal >= 100x).
Wall time and CPU time (this process + its PostgreSQL backend: on a shared machine the wall time
also counts waiting for a CPU) at p50/p95/max, in ms.
"""

import argparse
import os
import random
import statistics
import sys
from collections.abc import Callable

from bench.inbox_data import DEFAULT_URL, bench_owner_membership
from bench.inbox_rows import phone_number
from bench.people_list import _percentile
from bench.search import QUERIES, Clock

NAIVE_SQL = """
SELECT m.thread_key,
       max(m.provider_timestamp) AS last_at,
       count(*) FILTER (WHERE m.direction = 'in' AND m.status NOT IN ('read', 'played')) AS unread,
       (array_agg(left(m.body, 120) ORDER BY m.provider_timestamp DESC, m.id DESC))[1] AS preview,
       (array_agg(m.direction ORDER BY m.provider_timestamp DESC, m.id DESC))[1] AS direction
  FROM conversation_messages m
 WHERE m.tenant_id = %s
 GROUP BY m.thread_key
 ORDER BY last_at DESC
 LIMIT 30
"""


# The same 30 rows from the cached columns of conversation_threads, by the keyset index: what the
# naive query computes, minus the CRM chips (apples to apples with NAIVE_SQL).
KEYSET_SQL = """
SELECT t.id, t.thread_key, t.last_message_at, t.unread_count, t.last_message_preview,
       t.last_direction
  FROM conversation_threads t
 WHERE t.tenant_id = %s AND t.last_message_at IS NOT NULL
 ORDER BY t.last_message_at DESC, t.id DESC
 LIMIT 30
"""


def _report(label: str, samples: list[tuple[float, float]], target: float | None = None) -> float:
    wall = [w for w, _ in samples]
    cpu = [c for _, c in samples]
    p95 = _percentile(wall, 95)
    verdict = "" if target is None else ("  OK" if p95 < target else "  ABOVE TARGET")
    print(f"  {label:<44} n={len(samples):<4} wall p50={statistics.median(wall):7.1f}"
          f" p95={p95:7.1f} max={max(wall):7.1f} | cpu p50={statistics.median(cpu):7.1f}"
          f" p95={_percentile(cpu, 95):7.1f} ms{verdict}")  # fmt: skip
    return p95


def _series(clock: Clock, rounds: int, call: Callable[[str], int]) -> list[tuple[float, float]]:
    call("")  # warm the connection and the caches
    return [clock.timed(call, "") for _ in range(rounds)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="CRM inbox benchmark")
    parser.add_argument("--url", default=os.environ.get("BENCH_INBOX_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    membership = bench_owner_membership(args.url)
    from django.db import connection
    from django.test import Client

    from clinicrm.api.services import api_token_create
    from clinicrm.crm.selectors import InboxFilters, tags_of_tenant, thread_page
    from clinicrm.messaging.models import Message, Thread
    from clinicrm.messaging.timeline import timeline_latest

    tenant, user = membership.tenant, membership.user
    print(
        f"PostgreSQL {getattr(connection, 'pg_version', '?')}: {Message.objects.count()} messages,"
        f" {Thread.objects.count()} threads; measured tenant:"
        f" {Message.objects.filter(tenant=tenant).count()} messages,"
        f" {Thread.objects.filter(tenant=tenant).count()} threads"
    )
    client = Client()
    client.force_login(user)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        clock = Clock(cursor.fetchone()[0])
    load = os.getloadavg()
    print(f"load average: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs")
    token = api_token_create(tenant=tenant, user=user, name="bench").plain
    auth = {"Authorization": f"Bearer {token}"}
    fragment = {"HX-Request": "true", "HX-Target": "inbox-results"}
    rounds = args.rounds

    def page(params: dict[str, str], headers: dict[str, str] | None = None) -> Callable:
        return lambda _q: client.get("/conversas/", params, headers=headers or {}).status_code

    print("inbox first page (30 threads), target p95 < 50 ms")
    worst = _report("page open /conversas/", _series(clock, rounds, page({})), 50)
    filters: dict[str, dict[str, str]] = {
        "Todas": {},
        "Minhas": {"vista": "minhas"},
        "Não atribuídas": {"vista": "nao-atribuidas"},
        "Só não lidas": {"nao-lidas": "1"},
        "Não atribuídas + não lidas": {"vista": "nao-atribuidas", "nao-lidas": "1"},
        "busca nome sem acento 'joao'": {"q": "joao"},
        "busca nome 'conceicao araujo'": {"q": "conceicao araujo"},
        "busca mensagem 'remarcar'": {"q": "remarcar"},
        "busca dígitos do número": {"q": phone_number(77)[3:]},
    }
    for tag in tags_of_tenant(tenant=tenant):
        filters[f"etiqueta {tag.name}"] = {"etiqueta": str(tag.pk)}
    for label, params in filters.items():
        samples = _series(clock, rounds, page(params, fragment))
        worst = max(worst, _report(f"filtro {label}", samples, 50))
    api = _series(clock, rounds, lambda _q: client.get("/api/v1/threads", headers=auth).status_code)
    _report("JSON API /api/v1/threads", api, 50)
    kanban = _series(
        clock, max(5, rounds // 4), lambda _q: client.get("/conversas/kanban/").status_code
    )
    _report("Kanban /conversas/kanban/ (4 columns x 20)", kanban)
    selector = _series(
        clock,
        rounds,
        lambda _q: 200 if thread_page(tenant=tenant, user=user, filters=InboxFilters()) else 0,
    )
    _report("selector thread_page (Todas)", selector, 50)
    print(f"inbox first page and filters, worst p95: {worst:.1f} ms wall")

    print("a thread's latest 50 messages, target p95 < 20 ms")
    rng = random.Random(7)
    ids = list(Thread.objects.filter(tenant=tenant).values_list("pk", flat=True))
    sample = rng.sample(ids, min(len(ids), rounds * 5))
    with connection.cursor() as cursor:  # the largest threads of the tenant
        cursor.execute(
            "SELECT t.id FROM conversation_threads t JOIN (SELECT thread_key, count(*) n"
            " FROM conversation_messages WHERE tenant_id = %s GROUP BY thread_key"
            " ORDER BY n DESC LIMIT 20) big ON big.thread_key = t.thread_key"
            " WHERE t.tenant_id = %s",
            [tenant.pk, tenant.pk],
        )
        big = [row[0] for row in cursor.fetchall()]
    threads = {t.pk: t for t in Thread.objects.filter(pk__in=sample + big)}
    picks = iter(sample + big)

    def latest(_q: str) -> int:
        return 200 if timeline_latest(thread=threads[next(picks)], limit=50) else 0

    timeline_latest(thread=threads[sample[0]], limit=50)
    samples = [clock.timed(latest, "") for _ in range(len(sample) + len(big))]
    _report("timeline_latest (random + 20 largest)", samples, 20)
    picks = iter(sample)
    api_samples = [
        clock.timed(
            lambda _q: (
                client.get(f"/api/v1/threads/{next(picks)}/messages", headers=auth).status_code
            ),
            "",
        )
        for _ in range(len(sample))
    ]
    _report("JSON API /threads/{id}/messages", api_samples, 20)

    print("global search (/busca/?q=), target p95 < 100 ms")
    hx = {"HX-Request": "true"}
    queries = [q for group in QUERIES.values() for q in group]
    for q in queries[:5]:
        client.get("/busca/", {"q": q}, headers=hx)
    search = [
        clock.timed(lambda q: client.get("/busca/", {"q": q}, headers=hx).status_code, q)
        for q in queries
    ]
    _report(f"{len(queries)} queries (bench.search.QUERIES)", search, 100)

    print("naive first page: aggregate conversation_messages per thread at read time")

    def naive(_q: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute(NAIVE_SQL, [tenant.pk])
            return 200 if len(cursor.fetchall()) == 30 else 500

    def keyset(_q: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute(KEYSET_SQL, [tenant.pk])
            return 200 if len(cursor.fetchall()) == 30 else 500

    naive_samples = [clock.timed(naive, "") for _ in range(max(3, rounds // 4) + 1)][1:]
    _report("naive GROUP BY thread_key (SQL)", naive_samples)
    keyset_samples = _series(clock, rounds, keyset)
    _report("keyset on conversation_threads (SQL)", keyset_samples)

    def ratio(slow: list[tuple[float, float]], quick: list[tuple[float, float]], i: int) -> float:
        return statistics.median(x[i] for x in slow) / statistics.median(x[i] for x in quick)

    print(
        f"ratio naive / keyset, same 30 rows (p50): {ratio(naive_samples, keyset_samples, 0):.0f}x"
        f" wall, {ratio(naive_samples, keyset_samples, 1):.0f}x CPU (goal >= 100x)"
    )
    print(
        f"ratio naive / selector with CRM chips (p50): {ratio(naive_samples, selector, 0):.0f}x"
        f" wall, {ratio(naive_samples, selector, 1):.0f}x CPU"
    )
    load = os.getloadavg()
    print(f"load average after: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main()
