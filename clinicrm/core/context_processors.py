from typing import Any

from django.conf import settings
from django.http import HttpRequest

from clinicrm.core.menu import menu_for
from clinicrm.core.tenancy import memberships_for_user


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the base layout needs: tenant, membership, the tenant switcher and the menu (and
    whether htmx may log to the browser console: only in DEBUG)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"debug_mode": settings.DEBUG}
    membership = getattr(request, "membership", None)
    return {
        "debug_mode": settings.DEBUG,
        "current_tenant": getattr(request, "tenant", None),
        "current_membership": membership,
        "user_memberships": getattr(request, "user_memberships", None)
        or memberships_for_user(user),
        "menu": menu_for(membership=membership, is_staff=user.is_staff),
    }
