"""Drains process events in groups (one transaction per `DRAIN_GROUP` events): a crash leaves
the whole group pending, an error in one event isolates it, and the result equals processing
one event per transaction."""

from typing import Any

import pytest
from django.db import connection

from clinicrm.integrations import services_drain
from clinicrm.integrations.evolution import webhooks as evolution_webhooks
from clinicrm.integrations.evolution.tests.helpers import make_channel, post
from clinicrm.integrations.models import InboundEvent
from clinicrm.integrations.services import inbound_events_retry_due
from clinicrm.integrations.services_drain import inbound_events_drain
from clinicrm.integrations.tests.test_drain import _upsert
from clinicrm.messaging.models import Message, RealtimeEvent, Thread

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _forget_channels():
    evolution_webhooks._KNOWN.clear()
    yield
    evolution_webhooks._KNOWN.clear()


def _statuses(ids: list[int]) -> list[str]:
    found = dict(InboundEvent.objects.values_list("pk", "status"))
    return [found[pk] for pk in ids]


def _post_upserts(client: Any, channel: Any, count: int) -> list[int]:
    for n in range(count):
        assert post(client, channel, _upsert(n)).status_code == 200
    return list(InboundEvent.objects.order_by("pk").values_list("pk", flat=True))


def test_a_group_is_one_transaction_with_the_same_result(client, tenant, monkeypatch):
    channel = make_channel(tenant)
    monkeypatch.setattr(services_drain, "DRAIN_GROUP", 3)
    ids = _post_upserts(client, channel, 7)
    post(client, channel, _upsert(0))  # a resend: deduplicated at the door

    assert inbound_events_drain(provider="evolution", channel_key=str(channel.pk)) == {
        "processed": 7
    }
    assert _statuses(ids) == ["processed"] * 7
    assert Message.objects.count() == 7
    thread = Thread.objects.get()
    assert thread.unread_count == 7
    assert thread.last_message_preview == "mensagem 6"
    assert RealtimeEvent.objects.filter(kind="message").count() == 7
    assert all(e.attempts == 1 and e.processed_at for e in InboundEvent.objects.all())
    assert {e.tenant_id for e in InboundEvent.objects.all()} == {tenant.pk}


def test_a_crash_inside_a_group_leaves_the_whole_group_pending(client, tenant, monkeypatch):
    channel = make_channel(tenant)
    monkeypatch.setattr(services_drain, "DRAIN_GROUP", 3)
    ids = _post_upserts(client, channel, 5)
    real = services_drain.inbound_event_apply

    def dying(*, event: Any) -> None:
        if event.pk == ids[4]:
            raise KeyboardInterrupt  # the worker is killed: nothing after this runs
        real(event=event)

    monkeypatch.setattr(services_drain, "inbound_event_apply", dying)
    with pytest.raises(KeyboardInterrupt):
        inbound_events_drain(provider="evolution", channel_key=str(channel.pk))
    # First group committed whole; the second (ids 3 and 4) left no trace.
    assert _statuses(ids) == ["processed"] * 3 + ["pending"] * 2
    assert Message.objects.count() == 3
    assert Thread.objects.get().unread_count == 3
    assert RealtimeEvent.objects.count() == 3

    InboundEvent.objects.update(received_at="2020-01-01T00:00:00Z")
    assert inbound_events_retry_due() == 1
    monkeypatch.setattr(services_drain, "inbound_event_apply", real)
    assert inbound_events_drain(provider="evolution", channel_key=str(channel.pk)) == {
        "processed": 2
    }
    assert Message.objects.count() == 5
    assert Thread.objects.get().unread_count == 5


def test_an_error_in_one_event_of_a_group_only_fails_that_event(client, tenant, monkeypatch):
    from clinicrm.integrations.evolution import handlers

    channel = make_channel(tenant)
    monkeypatch.setattr(services_drain, "DRAIN_GROUP", 4)
    ids = _post_upserts(client, channel, 4)
    real = handlers.HANDLERS["messages.upsert"]

    def flaky(*, event: Any) -> None:
        if event.pk == ids[1]:
            raise RuntimeError("boom")
        real(event=event)

    monkeypatch.setitem(handlers.HANDLERS, "messages.upsert", flaky)
    assert inbound_events_drain(provider="evolution", channel_key=str(channel.pk)) == {
        "processed": 3,
        "pending": 1,
    }
    assert _statuses(ids) == ["processed", "pending", "processed", "processed"]
    failed = InboundEvent.objects.get(pk=ids[1])
    assert (failed.attempts, failed.last_error) == (1, "RuntimeError")
    assert Message.objects.count() == 3
    assert Thread.objects.get().unread_count == 3


def test_ignored_events_in_a_group_write_nothing(client, tenant, monkeypatch):
    """Evolution handlers decide "ignored" before writing (no savepoint around them)."""
    channel = make_channel(tenant)
    monkeypatch.setattr(services_drain, "DRAIN_GROUP", 5)
    group = _upsert(1, phone="120363000000000000").replace(b"@s.whatsapp.net", b"@g.us")
    post(client, channel, _upsert(0))
    post(client, channel, group)
    post(client, channel, _upsert(2))
    counts = inbound_events_drain(provider="evolution", channel_key=str(channel.pk))
    assert counts == {"processed": 2, "ignored": 1}
    ignored = InboundEvent.objects.get(status="ignored")
    assert ignored.last_error == "group message"
    assert Message.objects.count() == 2
    assert Thread.objects.count() == 1
    assert connection.in_atomic_block is False
