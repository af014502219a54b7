"""The one place that resolves the current tenant and membership of a request.

`TenantMiddleware` attaches `request.tenant` and `request.membership` (or None) from the
session's chosen tenant, falling back to the user's first active membership. Views declare
their needs with `tenant_required`, and fetch rows with `tenant_get_or_404`, which always
filters by the resolved tenant: another tenant's id is simply not found (404).

With row-level security on (`core.rls`) the middleware also scopes the request's database
session to that tenant (no tenant: no tenant rows at all); the memberships themselves are looked
up across clinics, the one bypass of a member's request.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from clinicrm.core.hybrid_middleware import HybridMiddleware
from clinicrm.core.log_context import log_tenant_set
from clinicrm.core.models import Membership, Tenant
from clinicrm.core.rls import (
    NO_SCOPE,
    Scope,
    rls_bypass,
    rls_enabled,
    rls_scope,
    rls_scope_replace,
    rls_scope_reset,
    rls_tenant_set,
)
from clinicrm.core.visibility import (
    visibility_filter,
    visibility_membership_reset,
    visibility_membership_set,
)

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
    with rls_bypass():  # a member's clinics span tenants by nature: no scope is known yet
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


class TenantMiddleware(HybridMiddleware):
    """Sync and async capable. Under ASGI a sync-only middleware makes Django bridge back to
    async for the rest of the chain (a new thread and event loop per request); the async path
    also skips the thread hop entirely when there is no session cookie (webhooks, login page):
    without a session the user is anonymous, so there is no membership to look up."""

    def call_sync(self, request: HttpRequest) -> Any:
        membership = resolve_membership(request)
        token = _attach(request, membership)
        scope = rls_tenant_set(membership.tenant_id if membership else None)
        try:
            return self.get_response(request)
        finally:
            rls_scope_reset(scope)
            visibility_membership_reset(token)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        previous = rls_scope()
        membership = None
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            membership = await sync_to_async(_resolve_and_scope)(request)
        else:
            await _scope_replace(NO_SCOPE)
        token = _attach(request, membership)
        try:
            response: HttpResponse = await self.get_response(request)
        finally:
            await _scope_replace(previous)
            visibility_membership_reset(token)
        return response


def _attach(request: HttpRequest, membership: Membership | None) -> Any:
    request.membership = membership  # type: ignore[attr-defined]
    request.tenant = membership.tenant if membership else None  # type: ignore[attr-defined]
    log_tenant_set(membership.tenant_id if membership else None)
    return visibility_membership_set(membership)


def _resolve_and_scope(request: HttpRequest) -> Membership | None:
    membership = resolve_membership(request)
    rls_scope_replace(Scope(tenant_id=str(membership.tenant_id)) if membership else NO_SCOPE)
    return membership


async def _scope_replace(scope: Scope) -> None:
    # The ORM's connection lives in the sync thread's context, not the event loop's: the scope
    # is pushed there (a connection opened later takes it when it opens).
    if rls_enabled():
        await sync_to_async(rls_scope_replace)(scope)
    else:
        rls_scope_replace(scope, sync=False)


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


def request_tenant(request: HttpRequest) -> Tenant:
    """The tenant TenantMiddleware resolved for this request (views behind `tenant_required`)."""
    return request.tenant  # type: ignore[attr-defined]


def tenant_get_or_404[M: Model](
    source: type[M] | QuerySet[M], *, tenant: Tenant, **lookup: Any
) -> M:
    """Fetch one row of `tenant`, or 404 whether it is missing, belongs to another tenant, or
    is out of the current member's sight (least privilege, `core.visibility`)."""
    qs = source._default_manager.all() if isinstance(source, type) else source
    qs = visibility_filter(qs)
    try:
        return qs.filter(tenant=tenant).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404("Não encontrado.") from exc
