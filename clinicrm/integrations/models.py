"""Every provider webhook delivery, stored before it is acted upon.

A delivery is verified, parsed just enough to read the provider's event id and type, and stored
as one `InboundEvent`, deduplicated by (provider, event_id) under a UNIQUE constraint: a resend
of the same event finds the existing row and changes nothing. The raw body is kept byte-exact
(the provider may sign it, and replays must see what arrived) less a secret a provider put in
it (Evolution's envelope `apikey` is stored as null); headers only when not secret.
Processing happens later in a drain task (`services_drain`), which dispatches to the provider's
`handlers.HANDLERS` dict by event type and records the outcome on the row (status, attempts,
last_error). `tenant` is nullable because the tenant is only known once a handler has matched
the event to a business object (e.g. an Asaas payment to a credit purchase); so this model does
not inherit `TenantModel`. `last_error` carries exception classes and ids, never personal data.
`reference` is our own id that the provider echoed back in the webhook URL's query (Twilio: the
message a StatusCallback was given for); the signature covers it, so it is as genuine as the body.
"""

from django.db import models


class InboundEventStatus(models.TextChoices):
    PENDING = "pending", "Pendente"
    PROCESSED = "processed", "Processado"
    FAILED = "failed", "Falhou"
    IGNORED = "ignored", "Ignorado"


class InboundEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    provider = models.CharField(max_length=30)
    # Opaque provider id (Asaas: "evt_<hex>&<n>"); text, never parsed.
    event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=100)
    tenant = models.ForeignKey(
        "core.Tenant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Messaging providers: which channel (instance / number) the event belongs to.
    channel_key = models.CharField(max_length=255, null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.BinaryField()
    reference = models.CharField(max_length=40, blank=True, default="")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    status = models.CharField(
        max_length=20, choices=InboundEventStatus.choices, default=InboundEventStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "inbound_events"
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="inbound_events_provider_event_uniq"
            )
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="inbound_status_recv_idx")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_type}:{self.pk}"

    @property
    def body_bytes(self) -> bytes:
        return bytes(self.body)


class InboundDrain(models.Model):
    """One row per (provider, channel): is a drain task queued and not started yet?

    Messaging webhooks do not enqueue one task per delivery: the first delivery that finds the
    flag down raises it and enqueues `inbound_events_drain_task`, which lowers it when it starts
    and then processes every pending event of the channel. `services_drain.py` explains the
    locking that makes sure no committed event is left without a drain.
    """

    key = models.CharField(max_length=300, primary_key=True)
    queued = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "inbound_drains"

    def __str__(self) -> str:
        return f"{self.key}:{'queued' if self.queued else 'idle'}"
