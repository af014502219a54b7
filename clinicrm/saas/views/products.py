"""Tab "Produtos add-on": CRUD of the global add-on catalogue (soft delete)."""

from decimal import Decimal

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from clinicrm.core.errors import ApplicationError
from clinicrm.credits.models import AddonProduct
from clinicrm.saas import selectors, services
from clinicrm.saas.access import staff_required
from clinicrm.saas.forms import AddonProductForm
from clinicrm.saas.views.common import TABS, client_ip, paginate, query_string


def _product_or_404(product_id: object) -> AddonProduct:
    return get_object_or_404(AddonProduct, pk=product_id, deleted_at__isnull=True)


@staff_required
def product_list(request: HttpRequest) -> HttpResponse:
    # Old links used ?tab=...: send them to the tab's own page.
    tab = request.GET.get("tab", "")
    for key, _label, url_name in TABS:
        if tab == key and url_name != "saas:addons":
            return redirect(url_name)
    search = request.GET.get("q", "")
    page = paginate(request, selectors.addon_product_list(search=search))
    return render(
        request,
        "saas/products/list.html",
        {
            "tabs": TABS,
            "active_tab": "produtos",
            "page_obj": page,
            "search": search,
            "query_string": query_string(request),
        },
    )


def _form_page(
    request: HttpRequest, form: AddonProductForm, product: AddonProduct | None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "saas/products/form.html",
        {"tabs": TABS, "active_tab": "produtos", "form": form, "product": product},
        status=status,
    )


def _save(request: HttpRequest, form: AddonProductForm, product: AddonProduct | None) -> bool:
    if not form.is_valid():
        return False
    try:
        if product is None:
            services.addon_product_create(
                actor=request.user, data=form.service_data(), ip=client_ip(request)
            )
        else:
            services.addon_product_update(
                product=product, actor=request.user, data=form.service_data(), ip=client_ip(request)
            )
    except ApplicationError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return False
    return True


@staff_required
def product_create(request: HttpRequest) -> HttpResponse:
    form = AddonProductForm(data=request.POST or None)
    if request.method == "POST":
        if _save(request, form, None):
            messages.success(request, "Produto criado.")
            return redirect("saas:addons")
        return _form_page(request, form, None, status=400)
    return _form_page(request, form, None)


@staff_required
def product_update(request: HttpRequest, product_id: str) -> HttpResponse:
    product = _product_or_404(product_id)
    initial = {
        "slug": product.slug,
        "name": product.name,
        "description": product.description or "",
        "addon_type": product.addon_type,
        "credits_amount": product.credits_amount or 0,
        "price": Decimal(product.price_cents or 0) / 100,
        "currency": product.currency or "BRL",
        "is_active": bool(product.is_active),
        "is_visible": bool(product.is_visible),
        "sort_order": product.sort_order or 0,
    }
    if request.method == "POST":
        form = AddonProductForm(data=request.POST)
        if _save(request, form, product):
            messages.success(request, "Produto atualizado.")
            return redirect("saas:addons")
        return _form_page(request, form, product, status=400)
    return _form_page(request, AddonProductForm(initial=initial), product)


@staff_required
@require_POST
def product_delete(request: HttpRequest, product_id: str) -> HttpResponse:
    product = _product_or_404(product_id)
    try:
        services.addon_product_delete(product=product, actor=request.user, ip=client_ip(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Produto excluído.")
    return redirect("saas:addons")
