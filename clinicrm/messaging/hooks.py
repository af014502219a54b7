"""Extension points for the apps above messaging (imports point down: they register here).

`messaging` knows nothing of opt-outs, reminders or auto-replies; `automation` registers into
these three lists from its `AppConfig.ready`, and messaging calls whatever is registered:

- **Inbound hooks** (`inbound_hook_register`): `message_ingest` calls them, in registration
  order, for every message it newly stores (a duplicate delivery calls nothing), inside the
  ingest transaction, so what a hook writes (an opt-out, the acknowledgement in the outbox)
  commits with the message or not at all. Each hook runs in its own savepoint: one that raises is
  logged and rolled back alone, and the message stays stored. A hook that returns True consumed
  the message: later hooks are not called ("PARE" is not also answered by the auto-reply).
- **Send checks** (`send_check_register`): `message_send` calls them before it creates anything;
  a check refuses by raising `ApplicationError` (pt-BR), e.g. `SendNeedsConfirmation` for staff
  writing to a number that opted out.
- **Send guards** (`send_guard_register`): `message_send_perform` calls them after claiming a
  queued message and before the provider is called; a guard that answers an error code fails
  the message instead (and its credit is refunded once), e.g. an automated message queued before
  the patient opted out.
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


class InboundHook(Protocol):
    __name__: str

    def __call__(self, *, channel: "Channel", message: "Message") -> bool: ...


class SendCheck(Protocol):
    def __call__(
        self,
        *,
        tenant: "Tenant",
        thread_key: str,
        actor: "User | None",
        automation: str,
        confirmed: bool,
    ) -> None: ...


SendGuard = Callable[..., str | None]

INBOUND_HOOKS: list[InboundHook] = []
SEND_CHECKS: list[SendCheck] = []
SEND_GUARDS: list[SendGuard] = []


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


def inbound_hooks_run(*, channel: "Channel", message: "Message") -> str | None:
    """Run the inbound hooks on a newly stored message; returns the name of the hook that
    consumed it, if any."""
    for hook in tuple(INBOUND_HOOKS):
        try:
            with transaction.atomic():
                consumed = hook(channel=channel, message=message)
        except Exception:
            # Never lose the stored message for a hook's bug; no message content in the log.
            logger.exception("inbound hook %s failed on message %s", hook.__name__, message.pk)
            continue
        if consumed:
            return hook.__name__
    return None


def send_checks_run(
    *, tenant: "Tenant", thread_key: str, actor: "User | None", automation: str, confirmed: bool
) -> None:
    for check in tuple(SEND_CHECKS):
        check(
            tenant=tenant,
            thread_key=thread_key,
            actor=actor,
            automation=automation,
            confirmed=confirmed,
        )


def send_guards_run(*, message: "Message") -> str | None:
    """The first error code a guard answers for `message`, or None when it may go."""
    for guard in tuple(SEND_GUARDS):
        code = guard(message=message)
        if code:
            return str(code)
    return None
