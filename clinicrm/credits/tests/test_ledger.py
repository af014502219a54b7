"""Unit tests of the WhatsApp credit ledger services."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import AuditLog, Notification, Role
from clinicrm.credits.models import (
    CreditBalance,
    CreditPackage,
    CreditPurchase,
    CreditTransaction,
    TransactionKind,
)
from clinicrm.credits.selectors import credits_balance_value, credits_transactions_sum
from clinicrm.credits.services import (
    InsufficientCredits,
    credits_add,
    credits_adjust,
    credits_balance_get,
    credits_deduct,
    credits_low_balance_threshold_set,
    credits_purchase_reverse,
    credits_refund,
)

pytestmark = pytest.mark.django_db


def _purchase(tenant, credits: int = 100) -> CreditPurchase:
    return CreditPurchase.objects.create(
        tenant=tenant, package_name="Pacote", credits=credits, amount_brl=Decimal("49.90")
    )


def _snapshot(tenant) -> tuple[int, int, int]:
    row = CreditBalance.objects.filter(tenant=tenant).first()
    balance = row.balance if row else 0
    return (
        balance,
        CreditTransaction.objects.filter(tenant=tenant).count(),
        AuditLog.objects.count(),
    )


def test_balance_row_has_schema_defaults(tenant):
    balance = credits_balance_get(tenant=tenant)
    balance.refresh_from_db()
    assert (balance.balance, balance.low_balance_threshold, balance.lifetime_used) == (0, 20, 0)
    assert credits_balance_get(tenant=tenant).pk == tenant.pk


def test_purchase_credits_once(tenant):
    purchase = _purchase(tenant)
    first = credits_add(tenant=tenant, amount=100, kind="purchase", purchase=purchase)
    again = credits_add(tenant=tenant, amount=100, kind="purchase", purchase=purchase)
    assert first.pk == again.pk
    assert first.balance_after == 100
    row = CreditBalance.objects.get(tenant=tenant)
    assert (row.balance, row.lifetime_purchased) == (100, 100)
    assert CreditTransaction.objects.filter(tenant=tenant).count() == 1


def test_purchase_of_another_tenant_is_refused(tenant, other_tenant):
    purchase = _purchase(other_tenant)
    with pytest.raises(ApplicationError):
        credits_add(tenant=tenant, amount=100, kind="purchase", purchase=purchase)
    assert _snapshot(tenant)[:2] == (0, 0)


def test_manual_topup_records_admin_and_audit(tenant, staff_user):
    row = credits_add(tenant=tenant, amount=30, kind="topup_manual", admin=staff_user, note="bônus")
    assert row.admin_id == staff_user.pk
    assert row.kind == TransactionKind.TOPUP_MANUAL
    audit = AuditLog.objects.get(action="credits.topup_manual")
    assert audit.user_id == staff_user.pk
    assert "bônus" not in str(audit.details)


@pytest.mark.parametrize("amount", [0, -5, 1.5, "10", True])
def test_bad_topup_changes_nothing(tenant, staff_user, amount):
    credits_add(tenant=tenant, amount=10, kind="topup_manual", admin=staff_user)
    before = _snapshot(tenant)
    with pytest.raises(ApplicationError) as exc:
        credits_add(tenant=tenant, amount=amount, kind="topup_manual", admin=staff_user)
    assert exc.value.field == "amount"
    assert _snapshot(tenant) == before


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "usage"}, "kind"),
        ({"kind": "refund"}, "kind"),
        ({"kind": "topup_manual"}, "admin"),
        ({"kind": "purchase"}, "purchase"),
    ],
)
def test_add_refuses_wrong_kind_or_missing_cause(tenant, kwargs, field):
    with pytest.raises(ApplicationError) as exc:
        credits_add(tenant=tenant, amount=10, **kwargs)
    assert exc.value.field == field
    assert _snapshot(tenant)[:2] == (0, 0)


def test_deduct_and_refund(tenant, staff_user):
    credits_add(tenant=tenant, amount=5, kind="topup_manual", admin=staff_user)
    usage = credits_deduct(tenant=tenant, message_id=1)
    assert (usage.kind, usage.amount, usage.balance_after) == ("usage", -1, 4)
    assert credits_deduct(tenant=tenant, message_id=1).pk == usage.pk  # replay
    refund = credits_refund(tenant=tenant, message_id=1)
    assert (refund.kind, refund.amount, refund.balance_after) == ("refund", 1, 5)
    assert credits_refund(tenant=tenant, message_id=1).pk == refund.pk  # replay
    row = CreditBalance.objects.get(tenant=tenant)
    assert (row.balance, row.lifetime_used, row.lifetime_purchased) == (5, 0, 5)
    assert credits_transactions_sum(tenant=tenant) == 5


def test_deduct_amount_greater_than_one(tenant, staff_user):
    credits_add(tenant=tenant, amount=5, kind="topup_manual", admin=staff_user)
    usage = credits_deduct(tenant=tenant, message_id=9, amount=3)
    assert usage.amount == -3
    assert credits_refund(tenant=tenant, message_id=9).amount == 3
    assert credits_balance_value(tenant=tenant) == 5


def test_deduct_without_balance_raises_and_changes_nothing(tenant):
    with pytest.raises(InsufficientCredits) as exc:
        credits_deduct(tenant=tenant, message_id=7)
    assert exc.value.message == "Saldo de créditos WhatsApp insuficiente."
    assert credits_balance_value(tenant=tenant) == 0
    assert not CreditTransaction.objects.exists()


def test_replayed_deduct_at_zero_balance_returns_the_charge(tenant, staff_user):
    credits_add(tenant=tenant, amount=1, kind="topup_manual", admin=staff_user)
    usage = credits_deduct(tenant=tenant, message_id=3)
    assert credits_deduct(tenant=tenant, message_id=3).pk == usage.pk
    assert credits_balance_value(tenant=tenant) == 0


@pytest.mark.parametrize("message_id", [None, "12", 1.0, True])
def test_deduct_bad_message_id(tenant, staff_user, message_id):
    credits_add(tenant=tenant, amount=3, kind="topup_manual", admin=staff_user)
    before = _snapshot(tenant)
    with pytest.raises(ApplicationError):
        credits_deduct(tenant=tenant, message_id=message_id)
    assert _snapshot(tenant) == before


def test_refund_without_usage_is_refused(tenant, staff_user):
    credits_add(tenant=tenant, amount=3, kind="topup_manual", admin=staff_user)
    before = _snapshot(tenant)
    with pytest.raises(ApplicationError):
        credits_refund(tenant=tenant, message_id=404)
    assert _snapshot(tenant) == before


def test_refund_of_another_tenants_message_is_refused(tenant, other_tenant, staff_user):
    credits_add(tenant=other_tenant, amount=3, kind="topup_manual", admin=staff_user)
    credits_deduct(tenant=other_tenant, message_id=55)
    with pytest.raises(ApplicationError):
        credits_refund(tenant=tenant, message_id=55)
    assert credits_balance_value(tenant=tenant) == 0
    assert credits_balance_value(tenant=other_tenant) == 2


def test_adjust_removes_but_never_below_zero(tenant, staff_user):
    credits_add(tenant=tenant, amount=10, kind="topup_manual", admin=staff_user)
    row = credits_adjust(tenant=tenant, amount=-4, admin=staff_user, note="correção")
    assert (row.amount, row.balance_after, row.note) == (-4, 6, "correção")
    before = _snapshot(tenant)
    with pytest.raises(InsufficientCredits):
        credits_adjust(tenant=tenant, amount=-7, admin=staff_user, note="demais")
    assert _snapshot(tenant) == before
    assert AuditLog.objects.filter(action="credits.adjustment").count() == 1


@pytest.mark.parametrize(("amount", "note"), [(0, "x"), (5, ""), (5, "   ")])
def test_adjust_bad_input_changes_nothing(tenant, staff_user, amount, note):
    before = _snapshot(tenant)
    with pytest.raises(ApplicationError):
        credits_adjust(tenant=tenant, amount=amount, admin=staff_user, note=note)
    assert _snapshot(tenant) == before


def test_purchase_reverse_removes_what_it_can_once(tenant, staff_user):
    purchase = _purchase(tenant, credits=10)
    credits_add(tenant=tenant, amount=10, kind="purchase", purchase=purchase)
    for message_id in range(4):
        credits_deduct(tenant=tenant, message_id=message_id)
    row, shortfall = credits_purchase_reverse(purchase=purchase)
    assert row is not None
    assert (row.amount, row.balance_after, shortfall) == (-6, 0, 4)
    again, shortfall_again = credits_purchase_reverse(purchase=purchase)
    assert again is not None and again.pk == row.pk and shortfall_again == 4
    assert credits_balance_value(tenant=tenant) == 0
    assert credits_transactions_sum(tenant=tenant) == 0


def test_purchase_reverse_of_uncredited_purchase_does_nothing(tenant):
    purchase = _purchase(tenant)
    assert credits_purchase_reverse(purchase=purchase) == (None, 0)
    assert not CreditTransaction.objects.exists()


def test_low_balance_alerts_once_per_crossing(tenant, owner, member_factory, staff_user):
    admin = member_factory(Role.ADMIN)
    secretary = member_factory(Role.SECRETARY)
    inactive_admin = member_factory(Role.ADMIN, email="ex@alfa.test")
    inactive_admin.memberships.update(is_active=False)
    credits_add(tenant=tenant, amount=22, kind="topup_manual", admin=staff_user)
    credits_deduct(tenant=tenant, message_id=1)  # 21
    credits_deduct(tenant=tenant, message_id=2)  # 20: not below yet
    assert not Notification.objects.exists()
    credits_deduct(tenant=tenant, message_id=3)  # 19: crosses
    credits_deduct(tenant=tenant, message_id=4)  # 18: still low, no new alert
    notified = set(Notification.objects.values_list("user_id", flat=True))
    assert notified == {owner.pk, admin.pk}
    assert secretary.pk not in notified
    assert CreditBalance.objects.get(tenant=tenant).low_balance_alerted_at is not None
    note = Notification.objects.first()
    assert note is not None and note.kind == "credits.low_balance"
    # Going back above re-arms the alert; the next crossing alerts again.
    credits_add(tenant=tenant, amount=10, kind="topup_manual", admin=staff_user)  # 28
    assert CreditBalance.objects.get(tenant=tenant).low_balance_alerted_at is None
    for message_id in range(10, 19):
        credits_deduct(tenant=tenant, message_id=message_id)  # 28 -> 19
    assert Notification.objects.count() == 4


def test_threshold_set(tenant, owner):
    credits_low_balance_threshold_set(tenant=tenant, threshold=5, actor=owner)
    assert CreditBalance.objects.get(tenant=tenant).low_balance_threshold == 5
    with pytest.raises(ApplicationError):
        credits_low_balance_threshold_set(tenant=tenant, threshold=-1, actor=owner)
    assert CreditBalance.objects.get(tenant=tenant).low_balance_threshold == 5


def test_database_refuses_a_second_charge_or_negative_balance(tenant, staff_user):
    credits_add(tenant=tenant, amount=2, kind="topup_manual", admin=staff_user)
    credits_deduct(tenant=tenant, message_id=77)
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditTransaction.objects.create(
            tenant=tenant, kind="usage", amount=-1, balance_after=0, conversation_message_id=77
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditBalance.objects.filter(tenant=tenant).update(balance=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditTransaction.objects.create(tenant=tenant, kind="bogus", amount=1, balance_after=0)


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "", "credits": 10, "price_brl": Decimal("1.00")},
        {"name": "x" * 101, "credits": 10, "price_brl": Decimal("1.00")},
        {"name": "P", "credits": 0, "price_brl": Decimal("1.00")},
        {"name": "P", "credits": 10, "price_brl": Decimal("0.00")},
    ],
)
def test_package_check_constraints(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditPackage.objects.create(**fields)
    assert not CreditPackage.objects.exists()


def test_purchase_status_check(tenant):
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditPurchase.objects.create(
            tenant=tenant, package_name="P", credits=1, amount_brl=Decimal("1"), status="lost"
        )


def test_transaction_selectors_filter_by_kind_and_period(tenant, other_tenant, staff_user):
    import datetime as dt

    import time_machine

    from clinicrm.core.timeutils import SAO_PAULO
    from clinicrm.credits.selectors import credits_staff_movements, credits_transactions_page

    with time_machine.travel(dt.datetime(2026, 3, 1, 23, 30, tzinfo=SAO_PAULO), tick=False):
        credits_add(tenant=tenant, amount=10, kind="topup_manual", admin=staff_user)
    with time_machine.travel(dt.datetime(2026, 3, 2, 8, 0, tzinfo=SAO_PAULO), tick=False):
        credits_deduct(tenant=tenant, message_id=501)
        credits_refund(tenant=tenant, message_id=501)
    credits_add(tenant=other_tenant, amount=5, kind="topup_manual", admin=staff_user)
    assert credits_transactions_page(tenant=tenant).paginator.count == 3
    assert credits_transactions_page(tenant=tenant, kind="usage").paginator.count == 1
    march1 = dt.date(2026, 3, 1)
    page = credits_transactions_page(tenant=tenant, date_from=march1, date_to=march1)
    assert [tx.kind for tx in page] == ["topup_manual"]
    page = credits_transactions_page(tenant=tenant, per_page=2, page=2)
    assert [tx.kind for tx in page] == ["topup_manual"]
    assert [tx.kind for tx in credits_staff_movements(tenant=tenant)] == ["refund", "topup_manual"]
    assert len(credits_staff_movements()) == 3


def test_active_packages_featured_first():
    from clinicrm.credits.selectors import credit_packages_active

    CreditPackage.objects.create(name="A", credits=100, price_brl=Decimal("10"), position=1)
    CreditPackage.objects.create(
        name="B", credits=500, price_brl=Decimal("40"), position=2, is_featured=True
    )
    CreditPackage.objects.create(name="C", credits=50, price_brl=Decimal("5"), is_active=False)
    assert [p.name for p in credit_packages_active()] == ["B", "A"]


def test_replay_and_refusal_inside_a_callers_transaction_keep_it_usable(tenant, staff_user):
    credits_add(tenant=tenant, amount=3, kind="topup_manual", admin=staff_user)
    with transaction.atomic():
        first = credits_deduct(tenant=tenant, message_id=11)
        assert credits_deduct(tenant=tenant, message_id=11).pk == first.pk
        with pytest.raises(InsufficientCredits):
            credits_deduct(tenant=tenant, message_id=12, amount=5)
        assert CreditTransaction.objects.filter(tenant=tenant).count() == 2
    assert credits_balance_value(tenant=tenant) == 2
