"""`{% notification_bell %}`: the top bar's bell with its unread counts, rendered on page load."""

from typing import Any

from django import template
from django.urls import reverse

from clinicrm.core.notifications import (
    notification_conversations_unread,
    notification_inbox,
    notification_unread_count,
)

register = template.Library()


@register.inclusion_tag("core/notifications_bell.html", takes_context=True)
def notification_bell(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    tenant = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    if tenant is None or user is None or not user.is_authenticated:
        return {"show": False}
    unread = notification_unread_count(user=user, tenant=tenant)
    conversations = notification_conversations_unread(tenant=tenant)
    feed = notification_inbox()
    return {
        "show": True,
        "unread": unread,
        "conversations_unread": conversations,
        "total": unread + conversations,
        "sse_url": reverse(feed.events_url_name) if feed else "",
        "popup_url": reverse(feed.popup_url_name) if feed else "",
    }
