"""One function per stored Twilio event type, dispatched by `HANDLERS` (thin: messaging decides).

Each handler runs inside `inbound_event_process`'s transaction with the event row locked. It
finds the channel the webhook stored (`channel_key`) and hands the event to messaging's
`channel_event_apply`, which parses it with `TwilioAdapter` and calls `message_ingest` (inbound:
media downloads are enqueued there; a failed download leaves a placeholder) or
`message_status_apply` (forward-only; `failed` with ErrorCode gets the friendly message and a
single refund). Statuses we do not act on (queued, sending, accepted, canceled, ...) have no
entry here, so they are stored, acknowledged and marked ignored.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from clinicrm.integrations.models import InboundEvent
from clinicrm.integrations.services import EventIgnored
from clinicrm.integrations.twilio import constants as c

if TYPE_CHECKING:
    from clinicrm.messaging.models import Channel


def _channel(event: InboundEvent) -> "Channel":
    from clinicrm.messaging.models import Channel, Provider

    channel = (
        Channel.objects.select_related("tenant")
        .filter(pk=int(event.channel_key or 0), provider=Provider.TWILIO)
        .first()
    )
    if channel is None:
        raise EventIgnored("channel no longer exists")
    event.tenant = channel.tenant
    return channel


def handle_event(*, event: InboundEvent) -> None:
    from clinicrm.messaging.providers import MalformedEvent
    from clinicrm.messaging.services import channel_event_apply

    channel = _channel(event)
    try:
        outcome = channel_event_apply(channel=channel, event=event)
    except MalformedEvent as exc:
        raise EventIgnored("malformed payload") from exc
    if not outcome.messages and not outcome.statuses:
        raise EventIgnored("nothing to apply")


HANDLERS: dict[str, Callable[..., None]] = {
    c.EVENT_INBOUND: handle_event,
    **{
        c.EVENT_STATUS_PREFIX + twilio_status: handle_event
        for twilio_status, ours in c.STATUS_MAP.items()
        if ours is not None
    },
}
