"""The demo never contradicts itself: right after `seed_demo`, what the conversation page says
about Twilio's 24-hour window is what the fake Twilio enforces, a reply the page allows is
delivered, and the seeded conversations address the people who read them."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

from clinicrm.core.models import Membership, Role
from clinicrm.devtools.fake_twilio import DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_SENDER
from clinicrm.devtools.fake_twilio.server import FakeTwilioServer
from clinicrm.devtools.management.commands.seed_demo import format_twilio_accounts
from clinicrm.devtools.seed import DEMO_TWILIO_ACCOUNTS, demo_channels_provision
from clinicrm.messaging.models import Direction, Message, MessageStatus, Thread
from clinicrm.messaging.services import message_send, message_send_perform
from clinicrm.messaging.services.outbox import thread_window_state

pytestmark = pytest.mark.django_db

SOLO = "dra-ana-lima"


@pytest.fixture
def demo_twilio(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTwilioServer]:
    """The fake Twilio as run_demo starts it: empty, knowing only the demo account."""
    monkeypatch.delenv("TWILIO_EDGE", raising=False)
    monkeypatch.delenv("TWILIO_REGION", raising=False)
    fake = FakeTwilioServer(accounts={DEMO_ACCOUNT_SID: DEMO_AUTH_TOKEN}, accept_any=True).start()
    fake.state.config["auto_progress"] = "none"
    settings.TWILIO_API_BASE_URL = fake.url
    try:
        yield fake
    finally:
        fake.stop()


def test_fake_twilio_enforces_the_window_the_page_shows_right_after_seed_demo(
    demo_twilio: FakeTwilioServer, settings: Any
) -> None:
    call_command("seed_demo", verbosity=0)
    demo_channels_provision(
        public_url="http://127.0.0.1:8000", fake_urls={"fake_twilio": demo_twilio.url}
    )

    threads = list(Thread.objects.filter(tenant__slug=SOLO))
    states = {t.thread_key: thread_window_state(thread=t).is_open for t in threads}
    assert True in states.values() and False in states.values()  # the demo shows both
    for thread_key, page_says_open in states.items():
        assert demo_twilio.state.window_open(DEMO_SENDER, thread_key) is page_says_open, thread_key

    # A free-text reply the page allows goes out, and the fake does not refuse it as 63016.
    owner = Membership.objects.get(tenant__slug=SOLO, role=Role.OWNER).user
    open_key = next(k for k, is_open in states.items() if is_open)
    message = message_send(
        tenant=owner.memberships.get().tenant, actor=owner, thread_key=open_key, text="Oi!"
    )
    assert message_send_perform(message_id=message.pk) == "ok"
    message.refresh_from_db()
    assert message.status != MessageStatus.FAILED and message.provider_message_id
    sent = demo_twilio.state.messages[message.provider_message_id]
    assert sent["_meta"]["async_error"] == ""


def test_seeded_conversations_address_the_people_who_read_them(db) -> None:
    call_command("seed_demo", verbosity=0)
    greeting = re.compile(r"^(?:Oi|Olá|Bom dia|Boa tarde|Boa noite),? (?:Dra?\. )?(\w+)[!.,]")
    checked: dict[str, int] = {Direction.INBOUND: 0, Direction.OUTBOUND: 0}
    for thread in Thread.objects.select_related("tenant"):
        tenant = thread.tenant
        owner = Membership.objects.get(tenant=tenant, role=Role.OWNER).user
        members = set(
            Membership.objects.filter(tenant=tenant).values_list("user__first_name", flat=True)
        )
        contact_first = (thread.contact_name or "").split(" ")[0]
        for message in Message.objects.filter(tenant=tenant, thread_key=thread.thread_key):
            match = greeting.match(message.body)
            if match is None:
                continue
            name = match.group(1)
            checked[message.direction] += 1
            if message.direction == Direction.INBOUND:
                # The patient writes to the practice: in a solo practice to its owner.
                assert name in members, (tenant.slug, message.body)
                if tenant.slug == SOLO:
                    assert name == owner.first_name, message.body
            else:
                assert name == contact_first, (thread.contact_name, message.body)
    assert checked[Direction.INBOUND] >= 1 and checked[Direction.OUTBOUND] >= 5


def test_twilio_test_credentials_are_printed_with_the_logins(capsys: Any, db) -> None:
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "dona@bemestar.demo" in out and "Twilio simulado" in out
    for account in DEMO_TWILIO_ACCOUNTS.values():
        assert account.account_sid in out and account.auth_token in out
    assert format_twilio_accounts() in out
