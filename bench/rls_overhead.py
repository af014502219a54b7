"""What row-level security costs on the inbox and the patient list (run `bench.inbox_data` first:
its tenants carry both threads and patients).

    .venv/bin/python -m bench.rls_overhead [--url postgres://postgres@127.0.0.1:5432/bench_inbox]
        [--rounds 40]

Logged in as the owner of the first bench tenant, through the real view stack (Django's test
Client: middleware, tenant resolution, selector, template), each page is requested with RLS off
and on in the same run, alternating request by request so the machine's load hits both alike:
- off: the benchmark's superuser (PostgreSQL skips the policies entirely) and `DATABASE_RLS`
  off (no `set_config` round trips);
- on: `DATABASE_RLS` on, every connection `SET ROLE` to an ordinary role (NOSUPERUSER
  NOBYPASSRLS, created here) and the policies installed, so the middleware's scope pushes and
  the policies' extra condition on every tenant table are both counted.
Prints wall p50/p95 per page and mode, in ms, and the on/off ratio of the medians.

`--leakproof-like` marks `textlike` (the LIKE behind every `search_text` search) LEAKPROOF for
the run and restores it afterwards: PostgreSQL keeps a non-leakproof operator out of index
conditions under a policy, so without it the searches lose their trigram index (docs/deploy.md).
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

from bench.inbox_data import DEFAULT_URL, bench_owner_membership
from bench.people_list import _percentile

APP_ROLE = "clinicrm_bench_app"


def _prepare_role() -> None:
    from django.db import connection

    from clinicrm.core.rls import rls_grant_sql, rls_install

    with connection.cursor() as cursor:
        cursor.execute(
            "DO $$ BEGIN "
            f"CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS; "
            "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
        rls_install()
        for statement in rls_grant_sql(APP_ROLE):
            cursor.execute(statement)


def _mode(on: bool) -> None:
    from django.conf import settings
    from django.db import connection

    connection.close()  # the next request reconnects with (or without) the role
    settings.DATABASE_RLS = on
    options = connection.settings_dict["OPTIONS"]
    if on:
        options["assume_role"] = APP_ROLE
    else:
        options.pop("assume_role", None)


def _leakproof_like(on: bool) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"ALTER FUNCTION textlike(text, text) {'' if on else 'NOT '}LEAKPROOF")
    print(f"textlike LEAKPROOF: {on}")


def _timed(call: Callable[[], int]) -> float:
    start = time.perf_counter()
    status = call()
    elapsed = (time.perf_counter() - start) * 1000
    if status != 200:
        raise SystemExit(f"HTTP {status}")
    return elapsed


def _compare(label: str, rounds: int, call: Callable[[], int]) -> float:
    samples: dict[bool, list[float]] = {False: [], True: []}
    for on in (False, True):  # warm each mode
        _mode(on)
        call()
    for i in range(rounds):
        for on in (i % 2 == 0, i % 2 == 1):
            _mode(on)
            samples[on].append(_timed(call))
    off, on_ = samples[False], samples[True]
    ratio = statistics.median(on_) / statistics.median(off)
    print(
        f"  {label:<34} off p50={statistics.median(off):6.1f} p95={_percentile(off, 95):6.1f}"
        f" | on p50={statistics.median(on_):6.1f} p95={_percentile(on_, 95):6.1f} ms"
        f" | on/off {ratio:.2f}x"
    )
    return ratio


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Row-level security overhead")
    parser.add_argument("--url", default=os.environ.get("BENCH_INBOX_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--leakproof-like", action="store_true")
    args = parser.parse_args(argv)
    membership = bench_owner_membership(args.url)
    from django.db import connection
    from django.test import Client

    from clinicrm.messaging.models import Thread
    from clinicrm.people.models import Patient

    tenant = membership.tenant
    print(
        f"PostgreSQL {getattr(connection, 'pg_version', '?')}; measured tenant:"
        f" {Thread.objects.filter(tenant=tenant).count()} threads,"
        f" {Patient.objects.filter(tenant=tenant).count()} patients"
        f" (of {Patient.objects.count()})"
    )
    _prepare_role()
    client = Client()
    client.force_login(membership.user)
    load = os.getloadavg()
    print(f"load average: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs")
    inbox_fragment = {"HX-Request": "true", "HX-Target": "inbox-results"}
    list_fragment = {"HX-Request": "true", "HX-Target": "list-results"}
    pages: dict[str, Callable[[], int]] = {
        "inbox /conversas/": lambda: client.get("/conversas/").status_code,
        "inbox unread filter (htmx)": lambda: (
            client.get("/conversas/", {"nao-lidas": "1"}, headers=inbox_fragment).status_code
        ),
        "inbox search 'remarcar' (htmx)": lambda: (
            client.get("/conversas/", {"q": "remarcar"}, headers=inbox_fragment).status_code
        ),
        "patients /pacientes/": lambda: client.get("/pacientes/").status_code,
        "patients search 'silva' (htmx)": lambda: (
            client.get("/pacientes/", {"q": "silva"}, headers=list_fragment).status_code
        ),
        "patients page 100": lambda: client.get("/pacientes/", {"page": 100}).status_code,
    }
    print(f"RLS off vs on, {args.rounds} requests each, alternating:")
    _leakproof_like(args.leakproof_like)
    try:
        ratios = [_compare(label, args.rounds, call) for label, call in pages.items()]
    finally:
        _mode(False)
        _leakproof_like(False)
    print(f"median on/off ratio over the pages: {statistics.median(ratios):.2f}x")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main()
