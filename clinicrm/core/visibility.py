"""Least privilege: which patients, conversations and their rows a member may see.

Therapy records are confidential between patient and therapist. When the clinic's setting
`Tenant.professionals_own_patients_only` is on (the default), a member with the role
*professional* sees only the patients they attend — an appointment with them, or a
conversation assigned to them — those patients' conversations, and conversations assigned to
them. Owners, admins and secretaries see everything; so does everyone when the setting is off.

This module is the one place the rule lives. Apps above `core` register, for each model they
own, the filter (a `Q`) that keeps a restricted member's rows, and the querysets of patient
ids that make a patient "attended" (`agenda`: appointments; `crm`: assignments). Reads apply
it through `visibility_filter` (lists) and `core.tenancy.tenant_get_or_404` (one row), which
uses the membership of the current request (`visibility_membership_set`, called by the tenant
middleware and the API's token auth). Outside a request (tasks, the scheduler) nothing is
restricted.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db.models import Model, Q, QuerySet

from clinicrm.core.models import Membership, Role

ScopeBuilder = Callable[[Membership], Q]
PatientSource = Callable[[Membership], QuerySet[Any]]

_current: ContextVar[Membership | None] = ContextVar("visibility_membership", default=None)
_scopes: dict[str, ScopeBuilder] = {}
_patient_sources: dict[str, PatientSource] = {}


def visibility_scope_register(model: type[Model], builder: ScopeBuilder) -> None:
    """`builder(membership)` is the Q a restricted member's rows of `model` match."""
    _scopes[model._meta.label] = builder


def visibility_patient_source_register(name: str, source: PatientSource) -> None:
    """`source(membership)`: a queryset of `patient_id` values the member attends."""
    _patient_sources[name] = source


def visibility_restricted(membership: Membership | None) -> bool:
    return (
        membership is not None
        and membership.role == Role.PROFESSIONAL
        and membership.tenant.professionals_own_patients_only
    )


def visible_patients_q(membership: Membership, field: str = "pk") -> Q:
    """Q on `field` (a patient id) for the patients `membership` attends."""
    q = Q(pk__in=[])
    for source in _patient_sources.values():
        q |= Q(**{f"{field}__in": source(membership)})
    return q


def visibility_membership_set(membership: Membership | None) -> Any:
    """Make `membership` the current request's (returns the token for `reset`)."""
    return _current.set(membership)


def visibility_membership_reset(token: Any) -> None:
    _current.reset(token)


@contextmanager
def visibility_as(membership: Membership | None) -> Iterator[None]:
    token = _current.set(membership)
    try:
        yield
    finally:
        _current.reset(token)


def visibility_filter[M: Model](
    qs: QuerySet[M], membership: Membership | None = None
) -> QuerySet[M]:
    """`qs` restricted to what `membership` (default: the current request's) may see."""
    membership = membership if membership is not None else _current.get()
    if not visibility_restricted(membership):
        return qs
    builder = _scopes.get(qs.model._meta.label)
    if builder is None:
        return qs
    assert membership is not None
    return qs.filter(builder(membership))
