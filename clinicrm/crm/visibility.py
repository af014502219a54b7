"""Least privilege (`core.visibility`): a conversation assigned to a professional makes its
patient theirs; they see their patients' conversations and those assigned to them, with
those conversations' messages and notes."""

from typing import Any

from django.db.models import Q, QuerySet

from clinicrm.core.models import Membership
from clinicrm.core.visibility import (
    visibility_patient_source_register,
    visibility_scope_register,
    visible_patients_q,
)
from clinicrm.crm.models import Assignment, Note
from clinicrm.messaging.models import Message, Thread


def _assigned(membership: Membership) -> QuerySet[Any]:
    return Assignment.objects.filter(
        tenant_id=membership.tenant_id, assigned_to_id=membership.user_id
    )


def _threads(membership: Membership) -> Q:
    return visible_patients_q(membership, "patient_id") | Q(
        pk__in=_assigned(membership).values("thread_id")
    )


def _visible_threads(membership: Membership) -> QuerySet[Thread]:
    return Thread.objects.filter(tenant_id=membership.tenant_id).filter(_threads(membership))


def crm_visibility_register() -> None:
    visibility_patient_source_register(
        "crm.assignments",
        lambda m: _assigned(m).filter(thread__patient__isnull=False).values("thread__patient_id"),
    )
    visibility_scope_register(Thread, _threads)
    visibility_scope_register(
        Message, lambda m: Q(thread_key__in=_visible_threads(m).values("thread_key"))
    )
    visibility_scope_register(Note, lambda m: Q(thread__in=_visible_threads(m).values("pk")))
