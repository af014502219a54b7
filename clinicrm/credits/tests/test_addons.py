"""Unit tests of the add-on credit services and the statement selectors."""

import datetime as dt
import uuid

import pytest
import time_machine
from django.db import IntegrityError, transaction

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Notification
from clinicrm.core.timeutils import SAO_PAULO
from clinicrm.credits.models import AddonCredit, AddonProduct, AddonTransaction
from clinicrm.credits.selectors import (
    addon_transactions_page,
    addon_types_for_tenant,
)
from clinicrm.credits.services import (
    AddonCreditsUnavailable,
    AddonLimitExceeded,
    InsufficientAddonCredits,
    addon_credit_get_or_create,
    addon_credit_settings_update,
    addon_credits_add,
    addon_credits_consume,
)

pytestmark = pytest.mark.django_db

SMS = "sms"


def _sp(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SAO_PAULO)


def _state(tenant) -> tuple[int, int, int]:
    credit = AddonCredit.objects.filter(tenant=tenant, addon_type=SMS).first()
    return (
        credit.balance if credit else 0,
        AddonTransaction.objects.filter(tenant=tenant).count(),
        (credit.daily_used or 0) if credit else 0,
    )


def test_add_and_consume_with_before_and_after(tenant, staff_user):
    product = AddonProduct.objects.create(slug="sms-100", name="SMS 100", addon_type=SMS)
    bought = addon_credits_add(
        tenant=tenant,
        addon_type=SMS,
        amount=100,
        product=product,
        admin=staff_user,
        payment_reference="pay_1",
        price_cents=1990,
    )
    assert (bought.balance_before, bought.balance_after) == (0, 100)
    used = addon_credits_consume(tenant=tenant, addon_type=SMS, amount=3)
    assert (used.type, used.amount, used.balance_before, used.balance_after) == (
        "consumption",
        -3,
        100,
        97,
    )
    credit = AddonCredit.objects.get(tenant=tenant, addon_type=SMS)
    assert (credit.balance, credit.total_purchased, credit.total_consumed) == (97, 100, 3)


def test_purchase_with_same_payment_reference_is_credited_once(tenant):
    first = addon_credits_add(tenant=tenant, addon_type=SMS, amount=10, payment_reference="p")
    again = addon_credits_add(tenant=tenant, addon_type=SMS, amount=10, payment_reference="p")
    assert first.pk == again.pk
    assert _state(tenant)[:2] == (10, 1)


def test_consumption_with_same_queue_id_is_recorded_once(tenant):
    addon_credits_add(tenant=tenant, addon_type=SMS, amount=10)
    queue_id = uuid.uuid4()
    first = addon_credits_consume(tenant=tenant, addon_type=SMS, queue_id=queue_id)
    again = addon_credits_consume(tenant=tenant, addon_type=SMS, queue_id=queue_id)
    assert first.pk == again.pk
    assert _state(tenant)[:2] == (9, 2)
    with pytest.raises(IntegrityError), transaction.atomic():
        AddonTransaction.objects.create(
            tenant=tenant, addon_type=SMS, type="consumption", amount=-1, queue_id=queue_id
        )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"amount": 0},
        {"amount": -3},
        {"amount": 2.5},
        {"amount": 5, "type": "consumption"},
        {"amount": 5, "addon_type": " "},
        {"amount": 5, "price_cents": -1},
    ],
)
def test_bad_add_changes_nothing(tenant, kwargs):
    addon_credits_add(tenant=tenant, addon_type=SMS, amount=4)
    before = _state(tenant)
    with pytest.raises(ApplicationError):
        addon_credits_add(tenant=tenant, **{"addon_type": SMS, **kwargs})
    assert _state(tenant) == before


def test_negative_adjustment_never_below_zero(tenant, staff_user):
    addon_credits_add(tenant=tenant, addon_type=SMS, amount=4)
    row = addon_credits_add(
        tenant=tenant, addon_type=SMS, amount=-3, type="adjustment", admin=staff_user
    )
    assert (row.balance_before, row.balance_after) == (4, 1)
    with pytest.raises(InsufficientAddonCredits):
        addon_credits_add(
            tenant=tenant, addon_type=SMS, amount=-2, type="adjustment", admin=staff_user
        )
    assert _state(tenant)[:2] == (1, 2)


def test_consume_without_credits_or_inactive_is_refused(tenant):
    with pytest.raises(AddonCreditsUnavailable):
        addon_credits_consume(tenant=tenant, addon_type=SMS)
    addon_credits_add(tenant=tenant, addon_type=SMS, amount=1)
    addon_credits_consume(tenant=tenant, addon_type=SMS)
    before = _state(tenant)
    with pytest.raises(InsufficientAddonCredits) as exc:
        addon_credits_consume(tenant=tenant, addon_type=SMS)
    assert "insuficiente" in exc.value.message
    assert _state(tenant) == before
    AddonCredit.objects.filter(tenant=tenant).update(is_active=False, balance=5)
    with pytest.raises(AddonCreditsUnavailable):
        addon_credits_consume(tenant=tenant, addon_type=SMS)


def test_expired_credits_cannot_be_consumed(tenant):
    with time_machine.travel(_sp(2026, 5, 10, 9, 0), tick=False):
        addon_credits_add(tenant=tenant, addon_type=SMS, amount=10)
        AddonCredit.objects.filter(tenant=tenant).update(expires_at=_sp(2026, 5, 10, 12, 0))
        addon_credits_consume(tenant=tenant, addon_type=SMS)
    with time_machine.travel(_sp(2026, 5, 10, 12, 0), tick=False):
        before = _state(tenant)
        with pytest.raises(AddonCreditsUnavailable) as exc:
            addon_credits_consume(tenant=tenant, addon_type=SMS)
        assert "expiraram em 10/05/2026" in exc.value.message
        assert _state(tenant) == before


def test_hourly_limit_resets_next_hour(tenant):
    addon_credits_add(tenant=tenant, addon_type=SMS, amount=50)
    AddonCredit.objects.filter(tenant=tenant).update(hourly_limit=3)
    with time_machine.travel(_sp(2026, 5, 10, 9, 10), tick=False):
        addon_credits_consume(tenant=tenant, addon_type=SMS, amount=2)
        addon_credits_consume(tenant=tenant, addon_type=SMS)
        before = _state(tenant)
        with pytest.raises(AddonLimitExceeded) as exc:
            addon_credits_consume(tenant=tenant, addon_type=SMS)
        assert exc.value.extra == {"limit": "hourly"}
        assert "Limite por hora atingido (3 por hora)" in exc.value.message
        assert "10:00" in exc.value.message
        assert _state(tenant) == before
    with time_machine.travel(_sp(2026, 5, 10, 10, 0), tick=False):
        addon_credits_consume(tenant=tenant, addon_type=SMS, amount=3)
    assert AddonCredit.objects.get(tenant=tenant).hourly_used == 3


def test_daily_limit_resets_at_sao_paulo_midnight(tenant):
    addon_credits_add(tenant=tenant, addon_type=SMS, amount=50)
    AddonCredit.objects.filter(tenant=tenant).update(daily_limit=2)
    with time_machine.travel(_sp(2026, 5, 10, 23, 50), tick=False):
        addon_credits_consume(tenant=tenant, addon_type=SMS, amount=2)
        with pytest.raises(AddonLimitExceeded) as exc:
            addon_credits_consume(tenant=tenant, addon_type=SMS)
        assert exc.value.extra == {"limit": "daily"}
        assert "Limite diário atingido" in exc.value.message
    # 00:05 in São Paulo is 03:05 UTC: a new local day.
    with time_machine.travel(_sp(2026, 5, 11, 0, 5), tick=False):
        addon_credits_consume(tenant=tenant, addon_type=SMS, amount=2)
    credit = AddonCredit.objects.get(tenant=tenant)
    assert (credit.daily_used, credit.balance) == (2, 46)
    assert credit.daily_reset_at == _sp(2026, 5, 12, 0, 0)


def test_low_balance_notified_once_per_crossing(tenant, owner):
    addon_credits_add(tenant=tenant, addon_type=SMS, amount=12)  # threshold default 10
    addon_credits_consume(tenant=tenant, addon_type=SMS, amount=2)  # 10: not below
    assert not Notification.objects.exists()
    addon_credits_consume(tenant=tenant, addon_type=SMS)  # 9: crosses
    addon_credits_consume(tenant=tenant, addon_type=SMS)  # 8
    assert Notification.objects.filter(user=owner, kind="addons.low_balance").count() == 1
    assert AddonCredit.objects.get(tenant=tenant).low_balance_notified is True
    addon_credits_add(tenant=tenant, addon_type=SMS, amount=5)  # 13: re-armed
    assert AddonCredit.objects.get(tenant=tenant).low_balance_notified is False
    addon_credits_consume(tenant=tenant, addon_type=SMS, amount=4)  # 9: crosses again
    assert Notification.objects.filter(kind="addons.low_balance").count() == 2


def test_settings_update_validates(tenant, staff_user):
    credit = addon_credit_get_or_create(tenant=tenant, addon_type=SMS)
    with pytest.raises(ApplicationError) as exc:
        addon_credit_settings_update(
            credit=credit,
            actor=staff_user,
            daily_limit=-1,
            hourly_limit=None,
            low_balance_threshold=5,
            expires_at=None,
            is_active=True,
        )
    assert exc.value.field == "daily_limit"
    credit.refresh_from_db()
    assert credit.low_balance_threshold == 10
    addon_credit_settings_update(
        credit=credit,
        actor=staff_user,
        daily_limit=100,
        hourly_limit=10,
        low_balance_threshold=5,
        expires_at=None,
        is_active=True,
    )
    credit.refresh_from_db()
    assert (credit.daily_limit, credit.hourly_limit, credit.low_balance_threshold) == (100, 10, 5)


def test_statement_filters_by_type_and_period(tenant, other_tenant):
    with time_machine.travel(_sp(2026, 5, 1, 10, 0), tick=False):
        addon_credits_add(tenant=tenant, addon_type=SMS, amount=10, price_cents=990)
    with time_machine.travel(_sp(2026, 5, 3, 23, 30), tick=False):
        addon_credits_add(tenant=tenant, addon_type="ia", amount=5)
        addon_credits_consume(tenant=tenant, addon_type=SMS)
    addon_credits_add(tenant=other_tenant, addon_type=SMS, amount=7)
    may3 = dt.date(2026, 5, 3)
    assert addon_transactions_page(tenant=tenant).paginator.count == 3
    assert addon_transactions_page(tenant=tenant, addon_type=SMS).paginator.count == 2
    page = addon_transactions_page(tenant=tenant, date_from=may3, date_to=may3)
    assert page.paginator.count == 2
    assert addon_types_for_tenant(tenant=tenant) == ["ia", SMS]
