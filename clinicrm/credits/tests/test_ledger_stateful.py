"""Hypothesis stateful test: random ledger operations keep balance == sum(transactions) >= 0,
charge a message once and never refund twice."""

import itertools

import pytest
from django.db.models import Count
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant, User
from clinicrm.credits.models import CreditBalance, CreditTransaction
from clinicrm.credits.selectors import credits_transactions_sum
from clinicrm.credits.services import (
    InsufficientCredits,
    credits_add,
    credits_adjust,
    credits_deduct,
    credits_refund,
)

# Message ids are global (one conversation_messages table), so every example draws fresh ones.
_ids = itertools.count(1)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        n = next(_ids)
        self.tenant = Tenant.objects.create(name=f"Clínica {n}", slug=f"hyp-{n}")
        self.admin = User.objects.filter(is_staff=True).first()
        self.balance = 0
        self.charged: dict[int, int] = {}  # message id -> credits charged
        self.refunded: set[int] = set()

    @rule(amount=st.integers(1, 40))
    def top_up(self, amount: int) -> None:
        row = credits_add(tenant=self.tenant, amount=amount, kind="topup_manual", admin=self.admin)
        self.balance += amount
        assert row.balance_after == self.balance

    @rule(amount=st.integers(1, 4))
    def deduct(self, amount: int) -> None:
        message_id = next(_ids)
        if amount > self.balance:
            try:
                credits_deduct(tenant=self.tenant, message_id=message_id, amount=amount)
            except InsufficientCredits:
                return
            raise AssertionError("a deduction beyond the balance was accepted")
        row = credits_deduct(tenant=self.tenant, message_id=message_id, amount=amount)
        self.balance -= amount
        self.charged[message_id] = amount
        assert row.balance_after == self.balance

    @precondition(lambda self: self.charged)
    @rule(data=st.data())
    def deduct_replay(self, data: st.DataObject) -> None:
        message_id = data.draw(st.sampled_from(sorted(self.charged)))
        row = credits_deduct(
            tenant=self.tenant, message_id=message_id, amount=self.charged[message_id]
        )
        assert row.kind == "usage" and row.conversation_message_id == message_id

    @precondition(lambda self: self.charged)
    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        message_id = data.draw(st.sampled_from(sorted(self.charged)))
        row = credits_refund(tenant=self.tenant, message_id=message_id)
        if message_id not in self.refunded:
            self.refunded.add(message_id)
            self.balance += self.charged[message_id]
        assert row.kind == "refund" and row.amount == self.charged[message_id]

    @rule()
    def refund_uncharged(self) -> None:
        try:
            credits_refund(tenant=self.tenant, message_id=next(_ids))
        except ApplicationError:
            return
        raise AssertionError("a refund without a charge was accepted")

    @rule(amount=st.integers(-60, 60).filter(bool))
    def adjust(self, amount: int) -> None:
        if self.balance + amount < 0:
            try:
                credits_adjust(tenant=self.tenant, amount=amount, admin=self.admin, note="ajuste")
            except InsufficientCredits:
                return
            raise AssertionError("an adjustment below zero was accepted")
        credits_adjust(tenant=self.tenant, amount=amount, admin=self.admin, note="ajuste")
        self.balance += amount

    @invariant()
    def balance_is_the_sum(self) -> None:
        stored = CreditBalance.objects.filter(tenant=self.tenant).first()
        stored_balance = stored.balance if stored else 0
        assert stored_balance == self.balance == credits_transactions_sum(tenant=self.tenant)
        assert stored_balance >= 0

    @invariant()
    def one_charge_and_one_refund_per_message(self) -> None:
        dupes = (
            CreditTransaction.objects.filter(tenant=self.tenant)
            .exclude(conversation_message_id=None)
            .values("conversation_message_id", "kind")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
        )
        assert not dupes.exists()


@pytest.mark.django_db
def test_ledger_state_machine(staff_user):
    LedgerMachine.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=30,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    test_case = LedgerMachine.TestCase("runTest")
    test_case.runTest()
