"""Outbound messages in the metrics window (registered into core's /metrics)."""

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import Count

from clinicrm.core.metrics import metrics_gauge
from clinicrm.core.models import Tenant
from clinicrm.messaging.models import Message


def send_metrics(since: dt.datetime) -> Iterator[Any]:
    # The (tenant, created_at, direction) index: one range per tenant (ANY on its first column).
    tenants = list(Tenant.objects.values_list("pk", flat=True))
    sends = (
        Message.objects.filter(tenant_id__in=tenants, created_at__gte=since, direction="out")
        .values("status")
        .annotate(n=Count("id"))
    )
    yield metrics_gauge(
        "clinicrm_sends_window",
        "Outbound messages created in the window, by current outcome",
        ["status"],
        ((r["status"], r["n"]) for r in sends),
    )
