"""Crash injection of the send pipeline.

A Twilio send (the provider that charges credits) is queued with `message_send`, then a spawned
child process runs the task through django-tasks-db's worker loop against the fake Twilio over
real HTTP and SIGKILLs itself at one point (see `_crash_worker.CRASH_POINTS`). Then the recovery
jobs run as production runs them: the task reaper (`tasks_reap_stuck`), the worker again, and
`message_reconcile` past its deadline (twice: it must be idempotent). Afterwards every message
is either sent (provider saw exactly one create, one usage row, no refund) or failed (provider saw
nothing, usage + one refund), and the balance equals the sum of the ledger.

Run the file once on SQLite and once on PostgreSQL (real database, transaction=True).
"""

import datetime as dt
import multiprocessing

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clinicrm.core.models import Tenant
from clinicrm.core.tasks_utils import tasks_reap_stuck
from clinicrm.core.tests.worker import run_worker
from clinicrm.credits.models import CreditTransaction
from clinicrm.credits.selectors import credits_transactions_sum
from clinicrm.credits.services import credits_add, credits_balance_get
from clinicrm.devtools.fake_twilio.server import FakeTwilioServer
from clinicrm.devtools.fake_twilio.testing import ACCOUNT_SID, AUTH_TOKEN, SENDER, fake_twilio
from clinicrm.messaging.models import Channel, ChannelStatus, Message, MessageStatus, Provider
from clinicrm.messaging.services import message_reconcile, message_send
from clinicrm.messaging.tests import _crash_worker
from clinicrm.messaging.tests.factories import make_thread

__all__ = ["fake_twilio"]

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.xdist_group("concurrency"),
    pytest.mark.django_db(transaction=True),
]

PATIENT = "+5511988887777"
FUNDS = 10
# Outcome each crash point must settle to (sent = charged once; failed = refunded once).
EXPECTED = {
    "before_claim": MessageStatus.PENDING,  # the reaper's copy sends it: pending at the provider
    "before_provider_call": MessageStatus.FAILED,
    "after_provider_call": MessageStatus.PENDING,
    "after_save_before_commit": MessageStatus.PENDING,
}


@pytest.fixture
def wired(tenant: Tenant, owner, fake_twilio: FakeTwilioServer, settings) -> Channel:
    # No status callbacks: only the reaper and the reconciliation may settle the message.
    fake_twilio.state.config["auto_progress"] = "none"
    fake_twilio.control("window", {"sender": SENDER, "user": PATIENT})
    channel = Channel(
        tenant=tenant,
        provider=Provider.TWILIO,
        display_name="Twilio",
        is_active=True,
        status=ChannelStatus.ACTIVE,
        config={"account_sid": ACCOUNT_SID, "sender": SENDER},
    )
    channel.set_secrets({"auth_token": AUTH_TOKEN})
    channel.save()
    make_thread(tenant, PATIENT, last_inbound_at=timezone.now())
    credits_add(tenant=tenant, amount=FUNDS, kind="adjustment", note="teste")
    return channel


def _crash_child(point: str, twilio_url: str) -> int | None:
    ctx = multiprocessing.get_context("spawn")
    db_name = str(connection.settings_dict["NAME"])
    proc = ctx.Process(target=_crash_worker.send_worker, args=(db_name, twilio_url, point))
    proc.start()
    proc.join(timeout=120)
    if proc.is_alive():
        proc.kill()
        proc.join()
    return proc.exitcode


def _work_sends() -> None:
    run_worker(queue_names=("sends",), worker_id="recovery")


def _recover() -> None:
    """What the scheduler runs after a worker died: reap, work, reconcile (twice), work, once
    the deadline has passed (absence at the provider is proof only after it)."""
    later = timezone.now() + dt.timedelta(seconds=settings.MESSAGING_SEND_DEADLINE_SECONDS + 300)
    with time_machine.travel(later, tick=True):
        tasks_reap_stuck(older_than=dt.timedelta(minutes=1))
        _work_sends()
        message_reconcile()
        _work_sends()
        message_reconcile()


def _provider_creates(fake: FakeTwilioServer) -> list[str]:
    with fake.state.lock:
        return [str(r["sid"]) for r in fake.state.api_requests if r.get("sid")]


def _assert_settled(message: Message, fake: FakeTwilioServer, tenant: Tenant) -> bool:
    """One message's invariant; returns whether it counts as sent (charged)."""
    message.refresh_from_db()
    kinds = sorted(
        CreditTransaction.objects.filter(
            tenant=tenant, conversation_message_id=message.pk
        ).values_list("kind", flat=True)
    )
    creates = _provider_creates(fake)
    assert not message.needs_reconciliation
    if message.status == MessageStatus.FAILED:
        assert kinds == ["refund", "usage"]
        assert message.provider_message_id in (None, "")
        assert creates == []
        return False
    assert kinds == ["usage"]
    assert creates == [message.provider_message_id]
    return True


def _assert_ledger(tenant: Tenant, sent: int) -> None:
    balance = credits_balance_get(tenant=tenant).balance
    assert balance == credits_transactions_sum(tenant=tenant)
    assert balance == FUNDS - sent


@pytest.mark.parametrize("point", _crash_worker.CRASH_POINTS)
def test_send_task_killed_then_recovered(point, wired, fake_twilio, owner) -> None:
    tenant = wired.tenant
    message = message_send(tenant=tenant, actor=owner, thread_key=PATIENT, text="Até amanhã")
    _assert_ledger(tenant, sent=1)  # reserved at queue time

    assert _crash_child(point, fake_twilio.url) == -9  # SIGKILL: the crash point was reached

    # The dead worker left its task row RUNNING and the message pending.
    assert DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).count() == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.PENDING
    assert not message.provider_message_id  # even "after save": that transaction rolled back
    assert len(_provider_creates(fake_twilio)) == (
        1 if point in ("after_provider_call", "after_save_before_commit") else 0
    )

    _recover()

    sent = _assert_settled(message, fake_twilio, tenant)
    assert message.status == EXPECTED[point]
    assert sent == (EXPECTED[point] != MessageStatus.FAILED)
    _assert_ledger(tenant, sent=int(sent))
    # Nothing is left to do: a further round changes nothing and calls the provider no more.
    assert not DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    ).exists()
    before = len(_provider_creates(fake_twilio))
    _recover()
    assert len(_provider_creates(fake_twilio)) == before
    _assert_ledger(tenant, sent=int(sent))


def test_no_crash_baseline_sends_once(wired, fake_twilio, owner) -> None:
    """Control case: the same harness without a crash sends and charges exactly once."""
    message = message_send(tenant=wired.tenant, actor=owner, thread_key=PATIENT, text="Oi")
    _work_sends()
    _recover()
    assert _assert_settled(message, fake_twilio, wired.tenant)
    _assert_ledger(wired.tenant, sent=1)
