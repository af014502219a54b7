"""Helpers shared by the v1 routers: the request's tenant/actor, roles, pagination."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Schema

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant
from clinicrm.core.services import client_ip

MAX_LIMIT = 100


def tenant_of(request: HttpRequest) -> Tenant:
    return request.tenant  # type: ignore[attr-defined]


def role_of(request: HttpRequest) -> str:
    return request.membership.role  # type: ignore[attr-defined]


def ip_of(request: HttpRequest) -> str | None:
    return client_ip(request)


def require_roles(request: HttpRequest, roles: frozenset[str] | None) -> None:
    if roles is not None and role_of(request) not in roles:
        raise PermissionDenied


@contextmanager
def fields_renamed(mapping: Mapping[str, str]) -> Iterator[None]:
    """Services name model fields ("patient"); the API names its JSON keys ("patient_id")."""
    try:
        yield
    except ApplicationError as exc:
        if exc.field is not None and exc.field in mapping:
            exc.field = mapping[exc.field]
        raise


class Page(Schema):
    count: int
    limit: int
    offset: int


def page_of(qs: QuerySet, *, limit: int, offset: int) -> dict[str, Any]:
    return {
        "count": qs.count(),
        "limit": limit,
        "offset": offset,
        "items": list(qs[offset : offset + limit]),
    }
