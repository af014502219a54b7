"""Worker processes of the concurrency tests (started with the "spawn" method).

Nothing Django-related is imported at module level: a spawned child imports this module before it
has configured Django, then points the default database at the parent's test database and calls
`django.setup()`.
"""

import os
from typing import Any


def setup_django(db_name: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicrm.config.settings")
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = db_name
    import django

    django.setup()


def deduct_worker(db_name: str, tenant_id: str, worker: int, tries: int, barrier: Any, out: Any):
    """Try `tries` deductions of distinct messages; report (ok, insufficient, other errors)."""
    setup_django(db_name)
    from django.db import connection

    from clinicrm.core.models import Tenant
    from clinicrm.credits.services import InsufficientCredits, credits_deduct

    tenant = Tenant.objects.get(pk=tenant_id)
    connection.close()
    barrier.wait(timeout=120)
    ok = insufficient = 0
    errors: list[str] = []
    for i in range(tries):
        try:
            credits_deduct(tenant=tenant, message_id=worker * 100_000 + i)
            ok += 1
        except InsufficientCredits:
            insufficient += 1
        except Exception as exc:
            errors.append(repr(exc))
    connection.close()
    out.put((worker, ok, insufficient, errors))


def mixed_worker(
    db_name: str, tenant_id: str, admin_id: str, worker: int, rounds: int, barrier: Any, out: Any
):
    """Top-ups, deductions and refunds; some message ids are shared by all workers (so every
    worker races to charge them) and refunds also target a neighbour's messages (races to refund
    the same message, or to refund one not charged yet)."""
    setup_django(db_name)
    from django.db import connection

    from clinicrm.core.errors import ApplicationError
    from clinicrm.core.models import Tenant, User
    from clinicrm.credits.services import (
        InsufficientCredits,
        credits_add,
        credits_deduct,
        credits_refund,
    )

    tenant = Tenant.objects.get(pk=tenant_id)
    admin = User.objects.get(pk=admin_id)
    connection.close()
    barrier.wait(timeout=120)
    counts = {"topup": 0, "deduct": 0, "insufficient": 0, "refund": 0, "refused": 0}
    errors: list[str] = []
    neighbour = (worker + 1) % 8
    for i in range(rounds):
        try:
            if i % 10 == 0:
                credits_add(tenant=tenant, amount=5, kind="topup_manual", admin=admin)
                counts["topup"] += 1
            for message_id in (worker * 100_000 + i, 900_000 + i):
                try:
                    credits_deduct(tenant=tenant, message_id=message_id)
                    counts["deduct"] += 1
                except InsufficientCredits:
                    counts["insufficient"] += 1
            if i % 3 == 0:
                for message_id in (worker * 100_000 + i, neighbour * 100_000 + i, 900_000 + i):
                    try:
                        credits_refund(tenant=tenant, message_id=message_id)
                        counts["refund"] += 1
                    except ApplicationError:
                        counts["refused"] += 1  # not charged (yet)
        except Exception as exc:
            errors.append(repr(exc))
    connection.close()
    out.put((worker, counts, errors))
