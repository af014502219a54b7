from typing import cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from clinicrm.core.models import User
from clinicrm.saas import selectors, services
from clinicrm.saas.access import staff_required
from clinicrm.saas.views.common import paginate, query_string

NOTICES_SHOWN = 10


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "")
    page = paginate(request, selectors.saas_tenant_list(search=search))
    notices = selectors.staff_notices_unread(user=cast(User, request.user))
    return render(
        request,
        "saas/home.html",
        {
            "page_obj": page,
            "search": search,
            "query_string": query_string(request),
            "notices": list(notices[:NOTICES_SHOWN]),
            "notices_count": notices.count(),
        },
    )


@staff_required
@require_POST
def notices_read(request: HttpRequest) -> HttpResponse:
    count = services.staff_notices_mark_read(user=cast(User, request.user))
    messages.success(request, f"{count} aviso(s) marcado(s) como lido(s).")
    return redirect("saas:home")
