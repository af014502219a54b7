"""The single-statement ingest path: thread upsert rules, realtime NOTIFY sent inside the
transaction (delivered at commit, dropped on rollback), few statements per message."""

import datetime as dt
import json

import psycopg
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from clinicrm.core.dbutil import listen_connection_params
from clinicrm.messaging.hub import REALTIME_CHANNEL
from clinicrm.messaging.models import RealtimeEvent, Thread
from clinicrm.messaging.services.realtime import realtime_event_emit
from clinicrm.messaging.services.threads import thread_upsert


@pytest.mark.django_db
def test_thread_upsert_applies_the_get_or_create_rules(tenant):
    first = thread_upsert(
        tenant=tenant, thread_key="5511987650001", contact_raw_id="a@s", contact_name="Ana"
    )
    Thread.objects.filter(pk=first).update(updated_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    # Nothing new: same row, updated_at untouched.
    assert thread_upsert(tenant=tenant, thread_key="5511987650001", contact_raw_id="a@s") == first
    thread = Thread.objects.get()
    assert thread.updated_at.year == 2020
    # New address and LID win; a name never replaces one already known.
    again = thread_upsert(
        tenant=tenant,
        thread_key="5511987650001",
        contact_raw_id="b@s",
        contact_lid="1@lid",
        contact_name="Outra",
    )
    thread.refresh_from_db()
    assert again == first
    assert (thread.contact_raw_id, thread.contact_lid, thread.contact_name) == (
        "b@s",
        "1@lid",
        "Ana",
    )
    assert thread.updated_at.year > 2020
    # Blank values keep what is known; a blank name is filled.
    Thread.objects.filter(pk=first).update(contact_name="")
    thread_upsert(tenant=tenant, thread_key="5511987650001", contact_name="Ana Maria")
    thread.refresh_from_db()
    assert (thread.contact_raw_id, thread.contact_lid, thread.contact_name) == (
        "b@s",
        "1@lid",
        "Ana Maria",
    )
    assert Thread.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_realtime_notify_is_delivered_at_commit_and_dropped_on_rollback(tenant):
    listener = None
    if connection.vendor == "postgresql":
        listener = psycopg.connect(**listen_connection_params())
        listener.execute(f"LISTEN {REALTIME_CHANNEL}")
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            realtime_event_emit(tenant=tenant, kind="thread", payload={"thread": 1})
            raise RuntimeError("rolled back")
        with transaction.atomic(), CaptureQueriesContext(connection) as captured:
            event = realtime_event_emit(tenant=tenant, kind="thread", payload={"thread": 2})
        # One statement: the INSERT (and, on PostgreSQL, its NOTIFY); no after-commit trip.
        assert len([q for q in captured.captured_queries if "realtime_events" in q["sql"]]) == 1
        assert list(RealtimeEvent.objects.values_list("pk", "payload")) == [
            (event.pk, {"thread": 2})
        ]
        if listener is not None:
            received = [n.payload for n in listener.notifies(timeout=2, stop_after=1)]
            # The whole event travels in the NOTIFY: the hub fans it out without a query.
            assert [json.loads(text) for text in received] == [
                {"t": tenant.pk.hex, "k": "thread", "p": {"thread": 2}, "i": event.pk}
            ]
            assert list(listener.notifies(timeout=0.3)) == []
    finally:
        if listener is not None:
            listener.close()
