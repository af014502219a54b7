"""Writes of messaging: ingest, delivery status, the send outbox, media and realtime events."""

from clinicrm.messaging.services.inbound import (
    EventOutcome,
    channel_event_apply,
    channel_status_set,
    message_ingest,
    message_status_apply,
)
from clinicrm.messaging.services.outbox import (
    channel_active_for,
    message_send,
    thread_window_open,
)
from clinicrm.messaging.services.realtime import realtime_event_emit, realtime_events_prune
from clinicrm.messaging.services.reconcile import message_reconcile
from clinicrm.messaging.services.sending import message_send_perform, message_send_result_apply
from clinicrm.messaging.services.status import message_fail, message_status_advance
from clinicrm.messaging.services.threads import thread_get_or_create, thread_mark_read

__all__ = [
    "EventOutcome",
    "channel_active_for",
    "channel_event_apply",
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
    "thread_window_open",
]

# --- channel set-up and activation (channels helper) ------------------------------------------
from clinicrm.messaging.services.channels import (
    EvolutionQR,
    channel_activate,
    channel_deactivate,
    evolution_channel_disconnect,
    evolution_channel_qr,
    evolution_channel_setup,
    evolution_channel_state,
    twilio_channel_setup,
    twilio_template_add,
    twilio_template_remove,
)

__all__ += [
    "EvolutionQR",
    "channel_activate",
    "channel_deactivate",
    "evolution_channel_disconnect",
    "evolution_channel_qr",
    "evolution_channel_setup",
    "evolution_channel_state",
    "twilio_channel_setup",
    "twilio_template_add",
    "twilio_template_remove",
]
