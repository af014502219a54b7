"""Settings pages of automation: opt-outs (LGPD), auto-reply and session reminders. Thin: the
forms parse, the services decide and write, the selectors read.

Who: owners, admins and secretaries see the pages and manage opt-outs (patients ask them);
keywords, auto-reply and reminder settings are for owners and admins.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinicrm.automation import selectors
from clinicrm.automation.forms import (
    AutoReplyForm,
    KeywordForm,
    OptOutForm,
    ReasonForm,
    ReminderForm,
)
from clinicrm.automation.models import AutoReplySettings, OptOut, OptOutKeyword, ReminderSettings
from clinicrm.automation.preview import reminder_preview
from clinicrm.automation.reminder_state import reminder_preflight
from clinicrm.automation.services import (
    autoreply_settings_save,
    optout_keyword_add,
    optout_keyword_delete,
    optout_keywords_ensure,
    optout_manual_close,
    optout_manual_create,
    reminder_settings_save,
)
from clinicrm.automation.services.autoreply import DEFAULT_MESSAGE
from clinicrm.automation.services.reminder_plan import DEFAULT_TEXTS
from clinicrm.automation.texts import AUTOREPLY_VARIABLES, REMINDER_VARIABLES
from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import CLINIC_ROLES, MANAGER_ROLES
from clinicrm.core.services import client_ip, tenant_state_set
from clinicrm.core.tenancy import request_tenant, tenant_get_or_404, tenant_required
from clinicrm.messaging.selectors import channel_active_get
from clinicrm.messaging.services.templates import channel_templates


def _is_manager(request: HttpRequest) -> bool:
    return request.membership.role in MANAGER_ROLES  # type: ignore[attr-defined]


def _ensure_manager(request: HttpRequest) -> None:
    if not _is_manager(request):
        raise PermissionDenied("Seu papel não permite alterar estas configurações.")


# --- opt-outs ------------------------------------------------------------------------------------
OPTOUTS_TEMPLATE = "automation/optouts.html"


def _optouts_context(request: HttpRequest, **forms: Any) -> dict[str, Any]:
    tenant = request_tenant(request)
    optout_keywords_ensure(tenant=tenant)
    history = request.GET.get("historico") == "1"
    return {
        "tab": "optouts",
        "keywords": selectors.optout_keyword_list(tenant=tenant),
        "page_obj": selectors.optout_page(
            tenant=tenant, active=not history, page=request.GET.get("page")
        ),
        "history": history,
        "query_string": "historico=1" if history else "",
        "keyword_form": forms.get("keyword_form") or KeywordForm(),
        "optout_form": forms.get("optout_form") or OptOutForm(),
        "reason_form": ReasonForm(),
        "close_error": forms.get("close_error"),
        "is_manager": _is_manager(request),
    }


@require_GET
@tenant_required(roles=CLINIC_ROLES)
def optouts_page(request: HttpRequest) -> HttpResponse:
    return render(request, OPTOUTS_TEMPLATE, _optouts_context(request))


@require_POST
@tenant_required(roles=MANAGER_ROLES)
def keyword_add(request: HttpRequest) -> HttpResponse:
    form = KeywordForm(request.POST)
    if form.is_valid():
        try:
            optout_keyword_add(
                tenant=request_tenant(request),
                actor=request.user,
                keyword=form.cleaned_data["keyword"],
                kind=form.cleaned_data["kind"],
                ip=client_ip(request),
            )
        except ApplicationError as exc:
            form.add_service_error(exc.field, exc.message)
        else:
            messages.success(request, "Palavra-chave adicionada.")
            return redirect("automation:optouts")
    context = _optouts_context(request, keyword_form=form)
    return render(request, OPTOUTS_TEMPLATE, context, status=400)


@require_POST
@tenant_required(roles=MANAGER_ROLES)
def keyword_delete(request: HttpRequest, keyword_id: int) -> HttpResponse:
    keyword = tenant_get_or_404(OptOutKeyword, tenant=request_tenant(request), pk=keyword_id)
    try:
        optout_keyword_delete(keyword=keyword, actor=request.user, ip=client_ip(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("automation:optouts")
    messages.success(request, "Palavra-chave excluída.")
    return redirect("automation:optouts")


@require_POST
@tenant_required(roles=CLINIC_ROLES)
def optout_add(request: HttpRequest) -> HttpResponse:
    form = OptOutForm(request.POST)
    if form.is_valid():
        try:
            optout_manual_create(
                tenant=request_tenant(request),
                actor=request.user,  # type: ignore[arg-type]  # tenant_required: authenticated
                number=form.cleaned_data["number"],
                reason=form.cleaned_data["reason"],
                ip=client_ip(request),
            )
        except ApplicationError as exc:
            form.add_service_error(exc.field, exc.message)
        else:
            messages.success(request, "Número descadastrado: não receberá mensagens automáticas.")
            return redirect("automation:optouts")
    context = _optouts_context(request, optout_form=form)
    return render(request, OPTOUTS_TEMPLATE, context, status=400)


@require_POST
@tenant_required(roles=CLINIC_ROLES)
def optout_close(request: HttpRequest, optout_id: int) -> HttpResponse:
    row = tenant_get_or_404(OptOut, tenant=request_tenant(request), pk=optout_id)
    form = ReasonForm(request.POST)
    error = "Informe o motivo para reativar o número."
    if form.is_valid():
        try:
            optout_manual_close(
                row=row,
                actor=request.user,  # type: ignore[arg-type]  # tenant_required: authenticated
                reason=form.cleaned_data["reason"],
                ip=client_ip(request),
            )
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(request, "Número reativado: volta a receber mensagens automáticas.")
            return redirect("automation:optouts")
    context = _optouts_context(request, close_error={"id": row.pk, "message": error})
    return render(request, OPTOUTS_TEMPLATE, context, status=400)


# --- auto-reply ----------------------------------------------------------------------------------
AUTOREPLY_TEMPLATE = "automation/autoreply.html"


def _autoreply_initial(row: AutoReplySettings | None, state: str) -> dict[str, Any]:
    if row is None:
        return {"message": DEFAULT_MESSAGE, "mode": "agenda", "cooldown_hours": 12, "state": state}
    initial: dict[str, Any] = {
        "enabled": row.enabled,
        "mode": row.mode,
        "message": row.message,
        "cooldown_hours": row.cooldown_hours,
        "window_starts_at": row.window_starts_at,
        "window_ends_at": row.window_ends_at,
        "state": state,
    }
    seen: dict[int, int] = {}
    for item in row.business_hours or []:
        n = seen.get(item["weekday"], 0)
        seen[item["weekday"]] = n + 1
        initial[f"bh_{item['weekday']}_{n}_start"] = item["start"]
        initial[f"bh_{item['weekday']}_{n}_end"] = item["end"]
    return initial


def _autoreply_context(request: HttpRequest, form: AutoReplyForm) -> dict[str, Any]:
    return {
        "tab": "autoreply",
        "form": form,
        "variables": AUTOREPLY_VARIABLES,
        "page_obj": selectors.autoreply_log_page(
            tenant=request_tenant(request), page=request.GET.get("page")
        ),
        "is_manager": _is_manager(request),
    }


@require_http_methods(["GET", "POST"])
@tenant_required(roles=CLINIC_ROLES)
def autoreply_page(request: HttpRequest) -> HttpResponse:
    tenant = request_tenant(request)
    if request.method == "GET":
        row = selectors.autoreply_settings_get(tenant=tenant)
        form = AutoReplyForm(initial=_autoreply_initial(row, tenant.state))
        return render(request, AUTOREPLY_TEMPLATE, _autoreply_context(request, form))
    _ensure_manager(request)
    form = AutoReplyForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            tenant_state_set(
                tenant=tenant, state=data["state"], actor=request.user, ip=client_ip(request)
            )
            autoreply_settings_save(
                tenant=tenant,
                actor=request.user,
                enabled=data["enabled"],
                message=data["message"],
                mode=data["mode"],
                business_hours=form.business_hours(),
                window_starts_at=data["window_starts_at"],
                window_ends_at=data["window_ends_at"],
                cooldown_hours=data["cooldown_hours"],
                ip=client_ip(request),
            )
        except ApplicationError as exc:
            form.add_service_error(exc.field, exc.message)
        else:
            messages.success(request, "Resposta automática salva.")
            return redirect("automation:autoreply")
    return render(request, AUTOREPLY_TEMPLATE, _autoreply_context(request, form), status=400)


# --- session reminders ---------------------------------------------------------------------------
REMINDERS_TEMPLATE = "automation/reminders.html"


def _templates(request: HttpRequest) -> list[Any]:
    return channel_templates(channel=channel_active_get(tenant=request_tenant(request)))


def _reminder_initial(row: ReminderSettings | None) -> dict[str, Any]:
    if row is None:
        return {"text_24h": DEFAULT_TEXTS["24h"], "text_2h": DEFAULT_TEXTS["2h"]}
    initial: dict[str, Any] = {
        "enabled_24h": row.enabled_24h,
        "enabled_2h": row.enabled_2h,
        "text_24h": row.text_24h or DEFAULT_TEXTS["24h"],
        "text_2h": row.text_2h or DEFAULT_TEXTS["2h"],
        "template_24h": row.template_24h,
        "template_2h": row.template_2h,
    }
    for window, names in (("24h", row.template_vars_24h), ("2h", row.template_vars_2h)):
        for slot, name in enumerate(names or [], start=1):
            initial[f"var_{window}_{slot}"] = name
    return initial


def _reminders_context(request: HttpRequest, form: ReminderForm) -> dict[str, Any]:
    tenant = request_tenant(request)
    channel = channel_active_get(tenant=tenant)
    return {
        "tab": "reminders",
        "form": form,
        "variables": REMINDER_VARIABLES,
        "is_twilio": bool(channel and channel.is_twilio),
        "vars_24h": form.variable_fields("24h"),
        "vars_2h": form.variable_fields("2h"),
        "templates": _templates(request),
        "preflight": reminder_preflight(tenant=tenant),
        "page_obj": selectors.reminder_log_page(tenant=tenant, page=request.GET.get("page")),
        "is_manager": _is_manager(request),
    }


@require_http_methods(["GET", "POST"])
@tenant_required(roles=CLINIC_ROLES)
def reminders_page(request: HttpRequest) -> HttpResponse:
    tenant = request_tenant(request)
    templates = _templates(request)
    if request.method == "GET":
        initial = _reminder_initial(selectors.reminder_settings_get(tenant=tenant))
        form = ReminderForm(initial=initial, templates=templates)
        return render(request, REMINDERS_TEMPLATE, _reminders_context(request, form))
    _ensure_manager(request)
    form = ReminderForm(request.POST, templates=templates)
    if form.is_valid():
        data = form.cleaned_data
        try:
            reminder_settings_save(
                tenant=tenant,
                actor=request.user,
                enabled_24h=data["enabled_24h"],
                enabled_2h=data["enabled_2h"],
                text_24h=data["text_24h"],
                text_2h=data["text_2h"],
                template_24h=data["template_24h"],
                template_2h=data["template_2h"],
                template_vars_24h=form.template_vars("24h"),
                template_vars_2h=form.template_vars("2h"),
                ip=client_ip(request),
            )
        except ApplicationError as exc:
            form.add_service_error(exc.field, exc.message)
        else:
            messages.success(request, "Lembretes de sessão salvos.")
            return redirect("automation:reminders")
    return render(request, REMINDERS_TEMPLATE, _reminders_context(request, form), status=400)


@require_POST
@tenant_required(roles=CLINIC_ROLES)
def reminders_preview(request: HttpRequest) -> HttpResponse:
    """htmx: the two texts as typed, filled in for the next appointment."""
    try:
        previews = reminder_preview(
            tenant=request_tenant(request),
            text_24h=request.POST.get("text_24h", ""),
            text_2h=request.POST.get("text_2h", ""),
        )
    except ApplicationError as exc:
        return render(
            request, f"{REMINDERS_TEMPLATE}#preview", {"preview_error": exc.message}, status=400
        )
    return render(request, f"{REMINDERS_TEMPLATE}#preview", {"previews": previews})
