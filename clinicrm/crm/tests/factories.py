"""Test helpers of the CRM: threads with a last message, tags, members."""

import datetime as dt
from typing import Any

from django.utils import timezone

from clinicrm.core.models import Tenant
from clinicrm.crm.models import Tag
from clinicrm.crm.services import tag_name_key
from clinicrm.messaging.models import Thread
from clinicrm.messaging.tests.factories import make_thread


def make_inbox_thread(
    tenant: Tenant, *, minutes_ago: float = 0, inbound_minutes_ago: float | None = None, **kw: Any
) -> Thread:
    """A thread whose last message was `minutes_ago` (the inbox lists only threads with one)."""
    now = timezone.now()
    fields: dict[str, Any] = {
        "last_message_at": now - dt.timedelta(minutes=minutes_ago),
        "last_message_preview": "Olá",
        "last_direction": "in",
    }
    if inbound_minutes_ago is not None:
        fields["last_inbound_at"] = now - dt.timedelta(minutes=inbound_minutes_ago)
    fields.update(kw)
    return make_thread(tenant, **fields)


def make_tag(tenant: Tenant, name: str = "VIP", color: str = "pink") -> Tag:
    return Tag.objects.create(tenant=tenant, name=name, name_key=tag_name_key(name), color=color)
