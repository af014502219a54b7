"""The database keeps the ledger honest: a sign per kind, PROTECTed causes, no rewriting of rows
(PostgreSQL trigger), and the hourly job that compares each balance with the sum of its rows."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F, ProtectedError

from clinicrm.core.models import AuditLog, Notification
from clinicrm.core.scheduler import jobs_all
from clinicrm.credits.models import CreditBalance, CreditPurchase, CreditTransaction
from clinicrm.credits.services import credits_add, credits_adjust, credits_deduct
from clinicrm.credits.services.ledger_check import credits_ledger_check, credits_ledger_mismatches
from clinicrm.credits.tasks import credits_ledger_check_task

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only"
)


def _row(tenant, kind: str, amount: int, **extra) -> CreditTransaction:
    return CreditTransaction.objects.create(
        tenant=tenant, kind=kind, amount=amount, balance_after=0, **extra
    )


@pytest.mark.parametrize(
    ("kind", "amount"),
    [
        ("usage", 1),
        ("usage", 0),
        ("purchase", -5),
        ("purchase", 0),
        ("refund", -1),
        ("topup_manual", -10),
        ("topup_manual", 0),
    ],
)
def test_a_row_with_the_wrong_sign_for_its_kind_is_refused(tenant, kind, amount):
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(tenant, kind, amount)
    assert not CreditTransaction.objects.exists()


@pytest.mark.parametrize(
    ("kind", "amount"),
    [("usage", -1), ("purchase", 5), ("refund", 1), ("topup_manual", 3)]
    + [("adjustment", n) for n in (-7, 0, 7)],
)
def test_the_right_sign_is_accepted(tenant, kind, amount):
    _row(tenant, kind, amount)
    assert CreditTransaction.objects.get().amount == amount


def test_a_purchase_named_by_a_row_cannot_be_deleted(tenant):
    purchase = CreditPurchase.objects.create(
        tenant=tenant, package_name="P", credits=10, amount_brl=Decimal("9.90")
    )
    credits_add(tenant=tenant, amount=10, kind="purchase", purchase=purchase)
    with pytest.raises(ProtectedError):
        purchase.delete()
    assert CreditTransaction.objects.get().purchase_id == purchase.pk


def test_an_admin_named_by_a_row_cannot_be_deleted(tenant, staff_user):
    credits_add(tenant=tenant, amount=10, kind="topup_manual", admin=staff_user)
    with pytest.raises(ProtectedError):
        staff_user.delete()
    assert CreditTransaction.objects.get().admin_id == staff_user.pk


@postgresql_only
def test_postgresql_refuses_update_of_a_ledger_row(tenant, staff_user):
    row = credits_add(tenant=tenant, amount=10, kind="topup_manual", admin=staff_user)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        CreditTransaction.objects.filter(pk=row.pk).update(note="reescrito")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        row.amount = 1000
        row.save()
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE whatsapp_credits_transactions SET amount = 1000")
    row.refresh_from_db()
    assert (row.amount, row.note) == (10, None)


@postgresql_only
def test_postgresql_refuses_delete_of_a_ledger_row(tenant, staff_user):
    row = credits_add(tenant=tenant, amount=10, kind="topup_manual", admin=staff_user)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        CreditTransaction.objects.filter(pk=row.pk).delete()
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM whatsapp_credits_transactions")
    assert CreditTransaction.objects.filter(pk=row.pk).exists()


@postgresql_only
def test_postgresql_refuses_a_bad_row_written_in_raw_sql(tenant):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO whatsapp_credits_transactions"
            " (tenant_id, kind, amount, balance_after, created_at)"
            " VALUES (%s, 'usage', 5, 5, now())",
            [tenant.pk],
        )
    assert not CreditTransaction.objects.exists()


def test_ledger_check_finds_nothing_when_balance_matches(tenant, other_tenant, staff_user):
    credits_add(tenant=tenant, amount=10, kind="topup_manual", admin=staff_user)
    credits_deduct(tenant=tenant, message_id=1)
    credits_adjust(tenant=other_tenant, amount=4, admin=staff_user, note="cortesia")
    assert credits_ledger_mismatches() == []
    assert credits_ledger_check() == 0
    assert not Notification.objects.exists()


def test_ledger_check_tells_the_staff_once_about_a_diverging_balance(
    tenant, other_tenant, staff_user
):
    credits_add(tenant=tenant, amount=10, kind="topup_manual", admin=staff_user)
    credits_add(tenant=other_tenant, amount=3, kind="topup_manual", admin=staff_user)
    # Something wrote around the services.
    CreditBalance.objects.filter(tenant=tenant).update(balance=F("balance") + 5)

    [mismatch] = credits_ledger_mismatches()
    assert (mismatch.tenant_id, mismatch.balance, mismatch.total) == (tenant.pk, 15, 10)
    assert credits_ledger_check_task.call() == 1
    notice = Notification.objects.get()
    assert (notice.user_id, notice.tenant_id) == (staff_user.pk, tenant.pk)
    assert notice.kind == "credits.ledger_mismatch"
    assert "15" in notice.body and "10" in notice.body
    assert AuditLog.objects.filter(action="credits.ledger_mismatch", tenant=tenant).count() == 1

    # While the notice is unread, later runs audit again but do not pile up notices.
    assert credits_ledger_check() == 1
    assert Notification.objects.count() == 1
    assert AuditLog.objects.filter(action="credits.ledger_mismatch").count() == 2
    Notification.objects.update(read_at=notice.created_at)
    credits_ledger_check()
    assert Notification.objects.count() == 2


def test_ledger_check_sees_rows_without_a_balance_row(tenant):
    _row(tenant, "adjustment", 4, note="linha sem saldo")
    [mismatch] = credits_ledger_mismatches()
    assert (mismatch.tenant_id, mismatch.balance, mismatch.total) == (tenant.pk, 0, 4)


def test_ledger_check_is_a_scheduled_job():
    job = jobs_all()["credits.ledger_check"]
    assert job.task is credits_ledger_check_task
