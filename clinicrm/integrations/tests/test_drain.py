"""Webhook throughput paths: dedup by ON CONFLICT, one drain task per channel, batches that
never lose an event, a changed channel seen at once."""

import json
from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult

from clinicrm.devtools.fake_evolution.testing import INSTANCE
from clinicrm.integrations import services_drain
from clinicrm.integrations.evolution.tests.helpers import APIKEY, make_channel, post
from clinicrm.integrations.models import InboundDrain, InboundEvent, InboundEventStatus
from clinicrm.integrations.services_drain import (
    drain_key,
    inbound_event_receive,
    inbound_events_drain,
    inbound_events_retry_due,
)
from clinicrm.messaging.models import Message, Thread

pytestmark = pytest.mark.django_db(transaction=True)

DRAIN_TASK = "clinicrm.integrations.services_drain.inbound_events_drain_task"


def _upsert(n: int, phone: str = "5511987650001") -> bytes:
    return json.dumps(
        {
            "event": "messages.upsert",
            "instance": INSTANCE,
            "data": {
                "key": {"remoteJid": f"{phone}@s.whatsapp.net", "fromMe": False, "id": f"ID{n}"},
                "pushName": "Paciente",
                "message": {"conversation": f"mensagem {n}"},
                "messageType": "conversation",
                "messageTimestamp": 1767261600 + n,
            },
        }
    ).encode()


def _drain_tasks() -> int:
    return DBTaskResult.objects.filter(task_path=DRAIN_TASK).count()


def _flag(channel: Any) -> bool | None:
    row = InboundDrain.objects.filter(
        key=drain_key(provider="evolution", channel_key=str(channel.pk))
    ).first()
    return row.queued if row else None


def test_store_deduplicates_with_on_conflict(tenant):
    def receive() -> int | None:
        return inbound_event_receive(
            provider="asaas",
            event_id="evt_1",
            event_type="PAYMENT_RECEIVED",
            body=b"{}",
            headers={},
            tenant_id=None,
            channel_key="asaas",
        )

    first, again = receive(), receive()
    assert first is not None and again is None
    assert InboundEvent.objects.count() == 1
    assert bytes(InboundEvent.objects.get().body) == b"{}"


def test_deliveries_share_one_drain_task_until_it_starts(client, tenant):
    channel = make_channel(tenant)
    for n in range(5):
        assert post(client, channel, _upsert(n)).status_code == 200
    assert post(client, channel, _upsert(0)).status_code == 200  # a resend: no new row
    assert InboundEvent.objects.count() == 5
    assert _drain_tasks() == 1
    assert _flag(channel) is True

    counts = inbound_events_drain(provider="evolution", channel_key=str(channel.pk))

    assert counts == {"processed": 5}
    assert _flag(channel) is False
    assert Message.objects.count() == 5
    assert Thread.objects.get().unread_count == 5
    # The flag is down again: the next delivery asks for a new drain.
    assert post(client, channel, _upsert(9)).status_code == 200
    assert _drain_tasks() == 2


def test_drain_stops_at_its_limit_and_hands_over(client, tenant):
    channel = make_channel(tenant)
    for n in range(5):
        post(client, channel, _upsert(n))
    counts = inbound_events_drain(provider="evolution", channel_key=str(channel.pk), limit=2)
    # One batch (up to DRAIN_BATCH) is finished before the limit is looked at.
    assert counts == {"processed": 5}
    assert InboundEvent.objects.filter(status=InboundEventStatus.PENDING).count() == 0

    for n in range(5, 10):
        post(client, channel, _upsert(n))
    services_drain.DRAIN_BATCH, saved = 2, services_drain.DRAIN_BATCH
    try:
        counts = inbound_events_drain(provider="evolution", channel_key=str(channel.pk), limit=2)
    finally:
        services_drain.DRAIN_BATCH = saved
    assert counts == {"processed": 2}
    assert InboundEvent.objects.filter(status=InboundEventStatus.PENDING).count() == 3
    assert _flag(channel) is True  # a follow-up drain was requested
    assert _drain_tasks() == 3


def test_a_crash_mid_batch_leaves_the_rest_pending_for_the_retry_job(client, tenant, monkeypatch):
    channel = make_channel(tenant)
    for n in range(4):
        post(client, channel, _upsert(n))
    ids = list(InboundEvent.objects.order_by("pk").values_list("pk", flat=True))
    real = services_drain.inbound_event_process

    def dying(*, event_id: int, skip_locked: bool = False) -> str:
        if event_id == ids[2]:
            raise KeyboardInterrupt  # the worker is killed: nothing after this runs
        return real(event_id=event_id, skip_locked=skip_locked)

    monkeypatch.setattr(services_drain, "inbound_event_process", dying)
    # One transaction per event here; crashes inside a group: test_drain_groups.py.
    monkeypatch.setattr(services_drain, "DRAIN_GROUP", 1)
    with pytest.raises(KeyboardInterrupt):
        inbound_events_drain(provider="evolution", channel_key=str(channel.pk))
    statuses = dict(InboundEvent.objects.values_list("pk", "status"))
    assert [statuses[pk] for pk in ids] == ["processed", "processed", "pending", "pending"]
    assert Message.objects.count() == 2

    # The retry job finds the stale events and queues a drain for their channel.
    DBTaskResult.objects.all().delete()
    InboundEvent.objects.update(received_at="2020-01-01T00:00:00Z")
    assert inbound_events_retry_due() == 1
    assert _drain_tasks() == 1
    monkeypatch.setattr(services_drain, "inbound_event_process", real)
    assert inbound_events_drain(provider="evolution", channel_key=str(channel.pk)) == {
        "processed": 2
    }
    assert Message.objects.count() == 4


def test_failed_event_is_left_to_its_backoff_task(client, tenant, monkeypatch):
    from clinicrm.integrations.evolution import handlers

    channel = make_channel(tenant)
    post(client, channel, _upsert(1))

    def broken(*, event: Any, channel: Any = None, memo: Any = None) -> None:
        raise RuntimeError("boom")

    monkeypatch.setitem(handlers.HANDLERS, "messages.upsert", broken)
    assert inbound_events_drain(provider="evolution", channel_key=str(channel.pk)) == {"pending": 1}
    event = InboundEvent.objects.get()
    assert (event.status, event.attempts) == ("pending", 1)
    # A second drain does not retry it at once (its own delayed task does).
    assert inbound_events_drain(provider="evolution", channel_key=str(channel.pk)) == {}


def test_deactivated_channel_is_refused_at_once(client, tenant):
    channel = make_channel(tenant)
    assert post(client, channel, _upsert(1)).status_code == 200
    # Deactivated with a queryset update (no signal): the next delivery reads the row.
    from clinicrm.messaging.models import Channel

    Channel.objects.filter(pk=channel.pk).update(is_active=False)
    assert post(client, channel, _upsert(2)).status_code == 401
    assert InboundEvent.objects.count() == 1


def test_rotated_apikey_refuses_the_old_key_at_once(client, tenant):
    channel = make_channel(tenant)
    assert post(client, channel, _upsert(1)).status_code == 200
    channel.set_secrets({"apikey": "a-brand-new-key"})
    channel.save()
    assert post(client, channel, _upsert(2), apikey=APIKEY).status_code == 401
    assert post(client, channel, _upsert(3), apikey="a-brand-new-key").status_code == 200
    assert InboundEvent.objects.count() == 2


def test_five_resends_are_one_row_and_one_drain(client, tenant):
    channel = make_channel(tenant)
    for _ in range(5):
        assert post(client, channel, _upsert(1)).status_code == 200
    assert InboundEvent.objects.count() == 1
    assert _drain_tasks() == 1
