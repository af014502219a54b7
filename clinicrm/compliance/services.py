"""Writes of the compliance app: the clinic's privacy settings (least privilege)."""

from typing import Any

from django.db import transaction

from clinicrm.core.models import Tenant
from clinicrm.core.services import audit_log_record


@transaction.atomic
def privacy_settings_update(
    *, tenant: Tenant, own_patients_only: bool, actor: Any, ip: str | None = None
) -> Tenant:
    """Turn least privilege (core.visibility) on or off for `tenant`; audited when it changes."""
    if tenant.professionals_own_patients_only != own_patients_only:
        Tenant.objects.filter(pk=tenant.pk).update(
            professionals_own_patients_only=own_patients_only
        )
        tenant.professionals_own_patients_only = own_patients_only
        audit_log_record(
            action="privacy.settings_update",
            user=actor,
            tenant=tenant,
            obj=tenant,
            ip=ip,
            details={"fields": ["professionals_own_patients_only"], "on": own_patients_only},
        )
    return tenant
