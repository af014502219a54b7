"""The one gate every automated message goes through (acknowledgements, auto-replies, reminders,
answers to confirmations).

`automated_send` decides, in this order, whether the message may go and how, and only then
calls messaging's outbox (`message_send`, which creates the message, deducts the Twilio credit
and enqueues the send in one transaction): the number must not be opted out (except for the
opt-out acknowledgement itself), a channel must be active and connected, and on Twilio outside
the 24-hour window only an approved template may go. It never raises for those: it answers
why nothing was sent (`reasons`), so every caller can log the decision.

Messages are marked with their purpose (`Message.extra["automation"]`): the send guard stops
one queued before an opt-out arrived (`services.optout.optout_send_guard`).
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from clinicrm.automation import reasons
from clinicrm.automation.selectors import optout_is_active
from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant
from clinicrm.credits.errors import InsufficientCredits
from clinicrm.messaging.models import CHANNEL_CONNECTED, Channel, Message, Thread
from clinicrm.messaging.selectors import channel_active_get
from clinicrm.messaging.services import message_send, thread_window_state
from clinicrm.messaging.services.templates import template_ref_build

logger = logging.getLogger(__name__)

# Purposes (`Message.extra["automation"]`).
OPTOUT_ACK = "optout_ack"
OPTIN_ACK = "optin_ack"
AUTOREPLY = "autoreply"
REMINDER = "reminder"
CONFIRM_ANSWER = "confirm_answer"
# The only automated message an opted-out number may get: the acknowledgement of its opt-out.
REACHES_OPTED_OUT = frozenset({OPTOUT_ACK})


@dataclass(frozen=True)
class TemplateChoice:
    """An approved Twilio template and the values of its {{1}}, {{2}}, ..."""

    content_sid: str
    values: Sequence[str]


@dataclass(frozen=True)
class GateOutcome:
    message: Message | None = None
    reason: str = ""  # a `reasons` code when nothing was sent
    used_template: bool = False

    @property
    def sent(self) -> bool:
        return self.message is not None


def channel_problem(channel: Channel | None) -> str:
    """Why `channel` cannot send right now ("" when it can)."""
    if channel is None:
        return reasons.NO_CHANNEL
    if channel.status not in CHANNEL_CONNECTED:
        return reasons.CHANNEL_DISCONNECTED
    return ""


def _window_open(tenant: Tenant, thread_key: str) -> bool:
    thread = Thread.objects.filter(tenant=tenant, thread_key=thread_key).first()
    return thread is not None and thread_window_state(thread=thread).is_open


def automated_send(
    *,
    tenant: Tenant,
    thread_key: str,
    purpose: str,
    text: str,
    template: TemplateChoice | None = None,
    channel: Channel | None = None,
) -> GateOutcome:
    """Queue one automated message, or say why not (see the module docstring). `template` is
    used only where free text cannot go (Twilio, outside the 24-hour window); `channel` saves a
    lookup when the caller already has the tenant's active channel."""
    if purpose not in REACHES_OPTED_OUT and optout_is_active(tenant=tenant, thread_key=thread_key):
        return GateOutcome(reason=reasons.OPTED_OUT)
    channel = channel or channel_active_get(tenant=tenant)
    problem = channel_problem(channel)
    if problem or channel is None:
        return GateOutcome(reason=problem or reasons.NO_CHANNEL)
    use_template = channel.is_twilio and not _window_open(tenant, thread_key)
    if use_template and template is None:
        return GateOutcome(reason=reasons.NO_TEMPLATE)
    try:
        if use_template and template is not None:
            ref = template_ref_build(
                channel=channel, content_sid=template.content_sid, values=template.values
            )
            message = message_send(
                tenant=tenant, actor=None, thread_key=thread_key, template=ref, automation=purpose
            )
        else:
            message = message_send(
                tenant=tenant, actor=None, thread_key=thread_key, text=text, automation=purpose
            )
    except InsufficientCredits:
        return GateOutcome(reason=reasons.INSUFFICIENT_CREDITS)
    except ApplicationError as exc:
        # A template no longer approved, a number messaging refuses...: logged by code only.
        logger.warning("automated %s send refused (%s)", purpose, exc.field or "general")
        if exc.field in ("content_sid", "template") or (exc.field or "").startswith("var_"):
            return GateOutcome(reason=reasons.NO_TEMPLATE)
        return GateOutcome(reason=reasons.SEND_REFUSED)
    return GateOutcome(message=message, used_template=use_template)
