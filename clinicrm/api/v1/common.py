"""Helpers shared by the v1 routers: the request's tenant/actor, roles, pagination, dates."""

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from clinicrm.core.dates import DATE_OUT_OF_RANGE, date_in_range
from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant
from clinicrm.core.services import client_ip

MAX_LIMIT = 100
# Far beyond any list a clinic has, and small enough that offset + limit is a valid SQL bigint
# on every engine: a larger offset is a 400, never a database overflow (500).
MAX_OFFSET = 10_000_000


def _date_in_range(value: dt.date) -> dt.date:
    if not date_in_range(value):
        raise PydanticCustomError("date_out_of_range", DATE_OUT_OF_RANGE)
    return value


# Every date the API reads (query or body): within core.dates' DATE_MIN..DATE_MAX, so the
# day/period arithmetic behind it cannot overflow.
ApiDate = Annotated[dt.date, AfterValidator(_date_in_range)]


class PageParams(Schema):
    """limit/offset of every paginated list (subclasses add their filters; a list with another
    default page size overrides `limit`)."""

    limit: int = Field(25, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


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
