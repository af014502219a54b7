"""Tabs "Créditos add-on" (per-tenant settings) and "Transações add-on" (movements)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from clinicrm.core.errors import ApplicationError
from clinicrm.credits.models import AddonCredit
from clinicrm.saas import selectors, services
from clinicrm.saas.access import staff_required
from clinicrm.saas.forms import AddonCreditFilterForm, AddonCreditForm, TransactionFilterForm
from clinicrm.saas.views.common import TABS, client_ip, paginate, query_string


@staff_required
def addon_credit_list(request: HttpRequest) -> HttpResponse:
    filters = AddonCreditFilterForm(data=request.GET)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    qs = selectors.addon_credit_list(
        tenant=cleaned.get("tenant"), addon_type=cleaned.get("addon_type") or ""
    )
    return render(
        request,
        "saas/credits/list.html",
        {
            "tabs": TABS,
            "active_tab": "creditos",
            "filters": filters,
            "page_obj": paginate(request, qs),
            "query_string": query_string(request),
            "filtered": any(cleaned.values()),
        },
    )


@staff_required
def addon_credit_update(request: HttpRequest, credit_id: str) -> HttpResponse:
    credit = get_object_or_404(AddonCredit.objects.select_related("tenant"), pk=credit_id)
    status = 200
    if request.method == "POST":
        form = AddonCreditForm(data=request.POST)
        if form.is_valid():
            try:
                services.addon_credit_update(
                    credit=credit, actor=request.user, data=form.cleaned_data, ip=client_ip(request)
                )
            except ApplicationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, "Créditos add-on atualizados.")
                return redirect("saas:addon_credit_list")
        status = 400
    else:
        form = AddonCreditForm(
            initial={
                "low_balance_threshold": credit.low_balance_threshold,
                "daily_limit": credit.daily_limit,
                "hourly_limit": credit.hourly_limit,
                "expires_at": credit.expires_at,
                "is_active": bool(credit.is_active),
            }
        )
    return render(
        request,
        "saas/credits/form.html",
        {"tabs": TABS, "active_tab": "creditos", "form": form, "credit": credit},
        status=status,
    )


@staff_required
def addon_transaction_list(request: HttpRequest) -> HttpResponse:
    filters = TransactionFilterForm(data=request.GET)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    qs = selectors.addon_transaction_list(
        tenant=cleaned.get("tenant"),
        type=cleaned.get("type") or "",
        addon_type=cleaned.get("addon_type") or "",
        start=cleaned.get("start"),
        end=cleaned.get("end"),
    )
    return render(
        request,
        "saas/transactions/list.html",
        {
            "tabs": TABS,
            "active_tab": "transacoes",
            "filters": filters,
            "page_obj": paginate(request, qs),
            "query_string": query_string(request),
            "filtered": any(cleaned.values()),
        },
        status=200 if filters.is_valid() else 400,
    )
