"""`{% notification_bell %}`: the top bar's bell with its unread counts, rendered on page load."""

from typing import Any

from django import template

from clinicrm.core.notifications import notification_unread_count

register = template.Library()


@register.inclusion_tag("core/notifications_bell.html", takes_context=True)
def notification_bell(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    tenant = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    if tenant is None or user is None or not user.is_authenticated:
        return {"show": False}
    from clinicrm.core.notifications_views import conversations_unread_count

    unread = notification_unread_count(user=user, tenant=tenant)
    conversations = conversations_unread_count(tenant=tenant)
    return {
        "show": True,
        "unread": unread,
        "conversations_unread": conversations,
        "total": unread + conversations,
    }
