"""The floating "Nova mensagem de ..." card the notifier (notifier.js) fetches when the SSE
stream reports a new inbound message: the stream carries ids only, never names or text."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from clinicrm.core.accounts.middleware import background_view
from clinicrm.core.tenancy import request_tenant, tenant_get_or_404, tenant_required
from clinicrm.messaging.models import Thread
from clinicrm.people.phones import phone_format_display


def _sender(thread: Thread) -> str:
    if thread.patient_id and thread.patient is not None:
        return thread.patient.full_name
    if thread.contact_name:
        return thread.contact_name
    if thread.thread_key.startswith("+"):
        return phone_format_display(thread.thread_key)
    return "um contato"


@background_view
@require_GET
@tenant_required
def message_popup(request: HttpRequest) -> HttpResponse:
    """The card for one thread of the current tenant (by its id); another tenant's is 404."""
    raw = request.GET.get("thread", "")
    if not raw.isdigit():
        raise Http404("Não encontrado.")
    tenant = request_tenant(request)
    thread = tenant_get_or_404(Thread.objects.select_related("patient"), tenant=tenant, pk=int(raw))
    return render(
        request,
        "messaging/notification_popup.html",
        {
            "thread": thread,
            "sender": _sender(thread),
            "thread_url": reverse("messaging:thread", kwargs={"thread_id": thread.pk}),
        },
    )
