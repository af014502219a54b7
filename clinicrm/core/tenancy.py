"""The one place that resolves the current tenant and membership of a request.

`TenantMiddleware` attaches `request.tenant` and `request.membership` (or None) from the
session's chosen tenant, falling back to the user's first active membership. Views declare
their needs with `tenant_required`, and fetch rows with `tenant_get_or_404`, which always
filters by the resolved tenant: another tenant's id is simply not found (404).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from clinicrm.core.models import Membership, Tenant

SESSION_TENANT_KEY = "tenant_id"


def memberships_for_user(user: Any) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, is_active=True, tenant__is_active=True)
        .select_related("tenant")
        .order_by("tenant__name")
    )


def resolve_membership(request: HttpRequest) -> Membership | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    memberships = list(memberships_for_user(user))
    # The layout's tenant switcher lists the same rows: keep them for this request.
    request.user_memberships = memberships  # type: ignore[attr-defined]
    if not memberships:
        return None
    chosen = request.session.get(SESSION_TENANT_KEY)
    for membership in memberships:
        if str(membership.tenant_id) == chosen:
            return membership
    return memberships[0]


class TenantMiddleware:
    """Sync and async capable. Under ASGI a sync-only middleware makes Django bridge back to
    async for the rest of the chain (a new thread and event loop per request); the async path
    also skips the thread hop entirely when there is no session cookie (webhooks, login page):
    without a session the user is anonymous, so there is no membership to look up."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[..., Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        _attach(request, resolve_membership(request))
        return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        membership = None
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            membership = await sync_to_async(resolve_membership)(request)
        _attach(request, membership)
        response: HttpResponse = await self.get_response(request)
        return response


def _attach(request: HttpRequest, membership: Membership | None) -> None:
    request.membership = membership  # type: ignore[attr-defined]
    request.tenant = membership.tenant if membership else None  # type: ignore[attr-defined]


def tenant_required(
    view: Callable[..., HttpResponse] | None = None, *, roles: frozenset[str] | None = None
) -> Any:
    """Require a logged-in member of a tenant, optionally with one of `roles`."""

    def decorator(func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership: Membership | None = getattr(request, "membership", None)
            if membership is None:
                raise PermissionDenied("Você não faz parte de nenhuma clínica ativa.")
            if roles is not None and membership.role not in roles:
                raise PermissionDenied("Seu papel não permite acessar esta página.")
            return func(request, *args, **kwargs)

        return wrapper

    if view is not None:
        return decorator(view)
    return decorator


def tenant_get_or_404[M: Model](
    source: type[M] | QuerySet[M], *, tenant: Tenant, **lookup: Any
) -> M:
    """Fetch one row of `tenant`, or 404 whether it is missing or belongs to another tenant."""
    qs = source._default_manager.all() if isinstance(source, type) else source
    try:
        return qs.filter(tenant=tenant).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404("Não encontrado.") from exc
