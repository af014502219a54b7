"""`/healthz` and `/readyz` (see core/health.py). Plain JSON, never cached, no session."""

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from clinicrm.core.health import readiness_check
from clinicrm.core.metrics import CONTENT_TYPE, metrics_render, metrics_token_ok
from clinicrm.core.rls import rls_bypass


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks = readiness_check()
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "fail", "checks": checks}, status=200 if ready else 503
    )


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format behind the bearer token; 404 when no token is configured or the
    token is wrong, so the endpoint does not advertise itself."""
    if not metrics_token_ok(request):
        raise Http404
    with rls_bypass():  # counts over every clinic, behind the token
        body = metrics_render()
    return HttpResponse(body, content_type=CONTENT_TYPE)
