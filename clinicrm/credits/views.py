"""The tenant page "Créditos WhatsApp": store, PIX purchase dialog, history. Thin: services and
selectors do the work (the statement lives in `statement_views`)."""

import datetime as dt
import uuid
from typing import Any, cast

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import MANAGER_ROLES, User
from clinicrm.core.tenancy import tenant_get_or_404, tenant_required
from clinicrm.credits import selectors
from clinicrm.credits.models import (
    CreditPackage,
    CreditPurchase,
    PurchaseStatus,
)
from clinicrm.credits.purchases import purchase_refresh_status, purchase_start
from clinicrm.credits.statement import WHATSAPP, StatementFilters, statement_page
from clinicrm.people.documents import CpfCnpjField, cpf_cnpj_format

PAGE_TEMPLATE = "credits/page.html"
FULL_PAGE_TEMPLATE = "credits/purchase_page.html"
# The page shows the latest movements; the statement ("Extrato") has them all.
RECENT_MOVEMENTS = 10
# A pending purchase older than this is also checked at Asaas (the webhook may be late).
POLL_ASAAS_AFTER = dt.timedelta(seconds=30)


class PurchaseForm(forms.Form):
    package_id = forms.UUIDField(widget=forms.HiddenInput)
    expected_price = forms.DecimalField(max_digits=10, decimal_places=2, widget=forms.HiddenInput)
    cpf_cnpj = CpfCnpjField(
        label="CPF ou CNPJ da clínica",
        help_text="Usado na cobrança PIX. Fica salvo para as próximas compras.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cpf_cnpj"].widget.attrs.update(
            {"data-cpf-cnpj": "", "placeholder": "000.000.000-00 ou 00.000.000/0000-00"}
        )


def _page_context(request: HttpRequest) -> dict[str, Any]:
    tenant = request.tenant  # type: ignore[attr-defined]
    compras = request.GET.get("compras", "")
    _page_obj, movements = statement_page(
        tenant=tenant, filters=StatementFilters(product=WHATSAPP), per_page=RECENT_MOVEMENTS
    )
    return {
        "balance": selectors.credits_balance_row(tenant=tenant),
        "balance_value": selectors.credits_balance_value(tenant=tenant),
        "purchases": selectors.credit_purchases_page(tenant=tenant, page=compras, per_page=10),
        "compras": compras if compras.isdigit() else "",
        "has_pending": selectors.credit_purchases_pending(tenant=tenant).exists(),
        "movements": movements,
    }


def _render(
    request: HttpRequest, partial: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """A dialog fragment for htmx; the same fragment on a full page otherwise (opened directly,
    in a new tab, or without JavaScript)."""
    template = f"{PAGE_TEMPLATE}#{partial}"
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, template, context, status=status)
    return render(request, FULL_PAGE_TEMPLATE, {**context, "fragment": template}, status=status)


@require_GET
@tenant_required(roles=MANAGER_ROLES)
def credits_page(request: HttpRequest) -> HttpResponse:
    context = _page_context(request)
    context["packages"] = list(selectors.credit_packages_active())
    return render(request, PAGE_TEMPLATE, context)


@require_GET
@tenant_required(roles=MANAGER_ROLES)
def credits_live(request: HttpRequest) -> HttpResponse:
    """The page's balance, purchases and movements, swapped in place (htmx out-of-band) when a
    realtime event says they changed. A purchase still pending after a while is also checked
    at Asaas here (rate-limited), in case its webhook is late."""
    tenant = request.tenant  # type: ignore[attr-defined]
    late = selectors.credit_purchases_pending(tenant=tenant).filter(
        created_at__lt=timezone.now() - POLL_ASAAS_AFTER
    )
    for purchase in late[:1]:
        purchase_refresh_status(purchase=purchase)
    return render(request, f"{PAGE_TEMPLATE}#live", _page_context(request))


@require_GET
@tenant_required(roles=MANAGER_ROLES)
def purchase_form(request: HttpRequest) -> HttpResponse:
    """Confirm the package and ask the CPF/CNPJ (pre-filled from the tenant)."""
    tenant = request.tenant  # type: ignore[attr-defined]
    package = _package(request.GET.get("package_id"), active_only=True)
    if package is None:
        message = "Pacote não encontrado ou indisponível. Atualize a página."
        return _render(request, "purchase_unavailable", {"message": message}, status=404)
    form = PurchaseForm(
        initial={
            "package_id": package.pk,
            "expected_price": package.price_brl,
            "cpf_cnpj": cpf_cnpj_format(tenant.cpf_cnpj) if tenant.cpf_cnpj else "",
        }
    )
    return _render(request, "purchase_form", {"form": form, "package": package})


@require_POST
@tenant_required(roles=MANAGER_ROLES)
def purchase_create(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    form = PurchaseForm(request.POST)
    package = _package(request.POST.get("package_id"), active_only=False)
    if form.is_valid():
        try:
            purchase = purchase_start(
                tenant=tenant,
                actor=cast(User, request.user),
                package_id=form.cleaned_data["package_id"],
                expected_price=form.cleaned_data["expected_price"],
                cpf_cnpj=form.cleaned_data["cpf_cnpj"],
            )
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field == "cpf_cnpj" else None, exc.message)
        else:
            return _render(request, "purchase_pix", {"purchase": purchase})
    return _render(request, "purchase_form", {"form": form, "package": package}, status=400)


@require_GET
@tenant_required(roles=MANAGER_ROLES)
def purchase_status(request: HttpRequest, purchase_id: str) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    purchase = tenant_get_or_404(CreditPurchase, tenant=tenant, pk=purchase_id)
    if purchase.status == PurchaseStatus.PENDING and purchase.created_at:
        age = timezone.now() - purchase.created_at
        if age > POLL_ASAAS_AFTER:
            purchase = purchase_refresh_status(purchase=purchase)
    response = _render(
        request,
        "purchase_status",
        {"purchase": purchase, "balance_value": selectors.credits_balance_value(tenant=tenant)},
    )
    if purchase.status != PurchaseStatus.PENDING:
        # Settled (found here by polling Asaas, perhaps): the page refreshes its lists too.
        response["HX-Trigger"] = "credits-changed"
    return response


def _package(raw: Any, *, active_only: bool) -> CreditPackage | None:
    try:
        pk = uuid.UUID(str(raw))
    except ValueError:
        return None
    qs = CreditPackage.objects.filter(pk=pk)
    return (qs.filter(is_active=True) if active_only else qs).first()
