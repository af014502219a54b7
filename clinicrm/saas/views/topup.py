"""Tab "Topup WhatsApp": manual top-ups and adjustments of a tenant's WhatsApp credits."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant
from clinicrm.saas import selectors, services
from clinicrm.saas.access import staff_required
from clinicrm.saas.forms import TopupForm
from clinicrm.saas.views.common import TABS

TEMPLATE = "saas/topup/page.html"


def _context(*, form: TopupForm, tenant: Tenant | None) -> dict[str, object]:
    return {
        "tabs": TABS,
        "active_tab": "topup",
        "form": form,
        "selected_tenant": tenant,
        "balance": selectors.whatsapp_balance_of(tenant=tenant) if tenant else None,
        "recent": selectors.staff_movements_recent(tenant=tenant),
    }


@staff_required
def topup(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = TopupForm(data=request.POST)
        tenant = selectors.tenant_by_id(tenant_id=request.POST.get("tenant"))
        if form.is_valid():
            data = form.cleaned_data
            tenant = data["tenant"]
            try:
                row = services.whatsapp_topup_record(
                    tenant=tenant,
                    operation=data["operation"],
                    amount=data["amount"],
                    note=data["note"],
                    actor=request.user,  # type: ignore[arg-type]
                )
            except ApplicationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                done = (
                    "Recarga registrada"
                    if data["operation"] == services.TOPUP
                    else "Ajuste registrado"
                )
                messages.success(
                    request,
                    f"{done}: {row.amount:+d} créditos. Saldo atual: {row.balance_after}.",
                )
                return redirect(f"{reverse('saas:topup')}?tenant={tenant.pk}")
        return render(request, TEMPLATE, _context(form=form, tenant=tenant), status=400)
    tenant = selectors.tenant_by_id(tenant_id=request.GET.get("tenant"))
    form = TopupForm(initial={"tenant": tenant.pk if tenant else None})
    return render(request, TEMPLATE, _context(form=form, tenant=tenant))


@staff_required
def topup_balance(request: HttpRequest) -> HttpResponse:
    """Balance of the chosen tenant, plus the recent rows swapped out of band (htmx)."""
    tenant = selectors.tenant_by_id(tenant_id=request.GET.get("tenant"))
    ctx = _context(form=TopupForm(), tenant=tenant)
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect(f"{reverse('saas:topup')}?tenant={tenant.pk}" if tenant else "saas:topup")
    return render(request, "saas/topup/balance_swap.html", ctx)
