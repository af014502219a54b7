from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from clinicrm.agenda.selectors import professional_for_user
from clinicrm.core.models import Role
from clinicrm.core.tenancy import tenant_required
from clinicrm.core.timeutils import local_today
from clinicrm.dashboard.selectors import dashboard_kpis
from clinicrm.dashboard.slots import dashboard_slots_render_data


def home(request: HttpRequest) -> HttpResponse:
    """The landing page after login and behind the logo: the clinic's dashboard, or the SaaS
    console for staff who belong to no clinic (they would only meet "Acesso negado" here)."""
    user = request.user
    if user.is_authenticated and user.is_staff and getattr(request, "membership", None) is None:
        return redirect("saas:home")
    return clinic_home(request)


@tenant_required
def clinic_home(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    professional = None
    own_only = request.membership.role == Role.PROFESSIONAL  # type: ignore[attr-defined]
    if own_only:
        professional = professional_for_user(tenant=tenant, user=request.user)
    context = {
        "own_only": own_only,
        "professional": professional,
        "slots": dashboard_slots_render_data(request),
    }
    if not own_only or professional is not None:
        context["kpis"] = dashboard_kpis(
            tenant=tenant, today=local_today(), professional=professional
        )
    return render(request, "dashboard/home.html", context)
