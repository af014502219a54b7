"""Writes of automation (see each module): the send gate, opt-out/opt-in and keywords,
auto-reply, session reminders and confirm by reply."""

from clinicrm.automation.services.autoreply import autoreply_on_message, autoreply_settings_save
from clinicrm.automation.services.confirm import confirm_on_message
from clinicrm.automation.services.gate import GateOutcome, TemplateChoice, automated_send
from clinicrm.automation.services.keywords import (
    optout_keyword_add,
    optout_keyword_delete,
    optout_keywords_ensure,
    optout_keywords_of,
)
from clinicrm.automation.services.optout import (
    optin_by_message,
    optout_by_message,
    optout_manual_close,
    optout_manual_create,
)
from clinicrm.automation.services.reminders import (
    reminder_settings_save,
    reminders_enqueue_due,
    reminders_requeue_stale,
    reminders_send_batch,
)

__all__ = [
    "GateOutcome",
    "TemplateChoice",
    "automated_send",
    "autoreply_on_message",
    "autoreply_settings_save",
    "confirm_on_message",
    "optin_by_message",
    "optout_by_message",
    "optout_keyword_add",
    "optout_keyword_delete",
    "optout_keywords_ensure",
    "optout_keywords_of",
    "optout_manual_close",
    "optout_manual_create",
    "reminder_settings_save",
    "reminders_enqueue_due",
    "reminders_requeue_stale",
    "reminders_send_batch",
]
