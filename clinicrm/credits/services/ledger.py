"""Writes of the WhatsApp credit ledger.

Every movement changes the balance row with an atomic conditional update,
``UPDATE whatsapp_credits_balance SET balance = balance + n ... WHERE tenant_id = ? AND
balance + n >= 0 RETURNING ...``, and inserts its transaction row with `balance_after` in the same
database transaction:

* PostgreSQL: both writes are ONE statement (``WITH b AS (UPDATE ... RETURNING) INSERT ... SELECT
  FROM b``), atomic by itself. The UPDATE takes the row lock, so concurrent movements of one tenant
  serialise on it, and the lock is held for a single round trip plus COMMIT.
* SQLite: UPDATE ... RETURNING, then the INSERT, inside `transaction.atomic()`; the IMMEDIATE
  transaction mode takes the write lock at BEGIN.

Both statements are built in `credits/sql.py` from one balance UPDATE. The balance therefore
never goes below zero (the CHECK constraint is the last guard) and always
equals the sum of the rows. Replays are answered with the row already stored for the same cause:
the partial unique indexes of `CreditTransaction` make the second insert fail, which undoes the
balance change too, and the existing row is returned.
"""

import datetime as dt
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant, User
from clinicrm.core.services import audit_log_record
from clinicrm.credits import sql
from clinicrm.credits.errors import InsufficientCredits
from clinicrm.credits.models import (
    CreditBalance,
    CreditPurchase,
    CreditTransaction,
    TransactionKind,
)
from clinicrm.credits.services._notify import WHATSAPP_CREDITS_URL, managers_notify
from clinicrm.credits.signals import credits_changed

ADDABLE_KINDS = frozenset(
    {TransactionKind.PURCHASE, TransactionKind.TOPUP_MANUAL, TransactionKind.ADJUSTMENT}
)
# The audit action of a staff member's credit of each kind, written out so the audit page's
# labels can be checked against every action the code writes (compliance/actions.py).
_ADD_AUDIT_ACTIONS: dict[str, str] = {
    TransactionKind.PURCHASE: "credits.purchase",
    TransactionKind.TOPUP_MANUAL: "credits.topup_manual",
    TransactionKind.ADJUSTMENT: "credits.adjustment",
}
# Credits granted (bought or given by staff) count as "purchased"; adjustments do not.
_PURCHASED_KINDS = frozenset({TransactionKind.PURCHASE, TransactionKind.TOPUP_MANUAL})
_MAX_MOVEMENT = 10_000_000
# A message's charge and refund are announced by messaging with the message's own events.
_MESSAGE_KINDS = frozenset({TransactionKind.USAGE, TransactionKind.REFUND})


def _check_amount(amount: Any, *, allow_negative: bool = False) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ApplicationError("Informe um número inteiro de créditos.", field="amount")
    if amount == 0 or (amount < 0 and not allow_negative):
        raise ApplicationError("A quantidade de créditos deve ser maior que zero.", field="amount")
    if abs(amount) > _MAX_MOVEMENT:
        raise ApplicationError("Quantidade de créditos grande demais.", field="amount")
    return amount


def credits_balance_get(*, tenant: Tenant) -> CreditBalance:
    """The tenant's balance row, created with the schema defaults on first use."""
    balance = CreditBalance.objects.filter(tenant=tenant).first()
    if balance is not None:
        return balance
    try:
        with transaction.atomic():
            return CreditBalance.objects.create(tenant=tenant)
    except IntegrityError:
        # A concurrent first movement created it.
        return CreditBalance.objects.get(tenant=tenant)


def _existing(
    *, tenant: Tenant, kind: str, message_id: int | None, purchase: CreditPurchase | None
) -> CreditTransaction | None:
    if message_id is not None:
        return CreditTransaction.objects.filter(
            tenant=tenant, conversation_message_id=message_id, kind=kind
        ).first()
    if purchase is not None and kind in (TransactionKind.PURCHASE, TransactionKind.ADJUSTMENT):
        return CreditTransaction.objects.filter(tenant=tenant, purchase=purchase, kind=kind).first()
    return None


def _low_balance_track(
    *, tenant: Tenant, amount: int, after: int, threshold: int, alerted: Any, now: dt.datetime
) -> None:
    """Alert once per downward crossing of the threshold; climbing back above re-arms it.

    Both writes are conditional on the row's current state, so they stay right when movements
    interleave and may run after the movement's own transaction has committed."""
    if after < threshold and alerted is None and amount < 0:
        with transaction.atomic():
            crossed = CreditBalance.objects.filter(
                tenant=tenant,
                low_balance_alerted_at__isnull=True,
                balance__lt=F("low_balance_threshold"),
            ).update(low_balance_alerted_at=now)
            if crossed:
                managers_notify(
                    tenant=tenant,
                    kind="credits.low_balance",
                    title="Saldo de créditos WhatsApp baixo",
                    body=f"Restam {after} créditos WhatsApp. "
                    "Compre um pacote para continuar enviando.",
                    url=WHATSAPP_CREDITS_URL,
                )
    elif after >= threshold and alerted is not None:
        CreditBalance.objects.filter(
            tenant=tenant,
            low_balance_alerted_at__isnull=False,
            balance__gte=F("low_balance_threshold"),
        ).update(low_balance_alerted_at=None)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Movement:
    """One movement as both database paths write it."""

    tenant: Tenant
    amount: int
    kind: str
    message_id: int | None
    purchase: CreditPurchase | None
    admin: User | None
    note: str | None
    purchased: int
    used: int
    now: dt.datetime

    def row_fields(self) -> dict[str, Any]:
        """The transaction row's fields, but its id and `balance_after` (the database's)."""
        return {
            "tenant": self.tenant,
            "kind": self.kind,
            "amount": self.amount,
            "conversation_message_id": self.message_id,
            "purchase": self.purchase,
            "admin": self.admin,
            "note": self.note,
            "created_at": self.now,
        }


def _write_postgresql(move: _Movement) -> tuple[CreditTransaction, int, Any] | None:
    # One statement does both writes, so the balance row is held only for one round trip plus
    # COMMIT (this is what keeps the service near the raw-SQL baseline under contention).
    row = CreditTransaction(balance_after=0, **move.row_fields())
    written = sql.balance_move_recorded(row, purchased=move.purchased, used=move.used)
    if written is None:
        return None
    row.id, row.balance_after, threshold, alerted = written
    row._state.adding = False
    row._state.db = connection.alias
    return row, threshold, alerted


def _write_generic(move: _Movement) -> tuple[CreditTransaction, int, Any] | None:
    state = sql.balance_move(
        tenant_id=move.tenant.pk,
        amount=move.amount,
        purchased=move.purchased,
        used=move.used,
        now=move.now,
    )
    if state is None:
        return None
    after, threshold, alerted = state
    row = CreditTransaction.objects.create(balance_after=after, **move.row_fields())
    return row, threshold, alerted


def _move(
    *,
    tenant: Tenant,
    amount: int,
    kind: str,
    message_id: int | None = None,
    purchase: CreditPurchase | None = None,
    admin: User | None = None,
    note: str | None = None,
    purchased: int = 0,
    used: int = 0,
) -> tuple[CreditTransaction, bool]:
    """Apply one movement; returns (row, created). A replay returns the stored row, False."""
    postgresql = connection.vendor == "postgresql"
    write = _write_postgresql if postgresql else _write_generic
    move = _Movement(
        tenant=tenant,
        amount=amount,
        kind=kind,
        message_id=message_id,
        purchase=purchase,
        admin=admin,
        note=note or None,
        purchased=purchased,
        used=used,
        now=timezone.now(),
    )
    # On PostgreSQL the movement is one statement, atomic by itself: outside a caller's
    # transaction it runs in autocommit (one round trip, the row lock held the shortest time);
    # inside one it gets a savepoint so a refused replay leaves the caller's transaction usable.
    # SQLite needs a transaction for its two statements (IMMEDIATE: write lock from BEGIN).
    scope = transaction.atomic() if connection.in_atomic_block or not postgresql else nullcontext()
    try:
        with scope:
            written = write(move)
            if written is None and not CreditBalance.objects.filter(tenant=tenant).exists():
                credits_balance_get(tenant=tenant)
                written = write(move)
            if written is None:
                raise InsufficientCredits()
    except (IntegrityError, InsufficientCredits):
        # The same cause was already recorded (possibly by a concurrent call): answer with it.
        existing = _existing(tenant=tenant, kind=kind, message_id=message_id, purchase=purchase)
        if existing is None:
            raise
        return existing, False
    row, threshold, alerted = written
    if kind not in _MESSAGE_KINDS:
        credits_changed.send(
            sender=CreditTransaction,
            tenant=tenant,
            purchase_id=purchase.pk if purchase is not None else None,
        )
    _low_balance_track(
        tenant=tenant,
        amount=amount,
        after=row.balance_after,
        threshold=threshold,
        alerted=alerted,
        now=move.now,
    )
    return row, True


def credits_add(
    *,
    tenant: Tenant,
    amount: int,
    kind: str,
    purchase: CreditPurchase | None = None,
    admin: User | None = None,
    note: str = "",
) -> CreditTransaction:
    """Credit `amount` (> 0) as a purchase (needs `purchase`), a manual top-up (needs `admin`)
    or a positive adjustment. A purchase is credited once: a replay returns the first row."""
    amount = _check_amount(amount)
    if kind not in ADDABLE_KINDS:
        raise ApplicationError("Tipo de movimento inválido.", field="kind")
    if kind == TransactionKind.PURCHASE:
        if purchase is None or purchase.tenant_id != tenant.pk:
            raise ApplicationError("Compra inválida para esta clínica.", field="purchase")
    elif purchase is not None:
        raise ApplicationError("Compra só se aplica a créditos comprados.", field="purchase")
    if kind == TransactionKind.TOPUP_MANUAL and admin is None:
        raise ApplicationError("A recarga manual precisa do administrador.", field="admin")
    row, created = _move(
        tenant=tenant,
        amount=amount,
        kind=kind,
        purchase=purchase,
        admin=admin,
        note=note.strip(),
        purchased=amount if kind in _PURCHASED_KINDS else 0,
    )
    if created and admin is not None:
        audit_log_record(
            action=_ADD_AUDIT_ACTIONS[kind],
            user=admin,
            tenant=tenant,
            obj=row,
            details={"kind": kind, "fields": ["amount", "note"]},
        )
    return row


def credits_adjust(
    *,
    tenant: Tenant,
    amount: int,
    admin: User | None,
    note: str,
    purchase: CreditPurchase | None = None,
) -> CreditTransaction:
    """Staff adjustment: positive adds, negative removes (never below zero: InsufficientCredits).
    A note is required. With `purchase`, it is that purchase's single reversal."""
    amount = _check_amount(amount, allow_negative=True)
    note = (note or "").strip()
    if not note:
        raise ApplicationError("Informe o motivo do ajuste.", field="note")
    if purchase is not None and purchase.tenant_id != tenant.pk:
        raise ApplicationError("Compra inválida para esta clínica.", field="purchase")
    row, created = _move(
        tenant=tenant,
        amount=amount,
        kind=TransactionKind.ADJUSTMENT,
        purchase=purchase,
        admin=admin,
        note=note,
    )
    if created and admin is not None:
        audit_log_record(
            action="credits.adjustment",
            user=admin,
            tenant=tenant,
            obj=row,
            details={"kind": TransactionKind.ADJUSTMENT.value, "fields": ["amount", "note"]},
        )
    return row


def credits_deduct(*, tenant: Tenant, message_id: int, amount: int = 1) -> CreditTransaction:
    """Charge a message before sending it (kind usage, stored negative). Raises
    InsufficientCredits when the balance cannot cover it; a message is charged once."""
    amount = _check_amount(amount)
    if isinstance(message_id, bool) or not isinstance(message_id, int):
        raise ApplicationError("Mensagem inválida.", field="message_id")
    row, _ = _move(
        tenant=tenant,
        amount=-amount,
        kind=TransactionKind.USAGE,
        message_id=message_id,
        used=amount,
    )
    return row


def credits_refund(
    *, tenant: Tenant, message_id: int, note: str | None = None
) -> CreditTransaction:
    """Give back what a message was charged (when its send provably failed). Only after a usage,
    at most once: a second call returns the first refund row. `note` says what proved the
    failure (shown on the credits page)."""
    usage = CreditTransaction.objects.filter(
        tenant=tenant, conversation_message_id=message_id, kind=TransactionKind.USAGE
    ).first()
    if usage is None:
        raise ApplicationError("Não há cobrança de créditos para esta mensagem.")
    refund = CreditTransaction.objects.filter(
        tenant=tenant, conversation_message_id=message_id, kind=TransactionKind.REFUND
    ).first()
    if refund is not None:
        return refund
    row, _ = _move(
        tenant=tenant,
        amount=-usage.amount,
        kind=TransactionKind.REFUND,
        message_id=message_id,
        note=note,
        used=usage.amount,
    )
    return row


def credits_purchase_reverse(
    *, purchase: CreditPurchase, note: str = "Estorno do pagamento", admin: User | None = None
) -> tuple[CreditTransaction | None, int]:
    """Remove what can be removed of a credited purchase whose payment was refunded.

    Returns (adjustment row or None when the purchase was never credited, credits that could not
    be removed because they were already used — staff must look at those). Recorded once per
    purchase: a replay returns the first reversal.
    """
    tenant = purchase.tenant
    with transaction.atomic():
        credited = CreditTransaction.objects.filter(
            tenant=tenant, purchase=purchase, kind=TransactionKind.PURCHASE
        ).first()
        if credited is None:
            return None, 0
        previous = _existing(
            tenant=tenant, kind=TransactionKind.ADJUSTMENT, message_id=None, purchase=purchase
        )
        if previous is None:
            # Lock the row so the amount removed is computed from the balance we will change
            # (SQLite: the IMMEDIATE transaction already holds the write lock).
            balance = CreditBalance.objects.select_for_update().get(tenant=tenant)
            removable = min(balance.balance, credited.amount)
            # A zero-amount row is still written: it marks the purchase as reversed.
            previous, _ = _move(
                tenant=tenant,
                amount=-removable,
                kind=TransactionKind.ADJUSTMENT,
                purchase=purchase,
                admin=admin,
                note=note,
            )
        return previous, credited.amount + previous.amount


def credits_low_balance_threshold_set(
    *, tenant: Tenant, threshold: int, actor: User | None = None
) -> CreditBalance:
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
        raise ApplicationError("O limite de alerta deve ser zero ou mais.", field="threshold")
    with transaction.atomic():
        balance = credits_balance_get(tenant=tenant)
        CreditBalance.objects.filter(tenant=tenant).update(
            low_balance_threshold=threshold, updated_at=timezone.now()
        )
        balance.refresh_from_db()
        audit_log_record(
            action="credits.threshold_set",
            user=actor,
            tenant=tenant,
            obj=balance,
            details={"fields": ["low_balance_threshold"]},
        )
    return balance
