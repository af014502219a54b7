"""Server time of the patient list with 50,000 patients per tenant (run people_data first).

    .venv/bin/python -m bench.people_list [--url postgres://postgres@127.0.0.1:5432/bench_clinicrm]
        [--requests 200]

Drives the real view stack (middleware, tenant resolution, selector, template) with Django's
test Client logged in as the owner of the first bench tenant, and prints p50/p95/max in ms for:
the first page, a search by name (varied terms), and, for context, a deep page and a phone
search. Target: p95 < 50 ms for the first page and the search by name.
"""

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable

from bench.people_data import DEFAULT_URL, FIRST, LAST, SLUG_PREFIX, django_setup

TARGET_MS = 50.0


def _percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def _measure(label: str, n: int, request: Callable[[int], int]) -> tuple[float, float]:
    for i in range(5):  # warm caches and the connection
        request(i)
    samples = []
    for i in range(n):
        start = time.perf_counter()
        status = request(i)
        samples.append((time.perf_counter() - start) * 1000)
        if status != 200:
            raise SystemExit(f"{label}: HTTP {status}")
    p50, p95 = statistics.median(samples), _percentile(samples, 95)
    print(f"{label:<38} n={n:<4} p50={p50:6.1f} ms  p95={p95:6.1f} ms  max={max(samples):6.1f} ms")
    return p50, p95


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Patient list benchmark")
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    django_setup(args.url)

    from django.db import connection
    from django.test import Client

    from clinicrm.core.models import Membership, Role
    from clinicrm.people.models import Patient

    membership = (
        Membership.objects.filter(tenant__slug=f"{SLUG_PREFIX}0", role=Role.OWNER)
        .select_related("user", "tenant")
        .first()
    )
    if membership is None:
        raise SystemExit("No bench data: run `python -m bench.people_data` first.")
    tenant = membership.tenant
    total = Patient.objects.filter(tenant=tenant).count()
    tenants = Patient.objects.values("tenant").distinct().count()
    version = getattr(connection, "pg_version", "?")
    print(f"PostgreSQL {version}: {tenants} tenants, {total} patients in the measured tenant")

    client = Client()
    client.force_login(membership.user)
    rng = random.Random(3)
    terms = [rng.choice([*FIRST, *LAST]).lower()[: rng.randint(3, 6)] for _ in range(50)]
    terms += ["maria silva", "ana souza", "pedro", "xavier", "zzzz-ninguém"]
    hx = {"HX-Request": "true", "HX-Target": "list-results"}

    results = {
        "first page (full HTML)": _measure(
            "first page (full HTML)",
            args.requests,
            lambda i: client.get("/pacientes/").status_code,
        ),
        "search by name (htmx fragment)": _measure(
            "search by name (htmx fragment)",
            args.requests,
            lambda i: (
                client.get("/pacientes/", {"q": terms[i % len(terms)]}, headers=hx).status_code
            ),
        ),
        "search by name (full HTML)": _measure(
            "search by name (full HTML)",
            args.requests,
            lambda i: client.get("/pacientes/", {"q": terms[i % len(terms)]}).status_code,
        ),
    }
    _measure(
        "page 1000 of the list",
        max(20, args.requests // 4),
        lambda i: client.get("/pacientes/", {"page": 1000 + i % 50}).status_code,
    )
    _measure(
        "search by phone digits",
        max(20, args.requests // 4),
        lambda i: client.get("/pacientes/", {"q": f"9{1000 + i:04d}"}).status_code,
    )
    worst = max(p95 for _, p95 in results.values())
    verdict = "OK" if worst < TARGET_MS else "ABOVE TARGET"
    print(
        f"worst p95 of the targeted pages: {worst:.1f} ms (target < {TARGET_MS:.0f} ms): {verdict}"
    )


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main()
