"""Tenant pages of the credits app: "Créditos WhatsApp" (store, PIX purchase dialog, history)
and the add-on statement with CSV/XLSX export. Thin: services and selectors do the work."""

import csv
import datetime as dt
import io
import uuid
from typing import Any, cast

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import MANAGER_ROLES, User
from clinicrm.core.tenancy import tenant_get_or_404, tenant_required
from clinicrm.credits import selectors
from clinicrm.credits.models import (
    AddonTransactionType,
    CreditPackage,
    CreditPurchase,
    PurchaseStatus,
)
from clinicrm.credits.purchases import purchase_refresh_status, purchase_start
from clinicrm.people.documents import CpfCnpjField, cpf_cnpj_format

PAGE_TEMPLATE = "credits/page.html"
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
    return {
        "balance": selectors.credits_balance_row(tenant=tenant),
        "balance_value": selectors.credits_balance_value(tenant=tenant),
        "packages": list(selectors.credit_packages_active()),
        "purchases": selectors.credit_purchases_page(
            tenant=tenant, page=request.GET.get("compras"), per_page=10
        ),
        "transactions": selectors.credits_transactions_page(
            tenant=tenant, page=request.GET.get("page"), per_page=20
        ),
    }


@require_GET
@tenant_required(roles=MANAGER_ROLES)
def credits_page(request: HttpRequest) -> HttpResponse:
    context = _page_context(request)
    context["page_obj"] = context["transactions"]
    compras = request.GET.get("compras")
    context["query_string"] = f"compras={compras}" if compras and compras.isdigit() else ""
    return render(request, PAGE_TEMPLATE, context)


@require_GET
@tenant_required(roles=MANAGER_ROLES)
def purchase_form(request: HttpRequest) -> HttpResponse:
    """Dialog body: confirm the package and ask the CPF/CNPJ (pre-filled from the tenant)."""
    tenant = request.tenant  # type: ignore[attr-defined]
    package = _package(request.GET.get("package_id"), active_only=True)
    if package is None:
        return render(
            request,
            f"{PAGE_TEMPLATE}#purchase_unavailable",
            {"message": "Pacote não encontrado ou indisponível. Atualize a página."},
            status=404,
        )
    form = PurchaseForm(
        initial={
            "package_id": package.pk,
            "expected_price": package.price_brl,
            "cpf_cnpj": cpf_cnpj_format(tenant.cpf_cnpj) if tenant.cpf_cnpj else "",
        }
    )
    return render(request, f"{PAGE_TEMPLATE}#purchase_form", {"form": form, "package": package})


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
            return render(request, f"{PAGE_TEMPLATE}#purchase_pix", {"purchase": purchase})
    return render(
        request,
        f"{PAGE_TEMPLATE}#purchase_form",
        {"form": form, "package": package},
        status=400,
    )


@require_GET
@tenant_required(roles=MANAGER_ROLES)
def purchase_status(request: HttpRequest, purchase_id: str) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    purchase = tenant_get_or_404(CreditPurchase, tenant=tenant, pk=purchase_id)
    if purchase.status == PurchaseStatus.PENDING and purchase.created_at:
        age = dt.datetime.now(dt.UTC) - purchase.created_at
        if age > POLL_ASAAS_AFTER:
            purchase = purchase_refresh_status(purchase=purchase)
    return render(
        request,
        f"{PAGE_TEMPLATE}#purchase_status",
        {"purchase": purchase, "balance_value": selectors.credits_balance_value(tenant=tenant)},
    )


def _package(raw: Any, *, active_only: bool) -> CreditPackage | None:
    try:
        pk = uuid.UUID(str(raw))
    except ValueError:
        return None
    qs = CreditPackage.objects.filter(pk=pk)
    return (qs.filter(is_active=True) if active_only else qs).first()


# --------------------------------------------------------------------------- add-on statement


class StatementFilterForm(forms.Form):
    addon_type = forms.ChoiceField(label="Adicional", required=False)
    type = forms.ChoiceField(
        label="Movimento",
        required=False,
        choices=[("", "Todos"), *AddonTransactionType.choices],
    )
    date_from = forms.DateField(
        label="De", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="Até", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, addon_types: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["addon_type"]).choices = [
            ("", "Todos"),
            *[(t, t) for t in addon_types],
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "A data final deve ser igual ou posterior à inicial.")
        return data


@require_GET
@tenant_required(roles=MANAGER_ROLES)
def addon_statement(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    form = StatementFilterForm(
        request.GET or None, addon_types=selectors.addon_types_for_tenant(tenant=tenant)
    )
    filters: dict[str, Any] = {}
    status = 200
    if form.is_bound:
        if form.is_valid():
            filters = {k: v for k, v in form.cleaned_data.items() if v}
        else:
            status = 400
    export = request.GET.get("export")
    if export in ("csv", "xlsx") and status == 200:
        rows = selectors.addon_statement_rows(
            tenant=tenant,
            addon_type=filters.get("addon_type"),
            date_from=filters.get("date_from"),
            date_to=filters.get("date_to"),
        )
        if filters.get("type"):
            label = dict(AddonTransactionType.choices)[filters["type"]]
            rows = [r for r in rows if r["type"] == label]
        return _export_csv(rows) if export == "csv" else _export_xlsx(rows)
    page = selectors.addon_transactions_page(
        tenant=tenant, page=request.GET.get("page"), per_page=25, **filters
    )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return render(
        request,
        "credits/addon_statement.html",
        {
            "form": form,
            "page_obj": page,
            "query_string": query.urlencode(),
            "balances": selectors.addon_credits_list(tenant=tenant),
        },
        status=status,
    )


def _export_csv(rows: list[dict[str, Any]]) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([label for _key, label in selectors.STATEMENT_COLUMNS])
    for row in rows:
        values = []
        for key, _label in selectors.STATEMENT_COLUMNS:
            value = row[key]
            if isinstance(value, dt.datetime):
                value = value.strftime("%d/%m/%Y %H:%M")
            values.append(value)
        writer.writerow(values)
    # BOM so Excel opens the pt-BR accents correctly.
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="extrato-addons.csv"'
    return response


def _export_xlsx(rows: list[dict[str, Any]]) -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Extrato"
    sheet.append([label for _key, label in selectors.STATEMENT_COLUMNS])
    for row in rows:
        sheet.append([row[key] for key, _label in selectors.STATEMENT_COLUMNS])
    out = io.BytesIO()
    workbook.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="extrato-addons.xlsx"'
    return response
