"""Webhook deliveries in the metrics window (registered into core's /metrics)."""

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import Count

from clinicrm.core.metrics import metrics_gauge
from clinicrm.integrations.models import InboundEvent


def webhook_metrics(since: dt.datetime) -> Iterator[Any]:
    events = (
        InboundEvent.objects.filter(received_at__gte=since)
        .values("provider", "status")
        .annotate(n=Count("id"))
    )
    yield metrics_gauge(
        "clinicrm_webhook_deliveries_window",
        "Webhook deliveries received in the window, by provider and processing result",
        ["provider", "result"],
        ((r["provider"], r["status"], r["n"]) for r in events),
    )
