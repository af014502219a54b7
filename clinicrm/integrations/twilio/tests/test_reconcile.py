"""Reconciliation against the fake Twilio over real HTTP: sends in doubt are settled only by
positive evidence (a callback naming the message, the complete paged message list, the
fetched status), never by absence before the deadline, never by taking another send's SID."""

import datetime as dt
import threading
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.db import connection
from django.utils import timezone

from clinicrm.credits.models import CreditTransaction
from clinicrm.credits.services import credits_add, credits_balance_get
from clinicrm.devtools.fake_twilio.server import FakeTwilioServer
from clinicrm.devtools.fake_twilio.testing import AUTH_TOKEN, SENDER
from clinicrm.integrations.twilio.tests.helpers import make_twilio_channel, process_pending
from clinicrm.messaging.models import Channel, Evidence, Message, MessageStatus
from clinicrm.messaging.providers import TemplateRef
from clinicrm.messaging.services import message_reconcile, message_send, message_send_perform

pytestmark = pytest.mark.django_db(transaction=True)

PATIENT = "+5511988887777"
FUNDS = 30
TEMPLATE = TemplateRef(
    content_sid="HX" + "0a" * 16,
    variables={"1": "amanhã às 14h"},
    name="lembrete",
    preview="Lembrete: sua consulta é amanhã às 14h.",
)


@pytest.fixture
def wired(settings, live_server, fake_twilio: FakeTwilioServer, tenant) -> Channel:
    settings.PUBLIC_BASE_URL = live_server.url
    settings.TWILIO_READ_TIMEOUT_SECONDS = 0.3
    channel = make_twilio_channel(tenant, token="rec-token", auth_token=AUTH_TOKEN, sender=SENDER)
    fake_twilio.state.inbound_url = (
        f"{live_server.url}/webhooks/twilio/{channel.webhook_token}/inbound/"
    )
    fake_twilio.state.config.update(step_delay=0.01, auto_progress="none")
    credits_add(tenant=tenant, amount=FUNDS, kind="adjustment", note="teste")
    fake_twilio.send_inbound(**{"from": PATIENT, "to": SENDER}, body="oi")  # opens the window
    process_pending()
    return channel


def _send(owner, channel: Channel, text: str | None = None) -> Message:
    if text is None:
        return message_send(
            tenant=channel.tenant, actor=owner, thread_key=PATIENT, template=TEMPLATE
        )
    return message_send(tenant=channel.tenant, actor=owner, thread_key=PATIENT, text=text)


def _sid_named(fake: FakeTwilioServer, message: Message) -> str:
    """The SID the fake created for the request whose StatusCallback named `message`."""
    with fake.state.lock:
        for request in fake.state.api_requests:
            callback = dict(request["form"]).get("StatusCallback", "")
            if dict(parse_qsl(urlsplit(callback).query)).get("message_id") == str(message.pk):
                return str(request["sid"])
    raise AssertionError(f"no create named message {message.pk}")


def _after(seconds: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


def _balance(channel: Channel) -> int:
    return credits_balance_get(tenant=channel.tenant).balance


def _refunds(message: Message) -> list[str]:
    rows = CreditTransaction.objects.filter(conversation_message_id=message.pk, kind="refund")
    return [row.note or "" for row in rows]


def test_a_listing_longer_than_one_page_finds_the_message(
    wired, fake_twilio, owner, settings
) -> None:
    settings.TWILIO_LIST_PAGE_SIZE = 4
    fake_twilio.control("fail_next", {"mode": "timeout", "seconds": 1.0})
    lost = _send(owner, wired, "Até amanhã")
    assert message_send_perform(message_id=lost.pk) == "unknown"
    for n in range(11):  # later messages to the same patient: the lost one is on page 3
        later = _send(owner, wired, f"Mensagem {n}")
        assert message_send_perform(message_id=later.pk) == "ok"
    counts = message_reconcile(now=_after(settings.MESSAGING_RECONCILE_AFTER_SECONDS + 1))
    assert counts["sent"] == 1
    lost.refresh_from_db()
    assert lost.provider_message_id == _sid_named(fake_twilio, lost)
    assert lost.settled_by == Evidence.LISTING and not lost.in_doubt
    assert _balance(wired) == FUNDS - 12 and _refunds(lost) == []


def test_5xx_before_create_fails_only_after_the_deadline(
    wired, fake_twilio, owner, settings
) -> None:
    fake_twilio.control("fail_next", {"status": 503})
    message = _send(owner, wired, "Oi")
    assert message_send_perform(message_id=message.pk) == "unknown"
    assert message_reconcile(now=_after(300))["waiting"] == 1
    message.refresh_from_db()
    assert message.in_doubt and _balance(wired) == FUNDS - 1
    counts = message_reconcile(now=_after(settings.MESSAGING_SEND_DEADLINE_SECONDS + 60))
    assert counts["failed"] == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and _balance(wired) == FUNDS
    [note] = _refunds(message)
    assert "lista de mensagens do provedor" in note


def test_5xx_after_create_is_found_and_never_refunded(wired, fake_twilio, owner, settings) -> None:
    fake_twilio.control("fail_next", {"status": 503, "after_create": True})
    message = _send(owner, wired, "Oi")
    assert message_send_perform(message_id=message.pk) == "unknown"
    counts = message_reconcile(now=_after(settings.MESSAGING_SEND_DEADLINE_SECONDS + 60))
    assert counts["sent"] == 1
    message.refresh_from_db()
    assert message.provider_message_id == _sid_named(fake_twilio, message)
    assert _balance(wired) == FUNDS - 1


def test_accepted_message_without_callbacks_gets_its_status_fetched(
    wired, fake_twilio, owner, settings
) -> None:
    fake_twilio.state.config.update(auto_progress="read", drop_callbacks=True)
    message = _send(owner, wired, "Oi")
    assert message_send_perform(message_id=message.pk) == "ok"
    assert fake_twilio.flush(10)  # the provider delivered and read it; every callback was lost
    process_pending()
    message.refresh_from_db()
    assert message.status == MessageStatus.PENDING
    counts = message_reconcile(now=_after(settings.MESSAGING_STATUS_CHECK_AFTER_SECONDS + 1))
    assert counts["status"] == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.READ and message.reconcile_at is None
    assert _balance(wired) == FUNDS - 1


def test_unreachable_provider_at_the_deadline_leaves_it_in_doubt(
    wired, fake_twilio, owner, settings
) -> None:
    fake_twilio.control("fail_next", {"mode": "timeout", "seconds": 1.0, "create": False})
    message = _send(owner, wired, "Oi")
    assert message_send_perform(message_id=message.pk) == "unknown"
    url = settings.TWILIO_API_BASE_URL
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens: cannot be asked
    past_deadline = settings.MESSAGING_SEND_DEADLINE_SECONDS + 60
    assert message_reconcile(now=_after(past_deadline))["unreachable"] == 1
    message.refresh_from_db()
    assert message.in_doubt and message.status == MessageStatus.PENDING
    assert _balance(wired) == FUNDS - 1 and _refunds(message) == []
    # Reachable again: the complete listing proves it was never created.
    settings.TWILIO_API_BASE_URL = url
    assert message_reconcile(now=_after(past_deadline + 3600))["failed"] == 1
    assert _balance(wired) == FUNDS


def test_a_callback_naming_the_message_settles_it(wired, fake_twilio, owner) -> None:
    fake_twilio.state.config["auto_progress"] = "delivered"
    fake_twilio.control("fail_next", {"mode": "timeout", "seconds": 1.0})
    message = _send(owner, wired, "Oi")
    assert message_send_perform(message_id=message.pk) == "unknown"
    assert fake_twilio.flush(10)
    process_pending()
    message.refresh_from_db()
    assert message.provider_message_id == _sid_named(fake_twilio, message)
    assert message.status == MessageStatus.DELIVERED
    assert message.settled_by == Evidence.CALLBACK


def _perform_together(*messages: Message) -> list[str]:
    """Run the send tasks at the same time, each in its own thread and connection."""
    results: dict[int, str] = {}
    start = threading.Barrier(len(messages))

    def run(message: Message) -> None:
        try:
            start.wait(timeout=10)
            results[message.pk] = message_send_perform(message_id=message.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(m,)) for m in messages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return [results.get(m.pk, "") for m in messages]


def test_two_concurrent_sends_to_one_number_never_swap_sids(
    wired, fake_twilio, owner, settings
) -> None:
    """Two template messages to one patient at once, both created by Twilio, both answers lost:
    the listing cannot tell them apart (same content, same second), so neither is given an SID
    nor refunded, even past the deadline; their callbacks, which name them, settle each with
    its own SID."""
    fake_twilio.state.config.update(auto_progress="delivered", drop_callbacks=True)
    for _ in range(2):
        fake_twilio.control("fail_next", {"mode": "timeout", "seconds": 1.0})
    first, second = _send(owner, wired), _send(owner, wired)
    assert _perform_together(first, second) == ["unknown", "unknown"]
    assert fake_twilio.flush(10)
    counts = message_reconcile(now=_after(settings.MESSAGING_SEND_DEADLINE_SECONDS + 60))
    assert counts["waiting"] == 2
    for message in (first, second):
        message.refresh_from_db()
        assert message.in_doubt and not message.provider_message_id
    assert _balance(wired) == FUNDS - 2
    # The callbacks get through at last (Twilio's retry, or a re-sent status).
    fake_twilio.state.config["drop_callbacks"] = False
    for message in (first, second):
        sid = _sid_named(fake_twilio, message)
        fake_twilio.control(f"messages/{sid}/status", {"status": "read"})
    assert fake_twilio.flush(10)
    process_pending()
    for message in (first, second):
        message.refresh_from_db()
        assert message.provider_message_id == _sid_named(fake_twilio, message)
        assert message.status == MessageStatus.READ
    assert _balance(wired) == FUNDS - 2


def test_a_send_in_flight_keeps_its_sid_from_a_reconciliation(
    wired, fake_twilio, owner, settings
) -> None:
    """The second send's create succeeded and its task is about to record the SID when the
    first send (in doubt, never created) is reconciled: the first must not take that SID."""
    fake_twilio.control("fail_next", {"mode": "timeout", "seconds": 1.0, "create": False})
    lost = _send(owner, wired, text=None)
    assert message_send_perform(message_id=lost.pk) == "unknown"
    later = _send(owner, wired, text=None)
    from clinicrm.messaging.services import sending

    real_dispatch = sending._dispatch
    seen: dict[str, int] = {}

    def dispatch_then_reconcile(message: Message):
        result = real_dispatch(message)
        # Twilio has created it; its id is not recorded yet.
        seen.update(message_reconcile(now=_after(settings.MESSAGING_SEND_DEADLINE_SECONDS + 60)))
        return result

    sending._dispatch = dispatch_then_reconcile
    try:
        assert message_send_perform(message_id=later.pk) == "ok"
    finally:
        sending._dispatch = real_dispatch
    assert seen["sent"] == 0 and seen["failed"] == 0
    lost.refresh_from_db()
    later.refresh_from_db()
    assert not lost.provider_message_id and lost.in_doubt
    assert later.provider_message_id == _sid_named(fake_twilio, later)
    # Now the later one's SID is ours: the complete listing proves the first was never created.
    counts = message_reconcile(now=_after(settings.MESSAGING_SEND_DEADLINE_SECONDS + 3600))
    assert counts["failed"] == 1
    assert _balance(wired) == FUNDS - 1


def test_the_signature_covers_the_message_id(wired, client, settings) -> None:
    """A callback whose message_id was changed on the way no longer verifies: nothing stored."""
    from twilio.request_validator import RequestValidator

    from clinicrm.integrations.models import InboundEvent

    path = f"/webhooks/twilio/{wired.webhook_token}/status/"
    params = {
        "MessageSid": "SM" + "1" * 32,
        "MessageStatus": "delivered",
        "AccountSid": wired.config["account_sid"],
    }
    signed_for = f"{settings.PUBLIC_BASE_URL}{path}?message_id=1"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(signed_for, params)
    before = InboundEvent.objects.count()

    def post(query: str):
        return client.post(
            f"{path}?{query}",
            urlencode(params),
            content_type="application/x-www-form-urlencoded",
            headers={"X-Twilio-Signature": signature},
        )

    forged = post("message_id=2")
    assert forged.status_code == 403 and InboundEvent.objects.count() == before
    assert post("message_id=1").status_code == 200
    assert InboundEvent.objects.latest("pk").reference == "1"
