"""Checks every CRM write starts with."""

from typing import Any

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant
from clinicrm.messaging.models import Thread


def thread_check_tenant(*, tenant: Tenant, thread: Thread) -> None:
    """Views fetch threads through `tenant_get_or_404`; services still refuse a mismatch."""
    if thread.tenant_id != tenant.pk:
        raise ApplicationError("Conversa não encontrada.", field="thread")


def actor_user(actor: Any) -> Any:
    """The actor as a user row for FKs (None for system work and anonymous callers)."""
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None
