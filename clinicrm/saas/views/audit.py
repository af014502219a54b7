"""The audit trail of every clinic for SaaS staff (`/saas/auditoria`): the clinic page's
views with `tenant=None` (a clinic filter instead of one tenant)."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from clinicrm.compliance.views import audit_detail_response, audit_list_response
from clinicrm.saas.access import staff_required


@staff_required
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    return audit_list_response(
        request,
        tenant=None,
        template="compliance/audit_list.html",
        detail_url="saas:audit_detail",
    )


@staff_required
@require_GET
def audit_detail(request: HttpRequest, audit_id: int) -> HttpResponse:
    return audit_detail_response(
        request,
        tenant=None,
        audit_id=audit_id,
        template="compliance/audit_detail.html",
        back_url="saas:audit_list",
    )
