from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clinicrm.core.tenancy import tenant_required


@tenant_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/home.html", {})
