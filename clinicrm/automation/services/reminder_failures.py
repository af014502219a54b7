"""A reminder whose message fails after it was sent (the provider refuses it when it is
performed, or a status callback says `failed` later) tells the clinic, once per message.

Failures known when the batch runs (no channel, no credits, ...) are told by
`reminders_send_batch`, one notification per batch; those reminders have no sent message, so
this hook (messaging's failed hook) never sees them too.
"""

from django.urls import reverse

from clinicrm.automation.models import ReminderLog, ReminderStatus
from clinicrm.core.models import CLINIC_ROLES
from clinicrm.core.notifications import notification_send_roles
from clinicrm.messaging.models import Message


def reminder_message_failed(*, message: Message) -> None:
    log = (
        ReminderLog.objects.filter(
            tenant_id=message.tenant_id, message_id=message.pk, status=ReminderStatus.SENT
        )
        .select_related("tenant")
        .first()
    )
    if log is None:
        return
    why = f" Motivo: {message.error_message}" if message.error_message else ""
    notification_send_roles(
        tenant=log.tenant,
        roles=CLINIC_ROLES,
        kind="reminders.failed",
        title="Falha na entrega de lembrete",
        # No patient, no number: the link leads to the reminder log, where staff can see who.
        body=(
            "1 lembrete de sessão enviado não foi entregue: o WhatsApp recusou a mensagem."
            f"{why} Veja o registro e avise o paciente."
        ),
        url=reverse("automation:reminders") + "#log",
    )
