"""Profile page: the member's data and their personal API tokens for the current tenant."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from clinicrm.api.forms import ApiTokenForm
from clinicrm.api.models import ApiToken
from clinicrm.api.selectors import api_token_list
from clinicrm.api.services import api_token_create, api_token_revoke
from clinicrm.core.errors import ApplicationError
from clinicrm.core.services import client_ip
from clinicrm.core.tenancy import tenant_get_or_404, tenant_required


@tenant_required
@require_http_methods(["GET", "POST"])
def profile_view(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    form = ApiTokenForm(request.POST or None)
    created = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created = api_token_create(
                    tenant=tenant,
                    user=request.user,
                    name=form.cleaned_data["name"],
                    ip=client_ip(request),
                )
            except ApplicationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        if created is None:
            status = 400
        else:
            # The plain token is rendered in this response only; a reload never shows it again.
            form = ApiTokenForm()
    context = {
        "form": form,
        "created": created,
        "tokens": api_token_list(tenant=tenant, user=request.user),
    }
    return render(request, "api/profile.html", context, status=status)


@tenant_required
@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    # Filtered by tenant AND user: someone else's token is not found, even inside the clinic.
    tenant = request.tenant  # type: ignore[attr-defined]
    token = tenant_get_or_404(ApiToken, tenant=tenant, pk=token_id, user=request.user)
    api_token_revoke(token=token, actor=request.user, ip=client_ip(request))
    messages.success(request, "Token revogado. Ele deixa de funcionar imediatamente.")
    return redirect("api:profile")
