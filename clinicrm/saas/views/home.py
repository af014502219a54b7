from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clinicrm.saas import selectors
from clinicrm.saas.access import staff_required
from clinicrm.saas.views.common import paginate, query_string


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "")
    page = paginate(request, selectors.saas_tenant_list(search=search))
    return render(
        request,
        "saas/home.html",
        {"page_obj": page, "search": search, "query_string": query_string(request)},
    )
