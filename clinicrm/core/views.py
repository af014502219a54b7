import uuid

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from clinicrm.core.accounts.emails import duration_label
from clinicrm.core.accounts.middleware import REASON_IDLE, REASON_LIMIT
from clinicrm.core.forms import LoginForm
from clinicrm.core.tenancy import SESSION_TENANT_KEY, memberships_for_user


def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard:home")
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        assert form.user is not None
        login(request, form.user)  # audited by the user_logged_in receiver
        nxt = request.POST.get("next") or request.GET.get("next") or ""
        if url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
            return redirect(nxt)
        if form.user.is_staff and not memberships_for_user(form.user).exists():
            return redirect("saas:home")
        return redirect("dashboard:home")
    context = {
        "form": form,
        "next": request.GET.get("next", ""),
        "expired_notice": session_expired_notice(request.GET.get("motivo", "")),
    }
    response = render(request, "core/login.html", context, status=429 if form.refusal else 200)
    if form.refusal:
        response["Retry-After"] = str(form.refusal.wait_seconds)
    return response


def session_expired_notice(reason: str) -> str:
    """Why the member is back on the login page (SessionExpiryMiddleware names the reason)."""
    if reason == REASON_IDLE:
        idle = duration_label(settings.SESSION_IDLE_TIMEOUT_SECONDS)
        return f"Sua sessão expirou após {idle} sem atividade. Entre novamente para continuar."
    if reason == REASON_LIMIT:
        limit = duration_label(settings.SESSION_MAX_AGE_SECONDS)
        return (
            f"Sua sessão expirou: por segurança, ela dura no máximo {limit}. "
            "Entre novamente para continuar."
        )
    return ""


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("core:login")


@login_required
@require_POST
def tenant_switch_view(request: HttpRequest) -> HttpResponse:
    try:
        wanted = str(uuid.UUID(request.POST.get("tenant_id", "")))
    except ValueError:
        return redirect("dashboard:home")
    # Only a tenant the user is an active member of can be chosen; anything else is ignored.
    if memberships_for_user(request.user).filter(tenant_id=wanted).exists():
        request.session[SESSION_TENANT_KEY] = wanted
    return redirect("dashboard:home")


@require_GET
def favicon_view(request: HttpRequest) -> HttpResponse:
    """Pages name their icon (base.html); this answers clients that ask the classic path."""
    return redirect(static("clinicrm/favicon.svg"), permanent=True)
