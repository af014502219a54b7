"""Writes of weekly availability rules: no two active rules of a professional overlap on a day."""

import datetime as dt
from typing import Any

from django.db import transaction

from clinicrm.agenda.models import AvailabilityRule
from clinicrm.agenda.services.appointments import _professional_for_update
from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant
from clinicrm.core.services import audit_log_record
from clinicrm.people.models import Professional

RULE_FIELDS = ("weekday", "start_time", "end_time", "is_active")


def _check_rule(
    *,
    tenant: Tenant,
    professional: Professional,
    weekday: int,
    start_time: dt.time,
    end_time: dt.time,
    is_active: bool,
    exclude_id: int | None = None,
) -> None:
    if weekday not in range(7):
        raise ApplicationError("Dia da semana inválido.", field="weekday")
    if end_time <= start_time:
        raise ApplicationError("O término deve ser depois do início.", field="end_time")
    if not is_active:
        return
    clash = (
        AvailabilityRule.objects.filter(
            tenant=tenant,
            professional=professional,
            weekday=weekday,
            is_active=True,
            start_time__lt=end_time,
            end_time__gt=start_time,
        )
        .exclude(pk=exclude_id or 0)
        .first()
    )
    if clash is not None:
        raise ApplicationError(
            "Este horário se sobrepõe a outra regra do mesmo dia "
            f"({clash.start_time:%H:%M}–{clash.end_time:%H:%M}).",
            field="start_time",
        )


@transaction.atomic
def availability_rule_create(
    *,
    tenant: Tenant,
    actor: Any,
    professional_id: int,
    weekday: int,
    start_time: dt.time,
    end_time: dt.time,
    is_active: bool = True,
    ip: str | None = None,
) -> AvailabilityRule:
    professional = _professional_for_update(tenant=tenant, professional_id=professional_id)
    _check_rule(
        tenant=tenant,
        professional=professional,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        is_active=is_active,
    )
    rule = AvailabilityRule.objects.create(
        tenant=tenant,
        professional=professional,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        is_active=is_active,
    )
    audit_log_record(
        action="availability_rule.create",
        user=actor,
        tenant=tenant,
        obj=rule,
        ip=ip,
        details={"fields": list(RULE_FIELDS), "professional_id": professional.pk},
    )
    return rule


@transaction.atomic
def availability_rule_update(
    *,
    rule: AvailabilityRule,
    actor: Any,
    weekday: int,
    start_time: dt.time,
    end_time: dt.time,
    is_active: bool,
    ip: str | None = None,
) -> AvailabilityRule:
    professional = _professional_for_update(
        tenant=rule.tenant, professional_id=rule.professional_id
    )
    _check_rule(
        tenant=rule.tenant,
        professional=professional,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        is_active=is_active,
        exclude_id=rule.pk,
    )
    new_values = {
        "weekday": weekday,
        "start_time": start_time,
        "end_time": end_time,
        "is_active": is_active,
    }
    changed = [name for name, value in new_values.items() if getattr(rule, name) != value]
    if not changed:
        return rule
    for name, value in new_values.items():
        setattr(rule, name, value)
    rule.save()
    audit_log_record(
        action="availability_rule.update",
        user=actor,
        tenant=rule.tenant,
        obj=rule,
        ip=ip,
        details={"fields": changed, "professional_id": professional.pk},
    )
    return rule


@transaction.atomic
def availability_rule_delete(*, rule: AvailabilityRule, actor: Any, ip: str | None = None) -> None:
    tenant, pk, professional_id = rule.tenant, rule.pk, rule.professional_id
    rule.delete()
    audit_log_record(
        action="availability_rule.delete",
        user=actor,
        tenant=tenant,
        object_type="availabilityrule",
        object_id=str(pk),
        ip=ip,
        details={"professional_id": professional_id},
    )
