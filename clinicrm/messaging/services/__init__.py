"""Writes of messaging: ingest, delivery status, the send outbox, media and realtime events."""

from clinicrm.messaging.services.channels.status import channel_status_set
from clinicrm.messaging.services.inbound import (
    EventOutcome,
    channel_event_apply,
    channel_event_parse,
    message_ingest,
    message_status_apply,
)
from clinicrm.messaging.services.outbox import message_send, thread_window_state
from clinicrm.messaging.services.realtime import realtime_event_emit, realtime_events_prune
from clinicrm.messaging.services.reconcile import message_reconcile
from clinicrm.messaging.services.sending import message_send_perform, message_send_result_apply
from clinicrm.messaging.services.status import message_fail, message_status_advance
from clinicrm.messaging.services.threads import thread_get_or_create, thread_mark_read

__all__ = [
    "EventOutcome",
    "channel_event_apply",
    "channel_event_parse",
    "channel_status_set",
    "message_fail",
    "message_ingest",
    "message_reconcile",
    "message_send",
    "message_send_perform",
    "message_send_result_apply",
    "message_status_advance",
    "message_status_apply",
    "realtime_event_emit",
    "realtime_events_prune",
    "thread_get_or_create",
    "thread_mark_read",
    "thread_window_state",
]

# --- channel activation (each provider's set-up lives in integrations/<provider>/channels.py) ---
from clinicrm.messaging.services.channels import channel_activate, channel_deactivate

__all__ += ["channel_activate", "channel_deactivate"]
