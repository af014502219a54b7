"""The clinic's tags page (/configuracoes/etiquetas/): create, rename, recolour and remove custom
tags; the five system tags are listed (recolourable) but cannot be renamed or removed. Owners,
admins and secretaries manage; professionals see the list. Thin: services decide and write."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import CLINIC_ROLES
from clinicrm.core.services import client_ip
from clinicrm.core.tenancy import request_tenant, tenant_get_or_404, tenant_required
from clinicrm.crm import selectors, services
from clinicrm.crm.models import Tag, TagColor, ThreadTag


def _can_manage(request: HttpRequest) -> bool:
    return request.membership.role in CLINIC_ROLES  # type: ignore[attr-defined]


def _ensure_manager(request: HttpRequest) -> None:
    if not _can_manage(request):
        raise PermissionDenied("Seu papel não permite alterar as etiquetas.")


def _page(request: HttpRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    tags = selectors.tags_of_tenant(tenant=request_tenant(request))
    counts: dict[int, int] = {}
    for tag_id in ThreadTag.objects.filter(tenant=request_tenant(request)).values_list(
        "tag_id", flat=True
    ):
        counts[tag_id] = counts.get(tag_id, 0) + 1
    rows = [(tag, counts.get(tag.pk, 0)) for tag in tags]
    context = {
        "rows": rows,
        "colors": TagColor.choices,
        "can_manage": _can_manage(request),
        "form": {"name": "", "color": TagColor.TEAL},
        **extra,
    }
    return render(request, "crm/tags.html", context, status=status)


@require_http_methods(["GET", "POST"])
@tenant_required
def tag_list(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request)
    _ensure_manager(request)
    name, color = request.POST.get("name", ""), request.POST.get("color", "")
    try:
        tag = services.tag_create(
            tenant=request_tenant(request),
            actor=request.user,
            name=name,
            color=color,
            ip=client_ip(request),
        )
    except ApplicationError as exc:
        return _page(
            request,
            status=400,
            form={"name": name, "color": color},
            error=exc.message,
            error_field=exc.field,
        )
    messages.success(request, f"Etiqueta “{tag.name}” criada.")
    return redirect("crm:tags")


@require_POST
@tenant_required
def tag_edit(request: HttpRequest, tag_id: int) -> HttpResponse:
    tag = tenant_get_or_404(Tag, tenant=request_tenant(request), pk=tag_id)
    _ensure_manager(request)
    name = request.POST.get("name")
    try:
        services.tag_update(
            tag=tag,
            actor=request.user,
            name=None if tag.is_system else name,
            color=request.POST.get("color"),
            ip=client_ip(request),
        )
    except ApplicationError as exc:
        return _page(request, status=400, row_error=exc.message, row_error_tag=tag.pk)
    messages.success(request, "Etiqueta atualizada.")
    return redirect("crm:tags")


@require_POST
@tenant_required
def tag_remove(request: HttpRequest, tag_id: int) -> HttpResponse:
    tag = tenant_get_or_404(Tag, tenant=request_tenant(request), pk=tag_id)
    _ensure_manager(request)
    try:
        services.tag_delete(tag=tag, actor=request.user, ip=client_ip(request))
    except ApplicationError as exc:
        return _page(request, status=400, row_error=exc.message, row_error_tag=tag.pk)
    messages.success(request, f"Etiqueta “{tag.name}” removida.")
    return redirect("crm:tags")
