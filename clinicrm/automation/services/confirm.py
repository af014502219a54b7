"""Confirm by reply: "1"/"sim"/"confirmo" or "2"/"não"/"cancelar" answering a session reminder
confirms or cancels the appointment, answers the patient and tells the professional.

Only a clear answer counts (`detector.reply_intent`); anything else is left for the staff.
A reminder accepts one answer, while its appointment has not begun.
"""

from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from clinicrm.agenda.models import Appointment, AppointmentStatus
from clinicrm.agenda.services import appointment_set_status
from clinicrm.automation.detector import reply_intent
from clinicrm.automation.models import ReminderAnswer, ReminderLog, ReminderStatus
from clinicrm.automation.services.gate import CONFIRM_ANSWER, automated_send
from clinicrm.automation.services.reminder_plan import ACTIVE_STATUSES, reminder_values
from clinicrm.automation.texts import CANCELLED_TEXT, CONFIRMED_TEXT, text_render
from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import MANAGER_ROLES, Membership, Tenant
from clinicrm.core.notifications import notification_send
from clinicrm.core.timeutils import SAO_PAULO
from clinicrm.messaging.models import Message


def _reminder_answered_by(*, tenant: Tenant, message: Message) -> ReminderLog | None:
    """The latest sent reminder of this number still waiting for an answer."""
    return (
        ReminderLog.objects.select_for_update(of=("self",))
        .filter(
            tenant=tenant,
            thread_key=message.thread_key,
            status=ReminderStatus.SENT,
            answer="",
            appointment__starts_at__gt=timezone.now(),
            appointment__status__in=ACTIVE_STATUSES,
            appointment_starts_at=F("appointment__starts_at"),
        )
        .select_related("appointment__patient", "appointment__professional")
        .order_by("-created_at", "-pk")
        .first()
    )


def _notify_professional(*, tenant: Tenant, appointment: Appointment, answer: str) -> int:
    """The professional's own login, or the clinic's managers when they have none. The text
    names no patient (notifications carry no personal data)."""
    user_ids = []
    if appointment.professional.user_id is not None:
        user_ids = list(
            Membership.objects.filter(
                tenant=tenant, user_id=appointment.professional.user_id, is_active=True
            ).values_list("user_id", flat=True)
        )
    if not user_ids:
        user_ids = list(
            Membership.objects.filter(
                tenant=tenant, role__in=MANAGER_ROLES, is_active=True
            ).values_list("user_id", flat=True)
        )
    start = appointment.starts_at.astimezone(SAO_PAULO)
    confirmed = answer == ReminderAnswer.CONFIRMED
    title = "Consulta confirmada pelo paciente" if confirmed else "Consulta cancelada pelo paciente"
    body = (
        f"A consulta de {start:%d/%m} às {start:%H:%M} com {appointment.professional.full_name} "
        f"foi {'confirmada' if confirmed else 'cancelada'} em resposta ao lembrete do WhatsApp."
    )
    url = f"{reverse('agenda:day')}?data={start.date().isoformat()}#appt-{appointment.pk}"
    return notification_send(
        tenant=tenant,
        user_ids=user_ids,
        kind=f"appointment.{answer}_by_reply",
        title=title,
        body=body,
        url=url,
    )


def confirm_on_message(*, tenant: Tenant, message: Message) -> ReminderLog | None:
    """Apply a clear answer to the reminder it answers; None when it is not one (then the
    message goes on to the auto-reply, or waits for the staff)."""
    intent = reply_intent(message.body or "")
    if intent is None:
        return None
    log = _reminder_answered_by(tenant=tenant, message=message)
    if log is None:
        return None
    appointment = log.appointment
    status = AppointmentStatus.CONFIRMED if intent == "confirm" else AppointmentStatus.CANCELLED
    try:
        appointment = appointment_set_status(appointment=appointment, actor=None, status=status)
    except ApplicationError:
        return None  # a transition the agenda refuses: the staff decide
    answer = ReminderAnswer.CONFIRMED if intent == "confirm" else ReminderAnswer.CANCELLED
    now = timezone.now()
    ReminderLog.objects.filter(pk=log.pk).update(
        answer=answer, answered_at=now, answer_message=message, updated_at=now
    )
    log.answer, log.answered_at, log.answer_message = answer, now, message
    values = reminder_values(appointment, tenant.name)
    text = CONFIRMED_TEXT if answer == ReminderAnswer.CONFIRMED else CANCELLED_TEXT
    automated_send(
        tenant=tenant,
        thread_key=message.thread_key,
        purpose=CONFIRM_ANSWER,
        text=text_render(text, values),
    )
    _notify_professional(tenant=tenant, appointment=appointment, answer=answer)
    return log
