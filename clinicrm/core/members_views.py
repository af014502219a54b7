"""Members page (/membros/): owners and admins manage who belongs to the clinic.

Thin views over core.services (membership_add_by_email / membership_change / membership_remove /
member_invite_send), which hold the rules and write the audit trail. A member added without a
password gets an invitation e-mail (core/accounts/) and can be sent a fresh one.
"""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from clinicrm.core.accounts.emails import duration_label
from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import MANAGER_ROLES, Membership, Role
from clinicrm.core.services import (
    client_ip,
    member_invite_send,
    membership_add_by_email,
    membership_change,
    membership_remove,
)
from clinicrm.core.tenancy import tenant_get_or_404, tenant_required

PAGE_SIZE = 25


class MemberAddForm(forms.Form):
    email = forms.EmailField(
        label="E-mail",
        error_messages={"required": "Informe o e-mail.", "invalid": "Informe um e-mail válido."},
    )
    first_name = forms.CharField(label="Nome", max_length=150, required=False)
    role = forms.ChoiceField(
        label="Papel",
        choices=Role.choices,
        initial=Role.SECRETARY,
        error_messages={"invalid_choice": "Papel inválido."},
    )


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(
        label="Papel", choices=Role.choices, error_messages={"invalid_choice": "Papel inválido."}
    )


def _list_context(request: HttpRequest, add_form: MemberAddForm) -> dict[str, Any]:
    tenant = request.tenant  # type: ignore[attr-defined]
    query = request.GET.get("q", "").strip()
    qs = Membership.objects.filter(tenant=tenant).select_related("user")
    if query:
        qs = qs.filter(
            Q(user__email__icontains=query)
            | Q(user__first_name__icontains=query)
            | Q(user__last_name__icontains=query)
        )
    qs = qs.order_by("-is_active", "user__first_name", "user__email", "pk")
    page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "page_obj": page_obj,
        "members": page_obj.object_list,
        "query": query,
        "query_string": urlencode({"q": query}) if query else "",
        "add_form": add_form,
        "roles": Role.choices,
        "is_owner": request.membership.role == Role.OWNER,  # type: ignore[attr-defined]
    }


@tenant_required(roles=MANAGER_ROLES)
@require_GET
def member_list_view(request: HttpRequest) -> HttpResponse:
    return render(request, "core/members.html", _list_context(request, MemberAddForm()))


def _error_page(request: HttpRequest, form: MemberAddForm, error: str | None) -> HttpResponse:
    context = _list_context(request, form)
    context["action_error"] = error
    return render(request, "core/members.html", context, status=400)


@tenant_required(roles=MANAGER_ROLES)
@require_POST
def member_add_view(request: HttpRequest) -> HttpResponse:
    form = MemberAddForm(request.POST)
    if not form.is_valid():
        return _error_page(request, form, None)
    try:
        membership, created = membership_add_by_email(
            actor=request.membership,  # type: ignore[attr-defined]
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            first_name=form.cleaned_data["first_name"],
            ip=client_ip(request),
        )
    except ApplicationError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _error_page(request, form, None)
    if not membership.user.has_usable_password():
        messages.success(
            request,
            f"Membro adicionado. Enviamos um convite por e-mail com um link para definir a senha "
            f"(válido por {duration_label(settings.INVITE_TIMEOUT_SECONDS)}). Se não chegar, use "
            "“Reenviar convite” aqui ou “Esqueci minha senha” na tela de entrada.",
        )
    elif created:
        messages.success(request, "Membro adicionado.")
    else:
        messages.success(request, "Membro adicionado: o usuário já existia e foi vinculado.")
    return redirect("core:member_list")


def _member(request: HttpRequest, membership_id: int) -> Membership:
    return tenant_get_or_404(
        Membership.objects.select_related("user", "tenant"),
        tenant=request.tenant,  # type: ignore[attr-defined]
        pk=membership_id,
    )


@tenant_required(roles=MANAGER_ROLES)
@require_POST
def member_role_view(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = _member(request, membership_id)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        return _error_page(request, MemberAddForm(), "Papel inválido.")
    try:
        membership_change(
            actor=request.membership,  # type: ignore[attr-defined]
            membership=membership,
            role=form.cleaned_data["role"],
            is_active=membership.is_active,
            ip=client_ip(request),
        )
    except ApplicationError as exc:
        return _error_page(request, MemberAddForm(), exc.message)
    messages.success(request, "Papel alterado.")
    return redirect("core:member_list")


@tenant_required(roles=MANAGER_ROLES)
@require_POST
def member_active_view(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = _member(request, membership_id)
    wanted = request.POST.get("active")
    if wanted not in {"0", "1"}:
        return _error_page(request, MemberAddForm(), "Situação inválida.")
    try:
        membership_change(
            actor=request.membership,  # type: ignore[attr-defined]
            membership=membership,
            role=membership.role,
            is_active=wanted == "1",
            ip=client_ip(request),
        )
    except ApplicationError as exc:
        return _error_page(request, MemberAddForm(), exc.message)
    messages.success(request, "Membro reativado." if wanted == "1" else "Membro desativado.")
    return redirect("core:member_list")


@tenant_required(roles=MANAGER_ROLES)
@require_POST
def member_remove_view(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = _member(request, membership_id)
    try:
        membership_remove(
            actor=request.membership,  # type: ignore[attr-defined]
            membership=membership,
            ip=client_ip(request),
        )
    except ApplicationError as exc:
        return _error_page(request, MemberAddForm(), exc.message)
    messages.success(request, "Membro removido da clínica.")
    return redirect("core:member_list")


@tenant_required(roles=MANAGER_ROLES)
@require_POST
def member_invite_view(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = _member(request, membership_id)
    try:
        member_invite_send(
            actor=request.membership,  # type: ignore[attr-defined]
            membership=membership,
            ip=client_ip(request),
            resend=True,
        )
    except ApplicationError as exc:
        return _error_page(request, MemberAddForm(), exc.message)
    messages.success(request, "Convite reenviado. O link do convite anterior deixou de valer.")
    return redirect("core:member_list")
