"""Session reminders 24 h and 2 h before each appointment, each sent exactly once.

The periodic job (`reminders_enqueue_due`, every few minutes) finds the appointments entering
each window and, in ONE transaction, inserts a `ReminderLog` row per due reminder (status
queued; one `INSERT .. SELECT .. ON CONFLICT DO NOTHING RETURNING id` per window on the UNIQUE
(appointment, window, start)) and enqueues the send tasks of exactly the rows it inserted. The
unique row is the claim: a second scheduler, a restart or an overlapping run inserts nothing
for a reminder that already has its row, so it cannot be sent twice.

A send task (`reminders_send_batch`) takes its rows under a row lock (`SKIP LOCKED`), re-checks
each one (the appointment may have been cancelled or moved, the patient may have opted out
since) and goes through the automation gate: free text inside Twilio's 24-hour window, the
tenant's approved template outside it; the outbox deducts the credit and refunds it if the send
fails. The row records the outcome in the same transaction as the message, so a crash leaves
the row queued (and no message): `reminders_requeue_stale` enqueues it again.
"""

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from clinicrm.agenda.models import Appointment
from clinicrm.automation import reasons
from clinicrm.automation.models import (
    ReminderLog,
    ReminderSettings,
    ReminderStatus,
    ReminderWindow,
)
from clinicrm.automation.services.gate import REMINDER, automated_send
from clinicrm.automation.services.reminder_plan import (
    ACTIVE_STATUSES,
    WINDOWS,
    plan_context,
    reminder_plan,
    reminder_template,
    reminder_text,
    reminder_values,
)
from clinicrm.automation.texts import REMINDER_VARIABLES, text_check
from clinicrm.core.errors import ApplicationError
from clinicrm.core.log_context import log_tenant_scope
from clinicrm.core.models import CLINIC_ROLES, Tenant
from clinicrm.core.notifications import notification_send_roles
from clinicrm.core.services import audit_log_record
from clinicrm.messaging.selectors import channel_active_get
from clinicrm.messaging.services.templates import channel_templates

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
STALE_AFTER = dt.timedelta(minutes=10)


# --- settings ------------------------------------------------------------------------------------
def _template_fields(
    *, tenant: Tenant, window: str, content_sid: str, variables: list[str]
) -> tuple[str, list[str]]:
    sid = (content_sid or "").strip()
    if not sid:
        return "", []
    options = channel_templates(channel=channel_active_get(tenant=tenant))
    option = next((o for o in options if o.content_sid == sid), None)
    field = f"template_{window}"
    if option is None:
        raise ApplicationError("Escolha um dos modelos aprovados do WhatsApp Oficial.", field=field)
    names = [str(v).strip() for v in variables][: len(option.variables)]
    if len(names) < len(option.variables) or any(n not in REMINDER_VARIABLES for n in names):
        raise ApplicationError(
            "Escolha o que vai em cada variável do modelo.", field=f"template_vars_{window}"
        )
    return sid, names


def reminder_settings_save(
    *,
    tenant: Tenant,
    actor: Any,
    enabled_24h: bool,
    enabled_2h: bool,
    text_24h: str,
    text_2h: str,
    template_24h: str = "",
    template_2h: str = "",
    template_vars_24h: list[str] | None = None,
    template_vars_2h: list[str] | None = None,
    ip: str | None = None,
) -> ReminderSettings:
    """Validate everything (unknown variables, a template that is not approved), then save."""
    text_24h = text_check(text=text_24h, allowed=REMINDER_VARIABLES, field="text_24h")
    text_2h = text_check(text=text_2h, allowed=REMINDER_VARIABLES, field="text_2h")
    sid_24h, vars_24h = _template_fields(
        tenant=tenant, window="24h", content_sid=template_24h, variables=template_vars_24h or []
    )
    sid_2h, vars_2h = _template_fields(
        tenant=tenant, window="2h", content_sid=template_2h, variables=template_vars_2h or []
    )
    with transaction.atomic():
        row, _ = ReminderSettings.objects.select_for_update().get_or_create(tenant=tenant)
        row.enabled_24h, row.enabled_2h = enabled_24h, enabled_2h
        row.text_24h, row.text_2h = text_24h, text_2h
        row.template_24h, row.template_vars_24h = sid_24h, vars_24h
        row.template_2h, row.template_vars_2h = sid_2h, vars_2h
        row.updated_by = actor if getattr(actor, "is_authenticated", False) else None
        row.save()
        audit_log_record(
            action="reminders.settings_update",
            user=actor,
            tenant=tenant,
            obj=row,
            ip=ip,
            details={"enabled_24h": enabled_24h, "enabled_2h": enabled_2h},
        )
    return row


# --- the job -------------------------------------------------------------------------------------
def _claim_sql(window: str) -> str:
    """INSERT .. SELECT of the due reminders of `window`, `ON CONFLICT DO NOTHING RETURNING id`:
    one statement computes, inserts and returns exactly the rows this run claimed."""
    qn = connection.ops.quote_name
    log, appointment = ReminderLog._meta, Appointment._meta
    settings_table = ReminderSettings._meta.db_table
    flag = "enabled_24h" if window == ReminderWindow.H24 else "enabled_2h"
    columns = ", ".join(
        qn(c)
        for c in (
            "tenant_id",
            "appointment_id",
            "window",
            "appointment_starts_at",
            "status",
            "reason",
            "thread_key",
            "used_template",
            "answer",
            "created_at",
            "updated_at",
        )
    )
    statuses = ", ".join("%s" for _ in ACTIVE_STATUSES)
    # Identifiers from model metadata, clauses from code; every value is a parameter.
    return (
        f"INSERT INTO {qn(log.db_table)} ({columns}) "  # noqa: S608
        f"SELECT a.tenant_id, a.id, %s, a.starts_at, %s, '', '', %s, '', %s, %s "
        f"FROM {qn(appointment.db_table)} a "
        f"WHERE a.starts_at > %s AND a.starts_at <= %s AND a.status IN ({statuses}) "
        f"AND a.tenant_id IN (SELECT s.tenant_id FROM {qn(settings_table)} s WHERE s.{qn(flag)}) "
        f"AND NOT EXISTS (SELECT 1 FROM {qn(log.db_table)} l WHERE l.appointment_id = a.id "
        f"AND l.{qn('window')} = %s AND l.appointment_starts_at = a.starts_at) "
        f"ON CONFLICT (appointment_id, {qn('window')}, appointment_starts_at) DO NOTHING "
        "RETURNING id"
    )


def reminders_enqueue_due(*, now: dt.datetime | None = None) -> int:
    """The job: claim every due reminder (one row each) and enqueue their sends, in one
    transaction; returns how many reminders this run claimed."""
    now = now or timezone.now()
    ids: list[int] = []
    # Raw SQL: datetimes are adapted as the ORM would (SQLite stores UTC text).
    adapt = connection.ops.adapt_datetimefield_value
    with transaction.atomic(), connection.cursor() as cursor:
        for window, (lead, lower) in WINDOWS.items():
            cursor.execute(
                _claim_sql(window),
                [
                    window,
                    ReminderStatus.QUEUED,
                    False,
                    adapt(now),
                    adapt(now),
                    adapt(now + lower),
                    adapt(now + lead),
                    *ACTIVE_STATUSES,
                    window,
                ],
            )
            ids.extend(row[0] for row in cursor.fetchall())
        _enqueue(sorted(ids))
    return len(ids)


def _enqueue(ids: list[int]) -> None:
    for start in range(0, len(ids), BATCH_SIZE):
        reminders_send_batch_task.enqueue(log_ids=ids[start : start + BATCH_SIZE])


def reminders_requeue_stale(*, now: dt.datetime | None = None) -> int:
    """Rows still queued long after their run (a lost task, a crash mid-batch): send again."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            ReminderLog.objects.filter(
                status=ReminderStatus.QUEUED, created_at__lt=now - STALE_AFTER
            ).values_list("pk", flat=True)[:5000]
        )
        _enqueue(ids)
    return len(ids)


# --- sending -------------------------------------------------------------------------------------
def _finish(log: ReminderLog, *, now: dt.datetime, reason: str = "", **fields: Any) -> None:
    log.status = ReminderStatus.SKIPPED if reason else ReminderStatus.SENT
    log.reason = reason
    log.updated_at = now
    for name, value in fields.items():
        setattr(log, name, value)
    log.save()


def _send_one(log: ReminderLog, ctx: Any, now: dt.datetime) -> None:
    appointment = log.appointment
    if appointment.starts_at != log.appointment_starts_at or appointment.starts_at <= now:
        _finish(log, now=now, reason=reasons.APPOINTMENT_CANCELLED)  # moved or already begun
        return
    plan = reminder_plan(appointment, log.window, ctx, send_at=now)
    if plan.reason:
        _finish(log, now=now, reason=plan.reason, thread_key=plan.thread_key)
        return
    settings = ctx.settings[str(log.tenant_id)]
    values = reminder_values(appointment, log.tenant.name)
    outcome = automated_send(
        tenant=log.tenant,
        thread_key=plan.thread_key,
        purpose=REMINDER,
        text=reminder_text(settings, log.window, values),
        template=reminder_template(settings, log.window, values),
        channel=ctx.channels.get(str(log.tenant_id)),
    )
    _finish(
        log,
        now=now,
        reason=outcome.reason,
        thread_key=plan.thread_key,
        message=outcome.message,
        used_template=outcome.used_template,
    )


# Reasons a reminder that should have gone did not (the clinic can act on them); a cancelled
# appointment, an opt-out or a switched-off reminder are not failures.
FAILURE_REASONS = frozenset(
    {
        reasons.NO_WHATSAPP,
        reasons.NO_CHANNEL,
        reasons.CHANNEL_DISCONNECTED,
        reasons.NO_TEMPLATE,
        reasons.INSUFFICIENT_CREDITS,
        reasons.SEND_REFUSED,
    }
)


def _failures_notify(logs: list[ReminderLog]) -> None:
    """One notification per tenant and batch: how many reminders failed and why (no patient)."""
    failed: dict[Any, list[ReminderLog]] = {}
    for log in logs:
        if log.status == ReminderStatus.SKIPPED and log.reason in FAILURE_REASONS:
            failed.setdefault(log.tenant_id, []).append(log)
    for tenant_id, tenant_logs in failed.items():
        count = len(tenant_logs)
        why = "; ".join(sorted({reasons.reason_label(log.reason) for log in tenant_logs}))
        what = (
            f"{count} lembretes de sessão não foram enviados"
            if count > 1
            else "1 lembrete de sessão não foi enviado"
        )
        with log_tenant_scope(tenant_id):
            notification_send_roles(
                tenant=tenant_logs[0].tenant,
                roles=CLINIC_ROLES,
                kind="reminders.failed",
                title="Falha no envio de lembretes",
                body=f"{what}. Motivo: {why}. Veja o registro e avise os pacientes.",
                url=reverse("automation:reminders") + "#log",
            )


def reminders_send_batch(*, log_ids: Iterable[int], now: dt.datetime | None = None) -> int:
    """Send the queued reminders among `log_ids`; returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        logs = list(
            ReminderLog.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=list(log_ids), status=ReminderStatus.QUEUED)
            .select_related("tenant", "appointment__patient", "appointment__professional")
            .order_by("pk")
        )
        ctx = plan_context(log.appointment for log in logs)
        for log in logs:
            # The batch mixes clinics: each reminder's lines name its own (ids only).
            with log_tenant_scope(log.tenant_id):
                try:
                    with transaction.atomic():
                        _send_one(log, ctx, now)
                except Exception:
                    # One broken reminder must not hold the others: it stays queued (the sweep
                    # tries it again) and is logged by id only.
                    logger.exception("reminder %s could not be processed", log.pk)
                    continue
            sent += log.status == ReminderStatus.SENT
        _failures_notify(logs)
    return sent


@task(queue_name="default")
def reminders_send_batch_task(*, log_ids: list[int]) -> int:
    return reminders_send_batch(log_ids=log_ids)
