"""Paid sends under faults, with every process real: no refund for what the provider accepted,
no message left pending, no provider message the CRM does not know.

The web server (granian, ASGI, as in production), the task worker (`manage.py worker`) and the
fake Twilio (`manage.py fake_twilio`, its messages kept in a data folder) run as separate
processes on the test's PostgreSQL database; the test queues ~100 paid sends through the outbox
in rounds while it kills (SIGKILL, the whole process group) and restarts each of them, and
queues provider faults of every kind: slow answers, 5xx before and after the create, read
timeouts after a create and without one, a synchronous refusal, dropped status callbacks. The
worker's heartbeat reaper (core/heartbeats.py, `tasks_utils.tasks_reap_stuck`) re-queues what a
killed worker held. Then everything is healthy again, reconciliation runs past its deadline as
the scheduler would run it, and the books must balance:

- no outbound message pending (none in doubt);
- every provider message is one CRM message's, and that message holds its SID and its status;
- no refund for a message the provider accepted, exactly one for each one it did not;
- balance == start + top-ups − messages the provider accepted == the sum of the ledger.
"""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clinicrm.core.models import Tenant
from clinicrm.core.tasks_utils import tasks_reap_stuck
from clinicrm.core.tests.processes import subprocess_env, wait_for
from clinicrm.credits.models import CreditTransaction
from clinicrm.credits.selectors import credits_transactions_sum
from clinicrm.credits.services import credits_add, credits_balance_get
from clinicrm.devtools.fake_twilio import DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_SENDER
from clinicrm.messaging.models import Channel, ChannelStatus, Message, MessageStatus, Provider
from clinicrm.messaging.services import message_reconcile, message_send
from clinicrm.messaging.tests.factories import make_thread
from tests.asgi_server import free_port

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="separate web, worker and fake processes share the database: PostgreSQL only",
    ),
    pytest.mark.concurrency,
    pytest.mark.xdist_group("concurrency"),
    pytest.mark.django_db(transaction=True),
]

PATIENTS = ("+5511988880001", "+5511988880002", "+5511988880003", "+5511988880004")
ROUNDS = 10
PER_ROUND = 10
START_FUNDS = 70
TOP_UP = 50
STALE = dt.timedelta(seconds=1.5)
# What goes wrong in each round: provider faults (one per create, in order) and the process that
# is killed while the round's sends are under way.
ROUNDS_PLAN: list[tuple[list[dict[str, Any]], str]] = [
    ([], ""),
    ([{"mode": "slow", "seconds": 0.3}, {"mode": "timeout", "seconds": 0.8}], "worker"),
    ([{"status": 503}, {"status": 503, "after_create": True}], "web"),
    ([{"mode": "timeout", "seconds": 0.8, "create": False}, {"code": 21211, "status": 400}], ""),
    ([{"mode": "slow", "seconds": 0.2}], "fake"),
    ([{"status": 500, "after_create": True}, {"mode": "timeout", "seconds": 0.8}], "worker"),
    ([{"mode": "slow", "seconds": 2}], "fake"),  # killed before it creates anything
    ([{"status": 502}, {"mode": "slow", "seconds": 0.2}], "web"),
    ([{"mode": "timeout", "seconds": 0.8}, {"status": 503, "after_create": True}], "worker"),
    ([{"mode": "timeout", "seconds": 0.8, "create": False}, {"status": 500}], ""),
]


class Child:
    """A child process in its own process group that can be killed (SIGKILL, whole group, as
    an OOM kill or a lost host would) and started again."""

    def __init__(
        self,
        name: str,
        cmd: list[str],
        env: dict[str, str],
        ready: Callable[[subprocess.Popen[bytes]], bool],
        log: Path,
    ) -> None:
        self.name, self.cmd, self.env, self.ready, self.log = name, cmd, env, ready, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            proc = self.proc = subprocess.Popen(
                self.cmd,
                cwd=settings.BASE_DIR,
                env=subprocess_env(**self.env),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(lambda: self.ready(proc) or proc.poll() is not None, what=f"{self.name} up")
        assert proc.poll() is None, f"{self.name} died:\n{self.log.read_text()[-3000:]}"

    def _signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        self._signal(signal.SIGTERM)
        if self.proc is not None:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code < 500
    except httpx.HTTPError:
        return False


def _worker_beating(proc: subprocess.Popen[bytes]) -> bool:
    """This worker process has beaten: it is taking tasks (and the reaper can see it die)."""
    from clinicrm.core.models import ProcessHeartbeat

    fresh = timezone.now() - STALE
    return ProcessHeartbeat.objects.filter(
        pid=proc.pid, beat_at__gte=fresh, stopped_at__isnull=True
    ).exists()


@pytest.fixture
def world(tenant: Tenant, tmp_path: Path, settings: Any) -> Iterator[dict[str, Any]]:
    web_port, fake_port = free_port(), free_port()
    web_url, fake_url = f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{fake_port}"
    settings.TWILIO_API_BASE_URL = fake_url  # reconciliation runs here, as the scheduler's task
    channel = Channel(
        tenant=tenant,
        provider=Provider.TWILIO,
        display_name="Twilio",
        is_active=True,
        status=ChannelStatus.ACTIVE,
        config={"account_sid": DEMO_ACCOUNT_SID, "sender": DEMO_SENDER},
    )
    channel.set_secrets({"auth_token": DEMO_AUTH_TOKEN})
    channel.save()
    for patient in PATIENTS:
        make_thread(tenant, patient, last_inbound_at=timezone.now())
    credits_add(tenant=tenant, amount=START_FUNDS, kind="adjustment", note="início do teste")

    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    granian = str(Path(sys.executable).parent / "granian")
    common = {"PUBLIC_BASE_URL": web_url, "DJANGO_DEBUG": "0", "TWILIO_API_BASE_URL": fake_url}
    fake_cmd = [*manage, "fake_twilio", "--port", str(fake_port), "--strict"]
    # Two status callbacks per message (sent, delivered), as the webhooks cost the most here.
    fake_cmd += ["--step-delay", "0.05", "--auto-progress", "delivered"]
    fake_cmd += ["--data-dir", str(tmp_path / "fake")]
    web_cmd = [granian, "--interface", "asginl", "--port", str(web_port), "--workers", "1"]
    web_cmd += ["clinicrm.config.asgi:application"]
    children = {
        "fake": Child(
            "fake",
            fake_cmd,
            {},
            lambda _: _answers(f"{fake_url}/__control/state"),
            tmp_path / "fake.log",
        ),
        "web": Child(
            "web",
            web_cmd,
            common,
            lambda _: _answers(f"{web_url}/entrar/"),
            tmp_path / "web.log",
        ),
    }
    worker_cmd = [*manage, "worker", "--queue-name", "default,webhooks,sends", "--no-startup-delay"]
    worker_env = {
        **common,
        "TWILIO_READ_TIMEOUT_SECONDS": "0.5",
        "PROCESS_HEARTBEAT_SECONDS": "0.3",
        "PROCESS_STALE_SECONDS": str(STALE.total_seconds()),
    }
    # Two workers, as production runs several: the rounds kill the first one.
    for name in ("worker", "worker2"):
        log = tmp_path / f"{name}.log"
        children[name] = Child(name, worker_cmd, worker_env, _worker_beating, log)
    for child in children.values():
        child.start()
    for patient in PATIENTS:
        _control(fake_url, "window", {"sender": DEMO_SENDER, "user": patient})
    try:
        yield {"channel": channel, "children": children, "fake_url": fake_url, "logs": tmp_path}
    finally:
        for child in children.values():
            child.stop()


def _control(fake_url: str, action: str, body: dict[str, Any] | None = None) -> Any:
    return httpx.post(f"{fake_url}/__control/{action}", json=body or {}, timeout=30).json()


def _reap() -> None:
    """The scheduler's reaper job: a task whose worker's heartbeat went stale runs again."""
    tasks_reap_stuck(stale_after=STALE)


def _queue_idle() -> bool:
    _reap()
    return not DBTaskResult.objects.filter(
        status__in=(TaskResultStatus.READY, TaskResultStatus.RUNNING)
    ).exists()


def _round(world: dict[str, Any], n: int, faults: list[dict[str, Any]], victim: str) -> None:
    fake_url, children = world["fake_url"], world["children"]
    for fault in faults:
        _control(fake_url, "fail_next", fault)
    for k in range(PER_ROUND):
        patient = PATIENTS[(n * PER_ROUND + k) % len(PATIENTS)]
        message_send(
            tenant=world["channel"].tenant,
            actor=None,
            thread_key=patient,
            text=f"Mensagem {n}.{k}: sua consulta está confirmada.",
        )
    if victim:
        # Let the worker get into the round's sends (and the fake into its faults), then kill.
        wait_for(
            lambda: (
                Message.objects.filter(send_attempted_at__isnull=False).count() >= n * PER_ROUND + 2
            ),
            timeout=30,
            what="the round's sends under way",
        )
        children[victim].kill()
        if victim != "worker":
            time.sleep(0.5)  # the sends that meet the dead process fail or go in doubt
        children[victim].start()
    wait_for(
        lambda: (
            not Message.objects.filter(send_attempted_at__isnull=True).exists() and _queue_idle()
        ),
        timeout=60,
        what=f"round {n} worked off",
    )


def _created(fake_url: str) -> dict[str, dict[str, Any]]:
    """The fake's messages by the CRM message id their StatusCallback named."""
    out: dict[str, dict[str, Any]] = {}
    for message in _control(fake_url, "created")["messages"]:
        ref = dict(parse_qsl(urlsplit(message["status_callback"]).query)).get("message_id", "")
        assert ref not in out, f"two provider messages for message {ref}"
        out[ref] = message
    return out


def test_paid_sends_under_faults_and_kills_settle_exactly(world) -> None:
    tenant = world["channel"].tenant
    fake_url = world["fake_url"]
    top_ups = 0
    for n, (faults, victim) in enumerate(ROUNDS_PLAN[:ROUNDS]):
        if n == ROUNDS // 2:
            credits_add(tenant=tenant, amount=TOP_UP, kind="adjustment", note="recarga")
            top_ups += TOP_UP
            _control(fake_url, "config", {"drop_next": 6})  # the provider loses some callbacks
        t0 = time.monotonic()
        _round(world, n, faults, victim)
        print(f"round {n} {victim or '-'}: {time.monotonic() - t0:.1f}s", file=sys.stderr)

    # Everything healthy: the fake delivers what it still has, the worker applies it.
    _control(fake_url, "fail_next", {"clear": True})
    assert _control(fake_url, "flush", {"timeout": 20})["idle"]
    wait_for(_queue_idle, timeout=60, what="callbacks applied")
    # Reconciliation as the scheduler runs it, its clock past every deadline.
    start = timezone.now() + dt.timedelta(seconds=settings.MESSAGING_SEND_DEADLINE_SECONDS + 60)
    for k in range(8):
        message_reconcile(now=start + dt.timedelta(hours=2 * k), limit=1000)
        if not Message.objects.filter(
            direction="out", status__in=(MessageStatus.PENDING, MessageStatus.SENT)
        ).exists():
            break

    messages = list(Message.objects.filter(tenant=tenant, direction="out"))
    assert len(messages) == ROUNDS * PER_ROUND
    pending = [m.pk for m in messages if m.status == MessageStatus.PENDING]
    assert pending == [], f"left pending: {pending}"
    created = _created(fake_url)
    assert set(created) <= {str(m.pk) for m in messages}, "a provider message the CRM lacks"
    refunds = dict(
        CreditTransaction.objects.filter(tenant=tenant, kind="refund")
        .values_list("conversation_message_id")
        .annotate(n=Count("id"))
    )
    accepted = 0
    for message in messages:
        provider = created.get(str(message.pk))
        if provider is None:
            assert message.status == MessageStatus.FAILED, message.pk
            assert refunds.get(message.pk) == 1, f"message {message.pk} not refunded once"
            assert not message.provider_message_id
            continue
        accepted += 1
        assert message.provider_message_id == provider["sid"], message.pk
        assert message.status == provider["status"], (message.pk, provider["status"])
        assert message.pk not in refunds, f"refund for accepted message {message.pk}"
    balance = credits_balance_get(tenant=tenant).balance
    assert balance == START_FUNDS + top_ups - accepted
    assert balance == credits_transactions_sum(tenant=tenant)
    # The faults really happened: some sends were refused or never created, some went in doubt
    # and were settled by what the provider said.
    evidence = dict(
        Message.objects.filter(tenant=tenant).values_list("settled_by").annotate(n=Count("id"))
    )
    print(f"accepted {accepted}/{len(messages)}, settled by {evidence}", file=sys.stderr)
    assert accepted < len(messages)
    assert evidence.get("listing", 0) + evidence.get("callback", 0) > 0
