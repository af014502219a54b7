"""Media fragments of the timeline: the retry button of a failed download and its polling.

Thin: `services.media.message_media_retry` writes; the fragment is `messaging/_media.html`.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from clinicrm.core.errors import ApplicationError
from clinicrm.core.tenancy import tenant_get_or_404, tenant_required
from clinicrm.messaging.models import MediaStatus, Message
from clinicrm.messaging.services.media import message_media_retry as media_retry
from clinicrm.messaging.signing import media_signed_url


def _render(request: HttpRequest, message: Message, *, error: str = "", status: int = 200) -> Any:
    if message.media_status == MediaStatus.STORED:
        message.media_url = media_signed_url(message=message)  # type: ignore[attr-defined]
    return render(
        request, "messaging/_media.html", {"m": message, "media_error": error}, status=status
    )


@require_POST
@tenant_required
def message_media_retry(request: HttpRequest, message_id: int) -> HttpResponse:
    """The placeholder's "Tentar novamente": queue the download again, answer the fragment."""
    message = tenant_get_or_404(Message, tenant=request.tenant, pk=message_id)  # type: ignore[attr-defined]
    try:
        media_retry(tenant=request.tenant, message=message)  # type: ignore[attr-defined]
    except ApplicationError as exc:
        message.refresh_from_db()
        return _render(request, message, error=exc.message, status=400)
    message.refresh_from_db()
    return _render(request, message)


@require_GET
@tenant_required
def message_media(request: HttpRequest, message_id: int) -> HttpResponse:
    """The media fragment of one message (a pending download polls it until it settles)."""
    message = tenant_get_or_404(Message, tenant=request.tenant, pk=message_id)  # type: ignore[attr-defined]
    return _render(request, message)
