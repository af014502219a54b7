"""The bell: notification history, the htmx panel, counts for the notifier, and each member's
preferences (which kinds arrive).

Thin views over `clinicrm.core.notifications`. Every query filters by the current tenant and the
logged-in user. Conversations come from the registered inbox feed (messaging registers it, with
the message popup the notifier fetches).
"""

from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinicrm.core.accounts.middleware import background_view
from clinicrm.core.models import Notification, Tenant, User
from clinicrm.core.notifications import (
    notification_conversations_unread,
    notification_inbox,
    notification_kinds_for,
    notification_latest,
    notification_mark_all_read,
    notification_mark_read,
    notification_page,
    notification_preferences_get,
    notification_preferences_set,
    notification_unread_count,
)
from clinicrm.core.tenancy import tenant_get_or_404, tenant_required

PANEL_TEMPLATE = "core/notifications_panel.html"


def _who(request: HttpRequest) -> tuple[Tenant, User]:
    """The current tenant and member (tenant_required guarantees both)."""
    return cast(Tenant, request.tenant), cast(User, request.user)  # type: ignore[attr-defined]


def _inbox_url() -> str:
    feed = notification_inbox()
    return reverse(feed.inbox_url_name) if feed else ""


def _panel_context(request: HttpRequest) -> dict[str, Any]:
    tenant, user = _who(request)
    return {
        "notifications": notification_latest(user=user, tenant=tenant),
        "unread": notification_unread_count(user=user, tenant=tenant),
        "conversations_unread": notification_conversations_unread(tenant=tenant),
        "inbox_url": _inbox_url(),
    }


@require_GET
@tenant_required
def notification_list_view(request: HttpRequest) -> HttpResponse:
    tenant, user = _who(request)
    page_obj = notification_page(user=user, tenant=tenant, page=request.GET.get("page"))
    return render(
        request,
        "core/notifications.html",
        {
            "page_obj": page_obj,
            "notifications": page_obj.object_list,
            "unread": notification_unread_count(user=user, tenant=tenant),
        },
    )


@require_GET
@tenant_required
def notification_panel_view(request: HttpRequest) -> HttpResponse:
    return render(request, PANEL_TEMPLATE, _panel_context(request))


@background_view
@require_GET
@tenant_required
def notification_counts_view(request: HttpRequest) -> JsonResponse:
    tenant, user = _who(request)
    notifications = notification_unread_count(user=user, tenant=tenant)
    conversations = notification_conversations_unread(tenant=tenant)
    response = JsonResponse(
        {
            "notifications": notifications,
            "conversations": conversations,
            "total": notifications + conversations,
        }
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@tenant_required
def notification_mark_all_read_view(request: HttpRequest) -> HttpResponse:
    tenant, user = _who(request)
    notification_mark_all_read(user=user, tenant=tenant)
    if request.htmx:  # type: ignore[attr-defined]
        response = render(request, PANEL_TEMPLATE, _panel_context(request))
        response["HX-Trigger"] = "notifications-changed"
        return response
    return redirect("core:notification_list")


@require_POST
@tenant_required
def notification_open_view(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one notification read and go where it points (a local URL), or to the history."""
    tenant, user = _who(request)
    notification = tenant_get_or_404(
        Notification.objects.filter(user=user), tenant=tenant, pk=notification_id
    )
    notification_mark_read(user=user, tenant=tenant, notification_id=notification.pk)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("core:notification_list")


@require_http_methods(["GET", "POST"])
@tenant_required
def notification_preferences_view(request: HttpRequest) -> HttpResponse:
    """Which kinds of notification the member receives in this clinic (all on by default)."""
    tenant, user = _who(request)
    role = request.membership.role  # type: ignore[attr-defined]
    if request.method == "POST":
        notification_preferences_set(
            tenant=tenant, user=user, role=role, enabled=set(request.POST.getlist("kinds"))
        )
        messages.success(request, "Preferências de notificação salvas.")
        return redirect("core:notification_preferences")
    prefs = notification_preferences_get(tenant=tenant, user=user, role=role)
    kinds = [(kind, prefs[kind.code]) for kind in notification_kinds_for(role=role)]
    return render(request, "core/notification_preferences.html", {"kinds": kinds})
