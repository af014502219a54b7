"""The clinic's statement page ("Extrato"), its CSV/XLSX exports, and the redirect from the
old add-on statement URL. Thin: `credits.statement` reads, `credits.exports` writes files."""

from typing import Any, cast

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from clinicrm.core.dates import BoundedDateField
from clinicrm.core.models import MANAGER_ROLES
from clinicrm.core.tenancy import tenant_required
from clinicrm.credits import selectors
from clinicrm.credits.exports import XLSX_TYPE, statement_csv, statement_xlsx
from clinicrm.credits.models import AddonTransactionType
from clinicrm.credits.statement import (
    KIND_CHOICES,
    WHATSAPP,
    WHATSAPP_LABEL,
    StatementFilters,
    statement_page,
    statement_rows,
    statement_totals,
)

TEMPLATE = "credits/statement.html"


class StatementFilterForm(forms.Form):
    product = forms.ChoiceField(label="Produto", required=False)
    kind = forms.ChoiceField(
        label="Movimento", required=False, choices=[("", "Todos"), *KIND_CHOICES]
    )
    date_from = BoundedDateField(
        label="De", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = BoundedDateField(
        label="Até", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, addon_types: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["product"]).choices = [
            ("", "Todos"),
            (WHATSAPP, WHATSAPP_LABEL),
            *[(t, f"Add-on {t}") for t in addon_types],
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "A data final deve ser igual ou posterior à inicial.")
        return data

    def filters(self) -> StatementFilters:
        data = self.cleaned_data
        return StatementFilters(
            product=data.get("product") or "",
            kind=data.get("kind") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


def _file(content: bytes, *, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@tenant_required(roles=MANAGER_ROLES)
def statement(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    form = StatementFilterForm(
        request.GET or None, addon_types=selectors.addon_types_for_tenant(tenant=tenant)
    )
    context: dict[str, Any] = {
        "form": form,
        "rows": [],
        "balance_value": selectors.credits_balance_value(tenant=tenant),
        "addon_balances": selectors.addon_credits_list(tenant=tenant),
    }
    if form.is_bound and not form.is_valid():
        return render(request, TEMPLATE, context, status=400)
    filters = form.filters() if form.is_bound else StatementFilters()
    totals = statement_totals(tenant=tenant, filters=filters)
    export = request.GET.get("export")
    if export == "csv":
        content = statement_csv(statement_rows(tenant=tenant, filters=filters), totals)
        return _file(content, content_type="text/csv; charset=utf-8", name="extrato.csv")
    if export == "xlsx":
        content = statement_xlsx(statement_rows(tenant=tenant, filters=filters), totals)
        return _file(content, content_type=XLSX_TYPE, name="extrato.xlsx")
    page_obj, rows = statement_page(tenant=tenant, filters=filters, page=request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    context.update(
        page_obj=page_obj,
        rows=rows,
        totals=totals,
        query_string=query.urlencode(),
        filtered=any(v for v in query.values()),
    )
    return render(request, TEMPLATE, context)


# The old add-on statement's movement types, as the statement's kinds.
_OLD_TYPES: dict[str, str] = {
    AddonTransactionType.PURCHASE: "compra",
    AddonTransactionType.CONSUMPTION: "uso",
    AddonTransactionType.REFUND: "reembolso",
    AddonTransactionType.BONUS: "recarga",
    AddonTransactionType.ADJUSTMENT: "ajuste",
}


@require_GET
def addon_statement_redirect(request: HttpRequest) -> HttpResponse:
    """`/configuracoes/extrato-addons` (bookmarks, old links): the statement, same filters."""
    old = request.GET
    params = {
        "product": old.get("addon_type", ""),
        "kind": _OLD_TYPES.get(old.get("type", ""), ""),
        "date_from": old.get("date_from", ""),
        "date_to": old.get("date_to", ""),
    }
    query = urlencode({k: v for k, v in params.items() if v})
    url = reverse("credits:statement")
    return redirect(f"{url}?{query}" if query else url, permanent=True)
