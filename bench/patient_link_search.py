"""Server time of the drawer's "Vincular existente" search over 50,000 patients per tenant (run
`bench.people_data` first; two tenants are enough: `--tenants 2`).

    .venv/bin/python -m bench.patient_link_search [--url postgres://...] [--requests 200]

Drives the real view (`crm:patient_search`: middleware, tenant, people search selector on the
folded `search_text` columns, first 10 matches with their primary phone, template) with Django's
test Client logged in as the owner of the first bench tenant, and prints p50/p95/max in ms for
name prefixes, full names without accents, CPF/phone digits and a query that matches nothing.
"""

import argparse
import os
import random
import sys

from bench.people_data import DEFAULT_URL, FIRST, LAST, SLUG_PREFIX, django_setup
from bench.people_list import _measure

TARGET_MS = 50.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="'Vincular existente' search benchmark")
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    django_setup(args.url)

    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.test import Client

    from clinicrm.core.models import Membership, Role
    from clinicrm.messaging.models import Thread
    from clinicrm.people.models import Patient

    membership = (
        Membership.objects.filter(tenant__slug=f"{SLUG_PREFIX}0", role=Role.OWNER)
        .select_related("user", "tenant")
        .first()
    )
    if membership is None:
        raise SystemExit("No bench data: run `python -m bench.people_data` first.")
    tenant = membership.tenant
    thread, _ = Thread.objects.get_or_create(tenant=tenant, thread_key="+5511900000000")
    total = Patient.objects.filter(tenant=tenant).count()
    print(f"{total} patients in the measured tenant")
    client = Client()
    client.force_login(membership.user)
    url = f"/conversas/{thread.pk}/paciente/buscar/"
    hx = {"HX-Request": "true"}
    rng = random.Random(5)
    prefixes = [rng.choice([*FIRST, *LAST]).lower()[: rng.randint(3, 6)] for _ in range(50)]
    names = ["joao araujo", "maria silva", "jose souza", "ana paula", "lucia ferreira"]

    def run(label: str, queries: list[str]) -> float:
        _, p95 = _measure(
            label,
            args.requests,
            lambda i: client.get(url, {"q": queries[i % len(queries)]}, headers=hx).status_code,
        )
        return p95

    worst = max(
        run("name prefix", prefixes),
        run("two names, no accents", names),
        run("digits (CPF / phone)", [f"9{1000 + i:04d}" for i in range(50)]),
        run("no match", ["zzzz-ninguém"]),
    )
    verdict = "OK" if worst < TARGET_MS else "ABOVE TARGET"
    print(f"worst p95: {worst:.1f} ms (target < {TARGET_MS:.0f} ms): {verdict}")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main()
