"""Retention of raw webhook bodies (compliance.retention): a handled event keeps its metadata,
its body and headers (which carry phones and message text) are emptied."""

import datetime as dt

from clinicrm.compliance.retention import retention_purger_register
from clinicrm.integrations.models import InboundEvent, InboundEventStatus


def _inbound_bodies(cutoff: dt.datetime) -> int:
    handled = [InboundEventStatus.PROCESSED, InboundEventStatus.IGNORED, InboundEventStatus.FAILED]
    return (
        InboundEvent.objects.filter(received_at__lt=cutoff, status__in=handled)
        .exclude(body=b"")
        .update(body=b"", headers={})
    )


def integrations_retention_register() -> None:
    retention_purger_register(
        name="inbound_event_bodies",
        setting="RETENTION_INBOUND_BODY_DAYS",
        default_days=90,
        purge=_inbound_bodies,
    )
