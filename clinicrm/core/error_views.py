"""The site's 500 handler: a database that is out of connections (or restarting) is a 503.

Django turns any uncaught exception into a call to `handler500` (when DEBUG is off). When that
exception says the database is unavailable (`dbutil.DATABASE_UNAVAILABLE`: no free connection,
a pool timeout, a restart), the answer is 503 with `Retry-After`, which webhook providers and
EventSource reconnect logic treat as "try again shortly", instead of a 500 that reads as a bug.
The pages render without the database (no layout, no context processors).
"""

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.deprecation import MiddlewareMixin

from clinicrm.core.dates import BadParameter
from clinicrm.core.dbutil import DATABASE_UNAVAILABLE

RETRY_AFTER_SECONDS = 5
UNAVAILABLE = "Serviço temporariamente indisponível. Tente de novo em alguns segundos."
BAD_REQUEST = "Pedido inválido."
ERROR = "Erro interno. A equipe foi avisada; tente de novo mais tarde."


def server_error(request: HttpRequest) -> HttpResponse:
    exc = sys.exc_info()[1]
    unavailable = isinstance(exc, DATABASE_UNAVAILABLE)
    status, message = (503, UNAVAILABLE) if unavailable else (500, ERROR)
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=status)
    elif request.path.startswith(("/webhooks/", "/eventos/")):
        response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    else:
        template = loader.get_template("500.html")
        response = HttpResponse(
            template.render({"status": status, "message": message}), status=status
        )
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400, and the answer to a BadParameter a view raised: a pt-BR reason, as JSON
    `{"detail", "field"}` under /api/, as a page elsewhere. Other 400s (Django's suspicious
    requests) say only "Pedido inválido": their messages are not meant for people."""
    field = None
    message = BAD_REQUEST
    if isinstance(exception, BadParameter):
        message, field = exception.message, exception.field
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "field": field}, status=400)
    if request.path.startswith(("/webhooks/", "/eventos/")):
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    template = loader.get_template("400.html")
    return HttpResponse(template.render({"message": message}, request), status=400)


class BadParameterMiddleware(MiddlewareMixin):
    """A view's BadParameter becomes the 400 page here, before Django's exception handling
    (which in DEBUG would show its technical page instead)."""

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, BadParameter):
            return bad_request(request, exception)
        return None
