"""The dashboard card "Mensagens recebidas/enviadas": this São Paulo month's message counts.

The month is turned into aware UTC bounds so the one aggregate query is a range scan of the
`messages_tenant_created_idx` index (tenant, created_at, direction); with `direction` in the index
and counted by column, PostgreSQL can answer it from the index alone.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest

from clinicrm.core.models import Tenant
from clinicrm.core.timeutils import local_datetime, local_today, month_bounds
from clinicrm.dashboard.slots import dashboard_slot_register
from clinicrm.messaging.models import Direction, Message

TEMPLATE = "messaging/_dashboard_messages.html"


@dataclass(frozen=True)
class MonthMessageCounts:
    month: dt.date  # first day of the São Paulo month
    inbound: int
    outbound: int

    @property
    def total(self) -> int:
        return self.inbound + self.outbound


def messages_month_counts(*, tenant: Tenant, today: dt.date) -> MonthMessageCounts:
    """Inbound and outbound conversation messages of `today`'s São Paulo month (one query)."""
    first, next_first = month_bounds(today)
    counts = Message.objects.filter(
        tenant=tenant,
        created_at__gte=local_datetime(first, dt.time(0, 0)),
        created_at__lt=local_datetime(next_first, dt.time(0, 0)),
    ).aggregate(
        # Counting the indexed column (not the pk) keeps the query index-only.
        inbound=Count("direction", filter=Q(direction=Direction.INBOUND)),
        outbound=Count("direction", filter=Q(direction=Direction.OUTBOUND)),
    )
    return MonthMessageCounts(month=first, inbound=counts["inbound"], outbound=counts["outbound"])


def messages_dashboard_context(request: HttpRequest) -> dict[str, Any]:
    tenant = request.tenant  # type: ignore[attr-defined]
    return {"counts": messages_month_counts(tenant=tenant, today=local_today())}


def messages_dashboard_register() -> None:
    """Called from MessagingConfig.ready(): replaces the dashboard's placeholder card."""
    dashboard_slot_register(
        slot_id="messages", template_name=TEMPLATE, context=messages_dashboard_context
    )
