"""Reconciliation against the fake Evolution over real HTTP (`/chat/findMessages`): receipts lost
on the way are read back from the server's stored `MessageUpdate` rows, a send whose answer was
lost is found in the contact's history, and an empty history proves nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from clinicrm.devtools.fake_evolution.server import FakeEvolutionServer
from clinicrm.devtools.fake_evolution.testing import INSTANCE, INSTANCE_TOKEN
from clinicrm.integrations.evolution.adapter import EvolutionAdapter
from clinicrm.integrations.evolution.tests.helpers import make_channel
from clinicrm.messaging.models import Channel, Evidence, Message, MessageStatus
from clinicrm.messaging.providers import Recipient
from clinicrm.messaging.services import message_reconcile, message_send, message_send_perform

pytestmark = pytest.mark.django_db

PATIENT = "+5511999999999"


@pytest.fixture
def channel(tenant, fake_evolution: FakeEvolutionServer, settings) -> Channel:
    # No webhook: nothing the server does reaches the CRM but the API's answers.
    fake_evolution.create_open_instance(INSTANCE, token=INSTANCE_TOKEN)
    settings.EVOLUTION_TIMEOUT_SECONDS = 0.4
    return make_channel(tenant, server_url=fake_evolution.url)


def _send(owner, channel: Channel, text: str = "Olá") -> Message:
    message = message_send(tenant=channel.tenant, actor=owner, thread_key=PATIENT, text=text)
    message_send_perform(message_id=message.pk)
    message.refresh_from_db()
    return message


def _after(seconds: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


def test_lost_receipts_are_read_back_from_find_messages(
    channel, fake_evolution, owner, settings
) -> None:
    message = _send(owner, channel)
    assert message.provider_message_id and message.status == MessageStatus.PENDING
    assert fake_evolution.flush(10)  # SERVER_ACK, DELIVERY_ACK, READ happened on the server
    counts = message_reconcile(now=_after(settings.MESSAGING_STATUS_CHECK_AFTER_SECONDS + 1))
    assert counts["status"] == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.READ and message.reconcile_at is None


def test_a_send_whose_answer_was_lost_is_found_in_the_history(
    channel, fake_evolution, owner, settings
) -> None:
    fake_evolution.control(
        "config", {}, {"hang_next": 1, "hang_seconds": 1.5, "auto_status": "none"}
    )
    message = _send(owner, channel, "Até amanhã")
    assert message.in_doubt and not message.provider_message_id
    counts = message_reconcile(now=_after(settings.MESSAGING_RECONCILE_AFTER_SECONDS + 1))
    assert counts["sent"] == 1
    message.refresh_from_db()
    sent = [m for m in fake_evolution.state.messages if m.startswith("3EB0")]
    assert message.provider_message_id == sent[-1]
    assert message.settled_by == Evidence.LISTING


def test_an_empty_history_proves_nothing(channel, fake_evolution, owner, settings) -> None:
    fake_evolution.control("config", {}, {"fail_next": [503]})  # may or may not have gone out
    message = _send(owner, channel)
    assert message.in_doubt
    counts = message_reconcile(now=_after(settings.MESSAGING_SEND_DEADLINE_SECONDS * 3))
    assert counts["waiting"] == 1
    message.refresh_from_db()
    assert message.in_doubt and message.status == MessageStatus.PENDING


def test_a_kept_history_without_the_message_proves_it_was_not_sent(
    channel, fake_evolution, owner, settings
) -> None:
    earlier = _send(owner, channel, "Primeira")
    assert earlier.provider_message_id
    fake_evolution.control("config", {}, {"fail_next": [503]})
    message = _send(owner, channel, "Segunda")
    assert message_reconcile(now=_after(300))["waiting"] >= 1  # not before the deadline
    counts = message_reconcile(now=_after(settings.MESSAGING_SEND_DEADLINE_SECONDS + 60))
    assert counts["failed"] == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.settled_by == Evidence.LISTING


def test_list_sent_pages_through_the_history(channel, fake_evolution, settings) -> None:
    settings.EVOLUTION_FIND_PAGE_SIZE = 2
    adapter = EvolutionAdapter(channel)
    to = Recipient(thread_key=PATIENT)
    since = timezone.now() - dt.timedelta(seconds=5)
    ids = [str(adapter.send_text(to=to, text=f"m{n}").provider_message_id) for n in range(5)]
    listing = adapter.list_sent(to=to, since=since)
    assert sorted(m.provider_message_id for m in listing.messages) == sorted(ids)
    assert not listing.complete  # nothing older than `since`: the server's memory is unproven
    assert {(m.kind, m.status) for m in listing.messages} <= {
        ("text", "pending"),
        ("text", "sent"),
        ("text", "delivered"),
        ("text", "read"),
    }
    # An hour-old message in the history shows the server kept the period: complete.
    with fake_evolution.state.lock:
        fake_evolution.state.messages[str(ids[0])]["data"]["messageTimestamp"] -= 3600
    listing = adapter.list_sent(to=to, since=since)
    assert listing.complete and len(listing.messages) == 4
