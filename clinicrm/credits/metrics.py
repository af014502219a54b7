"""Credit ledger movements in the metrics window (registered into core's /metrics)."""

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import Count, Sum

from clinicrm.core.metrics import metrics_gauge
from clinicrm.core.models import Tenant
from clinicrm.credits.models import CreditTransaction


def credit_metrics(since: dt.datetime) -> Iterator[Any]:
    tenants = list(Tenant.objects.values_list("pk", flat=True))  # the (tenant, created_at) index
    moves = list(
        CreditTransaction.objects.filter(tenant_id__in=tenants, created_at__gte=since)
        .values("kind")
        .annotate(n=Count("id"), total=Sum("amount"))
    )
    yield metrics_gauge(
        "clinicrm_credit_movements_window",
        "Credit ledger rows written in the window, by kind",
        ["kind"],
        ((r["kind"], r["n"]) for r in moves),
    )
    yield metrics_gauge(
        "clinicrm_credit_amount_window",
        "Credits moved in the window, by kind (negative: spent)",
        ["kind"],
        ((r["kind"], r["total"]) for r in moves),
    )
