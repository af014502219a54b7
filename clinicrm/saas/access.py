"""Who may enter the SaaS staff console.

The console is not tenant-scoped: it spans every clinic, so only Django staff users
(`is_staff=True`) get in. Anonymous visitors go to the login page; a logged-in user who is
not staff (e.g. a clinic owner) gets 403, whatever tenant they belong to. Past the door the
view runs with row-level security bypassed (`core.rls`): it reads every clinic on purpose.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from clinicrm.core.rls import rls_bypass


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (user.is_active and user.is_staff):
            raise PermissionDenied("Acesso restrito à equipe Clinicrm.")
        with rls_bypass():
            return view(request, *args, **kwargs)

    return wrapper
