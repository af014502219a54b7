"""Reconciliation: settle outbound sends on positive evidence only. Absence is never proof.

`message_reconcile` (periodic, every minute) works on the messages whose `reconcile_at` is due,
taking each with a conditional UPDATE (a lease) so two runs never work on one message at once:

1. In doubt: claimed, no provider id (a timeout, a 5xx after the request, a worker killed during
   the call). Staff see "verificando entrega". It is settled by, in order:
   - a status callback that named this message (each Twilio send's StatusCallback URL carries
     the message id) and waits in the backlog: that provider id is this message's;
   - the provider's listing of every outbound message to the contact since the attempt, all
     pages: a listed message created after the attempt (less the clock skew), not already one
     of ours, matching this one's content, that no other unsettled send to the same contact (in
     flight or in doubt) could own, is this message's, with the status the provider gives it;
   - "no such message": only when the listing is complete (the provider keeps every message),
     lists nothing unaccounted for since the attempt, and MESSAGING_SEND_DEADLINE_SECONDS have
     passed since it: the send failed, and its credit is refunded once, the ledger note naming
     the evidence.
   Anything else (two sends that could own one provider message, the provider unreachable)
   leaves it in doubt, to be asked again with backoff.
2. Accepted (provider id) but still not at a final status MESSAGING_STATUS_CHECK_AFTER_SECONDS
   after the send, every status callback lost: its status is fetched from the provider, with
   backoff, until it is final or MESSAGING_STATUS_POLL_DEADLINE_SECONDS have passed since the
   attempt (then it is left as the provider last described it).

An outbound message never claimed (its task row lost) is enqueued again.
"""

import datetime as dt
import logging
from collections import Counter

from django.conf import settings
from django.db.models import Q
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clinicrm.messaging.errors import ErrorCode
from clinicrm.messaging.models import (
    MEDIA_KINDS,
    Direction,
    Evidence,
    Message,
    MessageKind,
    MessageStatus,
    StatusBacklog,
)
from clinicrm.messaging.providers import (
    ProviderAdapter,
    ProviderMessage,
    ProviderUnavailable,
    Recipient,
    SendResult,
    SentListing,
    provider_for,
)
from clinicrm.messaging.services.sending import (
    message_doubt_mark,
    message_send_result_apply,
    message_send_task,
)
from clinicrm.messaging.services.status import FINAL_STATUSES, message_fail, message_status_advance

logger = logging.getLogger(__name__)

# A run holds a message this long at most (its provider calls are bounded by their timeouts).
LEASE = dt.timedelta(minutes=5)
UNSETTLED = (MessageStatus.PENDING, MessageStatus.SENT)
OUTCOMES = ("requeued", "sent", "failed", "status", "waiting", "unreachable")


def _seconds(name: str) -> dt.timedelta:
    return dt.timedelta(seconds=int(getattr(settings, name)))


def message_reconcile(*, now: dt.datetime | None = None, limit: int = 200) -> dict[str, int]:
    """One reconciliation round (see the module docstring). Safe to run concurrently."""
    now = now or timezone.now()
    counts: Counter[str] = Counter()
    counts["requeued"] = _requeue_lost(now=now, limit=limit)
    due = (
        Message.objects.filter(
            direction=Direction.OUTBOUND, status__in=UNSETTLED, reconcile_at__lte=now
        )
        .order_by("reconcile_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in list(due):
        message = _take(pk=pk, now=now)
        if message is not None:
            counts[message_reconcile_one(message=message, now=now)] += 1
    return {k: counts[k] for k in OUTCOMES}


def _requeue_lost(*, now: dt.datetime, limit: int) -> int:
    """Never-claimed sends whose task row is gone: enqueue again (the claim stops a double)."""
    waiting = list(
        Message.objects.filter(
            direction=Direction.OUTBOUND,
            status=MessageStatus.PENDING,
            send_attempted_at__isnull=True,
            created_at__lt=now - _seconds("MESSAGING_RECONCILE_AFTER_SECONDS"),
        ).values_list("pk", flat=True)[:limit]
    )
    queued = set(
        DBTaskResult.objects.filter(
            task_path=message_send_task.module_path,
            status__in=(TaskResultStatus.READY, TaskResultStatus.RUNNING),
            args_kwargs__kwargs__message_id__in=waiting,
        ).values_list("args_kwargs__kwargs__message_id", flat=True)
    )
    lost = [pk for pk in waiting if pk not in queued]
    for pk in lost:
        message_send_task.enqueue(message_id=pk)
    return len(lost)


def _take(*, pk: int, now: dt.datetime) -> Message | None:
    """Lease one due message to this run (None: another run has it, or it is settled)."""
    taken = Message.objects.filter(pk=pk, status__in=UNSETTLED, reconcile_at__lte=now).update(
        reconcile_at=now + LEASE
    )
    if not taken:
        return None
    return Message.objects.select_related("channel", "tenant").get(pk=pk)


def message_reconcile_one(*, message: Message, now: dt.datetime) -> str:
    """Look at one due message; returns sent | failed | status | waiting | unreachable."""
    adapter = provider_for(message.channel)
    try:
        if message.provider_message_id:
            outcome = _status_check(adapter=adapter, message=message, now=now)
        else:
            outcome = _doubt_settle(adapter=adapter, message=message, now=now)
    except ProviderUnavailable as exc:
        logger.warning("reconciliation of message %s: provider unavailable (%s)", message.pk, exc)
        outcome = "unreachable"
    except Exception:
        logger.exception("reconciliation of message %s failed", message.pk)
        outcome = "unreachable"
    if outcome in ("waiting", "unreachable"):
        _reschedule(message=message, now=now)
    return outcome


# --- accepted messages whose callbacks were lost ------------------------------------------------


def _status_check(*, adapter: ProviderAdapter, message: Message, now: dt.datetime) -> str:
    pid = str(message.provider_message_id)
    found = adapter.fetch_message(provider_message_id=pid)
    if found is None:
        # We hold the provider's own id for it: "no such message" is the provider's problem,
        # not proof that nothing was sent. Leave it to the poll deadline.
        logger.warning("reconciliation: provider does not know message %s", message.pk)
        return "waiting"
    if found.status != MessageStatus.PENDING:
        message_status_advance(
            message=message,
            status=found.status,
            error_code=_failure_code(found),
            evidence=Evidence.LOOKUP,
        )
        message.refresh_from_db()
        if message.status in FINAL_STATUSES:
            return "failed" if message.status == MessageStatus.FAILED else "status"
    return "waiting"


def _failure_code(found: ProviderMessage) -> str:
    if found.status != MessageStatus.FAILED:
        return ""
    return found.error_code or ErrorCode.UNDELIVERABLE


# --- sends in doubt -----------------------------------------------------------------------------


def _doubt_settle(*, adapter: ProviderAdapter, message: Message, now: dt.datetime) -> str:
    message_doubt_mark(message=message)
    referenced = _backlog_referenced(message)
    if referenced is not None:
        return _accepted(message=message, found=referenced, evidence=Evidence.BACKLOG)
    attempted = message.send_attempted_at or message.created_at
    skew = _seconds("MESSAGING_RECONCILE_CLOCK_SKEW_SECONDS")
    to = Recipient(thread_key=message.thread_key, raw_id=message.contact_raw_id)
    listing = adapter.list_sent(to=to, since=attempted - skew)
    found, absent = sent_listing_match(message=message, listing=listing, attempted=attempted)
    if found is not None:
        return _accepted(message=message, found=found, evidence=Evidence.LISTING)
    if absent and now >= attempted + _seconds("MESSAGING_SEND_DEADLINE_SECONDS"):
        message_fail(message=message, error_code=ErrorCode.UNCONFIRMED, evidence=Evidence.LISTING)
        return "failed"
    return "waiting"


def _backlog_referenced(message: Message) -> ProviderMessage | None:
    """A status callback that named this message and waits in the backlog."""
    rows = StatusBacklog.objects.filter(channel_id=message.channel_id, reference=message.pk)
    for pid in rows.values_list("provider_message_id", flat=True).distinct():
        if not Message.objects.filter(channel_id=message.channel_id, provider_message_id=pid):
            return ProviderMessage(provider_message_id=pid, status=MessageStatus.PENDING)
    return None


def _accepted(*, message: Message, found: ProviderMessage, evidence: str) -> str:
    """The provider has this message: record its id (the backlog's statuses follow), then the
    status it reported."""
    message_send_result_apply(
        message=message, result=SendResult.ok(found.provider_message_id), evidence=evidence
    )
    message.refresh_from_db()
    if message.provider_message_id != found.provider_message_id:
        return "waiting"  # the id turned out to be another message's (logged by the recorder)
    if found.status != MessageStatus.PENDING:
        message_status_advance(
            message=message, status=found.status, error_code=_failure_code(found), evidence=evidence
        )
        message.refresh_from_db()
    return "failed" if message.status == MessageStatus.FAILED else "sent"


def sent_listing_match(
    *, message: Message, listing: SentListing, attempted: dt.datetime
) -> tuple[ProviderMessage | None, bool]:
    """(the listed message that is provably `message`'s, whether the listing proves there is
    none). Never both; (None, False) when the listing cannot decide."""
    skew = _seconds("MESSAGING_RECONCILE_CLOCK_SKEW_SECONDS")
    ids = [m.provider_message_id for m in listing.messages]
    known = set(
        Message.objects.filter(
            channel_id=message.channel_id, provider_message_id__in=ids
        ).values_list("provider_message_id", flat=True)
    )
    # A listed message we already know proves the provider kept that period (Evolution).
    complete = listing.complete or bool(known)
    unaccounted = [
        m
        for m in listing.messages
        if m.provider_message_id not in known and _after(m, attempted, skew)
    ]
    if not unaccounted:
        return None, complete
    candidates = [m for m in unaccounted if _compatible(message, m)]
    if len(candidates) != 1:
        return None, False
    found = candidates[0]
    rivals = Message.objects.filter(
        ~Q(pk=message.pk),
        channel_id=message.channel_id,
        direction=Direction.OUTBOUND,
        thread_key=message.thread_key,
        status=MessageStatus.PENDING,
        provider_message_id__isnull=True,
        send_attempted_at__isnull=False,
    )
    for rival in rivals:
        if _after(found, rival.send_attempted_at, skew) and _compatible(rival, found):
            # Another send in flight or in doubt could own it: never take its id.
            return None, False
    return found, False


def _after(found: ProviderMessage, attempted: dt.datetime | None, skew: dt.timedelta) -> bool:
    """Created after the attempt? Providers keep whole seconds and their own clock."""
    if found.created_at is None or attempted is None:
        return True
    return found.created_at >= attempted.replace(microsecond=0) - skew


def _compatible(message: Message, found: ProviderMessage) -> bool:
    """Could `found` be `message`? Only what the provider reliably says is compared."""
    if message.kind == MessageKind.TEMPLATE:
        # Twilio renders a template's text itself: its body is not ours to compare.
        return found.kind in ("", "template")
    if message.kind in MEDIA_KINDS:
        return found.kind in ("", "media") and (not found.body or found.body == message.body)
    return found.kind in ("", "text") and (not found.body or found.body == message.body)


def _reschedule(*, message: Message, now: dt.datetime) -> None:
    """Ask again later: the delay doubles with each attempt, up to the cap."""
    attempts = message.reconcile_attempts + 1
    attempted = message.send_attempted_at or message.created_at
    if message.provider_message_id:
        first = _seconds("MESSAGING_STATUS_CHECK_AFTER_SECONDS")
        give_up_at: dt.datetime | None = attempted + _seconds(
            "MESSAGING_STATUS_POLL_DEADLINE_SECONDS"
        )
        wake_at = None
    else:
        first = _seconds("MESSAGING_RECONCILE_AFTER_SECONDS")
        give_up_at = None  # in doubt: asked until evidence settles it
        # "No such message" counts from the deadline on: look right then.
        wake_at = attempted + _seconds("MESSAGING_SEND_DEADLINE_SECONDS")
    delay = min(
        first * 2 ** min(attempts - 1, 20), _seconds("MESSAGING_RECONCILE_BACKOFF_MAX_SECONDS")
    )
    next_at: dt.datetime | None = now + delay
    if wake_at is not None and now < wake_at < now + delay:
        next_at = wake_at
    if give_up_at is not None and now >= give_up_at:
        next_at = None
        logger.warning("reconciliation: message %s has no final status; polling ends", message.pk)
    Message.objects.filter(pk=message.pk).update(
        reconcile_at=next_at, reconcile_attempts=min(attempts, 32767)
    )


@task(queue_name="default")
def message_reconcile_task() -> dict[str, int]:
    return message_reconcile()
