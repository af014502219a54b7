"""Tab "Pacotes WhatsApp": CRUD of credit packages, inline active toggle, edit in a <dialog>.

htmx requests get fragments of `saas/packages/list.html` (partials `row`, `table`,
`dialog_form`); plain requests get full pages, so everything also works without JavaScript.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from clinicrm.core.errors import ApplicationError
from clinicrm.credits.models import CreditPackage
from clinicrm.saas import selectors, services
from clinicrm.saas.access import staff_required
from clinicrm.saas.forms import CreditPackageForm
from clinicrm.saas.views.common import TABS, client_ip

TEMPLATE = "saas/packages/list.html"
CLOSE_DIALOG = '{"saas:dialog-close": true}'


def _context(**extra: object) -> dict[str, object]:
    return {"tabs": TABS, "active_tab": "pacotes", **extra}


@staff_required
def package_list(request: HttpRequest) -> HttpResponse:
    return render(request, TEMPLATE, _context(packages=selectors.credit_package_list()))


def _form_response(
    request: HttpRequest, form: CreditPackageForm, package: CreditPackage | None, status: int
) -> HttpResponse:
    ctx = _context(form=form, package=package)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, f"{TEMPLATE}#dialog_form", ctx, status=status)
    return render(request, "saas/packages/form_page.html", ctx, status=status)


def _saved_response(request: HttpRequest, message: str) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        # Empty the dialog, refresh the table out of band, and tell saas.js to close the dialog.
        response = render(
            request,
            "saas/packages/saved.html",
            _context(packages=selectors.credit_package_list(), message=message),
        )
        response["HX-Trigger"] = CLOSE_DIALOG
        return response
    messages.success(request, message)
    return redirect("saas:package_list")


def _save(request: HttpRequest, form: CreditPackageForm, package: CreditPackage | None) -> bool:
    if not form.is_valid():
        return False
    try:
        if package is None:
            services.credit_package_create(
                actor=request.user, data=form.service_data(), ip=client_ip(request)
            )
        else:
            services.credit_package_update(
                package=package, actor=request.user, data=form.service_data(), ip=client_ip(request)
            )
    except ApplicationError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return False
    return True


@staff_required
def package_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = CreditPackageForm(data=request.POST)
        if _save(request, form, None):
            return _saved_response(request, "Pacote criado.")
        return _form_response(request, form, None, status=400)
    return _form_response(request, CreditPackageForm(), None, status=200)


@staff_required
def package_update(request: HttpRequest, package_id: str) -> HttpResponse:
    package = get_object_or_404(CreditPackage, pk=package_id)
    if request.method == "POST":
        form = CreditPackageForm(data=request.POST)
        if _save(request, form, package):
            return _saved_response(request, "Pacote atualizado.")
        return _form_response(request, form, package, status=400)
    form = CreditPackageForm(
        initial={
            "name": package.name,
            "description": package.description or "",
            "credits": package.credits,
            "price_brl": package.price_brl,
            "is_active": package.is_active,
            "is_featured": package.is_featured,
            "position": package.position,
        }
    )
    return _form_response(request, form, package, status=200)


@staff_required
@require_POST
def package_toggle(request: HttpRequest, package_id: str) -> HttpResponse:
    package = get_object_or_404(CreditPackage, pk=package_id)
    package = services.credit_package_toggle_active(
        package=package, actor=request.user, ip=client_ip(request)
    )
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, f"{TEMPLATE}#row", _context(p=package))
    messages.success(request, "Pacote ativado." if package.is_active else "Pacote desativado.")
    return redirect("saas:package_list")


@staff_required
@require_POST
def package_delete(request: HttpRequest, package_id: str) -> HttpResponse:
    package = get_object_or_404(CreditPackage, pk=package_id)
    try:
        services.credit_package_delete(package=package, actor=request.user, ip=client_ip(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Pacote excluído.")
    return redirect("saas:package_list")
