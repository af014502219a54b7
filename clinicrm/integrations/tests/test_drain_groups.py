"""Drains process events in groups (one transaction per `DRAIN_GROUP` events): a crash leaves
the whole group pending, an error in one event isolates it, and the result equals processing
one event per transaction."""

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinicrm.automation.models import AutoReplyLog, OptOut, ScheduleMode
from clinicrm.automation.services import autoreply_settings_save
from clinicrm.automation.services.keywords import optout_keyword_add
from clinicrm.integrations import services_drain
from clinicrm.integrations.evolution.tests.helpers import make_channel, post
from clinicrm.integrations.models import InboundEvent
from clinicrm.integrations.services import EventIgnored, event_channel
from clinicrm.integrations.services_drain import inbound_events_drain, inbound_events_retry_due
from clinicrm.integrations.tests.test_drain import _upsert
from clinicrm.messaging.models import Message, RealtimeEvent, Thread

pytestmark = pytest.mark.django_db(transaction=True)


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

    def dying(*, event: Any, channel: Any = None, memo: Any = None) -> None:
        if event.pk == ids[4]:
            raise KeyboardInterrupt  # the worker is killed: nothing after this runs
        real(event=event, channel=channel, memo=memo)

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

    def flaky(*, event: Any, channel: Any = None, memo: Any = None) -> None:
        if event.pk == ids[1]:
            raise RuntimeError("boom")
        real(event=event, channel=channel, memo=memo)

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


def _statements(queries: CaptureQueriesContext, start: str, table: str) -> int:
    return sum(
        q["sql"].lstrip().upper().startswith(start) and f'"{table}"' in q["sql"]
        for q in queries.captured_queries
    )


def test_a_group_reads_its_channel_once_and_saves_its_results_in_one_update(
    client, tenant, monkeypatch
):
    channel = make_channel(tenant)
    monkeypatch.setattr(services_drain, "DRAIN_GROUP", 5)
    ids = _post_upserts(client, channel, 5)
    with CaptureQueriesContext(connection) as queries:
        assert inbound_events_drain(provider="evolution", channel_key=str(channel.pk)) == {
            "processed": 5
        }
    assert _statements(queries, "SELECT", "whatsapp_channels") == 1
    assert _statements(queries, "UPDATE", "inbound_events") == 1
    events = list(InboundEvent.objects.filter(pk__in=ids))
    assert {(e.status, e.attempts, e.last_error, e.tenant_id) for e in events} == {
        ("processed", 1, "", tenant.pk)
    }
    assert len({e.processed_at for e in events}) == 1 and events[0].processed_at is not None


def test_a_group_with_several_outcomes_saves_each_events_own(client, tenant, monkeypatch):
    channel = make_channel(tenant)
    monkeypatch.setattr(services_drain, "DRAIN_GROUP", 5)
    group = _upsert(1, phone="120363000000000000").replace(b"@s.whatsapp.net", b"@g.us")
    post(client, channel, _upsert(0))
    post(client, channel, group)
    post(client, channel, _upsert(2))
    post(client, channel, json.dumps({"event": "chats.update", "data": {}}).encode())
    inbound_events_drain(provider="evolution", channel_key=str(channel.pk))
    rows = InboundEvent.objects.order_by("pk").values_list("status", "last_error", "attempts")
    assert list(rows) == [
        ("processed", "", 1),
        ("ignored", "group message", 1),
        ("processed", "", 1),
        ("ignored", "unhandled event type", 1),
    ]


def test_a_channel_passed_for_another_stream_is_not_used(tenant):
    other = make_channel(tenant, instance="outra-instancia", active=False)
    channel = make_channel(tenant)
    event = InboundEvent(provider="evolution", channel_key=str(channel.pk))
    assert event_channel(event=event, provider="evolution", channel=other).pk == channel.pk
    assert event_channel(event=event, provider="evolution", channel=channel) is channel
    gone = InboundEvent(provider="evolution", channel_key="999999")
    with pytest.raises(EventIgnored):
        event_channel(event=gone, provider="evolution", channel=channel)


def _autoreply_on(tenant: Any, owner: Any) -> None:
    autoreply_settings_save(
        tenant=tenant,
        actor=owner,
        enabled=True,
        message="Estamos fechados. {clinica} volta {proxima_abertura}.",
        mode=ScheduleMode.WINDOW,
        business_hours=[],
        window_starts_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),  # past: decided "skipped", no send
        window_ends_at=dt.datetime(2020, 2, 1, tzinfo=dt.UTC),
        cooldown_hours=1,
    )


def test_a_group_reads_the_hooks_tenant_settings_once(client, tenant, owner, monkeypatch):
    """The auto-reply settings and the opt-out keywords are read once per group (the group's
    `InboundMemo`), not once per message; every message is still decided and logged."""
    channel = make_channel(tenant)
    _autoreply_on(tenant, owner)
    monkeypatch.setattr(services_drain, "DRAIN_GROUP", 5)
    _post_upserts(client, channel, 5)
    with CaptureQueriesContext(connection) as queries:
        assert inbound_events_drain(provider="evolution", channel_key=str(channel.pk)) == {
            "processed": 5
        }
    assert _statements(queries, "SELECT", "conversation_autoreply_settings") == 1
    assert _statements(queries, "SELECT", "conversation_optout_keywords") == 1
    assert AutoReplyLog.objects.count() == 5


def test_a_change_made_before_a_group_applies_to_that_group(client, tenant, owner, monkeypatch):
    channel = make_channel(tenant)
    monkeypatch.setattr(services_drain, "DRAIN_GROUP", 3)
    _post_upserts(client, channel, 3)
    inbound_events_drain(provider="evolution", channel_key=str(channel.pk))
    assert AutoReplyLog.objects.count() == 0  # auto-reply off: nothing decided

    _autoreply_on(tenant, owner)
    optout_keyword_add(tenant=tenant, actor=owner, keyword="chega de mensagens", kind="optout")
    for n in range(3, 5):
        assert post(client, channel, _upsert(n)).status_code == 200
    stop = json.loads(_upsert(5))
    stop["data"]["message"]["conversation"] = "Chega de mensagens!"
    assert post(client, channel, json.dumps(stop).encode()).status_code == 200
    assert inbound_events_drain(provider="evolution", channel_key=str(channel.pk)) == {
        "processed": 3
    }
    assert AutoReplyLog.objects.count() == 2  # the opt-out is consumed, not auto-replied
    assert OptOut.objects.filter(tenant=tenant).count() == 1
