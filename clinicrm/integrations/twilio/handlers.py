"""One function per stored Twilio event type, dispatched by `HANDLERS` (thin: messaging decides).

Each handler runs inside its drain's transaction with the event row locked. It takes the
channel the webhook stored (`channel_key`; passed by the drain, checked by `event_channel`) and
hands the event to messaging's `channel_event_apply`, which parses it with `TwilioAdapter` and
calls `message_ingest` (inbound: media downloads are enqueued there; a failed download leaves a
placeholder) or `message_status_apply` (forward-only; `failed` with ErrorCode gets the friendly
message and a single refund). Statuses we do not act on (queued, sending, accepted, canceled,
...) have no entry here, so they are stored, acknowledged and marked ignored.
"""

from collections.abc import Callable

from clinicrm.integrations.models import InboundEvent
from clinicrm.integrations.services import EventIgnored, event_channel, raw_event
from clinicrm.integrations.twilio import constants as c
from clinicrm.messaging.hooks import InboundMemo
from clinicrm.messaging.models import Channel
from clinicrm.messaging.providers import MalformedEvent
from clinicrm.messaging.services.inbound import channel_event_apply, channel_event_parse


def handle_event(
    *, event: InboundEvent, channel: Channel | None = None, memo: InboundMemo | None = None
) -> None:
    channel = event_channel(event=event, provider=c.PROVIDER, channel=channel)
    try:
        parsed = channel_event_parse(channel=channel, **raw_event(event))
    except MalformedEvent as exc:
        raise EventIgnored("malformed payload") from exc
    if not parsed.messages and not parsed.statuses:
        raise EventIgnored("nothing to apply")
    channel_event_apply(channel=channel, parsed=parsed, reference=event.reference, memo=memo)


HANDLERS: dict[str, Callable[..., None]] = {
    c.EVENT_INBOUND: handle_event,
    **{
        c.EVENT_STATUS_PREFIX + twilio_status: handle_event
        for twilio_status, ours in c.STATUS_MAP.items()
        if ours is not None
    },
}
