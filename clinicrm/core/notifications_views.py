"""The bell: notification history, the htmx panel, counts for the notifier, the message popup.

Thin views over `clinicrm.core.notifications`. Every query filters by the current tenant and the
logged-in user. The popup fragment is fetched by the notifier (notifier.js) when the SSE stream
reports a new inbound message, so the stream itself never carries names or text.
"""

from typing import Any, cast

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from clinicrm.core.models import Notification, Tenant, User
from clinicrm.core.notifications import (
    notification_latest,
    notification_mark_all_read,
    notification_mark_read,
    notification_page,
    notification_unread_count,
)
from clinicrm.core.tenancy import tenant_get_or_404, tenant_required

PANEL_TEMPLATE = "core/notifications_panel.html"


def conversations_unread_count(*, tenant: Any) -> int:
    """Threads with unread inbound messages (read from the threads table, never from messages)."""
    from clinicrm.messaging.models import Thread

    return Thread.objects.filter(tenant=tenant, unread_count__gt=0).count()


def _who(request: HttpRequest) -> tuple[Tenant, User]:
    """The current tenant and member (tenant_required guarantees both)."""
    return cast(Tenant, request.tenant), cast(User, request.user)  # type: ignore[attr-defined]


def _panel_context(request: HttpRequest) -> dict[str, Any]:
    tenant, user = _who(request)
    return {
        "notifications": notification_latest(user=user, tenant=tenant),
        "unread": notification_unread_count(user=user, tenant=tenant),
        "conversations_unread": conversations_unread_count(tenant=tenant),
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


@require_GET
@tenant_required
def notification_counts_view(request: HttpRequest) -> JsonResponse:
    tenant, user = _who(request)
    notifications = notification_unread_count(user=user, tenant=tenant)
    conversations = conversations_unread_count(tenant=tenant)
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
    if request.headers.get("HX-Request"):
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


@require_GET
@tenant_required
def message_popup_view(request: HttpRequest) -> HttpResponse:
    """The floating "Nova mensagem de ..." card for a thread of the current tenant (by its id)."""
    from clinicrm.messaging.models import Thread
    from clinicrm.people.phones import phone_format_display

    raw = request.GET.get("thread", "")
    if not raw.isdigit():
        raise Http404("Não encontrado.")
    tenant, _user = _who(request)
    thread = tenant_get_or_404(Thread.objects.select_related("patient"), tenant=tenant, pk=int(raw))
    if thread.patient_id and thread.patient is not None:
        sender = thread.patient.full_name
    elif thread.contact_name:
        sender = thread.contact_name
    elif thread.thread_key.startswith("+"):
        sender = phone_format_display(thread.thread_key)
    else:
        sender = "um contato"
    return render(
        request,
        "core/notifications_popup.html",
        {
            "thread": thread,
            "sender": sender,
            "thread_url": reverse("messaging:thread", kwargs={"thread_key": thread.thread_key}),
        },
    )
