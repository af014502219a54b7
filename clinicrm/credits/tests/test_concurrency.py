"""Concurrency proofs of the ledger: 8 OS processes on one tenant, on the configured database
(run the file once with SQLite and once with PostgreSQL)."""

import multiprocessing
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count

from clinicrm.core.models import Tenant, User
from clinicrm.credits.models import CreditBalance, CreditTransaction
from clinicrm.credits.selectors import credits_transactions_sum
from clinicrm.credits.services import credits_add
from clinicrm.credits.tests import _workers

WORKERS = 8

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.xdist_group("concurrency"),
    pytest.mark.django_db(transaction=True),
]


def _run(target: Any, args_for: Any) -> list[Any]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    out = ctx.Queue()
    # The children must use the test database the parent is using (pytest-django renames it).
    db_name = str(connection.settings_dict["NAME"])
    procs = [
        ctx.Process(target=target, args=(db_name, *args_for(worker), barrier, out))
        for worker in range(WORKERS)
    ]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=180) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    return results


def _assert_ledger_consistent(tenant: Tenant) -> int:
    balance = CreditBalance.objects.get(tenant=tenant)
    assert balance.balance >= 0
    assert credits_transactions_sum(tenant=tenant) == balance.balance
    # Rows were inserted while holding the balance row, so replaying them in id order must give
    # every stored balance_after.
    running = 0
    for amount, after in (
        CreditTransaction.objects.filter(tenant=tenant)
        .order_by("id")
        .values_list("amount", "balance_after")
    ):
        running += amount
        assert running == after
    return balance.balance


@pytest.fixture
def funded(tenant, staff_user) -> Tenant:
    credits_add(tenant=tenant, amount=100, kind="topup_manual", admin=staff_user)
    return tenant


def test_400_deductions_on_100_credits(funded):
    results = _run(_workers.deduct_worker, lambda w: (str(funded.pk), w, 50))
    assert [errors for *_, errors in results] == [[]] * WORKERS
    assert sum(ok for _, ok, _, _ in results) == 100
    assert sum(insufficient for _, _, insufficient, _ in results) == 300
    assert _assert_ledger_consistent(funded) == 0
    assert CreditTransaction.objects.filter(tenant=funded, kind="usage").count() == 100
    balance = CreditBalance.objects.get(tenant=funded)
    assert (balance.lifetime_used, balance.lifetime_purchased) == (100, 100)


def test_mixed_topups_deductions_and_refunds(funded, staff_user):
    results = _run(_workers.mixed_worker, lambda w: (str(funded.pk), str(staff_user.pk), w, 50))
    assert [errors for *_, errors in results] == [[]] * WORKERS
    final = _assert_ledger_consistent(funded)
    rows = CreditTransaction.objects.filter(tenant=funded)
    kinds = Counter(rows.values_list("kind", flat=True))
    assert kinds["topup_manual"] == 1 + WORKERS * 5
    # Each message charged at most once and refunded at most once, a refund only after a charge.
    per_message = rows.exclude(conversation_message_id=None).values(
        "conversation_message_id", "kind"
    )
    assert not per_message.annotate(n=Count("id")).filter(n__gt=1).exists()
    charged = {
        m for m in rows.filter(kind="usage").values_list("conversation_message_id", flat=True) if m
    }
    refunded = {
        m for m in rows.filter(kind="refund").values_list("conversation_message_id", flat=True) if m
    }
    assert refunded <= charged
    assert len(refunded) > 0
    assert final == 100 + 5 * WORKERS * 5 - len(charged) + len(refunded)
    balance = CreditBalance.objects.get(tenant=funded)
    assert balance.lifetime_used == len(charged) - len(refunded)
    # The shared message ids (every worker raced for them) were charged exactly once each.
    shared = {m for m in charged if m >= 900_000}
    assert len(shared) == len(set(charged) & shared)
    assert User.objects.filter(pk=staff_user.pk).exists()
