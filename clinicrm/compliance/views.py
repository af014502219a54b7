"""The audit page ("Auditoria") of a clinic, its detail and exports. Thin: the form reads the
filters, `selectors` reads rows, `exports` writes files. `audit_list_response` and
`audit_detail_response` also serve the SaaS staff page (`tenant=None`: every clinic)."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from clinicrm.compliance.actions import action_label, object_type_label
from clinicrm.compliance.exports import XLSX_TYPE, audit_csv, audit_xlsx
from clinicrm.compliance.forms import AuditFilterForm
from clinicrm.compliance.selectors import (
    EXPORT_LIMIT,
    audit_detail_items,
    audit_get,
    audit_page,
    audit_rows,
)
from clinicrm.core.models import MANAGER_ROLES, AuditLog, Tenant
from clinicrm.core.services import audit_log_record, client_ip
from clinicrm.core.tenancy import tenant_required

URL_SENTINEL = 987654321  # reversed once per page; each row's id replaces it
EXPORTS = {
    "csv": (audit_csv, "text/csv; charset=utf-8"),
    "xlsx": (audit_xlsx, XLSX_TYPE),
}


def _file(content: bytes, *, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _export(request: HttpRequest, form: AuditFilterForm, tenant: Tenant | None, fmt: str) -> Any:
    write, content_type = EXPORTS[fmt]
    filters = form.filters()
    content = write(audit_rows(tenant=tenant, filters=filters))
    used = [k for k, v in form.cleaned_data.items() if v and k != "cursor"]
    audit_log_record(
        action="audit.export",
        user=request.user,
        tenant=tenant,
        object_type="auditlog",
        ip=client_ip(request),
        details={"format": fmt, "filters": used, "scope": "clinic" if tenant else "saas"},
    )
    return _file(content, content_type=content_type, name=f"auditoria.{fmt}")


def audit_list_response(
    request: HttpRequest, *, tenant: Tenant | None, template: str, detail_url: str
) -> HttpResponse:
    params = request.GET.copy()
    fmt = params.pop("export", [""])[-1]
    form = AuditFilterForm(params or None, tenant=tenant)
    context: dict[str, Any] = {
        "form": form,
        "rows": [],
        "detail_url": detail_url,
        "show_tenant": tenant is None,
        "first_page": True,
        "export_limit": EXPORT_LIMIT,
    }
    if form.is_bound and not form.is_valid():
        return render(request, template, context, status=400)
    if fmt in EXPORTS:
        return _export(request, form, tenant, fmt)
    page = audit_page(tenant=tenant, filters=form.filters(), cursor=form.page_cursor())
    query = params.copy()
    query.pop("cursor", None)
    detail = reverse(detail_url, kwargs={"audit_id": URL_SENTINEL})
    context.update(
        rows=[_row(r, detail) for r in page.rows],
        next_cursor=page.next_cursor,
        query_string=query.urlencode(),
        filtered=form.filters().active,
        first_page=form.page_cursor() is None,
    )
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, f"{template}#results", context)
    return render(request, template, context)


def _row(row: AuditLog, detail_url: str = "") -> dict[str, Any]:
    """A row as the list shows it. Its cells are strings made here, not by template tags and
    filters per cell: on a loaded server those were a large share of the page's time."""
    return {
        "obj": row,
        "when": timezone.localtime(row.created_at).strftime("%d/%m/%Y %H:%M:%S"),
        "user": str(row.user) if row.user_id else "",
        "tenant": row.tenant.name if row.tenant is not None else "",
        "action_label": action_label(row.action),
        "object_label": object_type_label(row.object_type) if row.object_type else "",
        "url": detail_url.replace(str(URL_SENTINEL), str(row.pk)),
    }


# Objects a clinic page can open, by audit object type: (url name, kwarg).
OBJECT_PAGES = {
    "patient": ("people:patient_detail", "patient_id"),
    "professional": ("people:professional_detail", "professional_id"),
    "thread": ("messaging:thread", "thread_id"),
}


def _object_url(row: AuditLog) -> str:
    page = OBJECT_PAGES.get(row.object_type)
    if page is None or not row.object_id.isdigit():
        return ""
    try:
        return reverse(page[0], kwargs={page[1]: row.object_id})
    except NoReverseMatch:
        return ""


def audit_detail_response(
    request: HttpRequest, *, tenant: Tenant | None, audit_id: int, template: str, back_url: str
) -> HttpResponse:
    row = audit_get(tenant=tenant, audit_id=audit_id)
    context = {
        "row": _row(row),
        "details": audit_detail_items(row),
        "back_url": back_url,
        "show_tenant": tenant is None,
        "object_url": _object_url(row) if tenant is not None else "",
    }
    return render(request, template, context)


@tenant_required(roles=MANAGER_ROLES)
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    return audit_list_response(
        request,
        tenant=request.tenant,  # type: ignore[attr-defined]
        template="compliance/audit_list.html",
        detail_url="compliance:audit_detail",
    )


@tenant_required(roles=MANAGER_ROLES)
@require_GET
def audit_detail(request: HttpRequest, audit_id: int) -> HttpResponse:
    return audit_detail_response(
        request,
        tenant=request.tenant,  # type: ignore[attr-defined]
        audit_id=audit_id,
        template="compliance/audit_detail.html",
        back_url="compliance:audit_list",
    )
