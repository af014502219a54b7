"""The evening pre-flight: tell the staff which reminders of the next two days cannot go."""

from django.db.models import Q
from django.urls import reverse

from clinicrm.automation.models import ReminderSettings
from clinicrm.automation.reminder_state import PREFLIGHT_HOURS, reminder_preflight
from clinicrm.core.models import CLINIC_ROLES, Membership, Notification, Tenant


def reminders_preflight_notify() -> int:
    """One notification per owner, admin and secretary of each tenant with problems; returns
    how many tenants were told. The text counts reminders and names no patient."""
    told = 0
    tenant_ids = ReminderSettings.objects.filter(Q(enabled_24h=True) | Q(enabled_2h=True)).values(
        "tenant_id"
    )
    for tenant in Tenant.objects.filter(pk__in=tenant_ids, is_active=True):
        problems = reminder_preflight(tenant=tenant)
        if not problems:
            continue
        user_ids = Membership.objects.filter(
            tenant=tenant, role__in=CLINIC_ROLES, is_active=True
        ).values_list("user_id", flat=True)
        count = len(problems)
        body = (
            f"{count} lembrete{'s' if count > 1 else ''} das próximas {PREFLIGHT_HOURS} horas "
            f"não poderá{'ão' if count > 1 else ''} ser enviado{'s' if count > 1 else ''}. "
            "Veja os motivos e avise os pacientes."
        )
        Notification.objects.bulk_create(
            [
                Notification(
                    tenant=tenant,
                    user_id=user_id,
                    kind="reminders.preflight",
                    title="Lembretes que não poderão ser enviados",
                    body=body,
                    url=reverse("automation:reminders") + "#preflight",
                )
                for user_id in user_ids
            ]
        )
        told += 1
    return told
