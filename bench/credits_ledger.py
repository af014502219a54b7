"""Benchmark: WhatsApp credit deductions per second on PostgreSQL, 8 worker processes, one tenant.

Measures `credits_deduct` (the service) beside the physical baseline, the same work as raw SQL
through psycopg: `UPDATE ... RETURNING` + `INSERT` in one transaction. Target: the service reaches
at least half of the baseline. A third figure runs, through raw psycopg, the single
`WITH ... UPDATE ... RETURNING ... INSERT` statement the service itself sends on PostgreSQL, so
the cost of Django around it is visible too.

    .venv/bin/python -m bench.credits_ledger [--workers 8] [--per-worker 400] [--rounds 3]
        [--url postgres://postgres@127.0.0.1:5432/bench_credits]

The database named in --url is created if missing and migrated; each round uses fresh tenants.
"""

import argparse
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_credits"

RAW_UPDATE = (
    "UPDATE whatsapp_credits_balance"
    " SET balance = balance - 1, lifetime_used = lifetime_used + 1, updated_at = now()"
    " WHERE tenant_id = %s AND balance >= 1 RETURNING balance"
)
RAW_INSERT = (
    "INSERT INTO whatsapp_credits_transactions"
    " (tenant_id, kind, amount, balance_after, conversation_message_id, created_at)"
    " VALUES (%s, 'usage', -1, %s, %s, now())"
)


def _django_setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicrm.config.settings")
    import django

    django.setup()


def _ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def service_worker(
    url: str, tenant_id: str, worker: int, count: int, barrier: Any, out: Any
) -> None:
    _django_setup(url)
    from clinicrm.core.models import Tenant
    from clinicrm.credits.services import credits_deduct

    tenant = Tenant.objects.get(pk=tenant_id)
    base = (int(time.time() * 1000) % 10**9) * 1000 + worker * 10**12
    credits_deduct(tenant=tenant, message_id=base)  # warm the connection and the statement path
    barrier.wait(timeout=300)
    start = time.perf_counter()
    for i in range(1, count + 1):
        credits_deduct(tenant=tenant, message_id=base + i)
    out.put((start, time.perf_counter()))


def raw_worker(url: str, tenant_id: str, worker: int, count: int, barrier: Any, out: Any) -> None:
    import psycopg

    tid = uuid.UUID(tenant_id)
    base = (int(time.time() * 1000) % 10**9) * 1000 + worker * 10**12 + 5 * 10**11
    with psycopg.connect(url) as conn:

        def one(message_id: int) -> None:
            with conn.transaction():
                row = conn.execute(RAW_UPDATE, [tid]).fetchone()
                if row is None:
                    raise RuntimeError("balance exhausted")
                conn.execute(RAW_INSERT, [tid, row[0], message_id])

        one(base)
        conn.commit()
        barrier.wait(timeout=300)
        start = time.perf_counter()
        for i in range(1, count + 1):
            one(base + i)
        out.put((start, time.perf_counter()))


RAW_CTE = (
    "WITH b AS (UPDATE whatsapp_credits_balance"
    " SET balance = balance - 1, lifetime_used = lifetime_used + 1, updated_at = now()"
    " WHERE tenant_id = %s AND balance >= 1 RETURNING balance)"
    " INSERT INTO whatsapp_credits_transactions"
    " (tenant_id, kind, amount, balance_after, conversation_message_id, created_at)"
    " SELECT %s, 'usage', -1, b.balance, %s, now() FROM b RETURNING id"
)


def raw_cte_worker(
    url: str, tenant_id: str, worker: int, count: int, barrier: Any, out: Any
) -> None:
    """The statement the service sends on PostgreSQL, in autocommit: the floor of its cost."""
    import psycopg

    tid = uuid.UUID(tenant_id)
    base = (int(time.time() * 1000) % 10**9) * 1000 + worker * 10**12 + 7 * 10**11
    with psycopg.connect(url, autocommit=True) as conn:

        def one(message_id: int) -> None:
            if conn.execute(RAW_CTE, [tid, tid, message_id]).fetchone() is None:
                raise RuntimeError("balance exhausted")

        one(base)
        barrier.wait(timeout=300)
        start = time.perf_counter()
        for i in range(1, count + 1):
            one(base + i)
        out.put((start, time.perf_counter()))


def _measure(target: Any, url: str, tenant_id: str, workers: int, per_worker: int) -> float:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(workers)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=target, args=(url, tenant_id, w, per_worker, barrier, out))
        for w in range(workers)
    ]
    for proc in procs:
        proc.start()
    spans = [out.get(timeout=600) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
        if proc.exitcode != 0:
            raise SystemExit(f"worker failed with exit code {proc.exitcode}")
    elapsed = max(end for _, end in spans) - min(start for start, _ in spans)
    return workers * per_worker / elapsed


def _fresh_tenant(credits: int) -> str:
    from clinicrm.core.models import Tenant
    from clinicrm.credits.models import CreditBalance, CreditTransaction

    tenant = Tenant.objects.create(name="Bench", slug=f"bench-{uuid.uuid4().hex[:12]}")
    balance = CreditBalance.objects.create(tenant=tenant, balance=credits, low_balance_threshold=0)
    CreditTransaction.objects.create(
        tenant=tenant, kind="topup_manual", amount=credits, balance_after=balance.balance
    )
    return str(tenant.pk)


def _check(tenant_id: str) -> None:
    from clinicrm.credits.models import CreditBalance
    from clinicrm.credits.selectors import credits_transactions_sum

    row = CreditBalance.objects.select_related("tenant").get(tenant_id=uuid.UUID(tenant_id))
    if row.balance != credits_transactions_sum(tenant=row.tenant):
        raise SystemExit("ledger inconsistent after the run")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--per-worker", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    _ensure_database(args.url)
    _django_setup(args.url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    credits = args.workers * (args.per_worker + 1) + 10
    service: list[float] = []
    raw: list[float] = []
    raw_cte: list[float] = []
    for n in range(1, args.rounds + 1):
        # Rotate the order so no side always runs on a warmer (or busier) machine.
        order = [
            ("service", service_worker, service),
            ("raw", raw_worker, raw),
            ("raw_cte", raw_cte_worker, raw_cte),
        ]
        order = order[n % 3 :] + order[: n % 3]
        for label, target, sink in order:
            tenant_id = _fresh_tenant(credits)
            rate = _measure(target, args.url, tenant_id, args.workers, args.per_worker)
            _check(tenant_id)
            sink.append(rate)
            print(f"round {n} {label:7s} {rate:8.0f} deductions/s", flush=True)

    svc, base = statistics.median(service), statistics.median(raw)
    cte = statistics.median(raw_cte)
    print(f"workers={args.workers} per_worker={args.per_worker} rounds={args.rounds}")
    print(f"service credits_deduct        : {svc:8.0f} deductions/s (median)")
    print(f"raw SQL baseline (UPDATE+INSERT): {base:6.0f} deductions/s (median)")
    print(f"raw single statement (CTE)    : {cte:8.0f} deductions/s (median)")
    print(f"ratio service/baseline        : {svc / base:.2f} (target >= 0.50)")
    print(f"ratio service/raw CTE         : {svc / cte:.2f} (Django's own overhead)")
    sys.exit(0 if svc / base >= 0.5 else 1)


if __name__ == "__main__":
    main()
