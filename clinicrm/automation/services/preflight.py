"""The evening pre-flight: tell the staff which reminders of the next two days cannot go."""

from django.db.models import Q
from django.urls import reverse

from clinicrm.automation.models import ReminderSettings
from clinicrm.automation.reminder_state import PREFLIGHT_HOURS, reminder_preflight
from clinicrm.core.models import CLINIC_ROLES, Tenant
from clinicrm.core.notifications import notification_send_roles


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
        count = len(problems)
        what = (
            f"{count} lembretes das próximas {PREFLIGHT_HOURS} horas não poderão ser enviados"
            if count > 1
            else f"1 lembrete das próximas {PREFLIGHT_HOURS} horas não poderá ser enviado"
        )
        body = f"{what}. Veja os motivos e avise os pacientes."
        notification_send_roles(
            tenant=tenant,
            roles=CLINIC_ROLES,
            kind="reminders.preflight",
            title="Lembretes que não poderão ser enviados",
            body=body,
            url=reverse("automation:reminders") + "#preflight",
        )
        told += 1
    return told
