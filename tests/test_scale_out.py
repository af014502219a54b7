"""Many processes on one PostgreSQL, no double work.

Two web processes (granian), two task workers and two schedulers run as separate processes on
the test's PostgreSQL database, as a scaled-out deployment does, with the fake Evolution (in this
process) as the provider. For about `DRIVE_SECONDS` the test delivers inbound webhooks to both
web processes in turn (some delivered twice, to both), queues sends, and has reminders come due,
while a realtime stream is open on each web process. Then:

- every distinct inbound event is stored once and processed once (one attempt), and makes one
  inbound message;
- every outbound message (sends, reminders, automations) reached the provider exactly once: the
  fake's sent messages are the CRM's outbound messages, one each, by provider id;
- every scheduler slot (`ScheduledRun`) enqueued one task and that task ran once; no job task
  ran that no slot enqueued;
- each stream saw every realtime event of the clinic exactly once, whichever web process
  served it and whichever worker emitted the event.

SQLite cannot be shared by separate server processes this way (one writer, a local file, no
LISTEN/NOTIFY): PostgreSQL only.
"""

import datetime as dt
import itertools
import json
import queue
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from functools import partial
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection
from django.tasks import TaskResultStatus
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clinicrm.automation.tests.helpers import appointment_for, patient_with_whatsapp, reminders_on
from clinicrm.core.models import ScheduledRun, Tenant
from clinicrm.core.rls import rls_tenant
from clinicrm.core.scheduler import jobs_all
from clinicrm.core.tests.processes import child_process, wait_for
from clinicrm.credits.services import credits_add
from clinicrm.devtools.fake_evolution.server import GLOBAL_APIKEY, FakeEvolutionServer
from clinicrm.devtools.fake_evolution.testing import INSTANCE, INSTANCE_TOKEN
from clinicrm.integrations.evolution.tests.helpers import APIKEY, fixture_bytes, make_channel
from clinicrm.integrations.models import InboundEvent, InboundEventStatus
from clinicrm.messaging.models import Channel, Message, RealtimeEvent
from clinicrm.messaging.services import message_send, realtime_event_emit
from clinicrm.messaging.tests.factories import make_thread
from clinicrm.messaging.tests.test_sse_asgi import Stream
from tests.asgi_server import free_port

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="separate web, worker and scheduler processes share one database: PostgreSQL only"
        " (SQLite is a local file with one writer and no LISTEN/NOTIFY)",
    ),
    pytest.mark.concurrency,
    pytest.mark.xdist_group("concurrency"),
    pytest.mark.django_db(transaction=True),
]

DRIVE_SECONDS = 25.0
INBOUND_EVERY = 0.25  # one webhook delivery per tick ...
SEND_EVERY = 3  # ... and one send every third tick
TWICE_EVERY = 4  # every fourth delivery also goes to the other web process
REMINDERS = 12
ASGI_APP = "clinicrm.config.asgi:application"
SENDERS = ("+5511977770001", "+5511977770002", "+5511977770003")


@pytest.fixture
def fake() -> Iterator[FakeEvolutionServer]:
    server = FakeEvolutionServer(global_apikey=GLOBAL_APIKEY).start()
    server.create_open_instance(INSTANCE, token=INSTANCE_TOKEN)  # no webhook: no status callbacks
    try:
        yield server
    finally:
        server.stop()


def _up_or_dead(url: str, proc: subprocess.Popen[str]) -> bool:
    if proc.poll() is not None:
        return True
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def clinic(tenant: Tenant) -> Channel:
    """The clinic's channel, credits, threads and appointments whose reminders are due: made
    before the schedulers start, whose first slot of the reminders job must find them."""
    channel = make_channel(tenant)
    credits_add(tenant=tenant, amount=1000, kind="adjustment", note="teste de escala")
    for number in SENDERS:
        make_thread(tenant, number, last_inbound_at=timezone.now())
    reminders_on(tenant, enabled_2h=False)
    starts = timezone.now() + dt.timedelta(hours=10)  # inside the 24 h window
    for i in range(REMINDERS):
        patient, _ = patient_with_whatsapp(tenant, f"Paciente {i}")
        appointment_for(tenant, patient, starts + dt.timedelta(minutes=5 * i))
    return channel


@pytest.fixture
def deployment(
    fake: FakeEvolutionServer, clinic: Channel, rls_app_role: str
) -> Iterator[tuple[list[str], Channel]]:
    """Two web processes, two workers, two schedulers; yields the web processes' URLs. They run
    as production does: row-level security on, as a role the policies hold (the test's own
    connection stays superuser to set up and to count)."""
    env = {
        "EVOLUTION_BASE_URL": fake.url,
        "DJANGO_DEBUG": "0",
        "PROCESS_HEARTBEAT_SECONDS": "1",
        "DATABASE_RLS": "1",
        "DATABASE_ROLE": rls_app_role,
    }
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    granian = str(Path(sys.executable).parent / "granian")
    ports = [free_port(), free_port()]
    commands = [
        [granian, "--interface", "asginl", "--port", str(port), "--workers", "1", ASGI_APP]
        for port in ports
    ]
    worker = [*manage, "worker", "--queue-name", "default,webhooks,sends", "--no-startup-delay"]
    commands += [[*worker, "--no-reload"]] * 2
    commands += [[*manage, "scheduler", "--interval", "0.5"]] * 2
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    with ExitStack() as stack:
        procs = [
            stack.enter_context(child_process(cmd, {**env, "PUBLIC_BASE_URL": urls[0]}))
            for cmd in commands
        ]
        for url, proc in zip(urls, procs, strict=False):
            wait_for(partial(_up_or_dead, url, proc), what=f"web {url}")
        for proc in procs:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        yield urls, clinic
        for proc in procs:  # nobody died during the run
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        for proc in procs:  # all stop at once (then each is waited for, or killed)
            proc.send_signal(signal.SIGTERM)


def _delivery(n: int) -> bytes:
    body = json.loads(fixture_bytes("messages_upsert_text"))
    sender = SENDERS[n % len(SENDERS)].lstrip("+")
    body["data"]["key"] |= {"id": f"SCALEOUT{n:06d}", "remoteJid": f"{sender}@s.whatsapp.net"}
    body["data"]["key"].pop("remoteJidAlt", None)
    body["data"]["message"] = {"conversation": f"Mensagem {n} do paciente."}
    body["data"]["messageTimestamp"] = int(time.time())
    return json.dumps(body).encode()


def _deliver(url: str, token: str, body: bytes) -> None:
    answer = httpx.post(
        f"{url}/webhooks/evolution/{token}/",
        content=body,
        headers={"content-type": "application/json", "apikey": APIKEY},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def _streams_listening(streams: list[Stream], tenant: Tenant) -> None:
    """An event committed before a web process's hub LISTENs is never pushed to it: probe
    until every stream got one (the hubs live in the web processes)."""
    pending = set(range(len(streams)))

    def all_heard() -> bool:
        realtime_event_emit(tenant=tenant, kind="thread", payload={"probe": True})
        for i in list(pending):
            try:
                streams[i].next(timeout=0.3)
                pending.discard(i)
            except queue.Empty:
                pass
        return not pending

    wait_for(all_heard, timeout=20, what="every web process's hub to LISTEN")


def _drain(stream: Stream) -> list[int]:
    ids = []
    while not stream.frames.empty():
        ids.append(stream.frames.get_nowait()[0])
    return ids


def _due_tasks() -> int:
    return DBTaskResult.objects.filter(
        status__in=(TaskResultStatus.READY, TaskResultStatus.RUNNING), run_after__lte=timezone.now()
    ).count()


def test_two_of_each_process_do_every_piece_of_work_once(tenant, owner, fake, deployment):
    urls, channel = deployment

    streams = [Stream(url, owner, tenant) for url in urls]
    _streams_listening(streams, tenant)
    for stream in streams:
        _drain(stream)
    first_event = RealtimeEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    deliveries = sends = 0
    deadline = time.monotonic() + DRIVE_SECONDS
    for tick in itertools.count():
        if time.monotonic() > deadline:
            break
        body = _delivery(tick)
        _deliver(urls[tick % 2], channel.webhook_token, body)
        if tick % TWICE_EVERY == 0:
            _deliver(urls[(tick + 1) % 2], channel.webhook_token, body)
        deliveries += 1
        if tick % SEND_EVERY == 0:
            # As a member's request would: scoped to the clinic, so the send task carries it.
            with override_settings(DATABASE_RLS=True), rls_tenant(tenant.id):
                message_send(
                    tenant=tenant,
                    actor=None,
                    thread_key=SENDERS[tick % len(SENDERS)],
                    text=f"Resposta {tick} da clínica.",
                )
            sends += 1
        time.sleep(INBOUND_EVERY)  # pacing the load, not waiting for a result

    outbound = Message.objects.filter(tenant=tenant, direction="out")
    left: dict[str, int] = {}

    def worked_off() -> bool:
        left.clear()
        left["pending events"] = InboundEvent.objects.filter(
            status=InboundEventStatus.PENDING
        ).count()
        left["reminders missing"] = max(
            0, REMINDERS - outbound.filter(extra__automation="reminder").count()
        )
        left["unsent"] = outbound.filter(send_attempted_at__isnull=True).count()
        left["tasks due"] = _due_tasks()
        return not any(left.values())

    try:
        wait_for(worked_off, timeout=60, what="the processes to work everything off")
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {left}") from None
    expected_events = set(
        RealtimeEvent.objects.filter(tenant=tenant, id__gt=first_event).values_list("id", flat=True)
    )
    seen: list[list[int]] = [[] for _ in streams]

    def streams_caught_up() -> bool:
        for i, stream in enumerate(streams):
            seen[i] += _drain(stream)
        return all(expected_events <= set(ids) for ids in seen)

    wait_for(streams_caught_up, timeout=30, what="every stream to see every event")
    for stream in streams:
        stream.close()

    # Inbound: each distinct event stored once, processed once, one message each.
    events = list(InboundEvent.objects.filter(provider="evolution"))
    assert len(events) == deliveries
    assert {(e.status, e.attempts) for e in events} == {(InboundEventStatus.PROCESSED, 1)}
    inbound = Message.objects.filter(tenant=tenant, direction="in")
    assert inbound.count() == deliveries
    assert len(set(inbound.values_list("provider_message_id", flat=True))) == deliveries

    # Outbound: the provider got each message once (a second attempt is a second fake message).
    messages = list(outbound)
    assert len([m for m in messages if not m.extra.get("automation")]) == sends
    provider_sent = [
        key for key, stored in fake.state.messages.items() if stored["data"]["key"].get("fromMe")
    ]
    assert Counter(m.provider_message_id for m in messages) == Counter(provider_sent)
    assert len(provider_sent) == len(messages)

    # Scheduler: each slot enqueued one task, which ran once; no job task ran without a slot.
    runs = list(ScheduledRun.objects.all())  # the database is this test's alone
    assert runs, "the schedulers claimed no slot"
    assert len({(r.job_name, r.slot) for r in runs}) == len(runs)
    results = {str(r.id): r for r in DBTaskResult.objects.all()}
    jobs = jobs_all()
    for run in runs:
        assert results[run.task_result_id].status == TaskResultStatus.SUCCESSFUL, run.job_name
    for name, job in jobs.items():
        ran = [r for r in results.values() if r.task_path == job.task.module_path]
        slots = [r for r in runs if r.job_name == name]
        assert len(ran) == len(slots), (name, len(ran), len(slots))
    assert {r.job_name for r in runs} == set(jobs)

    # Realtime: every event once on each stream, whichever process served it.
    for ids in seen:
        counts = Counter(i for i in ids if i in expected_events)
        assert set(counts) == expected_events
        assert set(counts.values()) == {1}, [i for i, n in counts.items() if n > 1]
    print(
        f"scale-out: {deliveries} deliveries ({deliveries // TWICE_EVERY + 1} twice), "
        f"{len(messages)} sends, {len(runs)} slots, {len(expected_events)} realtime events",
        file=sys.stderr,
    )
