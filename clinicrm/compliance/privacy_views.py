"""The clinic's privacy page (`/configuracoes/privacidade`): least privilege on or off."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from clinicrm.compliance.services import privacy_settings_update
from clinicrm.core.models import MANAGER_ROLES
from clinicrm.core.services import client_ip
from clinicrm.core.tenancy import tenant_required


class PrivacyForm(forms.Form):
    own_patients_only = forms.BooleanField(
        label="Profissionais veem só os próprios pacientes",
        required=False,
        help_text=(
            "Um profissional vê apenas os pacientes que atende (com consulta marcada com ele ou "
            "conversa atribuída a ele), as conversas desses pacientes e as conversas atribuídas "
            "a ele. Proprietários, administradores e secretárias continuam vendo tudo."
        ),
    )


@tenant_required(roles=MANAGER_ROLES)
@require_http_methods(["GET", "POST"])
def privacy_settings(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    initial = {"own_patients_only": tenant.professionals_own_patients_only}
    form = PrivacyForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        privacy_settings_update(
            tenant=tenant,
            own_patients_only=form.cleaned_data["own_patients_only"],
            actor=request.user,
            ip=client_ip(request),
        )
        messages.success(request, "Configurações de privacidade salvas.")
        return redirect("compliance:privacy")
    return render(request, "compliance/privacy.html", {"form": form})
