"""Automation: LGPD opt-out/opt-in, confirm by reply, auto-reply and session reminders.

Design:
- Provider-agnostic. This app reacts to stored messages through messaging's inbound hooks
  (`inbound.py`, registered in a fixed order by `apps.py`: opt-out/opt-in, then confirm by
  reply, then auto-reply) and sends through ONE gate (`services/gate.py`) that checks the
  opt-out and the channel state, then calls messaging's outbox. It never talks to a provider.
  A send check and a send guard (also registered in `apps.py`) keep automated messages away
  from opted-out numbers even when they were queued before the opt-out arrived.
- `OptOutKeyword` (`conversation_optout_keywords`): the words that opt a number out (or back
  in), stored normalised (`detector.text_normalize`), so matching compares like with like. Ten
  system opt-out words and four opt-in words exist for every tenant (migration 0004 for the
  tenants of that day, `optout_keywords_ensure` for later ones); system rows are not deletable.
- `OptOut` (`conversation_optouts`): one row per period a number stayed opted out, opened by a
  keyword message or by staff (with a reason), closed by an opt-in (`opted_in_at`). A partial
  UNIQUE index allows one open period per (tenant, thread_key); it is also the index every "is
  this number opted out?" question uses.
- `AutoReplySettings` / `AutoReplyLog` (`conversation_autoreply_settings` / `_log`): one
  settings row per tenant; one log row per decision on a stored message (sent, or skipped and
  why). The per-thread cooldown reads the thread's last `sent` row.
- `ReminderSettings` / `ReminderLog` (`conversation_session_reminders_settings` / `_logs`): one
  settings row per tenant; one log row per (appointment, window, start time), UNIQUE, inserted
  by the job before anything is sent: that insert is the claim that makes a reminder go at most
  once whatever runs at the same time (two schedulers, a re-run task). Moving an appointment to
  another time makes it due again. The row then records the outcome (the message, or skipped and
  why) and the patient's answer (confirm by reply).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from clinicrm.automation.reasons import reason_label
from clinicrm.core.models import TenantModel


class KeywordKind(models.TextChoices):
    OPT_OUT = "optout", "Parar de receber"
    OPT_IN = "optin", "Voltar a receber"


class OptOutKeyword(TenantModel):
    id = models.BigAutoField(primary_key=True)
    kind = models.CharField("tipo", max_length=10, choices=KeywordKind.choices)
    keyword = models.CharField("palavra-chave", max_length=60)
    is_system = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_column="created_by",
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "conversation_optout_keywords"
        ordering = ["kind", "-is_system", "keyword"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "keyword"], name="optout_keywords_tenant_keyword_uniq"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=KeywordKind.values), name="optout_keywords_kind_chk"
            ),
            models.CheckConstraint(condition=~Q(keyword=""), name="optout_keywords_not_blank_chk"),
        ]

    def __str__(self) -> str:
        return self.keyword


class OptOutSource(models.TextChoices):
    KEYWORD = "keyword", "Mensagem do paciente"
    MANUAL = "manual", "Equipe"


class OptOut(TenantModel):
    id = models.BigAutoField(primary_key=True)
    thread_key = models.CharField(max_length=40)
    opted_out_at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=OptOutSource.choices)
    keyword = models.CharField(max_length=60, blank=True)
    message = models.ForeignKey(
        "messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField("motivo", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_column="created_by",
        related_name="+",
    )
    # The one automatic acknowledgement this period got (none for a manual opt-out).
    acknowledgement = models.ForeignKey(
        "messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opted_in_at = models.DateTimeField(null=True, blank=True)
    opted_in_source = models.CharField(max_length=10, choices=OptOutSource.choices, blank=True)
    opted_in_keyword = models.CharField(max_length=60, blank=True)
    opted_in_message = models.ForeignKey(
        "messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opted_in_reason = models.CharField(max_length=300, blank=True)
    opted_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        db_table = "conversation_optouts"
        ordering = ["-opted_out_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "thread_key"],
                condition=Q(opted_in_at__isnull=True),
                name="optouts_one_open_per_number_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-opted_out_at"], name="optouts_tenant_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"opt-out #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.opted_in_at is None


class ScheduleMode(models.TextChoices):
    AGENDA = "agenda", "Fora dos horários de atendimento da agenda"
    BUSINESS_HOURS = "business_hours", "Fora do horário de funcionamento"
    WINDOW = "window", "Dentro de um período (férias, recesso)"


class AutoReplySettings(TenantModel):
    id = models.BigAutoField(primary_key=True)
    enabled = models.BooleanField("ativada", default=False)
    message = models.TextField("mensagem", blank=True)
    mode = models.CharField(
        "quando responder", max_length=20, choices=ScheduleMode.choices, default=ScheduleMode.AGENDA
    )
    # [{"weekday": 0-6, "start": "HH:MM", "end": "HH:MM"}, ...] in São Paulo time, validated and
    # sorted by the service (no overlap within a day).
    business_hours = models.JSONField(default=list, blank=True)
    window_starts_at = models.DateTimeField(null=True, blank=True)
    window_ends_at = models.DateTimeField(null=True, blank=True)
    cooldown_hours = models.PositiveSmallIntegerField("intervalo por conversa (horas)", default=12)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "conversation_autoreply_settings"
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="autoreply_settings_tenant_uniq"),
            models.CheckConstraint(
                condition=Q(cooldown_hours__gte=1), name="autoreply_cooldown_positive_chk"
            ),
            models.CheckConstraint(
                condition=Q(window_starts_at__isnull=True)
                | Q(window_ends_at__isnull=True)
                | Q(window_ends_at__gt=F("window_starts_at")),
                name="autoreply_window_ends_after_chk",
            ),
            models.CheckConstraint(
                condition=Q(mode__in=ScheduleMode.values), name="autoreply_mode_chk"
            ),
        ]

    def __str__(self) -> str:
        return f"auto-reply of {self.tenant_id}"


class Decision(models.TextChoices):
    SENT = "sent", "Enviada"
    SKIPPED = "skipped", "Não enviada"


class AutoReplyLog(TenantModel):
    id = models.BigAutoField(primary_key=True)
    thread_key = models.CharField(max_length=40)
    inbound_message = models.ForeignKey(
        "messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reason = models.CharField(max_length=40, blank=True)
    reply_message = models.ForeignKey(
        "messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "conversation_autoreply_log"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["tenant", "thread_key", "decision", "-created_at"],
                name="autoreply_log_thread_idx",
            ),
            models.Index(fields=["tenant", "-created_at"], name="autoreply_log_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"auto-reply {self.decision} #{self.pk}"

    @property
    def reason_label(self) -> str:
        return reason_label(self.reason) if self.reason else ""


class ReminderWindow(models.TextChoices):
    H24 = "24h", "24 horas antes"
    H2 = "2h", "2 horas antes"


class ReminderSettings(TenantModel):
    id = models.BigAutoField(primary_key=True)
    enabled_24h = models.BooleanField("lembrete 24 h antes", default=False)
    enabled_2h = models.BooleanField("lembrete 2 h antes", default=False)
    text_24h = models.TextField("texto do lembrete de 24 h", blank=True)
    text_2h = models.TextField("texto do lembrete de 2 h", blank=True)
    # Twilio: the approved template (Content SID) sent outside the 24-hour window, and which of
    # our variables fills each of its {{1}}, {{2}}, ... (`texts.VARIABLES` names).
    template_24h = models.CharField(max_length=64, blank=True)
    template_2h = models.CharField(max_length=64, blank=True)
    template_vars_24h = models.JSONField(default=list, blank=True)
    template_vars_2h = models.JSONField(default=list, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "conversation_session_reminders_settings"
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="reminder_settings_tenant_uniq"),
        ]

    def __str__(self) -> str:
        return f"reminders of {self.tenant_id}"


class ReminderStatus(models.TextChoices):
    QUEUED = "queued", "Na fila"
    SENT = "sent", "Enviado"
    SKIPPED = "skipped", "Não enviado"


class ReminderAnswer(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmada pelo paciente"
    CANCELLED = "cancelled", "Cancelada pelo paciente"


class ReminderLog(TenantModel):
    id = models.BigAutoField(primary_key=True)
    appointment = models.ForeignKey(
        "agenda.Appointment", on_delete=models.CASCADE, related_name="+"
    )
    window = models.CharField(max_length=4, choices=ReminderWindow.choices)
    # The start the reminder was for: a moved appointment is a new reminder.
    appointment_starts_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.QUEUED
    )
    reason = models.CharField(max_length=40, blank=True)
    thread_key = models.CharField(max_length=40, blank=True)
    message = models.ForeignKey(
        "messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    used_template = models.BooleanField(default=False)
    answer = models.CharField(max_length=10, choices=ReminderAnswer.choices, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_message = models.ForeignKey(
        "messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "conversation_session_reminders_logs"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "window", "appointment_starts_at"],
                name="reminder_logs_once_uniq",
            ),
            models.CheckConstraint(
                condition=Q(window__in=ReminderWindow.values), name="reminder_logs_window_chk"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReminderStatus.values), name="reminder_logs_status_chk"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="reminder_logs_recent_idx"),
            models.Index(
                fields=["status", "created_at"],
                condition=Q(status="queued"),
                name="reminder_logs_queued_idx",
            ),
            models.Index(
                fields=["tenant", "thread_key", "-created_at"],
                condition=Q(status="sent"),
                name="reminder_logs_thread_sent_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"reminder {self.window} of appointment {self.appointment_id}"

    @property
    def reason_label(self) -> str:
        return reason_label(self.reason) if self.reason else ""
