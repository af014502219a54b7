"""WhatsApp credit ledger, credit packages and purchases, and generic add-on credits.

The seven tables follow `shared/spec/credits-schema.sql` (binding): same table and column names,
defaults (also as database defaults through `db_default`), nullability and named CHECK constraints.

Design of the WhatsApp ledger:

* `whatsapp_credits_transactions` is append-only; every movement of credits is one row that names
  its cause (`purchase_id`, `conversation_message_id` or `admin_id`) and records `balance_after`.
* `whatsapp_credits_balance` (one row per tenant, the tenant id is its primary key) is a cache of
  the sum of the transactions. Services change both in one database transaction through an atomic
  conditional `UPDATE ... SET balance = balance + n WHERE balance + n >= 0`, so the balance can
  never go below zero even under concurrent writers (the CHECK constraint is the last guard).
* Replays are harmless because the database refuses a second row for the same cause:
  one `purchase` row per purchase, one `adjustment` row per purchase (the reversal of a refunded
  payment), and one `usage` and one `refund` row per conversation message.
* The database keeps the rows honest (django-hordak's habit): a CHECK gives each kind its sign
  (usage < 0; purchase, refund, top-up > 0; an adjustment may go either way, and the reversal of
  a refunded purchase whose credits were all used is a zero that marks it reversed), the causes
  are PROTECTed (a purchase or an admin named by a row cannot be deleted), and on PostgreSQL a
  trigger refuses any UPDATE or DELETE of a row (migration 0002). The SQL the ORM cannot say
  lives in `credits/sql.py`; the hourly job `credits.ledger_check` compares balance and sum.

Add-on credits (`addon_credits`, one row per tenant and add-on type) follow the same pattern, with
hourly/daily consumption windows, expiry and `balance_before`/`balance_after` on every
`addon_transactions` row. Replays of a consumption for the same queue item, or of a purchase for
the same payment reference, are refused by partial unique indexes on existing columns (the schema
is binding, so no extra idempotency-key column was added).
"""

import re
import uuid
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Now
from django.utils import timezone

from clinicrm.core.models import Tenant, TenantModel, User

models.TextField.register_lookup(Length)

_CREDITS_NAME = re.compile(r"[\d.\s]+(cr[eé]ditos?|mensagens?)?", re.IGNORECASE)
_EMPTY_JSON_DEFAULT = models.Value({}, output_field=models.JSONField())


def _empty_dict() -> dict[str, object]:
    return {}


# --------------------------------------------------------------------------- WhatsApp credits


class CreditPackage(models.Model):
    """A package of WhatsApp credits sold in the store (global, managed by SaaS staff)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.TextField("nome")
    description = models.TextField("descrição", null=True, blank=True)
    credits = models.IntegerField("créditos")
    price_brl = models.DecimalField("preço (R$)", max_digits=10, decimal_places=2)
    is_active = models.BooleanField("ativo", default=True, db_default=True)
    is_featured = models.BooleanField("destaque", default=False, db_default=False)
    position = models.IntegerField("posição", default=100, db_default=100)
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        db_table = "whatsapp_credit_packages"
        ordering = ["-is_featured", "position", "credits"]
        verbose_name = "pacote de créditos WhatsApp"
        verbose_name_plural = "pacotes de créditos WhatsApp"
        constraints = [
            models.CheckConstraint(
                condition=Q(credits__gt=0), name="whatsapp_credit_packages_credits_check"
            ),
            models.CheckConstraint(
                condition=Q(name__length__gt=0, name__length__lte=100),
                name="whatsapp_credit_packages_name_check",
            ),
            models.CheckConstraint(
                condition=Q(price_brl__gt=Decimal("0")),
                name="whatsapp_credit_packages_price_brl_check",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def names_its_credits(self) -> bool:
        """The name only says how many credits it holds ("500 créditos"): pages then show the
        number once instead of repeating it."""
        return bool(_CREDITS_NAME.fullmatch(self.name.strip()))


class PurchaseStatus(models.TextChoices):
    PENDING = "pending", "Aguardando pagamento"
    PAID = "paid", "Pago"
    FAILED = "failed", "Falhou"
    EXPIRED = "expired", "Expirado"
    REFUNDED = "refunded", "Estornado"
    CANCELLED = "cancelled", "Cancelado"


class CreditPurchase(TenantModel):
    """A PIX purchase of a package through Asaas. Package name/credits/price are copied so the
    history stays true when the package changes later."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    package = models.ForeignKey(
        CreditPackage,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_column="package_id",
        related_name="purchases",
    )
    package_name = models.TextField()
    credits = models.IntegerField()
    amount_brl = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.TextField(
        choices=PurchaseStatus.choices,
        default=PurchaseStatus.PENDING,
        db_default=PurchaseStatus.PENDING.value,
    )
    asaas_customer_id = models.TextField(null=True, blank=True)
    asaas_payment_id = models.TextField(null=True, blank=True)
    asaas_payment_link = models.TextField(null=True, blank=True)
    asaas_pix_qrcode = models.TextField(null=True, blank=True)
    asaas_pix_copy_paste = models.TextField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_column="created_by",
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        db_table = "whatsapp_credit_purchases"
        ordering = ["-created_at"]
        verbose_name = "compra de créditos WhatsApp"
        verbose_name_plural = "compras de créditos WhatsApp"
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_brl__gt=Decimal("0")),
                name="whatsapp_credit_purchases_amount_brl_check",
            ),
            models.CheckConstraint(
                condition=Q(credits__gt=0), name="whatsapp_credit_purchases_credits_check"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PurchaseStatus.values),
                name="whatsapp_credit_purchases_status_check",
            ),
            # One Asaas payment belongs to one purchase: webhooks look purchases up by it.
            models.UniqueConstraint(
                fields=["asaas_payment_id"],
                condition=Q(asaas_payment_id__isnull=False),
                name="wcp_asaas_payment_uniq",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="wcp_tenant_created_idx")]

    def __str__(self) -> str:
        return f"{self.package_name} ({self.status})"

    @property
    def pix_qr_src(self) -> str:
        """The QR image Asaas sent (`encodedImage`, base64 PNG) as an <img> source, untouched."""
        image = (self.asaas_pix_qrcode or "").strip()
        if not image or image.startswith("data:image/"):
            return image
        return f"data:image/png;base64,{image}"


class CreditBalance(TenantModel):
    """Cached balance of one tenant (primary key = tenant id). Written only by the services."""

    tenant = models.OneToOneField(
        Tenant, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    balance = models.IntegerField(default=0, db_default=0)
    lifetime_purchased = models.IntegerField(default=0, db_default=0)
    lifetime_used = models.IntegerField(default=0, db_default=0)
    low_balance_threshold = models.IntegerField(default=20, db_default=20)
    low_balance_alerted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    @property
    def is_low(self) -> bool:
        """Strictly below the threshold, the rule of the ledger's alert (services/ledger.py)."""
        return self.balance < self.low_balance_threshold

    class Meta:
        db_table = "whatsapp_credits_balance"
        verbose_name = "saldo de créditos WhatsApp"
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="whatsapp_credits_balance_balance_check"
            ),
            models.CheckConstraint(
                condition=Q(low_balance_threshold__gte=0),
                name="whatsapp_credits_balance_low_balance_threshold_check",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.balance} créditos"


class TransactionKind(models.TextChoices):
    PURCHASE = "purchase", "Compra"
    USAGE = "usage", "Uso"
    TOPUP_MANUAL = "topup_manual", "Recarga manual"
    # A message's credit given back; "estorno" is reserved for a payment Asaas returned.
    REFUND = "refund", "Reembolso"
    ADJUSTMENT = "adjustment", "Ajuste"


# Kinds that only ever add credits (the CHECK below gives them a positive amount).
CREDITING_KINDS = (TransactionKind.PURCHASE, TransactionKind.REFUND, TransactionKind.TOPUP_MANUAL)


class CreditTransaction(TenantModel):
    """One append-only movement of WhatsApp credits (`amount` is negative for usage/removal).

    `conversation_message_id` is `conversation_messages.id` (bigint) as a plain column: the
    ledger sits below messaging and must not depend on its tables.
    """

    id = models.BigAutoField(primary_key=True)
    kind = models.TextField(choices=TransactionKind.choices)
    amount = models.IntegerField()
    balance_after = models.IntegerField()
    conversation_message_id = models.BigIntegerField(null=True, blank=True)
    # PROTECT: a row's cause is part of the record; it cannot vanish (nor be set to NULL).
    purchase = models.ForeignKey(
        CreditPurchase,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_column="purchase_id",
        related_name="transactions",
    )
    admin = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_column="admin_id",
        related_name="+",
    )
    note = models.TextField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        db_table = "whatsapp_credits_transactions"
        ordering = ["-created_at", "-id"]
        verbose_name = "transação de créditos WhatsApp"
        verbose_name_plural = "transações de créditos WhatsApp"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=TransactionKind.values),
                name="whatsapp_credits_transactions_kind_check",
            ),
            models.CheckConstraint(
                condition=Q(kind=TransactionKind.USAGE, amount__lt=0)
                | Q(kind__in=CREDITING_KINDS, amount__gt=0)
                | Q(kind=TransactionKind.ADJUSTMENT),
                name="wct_amount_sign_per_kind_chk",
            ),
            # A purchase is credited at most once ...
            models.UniqueConstraint(
                fields=["purchase"],
                condition=Q(kind="purchase"),
                name="wct_purchase_once_uniq",
            ),
            # ... and reversed (refunded payment) at most once.
            models.UniqueConstraint(
                fields=["purchase"],
                condition=Q(kind="adjustment", purchase__isnull=False),
                name="wct_purchase_reversal_once_uniq",
            ),
            # A message is charged at most once and refunded at most once.
            models.UniqueConstraint(
                fields=["conversation_message_id", "kind"],
                condition=Q(conversation_message_id__isnull=False),
                name="wct_message_kind_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="wct_tenant_created_idx"),
            models.Index(fields=["tenant", "kind", "-created_at"], name="wct_tenant_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount:+d}"


# --------------------------------------------------------------------------- add-on credits


class AddonProduct(models.Model):
    """A sellable add-on product (global catalogue managed by SaaS staff); soft-deleted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.TextField()
    name = models.TextField("nome")
    description = models.TextField("descrição", null=True, blank=True)
    addon_type = models.TextField("tipo")
    icon = models.TextField(null=True, blank=True, default="pi pi-box", db_default="pi pi-box")
    credits_amount = models.IntegerField("créditos", null=True, default=0, db_default=0)
    price_cents = models.IntegerField("preço (centavos)", default=0, db_default=0)
    currency = models.TextField(null=True, default="BRL", db_default="BRL")
    is_active = models.BooleanField("ativo", null=True, default=True, db_default=True)
    is_visible = models.BooleanField("visível", null=True, default=True, db_default=True)
    sort_order = models.IntegerField("ordem", null=True, default=0, db_default=0)
    metadata = models.JSONField(
        null=True, blank=True, default=_empty_dict, db_default=_EMPTY_JSON_DEFAULT
    )
    created_at = models.DateTimeField(null=True, default=timezone.now, db_default=Now())
    updated_at = models.DateTimeField(null=True, auto_now=True, db_default=Now())
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "addon_products"
        ordering = ["sort_order", "name"]
        verbose_name = "produto adicional"
        verbose_name_plural = "produtos adicionais"

    def __str__(self) -> str:
        return self.name


class AddonCredit(TenantModel):
    """Balance and consumption windows of one add-on type for one tenant."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_column="owner_id",
        related_name="+",
    )
    addon_type = models.TextField("tipo")
    balance = models.IntegerField(default=0, db_default=0)
    total_purchased = models.IntegerField(default=0, db_default=0)
    total_consumed = models.IntegerField(default=0, db_default=0)
    low_balance_threshold = models.IntegerField(null=True, default=10, db_default=10)
    low_balance_notified = models.BooleanField(null=True, default=False, db_default=False)
    daily_limit = models.IntegerField(null=True, blank=True)
    hourly_limit = models.IntegerField(null=True, blank=True)
    daily_used = models.IntegerField(null=True, default=0, db_default=0)
    hourly_used = models.IntegerField(null=True, default=0, db_default=0)
    # Start of the current daily/hourly counting window (UTC); a window older than a day/hour
    # restarts its counter on the next consumption.
    daily_reset_at = models.DateTimeField(null=True, blank=True)
    hourly_reset_at = models.DateTimeField(null=True, blank=True)
    from_number_override = models.TextField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(null=True, default=True, db_default=True)
    created_at = models.DateTimeField(null=True, default=timezone.now, db_default=Now())
    updated_at = models.DateTimeField(null=True, auto_now=True, db_default=Now())

    class Meta:
        db_table = "addon_credits"
        ordering = ["addon_type"]
        verbose_name = "crédito adicional"
        verbose_name_plural = "créditos adicionais"
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="addon_credits_balance_nonneg_chk"
            ),
            models.CheckConstraint(
                condition=Q(total_consumed__gte=0), name="addon_credits_consumed_nonneg_chk"
            ),
            models.CheckConstraint(
                condition=Q(total_purchased__gte=0), name="addon_credits_purchased_nonneg_chk"
            ),
            models.UniqueConstraint(
                fields=["tenant", "addon_type"], name="addon_credits_tenant_type_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.addon_type}: {self.balance}"


class AddonTransactionType(models.TextChoices):
    PURCHASE = "purchase", "Compra"
    CONSUMPTION = "consumption", "Consumo"
    REFUND = "refund", "Estorno"
    ADJUSTMENT = "adjustment", "Ajuste"
    BONUS = "bonus", "Bônus"


class AddonTransaction(TenantModel):
    """One append-only movement of add-on credits, with the balance before and after it.

    Idempotency (schema is binding, so no extra column): a movement caused by a queue item is
    unique per (tenant, addon_type, type, queue_id) and one caused by a payment is unique per
    (tenant, addon_type, type, payment_reference); a replay finds the existing row instead.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_column="owner_id",
        related_name="+",
    )
    addon_type = models.TextField("tipo")
    type = models.TextField("movimento", choices=AddonTransactionType.choices)
    amount = models.IntegerField()
    balance_before = models.IntegerField(default=0, db_default=0)
    balance_after = models.IntegerField(default=0, db_default=0)
    product = models.ForeignKey(
        AddonProduct,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_column="product_id",
        related_name="transactions",
    )
    queue_id = models.UUIDField(null=True, blank=True)
    description = models.TextField(null=True, blank=True)
    admin_user = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_column="admin_user_id",
        related_name="+",
    )
    payment_method = models.TextField(null=True, blank=True)
    payment_reference = models.TextField(null=True, blank=True)
    price_cents = models.IntegerField(null=True, blank=True)
    currency = models.TextField(null=True, default="BRL", db_default="BRL")
    created_at = models.DateTimeField(null=True, default=timezone.now, db_default=Now())
    metadata = models.JSONField(
        null=True, blank=True, default=_empty_dict, db_default=_EMPTY_JSON_DEFAULT
    )

    class Meta:
        db_table = "addon_transactions"
        ordering = ["-created_at", "-id"]
        verbose_name = "transação de crédito adicional"
        verbose_name_plural = "transações de créditos adicionais"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "addon_type", "type", "queue_id"],
                condition=Q(queue_id__isnull=False),
                name="addon_tx_queue_once_uniq",
            ),
            models.UniqueConstraint(
                fields=["tenant", "addon_type", "type", "payment_reference"],
                condition=Q(payment_reference__isnull=False),
                name="addon_tx_payment_once_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="addon_tx_tenant_created_idx"),
            models.Index(fields=["tenant", "addon_type", "-created_at"], name="addon_tx_type_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.addon_type} {self.type} {self.amount:+d}"
