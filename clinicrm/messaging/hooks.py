"""Extension points for the apps above messaging (imports point down: they register here).

`messaging` knows nothing of opt-outs, reminders or auto-replies; `automation` registers into
these lists from its `AppConfig.ready`, and messaging calls whatever is registered:

- **Inbound hooks** (`inbound_hook_register`): `message_ingest` calls them, in registration
  order, for every message it newly stores (a duplicate delivery calls nothing), inside the
  ingest transaction, so what a hook writes (an opt-out, the acknowledgement in the outbox)
  commits with the message or not at all. A hook that raises is logged and rolled back alone,
  and the message stays stored (`inbound_hooks_run`: one savepoint for all, one each on an
  error). A hook that returns True consumed the message: later hooks are not called ("PARE" is
  not also answered by the auto-reply).
- **Send checks** (`send_check_register`): `message_send` calls them before it creates anything;
  a check refuses by raising `ApplicationError` (pt-BR), e.g. `SendNeedsConfirmation` for staff
  writing to a number that opted out.
- **Send guards** (`send_guard_register`): `message_send_perform` calls them after claiming a
  queued message and before the provider is called; a guard that answers an error code fails
  the message instead (and its credit is refunded once), e.g. an automated message queued before
  the patient opted out.
- **Failed hooks** (`message_failed_hook_register`): `message_status_advance` calls them once per
  message, from the call that flips it to `failed` (a status callback delivered twice flips
  nothing the second time), inside that transaction; a hook that raises is logged and rolled back
  alone, the failure and its refund stay. E.g. a reminder whose message the provider refused
  after it was sent tells the clinic.
"""

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from django.db import transaction

from clinicrm.core.errors import ApplicationError

if TYPE_CHECKING:
    from clinicrm.core.models import Tenant, User
    from clinicrm.messaging.models import Channel, Message

logger = logging.getLogger(__name__)


class InboundMemo:
    """Per-tenant reads the inbound hooks share across one drain group (e.g. the clinic's
    auto-reply settings, its opt-out keywords): the drain creates one per group, inside the
    group's transaction, passes it down explicitly and drops it with the group, so a change made
    before a group starts applies to that group. Outside a drain each message gets a fresh one
    (`inbound_hooks_run`). Not a process cache: nothing outlives the group."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, object], object] = {}

    def get[T](self, key: tuple[str, object], read: Callable[[], T]) -> T:
        """The value of `key` (name, tenant id), read by `read()` the first time only."""
        if key not in self._values:
            self._values[key] = read()
        return self._values[key]  # type: ignore[return-value]


class InboundHook(Protocol):
    __name__: str

    def __call__(self, *, channel: "Channel", message: "Message", memo: InboundMemo) -> bool: ...


class SendCheck(Protocol):
    def __call__(
        self,
        *,
        tenant: "Tenant",
        thread_key: str,
        actor: "User | None",
        automation: str,
        confirmed: bool,
        ip: str | None,
    ) -> None: ...


SendGuard = Callable[..., str | None]
FailedHook = Callable[..., None]  # (message=) -> None

INBOUND_HOOKS: list[InboundHook] = []
SEND_CHECKS: list[SendCheck] = []
SEND_GUARDS: list[SendGuard] = []
FAILED_HOOKS: list[FailedHook] = []


class SendNeedsConfirmation(ApplicationError):
    """The send may go only if the person confirms it (the form resubmits with `confirmed`)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="confirmed")


def _register[T](registry: list[T], item: T) -> T:
    if item not in registry:  # AppConfig.ready may run twice (tests, autoreload)
        registry.append(item)
    return item


def inbound_hook_register(hook: InboundHook) -> InboundHook:
    return _register(INBOUND_HOOKS, hook)


def send_check_register(check: SendCheck) -> SendCheck:
    return _register(SEND_CHECKS, check)


def send_guard_register(guard: SendGuard) -> SendGuard:
    return _register(SEND_GUARDS, guard)


def inbound_hooks_run(
    *, channel: "Channel", message: "Message", memo: InboundMemo | None = None
) -> str | None:
    """Run the inbound hooks on a newly stored message; returns the name of the hook that
    consumed it, if any. `memo`: the drain group's (`InboundMemo`); a fresh one without.

    All hooks first run in one savepoint: a message costs one SAVEPOINT/RELEASE pair instead of
    one per hook (round trips were most of a drained event's time). When a hook raises, that
    savepoint is rolled back and the hooks run again, each in its own savepoint, so only the
    faulty one is logged and skipped; the writes of a hook that ran before it are undone with
    the shared savepoint and redone by its second run.
    """
    registered = tuple(INBOUND_HOOKS)
    if not registered:
        return None
    memo = memo if memo is not None else InboundMemo()
    try:
        with transaction.atomic():
            return _hooks_run(registered, channel=channel, message=message, memo=memo)
    except Exception:
        # One savepoint each below: the faulty hook is found and logged there.
        logger.debug("inbound hooks of message %s run again one by one", message.pk)
    for hook in registered:
        try:
            with transaction.atomic():
                consumed = hook(channel=channel, message=message, memo=memo)
        except Exception:
            # Never lose the stored message for a hook's bug; no message content in the log.
            logger.exception("inbound hook %s failed on message %s", hook.__name__, message.pk)
            continue
        if consumed:
            return hook.__name__
    return None


def _hooks_run(
    registered: tuple[InboundHook, ...],
    *,
    channel: "Channel",
    message: "Message",
    memo: InboundMemo,
) -> str | None:
    for hook in registered:
        if hook(channel=channel, message=message, memo=memo):
            return hook.__name__
    return None


def send_checks_run(
    *,
    tenant: "Tenant",
    thread_key: str,
    actor: "User | None",
    automation: str,
    confirmed: bool,
    ip: str | None = None,
) -> None:
    """`ip`: the client address of the person sending, for the audit of what they confirm."""
    for check in tuple(SEND_CHECKS):
        check(
            tenant=tenant,
            thread_key=thread_key,
            actor=actor,
            automation=automation,
            confirmed=confirmed,
            ip=ip,
        )


def send_guards_run(*, message: "Message") -> str | None:
    """The first error code a guard answers for `message`, or None when it may go."""
    for guard in tuple(SEND_GUARDS):
        code = guard(message=message)
        if code:
            return str(code)
    return None


def message_failed_hook_register(hook: FailedHook) -> FailedHook:
    return _register(FAILED_HOOKS, hook)


def message_failed_hooks_run(*, message: "Message") -> None:
    for hook in tuple(FAILED_HOOKS):
        try:
            with transaction.atomic():
                hook(message=message)
        except Exception:
            name = getattr(hook, "__name__", "hook")
            logger.exception("failed-message hook %s failed on message %s", name, message.pk)
