"""One function per Evolution event type, dispatched by `HANDLERS` (thin: messaging decides).

Each handler runs inside its drain's transaction with the event row locked. The channel is the
one the webhook URL named (`event.channel_key` = channel pk); the drain passes it (read once per
group) and `event_channel` checks it is the event's. Group messages and our own API sends'
echoes (`send.message`) are kept as events only (`EventIgnored`). Event types missing from
`HANDLERS` are marked ignored by the integrations service: stored and acknowledged.
"""

import json
from collections.abc import Callable
from typing import Any

from clinicrm.integrations.evolution import constants as c
from clinicrm.integrations.evolution.adapter import is_group
from clinicrm.integrations.models import InboundEvent
from clinicrm.integrations.services import EventIgnored, event_channel, raw_event
from clinicrm.messaging.hooks import InboundMemo
from clinicrm.messaging.models import Channel
from clinicrm.messaging.services import channel_status_set
from clinicrm.messaging.services.inbound import channel_event_apply, channel_event_parse

# connection.update `state` -> messaging ChannelStatus value.
CHANNEL_STATUS = {
    c.STATE_OPEN: "open",
    c.STATE_CONNECTING: "connecting",
    c.STATE_CLOSE: "disconnected",
    c.STATE_REFUSED: "disconnected",
}


def _channel(event: InboundEvent, channel: Channel | None) -> Channel:
    return event_channel(event=event, provider=c.PROVIDER, channel=channel)


def _data(event: InboundEvent) -> Any:
    payload = json.loads(event.body_bytes)
    return payload.get("data") if isinstance(payload, dict) else None


def handle_messages_upsert(
    *, event: InboundEvent, channel: Channel | None = None, memo: InboundMemo | None = None
) -> None:
    channel = _channel(event, channel)
    data = _data(event)
    items = data if isinstance(data, list) else [data]
    keys = [i.get("key") or {} for i in items if isinstance(i, dict)]
    if keys and all(is_group(k) for k in keys):
        raise EventIgnored("group message")
    parsed = channel_event_parse(channel=channel, **raw_event(event))
    if not parsed.messages:
        raise EventIgnored("nothing to store")
    channel_event_apply(channel=channel, parsed=parsed, memo=memo)


def handle_messages_update(
    *, event: InboundEvent, channel: Channel | None = None, memo: InboundMemo | None = None
) -> None:
    channel = _channel(event, channel)
    parsed = channel_event_parse(channel=channel, **raw_event(event))
    if not parsed.statuses:
        raise EventIgnored("no delivery status")
    channel_event_apply(channel=channel, parsed=parsed, memo=memo)


def handle_connection_update(
    *, event: InboundEvent, channel: Channel | None = None, memo: InboundMemo | None = None
) -> None:
    channel = _channel(event, channel)
    data = _data(event)
    state = data.get("state") if isinstance(data, dict) else None
    status = CHANNEL_STATUS.get(str(state))
    if status is None:
        raise EventIgnored("unknown connection state")
    channel_status_set(channel=channel, status=status)


def handle_qrcode_updated(
    *, event: InboundEvent, channel: Channel | None = None, memo: InboundMemo | None = None
) -> None:
    """A new QR means the instance is waiting for a scan (the set-up page polls `connect`)."""
    channel = _channel(event, channel)
    data = _data(event)
    if not (isinstance(data, dict) and isinstance(data.get("qrcode"), dict)):
        raise EventIgnored("qr code limit reached")
    if channel.status != "open":
        channel_status_set(channel=channel, status="connecting")


def handle_send_message(
    *, event: InboundEvent, channel: Channel | None = None, memo: InboundMemo | None = None
) -> None:
    """Our own API send echoed back: the send task already recorded it from the response."""
    _channel(event, channel)
    raise EventIgnored("api send echo")


HANDLERS: dict[str, Callable[..., None]] = {
    c.MESSAGES_UPSERT: handle_messages_upsert,
    c.MESSAGES_UPDATE: handle_messages_update,
    c.CONNECTION_UPDATE: handle_connection_update,
    c.QRCODE_UPDATED: handle_qrcode_updated,
    c.SEND_MESSAGE: handle_send_message,
}
