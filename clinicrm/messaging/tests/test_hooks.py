"""The extension points automation registers into: inbound hooks, send checks, send guards."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinicrm.core.errors import ApplicationError
from clinicrm.credits.services import credits_add, credits_balance_get
from clinicrm.messaging import hooks
from clinicrm.messaging.models import Message, MessageStatus, Provider
from clinicrm.messaging.services import message_ingest, message_send, message_send_perform
from clinicrm.messaging.tests.factories import inbound_text, make_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def isolated_hooks() -> Iterator[None]:
    """Only this test's hooks (automation's own are registered at start-up)."""
    registries: list[list[Any]] = [hooks.INBOUND_HOOKS, hooks.SEND_CHECKS, hooks.SEND_GUARDS]
    saved = [list(registry) for registry in registries]
    for registry in registries:
        registry.clear()
    yield
    for registry, items in zip(registries, saved, strict=True):
        registry[:] = items


def test_inbound_hooks_run_in_order_until_one_consumes(tenant, isolated_hooks):
    channel = make_channel(tenant)
    seen: list[str] = []

    def broken(*, channel, message, memo):
        Message.objects.filter(pk=message.pk).update(body="changed by a broken hook")
        raise RuntimeError("bug")

    def first(*, channel, message, memo):
        seen.append(f"first:{message.body}")
        return message.body == "PARE"

    def second(*, channel, message, memo):
        seen.append(f"second:{message.body}")
        return False

    for hook in (broken, first, second, first):  # a second registration is ignored
        hooks.inbound_hook_register(hook)

    message_ingest(channel=channel, inbound=inbound_text("A1", body="Oi"))
    message_ingest(channel=channel, inbound=inbound_text("A2", body="PARE"))
    message_ingest(channel=channel, inbound=inbound_text("A2", body="PARE"))  # duplicate

    assert seen == ["first:Oi", "second:Oi", "first:PARE"]
    # The broken hook's write rolled back with its savepoint; the messages stayed.
    assert sorted(Message.objects.values_list("body", flat=True)) == ["Oi", "PARE"]


def _savepoints(queries: CaptureQueriesContext) -> int:
    return sum(q["sql"].lstrip().upper().startswith("SAVEPOINT") for q in queries.captured_queries)


def test_hooks_share_one_savepoint_when_none_fails(tenant, isolated_hooks):
    channel = make_channel(tenant)
    seen: list[str] = []
    for name in ("a", "b", "c"):

        def hook(*, channel, message, memo, name=name):
            seen.append(name)
            return False

        hook.__name__ = name
        hooks.inbound_hook_register(hook)
    message = message_ingest(channel=channel, inbound=inbound_text("B1", body="Oi"))
    assert message is not None
    with CaptureQueriesContext(connection) as queries:
        assert hooks.inbound_hooks_run(channel=channel, message=message) is None
    assert seen == ["a", "b", "c"] * 2
    assert _savepoints(queries) == 1


def test_a_failing_hook_after_a_writing_one_loses_only_its_own_writes(tenant, isolated_hooks):
    channel = make_channel(tenant)
    calls: list[str] = []

    def writer(*, channel, message, memo):
        calls.append("writer")
        Message.objects.filter(pk=message.pk).update(body=message.body + " (visto)")
        return False

    def broken(*, channel, message, memo):
        calls.append("broken")
        Message.objects.filter(pk=message.pk).update(body="changed by a broken hook")
        raise RuntimeError("bug")

    def last(*, channel, message, memo):
        calls.append("last")
        return True

    for hook in (writer, broken, last):
        hooks.inbound_hook_register(hook)
    message = message_ingest(channel=channel, inbound=inbound_text("C1", body="Oi"))
    assert message is not None
    # The shared savepoint ran writer and broken, then rolled back; one savepoint each then.
    assert calls == ["writer", "broken", "writer", "broken", "last"]
    assert Message.objects.get(pk=message.pk).body == "Oi (visto)"


def test_a_send_check_refuses_before_anything_is_created(tenant, owner, isolated_hooks):
    make_channel(tenant)
    calls = []

    def check(*, tenant, thread_key, actor, automation, confirmed, ip):
        calls.append((thread_key, actor, automation, confirmed))
        if not confirmed:
            raise hooks.SendNeedsConfirmation("Confirme o envio.")

    hooks.send_check_register(check)
    with pytest.raises(ApplicationError) as excinfo:
        message_send(tenant=tenant, actor=owner, thread_key="11988887777", text="Oi")
    assert excinfo.value.field == "confirmed"
    assert not Message.objects.exists()

    sent = message_send(
        tenant=tenant, actor=owner, thread_key="11988887777", text="Oi", confirmed=True
    )
    assert sent.extra == {}
    auto = message_send(
        tenant=tenant,
        actor=None,
        thread_key="11988887777",
        text="Oi",
        automation="test",
        confirmed=True,
    )
    assert auto.extra == {"automation": "test"}
    assert calls[0] == ("+5511988887777", owner, "", False)
    assert calls[-1] == ("+5511988887777", None, "test", True)


def test_a_send_guard_fails_a_queued_message_and_refunds_it(tenant, adapters, isolated_hooks):
    channel = make_channel(tenant, Provider.TWILIO)
    credits_add(tenant=tenant, amount=3, kind="adjustment", note="teste")
    message_ingest(channel=channel, inbound=inbound_text(jid="whatsapp:+5511988887777"))
    message = message_send(
        tenant=tenant, actor=None, thread_key="+5511988887777", text="Lembrete", automation="x"
    )
    assert credits_balance_get(tenant=tenant).balance == 2
    hooks.send_guard_register(
        lambda *, message: "opted_out" if message.extra.get("automation") else None
    )

    assert message_send_perform(message_id=message.pk) == "refused"
    message.refresh_from_db()
    assert (message.status, message.error_code) == (MessageStatus.FAILED, "opted_out")
    assert "não receber" in message.error_message
    assert credits_balance_get(tenant=tenant).balance == 3
    assert adapters.adapter is None  # the provider was never called
