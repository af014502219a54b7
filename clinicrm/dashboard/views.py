from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clinicrm.agenda.selectors import professional_for_user
from clinicrm.core.models import Role
from clinicrm.core.tenancy import tenant_required
from clinicrm.core.timeutils import local_today
from clinicrm.dashboard.selectors import dashboard_kpis
from clinicrm.dashboard.slots import dashboard_slots_render_data


@tenant_required
def home(request: HttpRequest) -> HttpResponse:
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
