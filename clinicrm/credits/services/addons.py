"""Writes of the generic add-on credits (one balance per tenant and add-on type).

Every movement locks the `addon_credits` row (`select_for_update` on PostgreSQL; on SQLite the
IMMEDIATE transaction holds the write lock from BEGIN), checks expiry and the hourly/daily windows,
changes the balance and counters and inserts one `addon_transactions` row with
`balance_before`/`balance_after`, all in one transaction. A consumption tied to a queue item and a
purchase tied to a payment reference are recorded once (partial unique indexes); replays return the
stored row.

Windows are calendar windows in São Paulo time: `hourly_reset_at` / `daily_reset_at` hold the
moment the current counter expires (next full hour / next local midnight). A consumption at or after
that moment starts a new window with the counter at zero.
"""

import datetime as dt
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant, User
from clinicrm.core.services import audit_log_record
from clinicrm.core.timeutils import SAO_PAULO
from clinicrm.credits.errors import (
    AddonCreditsUnavailable,
    AddonLimitExceeded,
    InsufficientAddonCredits,
)
from clinicrm.credits.models import (
    AddonCredit,
    AddonProduct,
    AddonTransaction,
    AddonTransactionType,
)
from clinicrm.credits.services._notify import managers_notify

_ADD_TYPES = frozenset(
    {
        AddonTransactionType.PURCHASE,
        AddonTransactionType.BONUS,
        AddonTransactionType.REFUND,
        AddonTransactionType.ADJUSTMENT,
    }
)
# The audit action of a staff member's move of each type, written out so the audit page's
# labels can be checked against every action the code writes (compliance/actions.py).
_ADD_AUDIT_ACTIONS: dict[str, str] = {
    AddonTransactionType.PURCHASE: "addons.purchase",
    AddonTransactionType.BONUS: "addons.bonus",
    AddonTransactionType.REFUND: "addons.refund",
    AddonTransactionType.ADJUSTMENT: "addons.adjustment",
}
_MAX_MOVEMENT = 10_000_000


def _check_type(addon_type: str) -> str:
    addon_type = (addon_type or "").strip()
    if not addon_type or len(addon_type) > 60:
        raise ApplicationError("Tipo de adicional inválido.", field="addon_type")
    return addon_type


def _check_amount(amount: Any, *, allow_negative: bool = False) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ApplicationError("Informe um número inteiro de créditos.", field="amount")
    if amount == 0 or (amount < 0 and not allow_negative):
        raise ApplicationError("A quantidade de créditos deve ser maior que zero.", field="amount")
    if abs(amount) > _MAX_MOVEMENT:
        raise ApplicationError("Quantidade de créditos grande demais.", field="amount")
    return amount


def _next_hour(now: dt.datetime) -> dt.datetime:
    local = now.astimezone(SAO_PAULO).replace(minute=0, second=0, microsecond=0)
    return (local + dt.timedelta(hours=1)).astimezone(dt.UTC)


def _next_midnight(now: dt.datetime) -> dt.datetime:
    day = now.astimezone(SAO_PAULO).date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=SAO_PAULO).astimezone(dt.UTC)


def _local_hm(moment: dt.datetime) -> str:
    return moment.astimezone(SAO_PAULO).strftime("%H:%M")


def addon_credit_get_or_create(*, tenant: Tenant, addon_type: str) -> AddonCredit:
    addon_type = _check_type(addon_type)
    credit = AddonCredit.objects.filter(tenant=tenant, addon_type=addon_type).first()
    if credit is not None:
        return credit
    try:
        with transaction.atomic():
            return AddonCredit.objects.create(tenant=tenant, addon_type=addon_type)
    except IntegrityError:
        return AddonCredit.objects.get(tenant=tenant, addon_type=addon_type)


def _locked(*, tenant: Tenant, addon_type: str) -> AddonCredit | None:
    return (
        AddonCredit.objects.select_for_update().filter(tenant=tenant, addon_type=addon_type).first()
    )


def _replay(
    *, tenant: Tenant, addon_type: str, type: str, queue_id: uuid.UUID | None, reference: str | None
) -> AddonTransaction | None:
    rows = AddonTransaction.objects.filter(tenant=tenant, addon_type=addon_type, type=type)
    if queue_id is not None:
        return rows.filter(queue_id=queue_id).first()
    if reference:
        return rows.filter(payment_reference=reference).first()
    return None


def _low_balance_track(*, credit: AddonCredit, before: int) -> None:
    """Once per downward crossing of the threshold; climbing back above re-arms the alert."""
    threshold = credit.low_balance_threshold
    if threshold is None:
        return
    if credit.balance < threshold <= before and not credit.low_balance_notified:
        credit.low_balance_notified = True
        managers_notify(
            tenant=credit.tenant,
            kind="addons.low_balance",
            title="Saldo baixo de créditos adicionais",
            body=f"Restam {credit.balance} créditos de {credit.addon_type}.",
        )
    elif credit.balance >= threshold and credit.low_balance_notified:
        credit.low_balance_notified = False


def addon_credits_add(
    *,
    tenant: Tenant,
    addon_type: str,
    amount: int,
    type: str = AddonTransactionType.PURCHASE,
    product: AddonProduct | None = None,
    admin: User | None = None,
    owner: User | None = None,
    payment_method: str | None = None,
    payment_reference: str | None = None,
    price_cents: int | None = None,
    description: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> AddonTransaction:
    """Credit add-on credits (purchase/bonus/refund/adjustment). `amount` > 0, except a negative
    `adjustment` that removes credits (never below zero). A purchase with a `payment_reference`
    is credited once."""
    addon_type = _check_type(addon_type)
    if type not in _ADD_TYPES:
        raise ApplicationError("Tipo de movimento inválido.", field="type")
    amount = _check_amount(amount, allow_negative=type == AddonTransactionType.ADJUSTMENT)
    if price_cents is not None and price_cents < 0:
        raise ApplicationError("Preço inválido.", field="price_cents")
    reference = (payment_reference or "").strip() or None
    addon_credit_get_or_create(tenant=tenant, addon_type=addon_type)
    try:
        with transaction.atomic():
            credit = _locked(tenant=tenant, addon_type=addon_type)
            assert credit is not None
            replay = _replay(
                tenant=tenant, addon_type=addon_type, type=type, queue_id=None, reference=reference
            )
            if replay is not None:
                return replay
            before = credit.balance
            if before + amount < 0:
                raise InsufficientAddonCredits(
                    "Saldo de créditos adicionais insuficiente para o ajuste.", field="amount"
                )
            credit.balance = before + amount
            if amount > 0 and type in (AddonTransactionType.PURCHASE, AddonTransactionType.BONUS):
                credit.total_purchased = (credit.total_purchased or 0) + amount
            if type == AddonTransactionType.REFUND:
                credit.total_consumed = max(0, credit.total_consumed - amount)
            if owner is not None and credit.owner_id is None:
                credit.owner = owner
            _low_balance_track(credit=credit, before=before)
            credit.save()
            row = AddonTransaction.objects.create(
                tenant=tenant,
                owner=owner,
                addon_type=addon_type,
                type=type,
                amount=amount,
                balance_before=before,
                balance_after=credit.balance,
                product=product,
                description=description,
                admin_user=admin,
                payment_method=payment_method,
                payment_reference=reference,
                price_cents=price_cents,
                metadata=metadata or {},
            )
            if admin is not None:
                audit_log_record(
                    action=_ADD_AUDIT_ACTIONS[type],
                    user=admin,
                    tenant=tenant,
                    obj=row,
                    details={"addon_type": addon_type, "fields": ["amount"]},
                )
            return row
    except IntegrityError:
        replay = _replay(
            tenant=tenant, addon_type=addon_type, type=type, queue_id=None, reference=reference
        )
        if replay is None:
            raise
        return replay


def addon_credits_consume(
    *,
    tenant: Tenant,
    addon_type: str,
    amount: int = 1,
    queue_id: uuid.UUID | None = None,
    owner: User | None = None,
    description: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> AddonTransaction:
    """Consume add-on credits, refused with a pt-BR reason when unavailable, expired, over the
    hourly or daily limit, or short of balance (nothing changes then). With `queue_id` the
    consumption is recorded once; a replay returns the first row."""
    addon_type = _check_type(addon_type)
    amount = _check_amount(amount)
    consume = AddonTransactionType.CONSUMPTION
    try:
        with transaction.atomic():
            credit = _locked(tenant=tenant, addon_type=addon_type)
            if credit is None or not credit.is_active:
                raise AddonCreditsUnavailable(
                    "Este recurso adicional não está disponível para a clínica.",
                    field="addon_type",
                )
            replay = _replay(
                tenant=tenant,
                addon_type=addon_type,
                type=consume,
                queue_id=queue_id,
                reference=None,
            )
            if replay is not None:
                return replay
            now = timezone.now()
            if credit.expires_at is not None and credit.expires_at <= now:
                day = credit.expires_at.astimezone(SAO_PAULO).strftime("%d/%m/%Y")
                raise AddonCreditsUnavailable(f"Os créditos adicionais expiraram em {day}.")
            if credit.hourly_reset_at is None or now >= credit.hourly_reset_at:
                credit.hourly_used, credit.hourly_reset_at = 0, _next_hour(now)
            if credit.daily_reset_at is None or now >= credit.daily_reset_at:
                credit.daily_used, credit.daily_reset_at = 0, _next_midnight(now)
            hourly_used, daily_used = credit.hourly_used or 0, credit.daily_used or 0
            if credit.hourly_limit is not None and hourly_used + amount > credit.hourly_limit:
                raise AddonLimitExceeded(
                    f"Limite por hora atingido ({credit.hourly_limit} por hora). "
                    f"Tente novamente após {_local_hm(credit.hourly_reset_at)}.",
                    extra={"limit": "hourly"},
                )
            if credit.daily_limit is not None and daily_used + amount > credit.daily_limit:
                raise AddonLimitExceeded(
                    f"Limite diário atingido ({credit.daily_limit} por dia). "
                    "Tente novamente amanhã.",
                    extra={"limit": "daily"},
                )
            before = credit.balance
            if before < amount:
                raise InsufficientAddonCredits("Saldo de créditos adicionais insuficiente.")
            credit.balance = before - amount
            credit.total_consumed += amount
            credit.hourly_used = hourly_used + amount
            credit.daily_used = daily_used + amount
            _low_balance_track(credit=credit, before=before)
            credit.save()
            return AddonTransaction.objects.create(
                tenant=tenant,
                owner=owner,
                addon_type=addon_type,
                type=consume,
                amount=-amount,
                balance_before=before,
                balance_after=credit.balance,
                queue_id=queue_id,
                description=description,
                metadata=metadata or {},
            )
    except IntegrityError:
        replay = _replay(
            tenant=tenant, addon_type=addon_type, type=consume, queue_id=queue_id, reference=None
        )
        if replay is None:
            raise
        return replay


def addon_credit_settings_update(
    *,
    credit: AddonCredit,
    actor: User | None,
    daily_limit: int | None,
    hourly_limit: int | None,
    low_balance_threshold: int | None,
    expires_at: dt.datetime | None,
    is_active: bool,
) -> AddonCredit:
    """Staff settings of one add-on balance (limits, alert threshold, expiry, active)."""
    for name, value in (
        ("daily_limit", daily_limit),
        ("hourly_limit", hourly_limit),
        ("low_balance_threshold", low_balance_threshold),
    ):
        if value is not None and (isinstance(value, bool) or value < 0):
            raise ApplicationError("Informe zero ou um número positivo.", field=name)
    with transaction.atomic():
        AddonCredit.objects.filter(pk=credit.pk).update(
            daily_limit=daily_limit,
            hourly_limit=hourly_limit,
            low_balance_threshold=low_balance_threshold,
            expires_at=expires_at,
            is_active=is_active,
            updated_at=timezone.now(),
        )
        credit.refresh_from_db()
        audit_log_record(
            action="addons.settings_update",
            user=actor,
            tenant=credit.tenant,
            obj=credit,
            details={
                "fields": [
                    "daily_limit",
                    "hourly_limit",
                    "low_balance_threshold",
                    "expires_at",
                    "is_active",
                ]
            },
        )
    return credit
