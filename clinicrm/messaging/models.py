"""WhatsApp channels, conversation threads, messages and the realtime event feed.

- `Channel`: one WhatsApp provider connection of a tenant (Evolution instance or Twilio sender).
  Non-secret settings live in `config` (JSON); secrets are Fernet-encrypted in
  `secrets_encrypted` (see `crypto.py`) and only read through `Channel.secrets`. A partial UNIQUE
  index keeps at most one active channel per tenant. `webhook_token` is the unguessable URL
  segment that routes a provider's webhook to its channel (authentication is still the
  provider's apikey / signature).
- `Thread`: one conversation of a tenant with one phone (`thread_key`, canonical E.164). The row
  is a cache kept up to date by the ingest/send services in the same transaction as each
  message (last message, unread count, last inbound time for Twilio's 24-hour window), so lists
  never aggregate messages on read. The provider's raw contact id (JID, @lid, WaId) is kept
  apart and is what sends address (never derive a JID from the canonical number).
- `Message` (`conversation_messages`): 64-bit id (credit transactions reference it). Unique per
  (channel, provider_message_id) so duplicate deliveries are no-ops. `status_rank` makes status
  changes a conditional UPDATE that only moves forward; `failed` is terminal and only reachable
  from pending/sent. `provider_timestamp` (the provider's clock) orders the timeline, so late
  deliveries slot in where they belong. `needs_reconciliation` marks an outbound send claimed
  and not yet settled (in flight, or in doubt after a timeout or a crash): the credit stays
  reserved until positive evidence settles it (services/reconcile.py). `doubt_since` says
  since when the outcome is unclear (staff see "verificando entrega"); `reconcile_at` is when
  reconciliation looks at the message next (in doubt, or accepted by the provider and not yet
  at a final status), `reconcile_attempts` drives its backoff, and `settled_by` names the
  evidence that decided the send (the refund's ledger note says it too).
  `media_mime` is decided from the stored file's bytes and the message kind (`mediatypes.py`),
  never taken from the sender's claim.
- Threads and messages carry `search_text`, the accent- and case-folded copy of the contact
  name + number (threads) or the body (messages) that searches compare (`core.search`);
  PostgreSQL indexes it with trigrams (migration 0004).
- `StatusBacklog`: a status that arrived before the message it refers to had its provider id
  (Evolution's `messages.update` can beat the send response); applied once the id is known.
  `reference` is our own message id when the provider echoed it back (Twilio: the StatusCallback
  URL of each send names its message), which settles a send left in doubt.
- `RealtimeEvent`: small per-tenant events (ids and statuses, never message text) whose
  BigAutoField id is the SSE `Last-Event-ID`.
"""

import secrets as pysecrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from clinicrm.core.models import SearchIndexed, TenantModel
from clinicrm.core.search import SearchTextField
from clinicrm.messaging.crypto import secrets_decrypt, secrets_encrypt
from clinicrm.messaging.errors import RETRY_MAY_HELP
from clinicrm.messaging.mediatypes import media_mime_inline


def new_webhook_token() -> str:
    return pysecrets.token_urlsafe(32)


class Provider(models.TextChoices):
    EVOLUTION = "evolution", "Pessoal (Evolution API)"
    TWILIO = "twilio", "Oficial (Twilio)"


class ChannelStatus(models.TextChoices):
    # Evolution connection states (docs/providers/evolution.md §4.1).
    DISCONNECTED = "disconnected", "Desconectado"
    CONNECTING = "connecting", "Conectando"
    OPEN = "open", "Conectado"
    # Twilio credentials verified against the API, or refused.
    ACTIVE = "active", "Ativo"
    INVALID = "invalid", "Credenciais inválidas"


# The states in which the channel can send (Evolution paired, Twilio credentials verified).
CHANNEL_CONNECTED = frozenset({ChannelStatus.OPEN, ChannelStatus.ACTIVE})


class Channel(TenantModel):
    id = models.BigAutoField(primary_key=True)
    provider = models.CharField("provedor", max_length=20, choices=Provider.choices)
    display_name = models.CharField("nome", max_length=120, blank=True)
    status = models.CharField(
        max_length=20, choices=ChannelStatus.choices, default=ChannelStatus.DISCONNECTED
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField("ativo", default=False)
    webhook_token = models.CharField(max_length=64, unique=True, default=new_webhook_token)
    # Non-secret settings: Evolution {"instance_name"}, Twilio {"account_sid", "sender",
    # "api_key_sid", "templates": [{"name", "content_sid", "variables": [...]}]}.
    config = models.JSONField(default=dict, blank=True)
    # Fernet token of a JSON dict: Evolution {"apikey"}; Twilio {"auth_token", "api_key_secret"}.
    secrets_encrypted = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "whatsapp_channels"
        ordering = ["-is_active", "provider", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant"],
                condition=Q(is_active=True),
                name="whatsapp_channels_one_active_uniq",
            ),
            models.CheckConstraint(
                condition=Q(provider__in=Provider.values), name="whatsapp_channels_provider_chk"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} #{self.pk}"

    @property
    def secrets(self) -> dict[str, Any]:
        """Decrypted secrets. Never log or render them."""
        return secrets_decrypt(self.secrets_encrypted)

    def set_secrets(self, data: dict[str, Any]) -> None:
        """Replace the stored secrets (the caller saves the row)."""
        self.secrets_encrypted = secrets_encrypt(data)

    @property
    def is_twilio(self) -> bool:
        return self.provider == Provider.TWILIO


class Direction(models.TextChoices):
    INBOUND = "in", "Recebida"
    OUTBOUND = "out", "Enviada"


class Thread(SearchIndexed, TenantModel):
    id = models.BigAutoField(primary_key=True)
    thread_key = models.CharField(max_length=40)
    # Latest raw provider address of the contact (JID `...@s.whatsapp.net`, WaId); sends use it.
    contact_raw_id = models.CharField(max_length=120, blank=True)
    # WhatsApp Linked Identity (`...@lid`) when seen, to match LID-only deliveries.
    contact_lid = models.CharField(max_length=120, blank=True, db_index=True)
    contact_name = models.CharField(max_length=200, blank=True)
    patient = models.ForeignKey(
        "people.Patient", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_message_at = models.DateTimeField(null=True, blank=True)
    last_message_preview = models.CharField(max_length=120, blank=True)
    last_direction = models.CharField(max_length=3, choices=Direction.choices, blank=True)
    last_message_id = models.BigIntegerField(null=True, blank=True)
    unread_count = models.PositiveIntegerField(default=0)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    search_text = SearchTextField(sources=("contact_name", "thread_key"))

    class Meta:
        db_table = "conversation_threads"
        ordering = ["-last_message_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "thread_key"], name="conversation_threads_key_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-last_message_at"], name="threads_tenant_last_idx"),
        ]

    def __str__(self) -> str:
        return f"thread #{self.pk}"


class MessageKind(models.TextChoices):
    TEXT = "text", "Texto"
    IMAGE = "image", "Imagem"
    AUDIO = "audio", "Áudio"
    VOICE = "voice", "Mensagem de voz"
    VIDEO = "video", "Vídeo"
    DOCUMENT = "document", "Documento"
    LOCATION = "location", "Localização"
    CONTACTS = "contacts", "Contato"
    REACTION = "reaction", "Reação"
    TEMPLATE = "template", "Modelo"
    UNSUPPORTED = "unsupported", "Não suportada"


# WhatsApp's own limit on a message's text: longer bodies (hostile or broken deliveries) are cut
# to it when stored.
MESSAGE_TEXT_MAX = 65_536

MEDIA_KINDS = frozenset(
    {MessageKind.IMAGE, MessageKind.AUDIO, MessageKind.VOICE, MessageKind.VIDEO}
    | {MessageKind.DOCUMENT}
)


class MediaStatus(models.TextChoices):
    NONE = "none", "Sem mídia"
    PENDING = "pending", "Baixando"
    STORED = "stored", "Disponível"
    FAILED = "failed", "Falhou"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Pendente"
    SENT = "sent", "Enviada"
    DELIVERED = "delivered", "Entregue"
    READ = "read", "Lida"
    PLAYED = "played", "Reproduzida"
    FAILED = "failed", "Falhou"


# Forward-only order. `failed` sits between sent and delivered: it can follow pending or sent
# (Twilio's async 63016 arrives after `sent`), never a delivery, and nothing leaves it.
STATUS_RANK: dict[str, int] = {
    MessageStatus.PENDING: 0,
    MessageStatus.SENT: 10,
    MessageStatus.FAILED: 15,
    MessageStatus.DELIVERED: 20,
    MessageStatus.READ: 30,
    MessageStatus.PLAYED: 40,
}


class StoredGeneratedField(models.GeneratedField):
    """A stored generated column. Django's support check asks PostgreSQL for its version (to
    learn about *virtual* columns), i.e. opens a connection during `manage.py check`, which fails
    where the database isn't reachable (the deploy check). Stored columns exist on every database
    we run (SQLite >= 3.31, PostgreSQL >= 12), so that check is skipped."""

    def _check_supported(self, databases: Any) -> list[Any]:
        return []

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.GeneratedField", args, kwargs  # same column to migrations


class Evidence(models.TextChoices):
    """What settled an outbound send (`Message.settled_by`, and the refund's ledger note)."""

    SEND = "send", "resposta do envio"
    REFUSED = "refused", "envio bloqueado antes do provedor"
    CALLBACK = "callback", "aviso de status do provedor"
    BACKLOG = "backlog", "aviso de status já recebido"
    LOOKUP = "lookup", "consulta da mensagem no provedor"
    LISTING = "listing", "lista de mensagens do provedor"


class Message(SearchIndexed, TenantModel):
    id = models.BigAutoField(primary_key=True)
    channel = models.ForeignKey(Channel, on_delete=models.RESTRICT, related_name="messages")
    thread_key = models.CharField(max_length=40)
    contact_raw_id = models.CharField(max_length=120, blank=True)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    from_me = models.BooleanField(default=False)
    provider_message_id = models.CharField(max_length=128, null=True, blank=True)
    kind = models.CharField(max_length=20, choices=MessageKind.choices, default=MessageKind.TEXT)
    body = models.TextField(blank=True)
    search_text = SearchTextField(sources=("body",))
    # Media: stored privately under <tenant>/<yyyy>/<mm>/; `media_ref` is the adapter's opaque
    # reference for (re)fetching it from the provider.
    media_status = models.CharField(
        max_length=10, choices=MediaStatus.choices, default=MediaStatus.NONE
    )
    media_path = models.CharField(max_length=500, blank=True)
    media_mime = models.CharField(max_length=120, blank=True)
    media_size = models.BigIntegerField(null=True, blank=True)
    media_filename = models.CharField(max_length=255, blank=True)
    media_ref = models.JSONField(default=dict, blank=True)
    quoted_provider_id = models.CharField(max_length=128, null=True, blank=True)
    reaction_target_id = models.CharField(max_length=128, null=True, blank=True)
    # Kind-specific details without free text: location coordinates, template sid, ...
    extra = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    # Derived by the database from `status` (STATUS_RANK): forward-only updates filter on it.
    status_rank = StoredGeneratedField(
        expression=models.Case(
            *[models.When(status=s, then=models.Value(r)) for s, r in STATUS_RANK.items()],
            default=models.Value(0),
            output_field=models.SmallIntegerField(),
        ),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    provider_timestamp = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Outbox bookkeeping.
    credit_charged = models.BooleanField(default=False)
    send_attempted_at = models.DateTimeField(null=True, blank=True)
    needs_reconciliation = models.BooleanField(default=False)
    doubt_since = models.DateTimeField(null=True, blank=True)
    reconcile_at = models.DateTimeField(null=True, blank=True)
    reconcile_attempts = models.PositiveSmallIntegerField(default=0)
    settled_by = models.CharField(max_length=20, blank=True, choices=Evidence.choices)

    class Meta:
        db_table = "conversation_messages"
        ordering = ["provider_timestamp", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_message_id"],
                condition=Q(provider_message_id__isnull=False),
                name="conversation_messages_provider_id_uniq",
            ),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values),
                name="conversation_messages_direction_chk",
            ),
            models.CheckConstraint(
                condition=Q(status__in=MessageStatus.values),
                name="conversation_messages_status_chk",
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "thread_key", "provider_timestamp"], name="messages_timeline_idx"
            ),
            models.Index(
                fields=["status", "send_attempted_at"],
                condition=Q(status="pending", direction="out"),
                name="messages_pending_out_idx",
            ),
            models.Index(
                fields=["reconcile_at"],
                condition=Q(reconcile_at__isnull=False),
                name="messages_reconcile_at_idx",
            ),
            # Dashboard "messages this month": a range on (tenant, created_at); `direction` last
            # makes the per-direction count an index-only scan on PostgreSQL.
            models.Index(
                fields=["tenant", "created_at", "direction"], name="messages_tenant_created_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"message #{self.pk}"

    @property
    def ticks(self) -> str:
        """Delivery ticks for the UI: '' pending/failed, ✓ sent, ✓✓ delivered/read/played."""
        if self.status == MessageStatus.SENT:
            return "✓"
        if self.status in (MessageStatus.DELIVERED, MessageStatus.READ, MessageStatus.PLAYED):
            return "✓✓"
        return ""

    @property
    def in_doubt(self) -> bool:
        """An outbound send nobody can confirm yet ("verificando entrega")."""
        return self.doubt_since is not None and self.status == MessageStatus.PENDING

    @property
    def can_retry(self) -> bool:
        """A failed text whose failure a second try may get past (errors.RETRY_MAY_HELP)."""
        return (
            self.status == MessageStatus.FAILED
            and self.direction == Direction.OUTBOUND
            and self.kind == MessageKind.TEXT
            and bool(self.body)
            and self.error_code in RETRY_MAY_HELP
        )

    @property
    def status_label(self) -> str:
        """The status as staff read it wherever a message's status is shown (pt-BR)."""
        return "verificando entrega" if self.in_doubt else self.get_status_display()

    @property
    def is_read(self) -> bool:
        return self.status in (MessageStatus.READ, MessageStatus.PLAYED)

    @property
    def media_inline(self) -> bool:
        """The page shows the file itself (raster image, audio, video); else a download link."""
        return media_mime_inline(self.media_mime)


class StatusBacklog(TenantModel):
    id = models.BigAutoField(primary_key=True)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    provider_message_id = models.CharField(max_length=128)
    status = models.CharField(max_length=10, choices=MessageStatus.choices)
    error_code = models.CharField(max_length=40, blank=True)
    reference = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "conversation_status_backlog"
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_message_id", "status"],
                name="status_backlog_uniq",
            ),
        ]
        indexes = [
            models.Index(
                fields=["channel", "reference"],
                condition=Q(reference__isnull=False),
                name="status_backlog_reference_idx",
            )
        ]

    def __str__(self) -> str:
        return f"backlog #{self.pk}"


class RealtimeEvent(TenantModel):
    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=40)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "realtime_events"
        ordering = ["id"]
        indexes = [models.Index(fields=["tenant", "id"], name="realtime_tenant_id_idx")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"
