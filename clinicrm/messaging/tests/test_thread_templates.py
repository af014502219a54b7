"""Approved templates and the 24-hour window on the conversation page (services + views)."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from clinicrm.core.errors import ApplicationError
from clinicrm.credits.models import CreditTransaction
from clinicrm.credits.services import InsufficientCredits, credits_add, credits_balance_get
from clinicrm.messaging.errors import INSUFFICIENT_CREDITS_MESSAGE
from clinicrm.messaging.models import Channel, Message, Provider, Thread
from clinicrm.messaging.services.outbox import duration_label, thread_window_state
from clinicrm.messaging.services.templates import (
    UNKNOWN_TEMPLATE_MESSAGE,
    channel_templates,
    message_send_template,
    template_preview,
    template_ref_build,
)
from clinicrm.messaging.tests.factories import make_channel, make_thread

pytestmark = pytest.mark.django_db

REMINDER = "HX" + "a" * 32
RETURN = "HX" + "b" * 32
NOW = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)  # 12:00 in São Paulo


def _twilio(tenant, credits: int = 5) -> Channel:
    channel = make_channel(tenant, Provider.TWILIO)
    channel.config = {
        "account_sid": "AC" + "1" * 32,
        "sender": "+5511999990000",
        "templates": [
            {
                "name": "Lembrete de sessão",
                "content_sid": REMINDER,
                "variables": ["nome do paciente", "data e hora"],
                "body": "Olá, {{1}}! Sua sessão é {{2}}.",
            },
            {"name": "Retorno pendente", "content_sid": RETURN, "variables": ["nome"]},
        ],
    }
    channel.save()
    if credits:
        credits_add(tenant=tenant, amount=credits, kind="adjustment", note="teste")
    return channel


def _thread(tenant, *, hours_ago: float | None) -> Thread:
    last = NOW - dt.timedelta(hours=hours_ago) if hours_ago is not None else None
    return make_thread(tenant, contact_name="Júlia", last_inbound_at=last)


def _balance(tenant) -> int:
    return credits_balance_get(tenant=tenant).balance


# --- services ---------------------------------------------------------------------------------
def test_channel_templates_and_previews(tenant):
    channel = _twilio(tenant, credits=0)
    reminder, ret = channel_templates(channel=channel)
    assert (reminder.name, reminder.content_sid, reminder.variables) == (
        "Lembrete de sessão",
        REMINDER,
        ("nome do paciente", "data e hora"),
    )
    assert template_preview(option=reminder, values={"1": "Júlia", "2": "sexta 14h"}) == (
        "Olá, Júlia! Sua sessão é sexta 14h."
    )
    assert template_preview(option=reminder, values={"1": "Júlia"}) == (
        "Olá, Júlia! Sua sessão é [data e hora]."
    )
    # No body configured: a readable stand-in.
    assert template_preview(option=ret, values={"1": "Ana"}) == "Retorno pendente — nome: Ana"
    assert channel_templates(channel=make_channel(tenant, active=False)) == []
    assert channel_templates(channel=None) == []


def test_template_ref_build_validates_against_the_channel(tenant):
    channel = _twilio(tenant, credits=0)
    with pytest.raises(ApplicationError) as exc:
        template_ref_build(channel=channel, content_sid="HX" + "f" * 32, values=["x"])
    assert (exc.value.message, exc.value.field) == (UNKNOWN_TEMPLATE_MESSAGE, "content_sid")
    with pytest.raises(ApplicationError) as exc:
        template_ref_build(channel=channel, content_sid="", values=[])
    assert exc.value.field == "content_sid"
    with pytest.raises(ApplicationError) as exc:
        template_ref_build(channel=channel, content_sid=REMINDER, values=["Júlia", "   "])
    assert (exc.value.message, exc.value.field) == ("Preencha “data e hora”.", "var_2")
    with pytest.raises(ApplicationError) as exc:
        template_ref_build(channel=channel, content_sid=REMINDER, values=["Júlia"])
    assert exc.value.field == "var_2"
    with pytest.raises(ApplicationError) as exc:
        template_ref_build(channel=channel, content_sid=REMINDER, values=["x" * 501, "y"])
    assert exc.value.field == "var_1"
    # WhatsApp refuses newlines and runs of spaces in parameters: they are collapsed.
    ref = template_ref_build(
        channel=channel, content_sid=REMINDER, values=[" Júlia \n Prado ", "sexta,   14h", "extra"]
    )
    assert ref.variables == {"1": "Júlia Prado", "2": "sexta, 14h"}
    assert ref.preview == "Olá, Júlia Prado! Sua sessão é sexta, 14h."
    assert ref.name == "Lembrete de sessão" and ref.content_sid == REMINDER


def test_template_on_evolution_or_without_channel_is_refused(tenant):
    with pytest.raises(ApplicationError) as exc:
        template_ref_build(channel=None, content_sid=REMINDER, values=[])
    assert "Nenhum canal" in exc.value.message
    with pytest.raises(ApplicationError) as exc:
        template_ref_build(channel=make_channel(tenant), content_sid=REMINDER, values=[])
    assert "WhatsApp Oficial" in exc.value.message


@time_machine.travel(NOW, tick=False)
def test_template_send_outside_the_window_creates_charges_and_enqueues(tenant, owner):
    _twilio(tenant)
    thread = _thread(tenant, hours_ago=30)
    message = message_send_template(
        tenant=tenant,
        actor=owner,
        thread_key=thread.thread_key,
        content_sid=REMINDER,
        values=["Júlia", "sexta 14h"],
    )
    assert (message.kind, message.status, message.body) == (
        "template",
        "pending",
        "Olá, Júlia! Sua sessão é sexta 14h.",
    )
    assert message.extra == {
        "content_sid": REMINDER,
        "variables": {"1": "Júlia", "2": "sexta 14h"},
        "template_name": "Lembrete de sessão",
    }
    assert message.credit_charged and _balance(tenant) == 4


@time_machine.travel(NOW, tick=False)
def test_template_send_without_credits_creates_nothing(tenant, owner):
    _twilio(tenant, credits=0)
    thread = _thread(tenant, hours_ago=30)
    before = CreditTransaction.objects.count()
    with pytest.raises(InsufficientCredits) as exc:
        message_send_template(
            tenant=tenant,
            actor=owner,
            thread_key=thread.thread_key,
            content_sid=RETURN,
            values=["Júlia"],
        )
    assert exc.value.message == INSUFFICIENT_CREDITS_MESSAGE
    assert not Message.objects.exists()
    assert CreditTransaction.objects.count() == before


def test_window_state_and_labels(tenant):
    with time_machine.travel(NOW, tick=False):
        state = thread_window_state(thread=_thread(tenant, hours_ago=18 + 48 / 60))
        assert state.is_open and state.label() == "Janela de 24 h: fecha em 5 h 12 min"
        assert state.closes_at == NOW + dt.timedelta(hours=5, minutes=12)
        local = state.closes_at_local
        assert local is not None and local.strftime("%H:%M") == "17:12"  # São Paulo (UTC-3)
        closed = thread_window_state(thread=_thread(tenant, hours_ago=24))
        assert not closed.is_open and closed.label() == "Janela fechada"
        never = thread_window_state(thread=_thread(tenant, hours_ago=None))
        assert (never.is_open, never.closes_at, never.label()) == (False, None, "Janela fechada")
    # The same state, seen later, counts down and closes.
    assert state.label(NOW + dt.timedelta(hours=5)) == "Janela de 24 h: fecha em 12 min"
    assert state.label(NOW + dt.timedelta(hours=5, minutes=12)) == "Janela fechada"
    assert duration_label(dt.timedelta(seconds=59)) == "menos de 1 min"
    assert duration_label(dt.timedelta(hours=2)) == "2 h"
    assert duration_label(dt.timedelta(hours=23, minutes=59, seconds=59)) == "23 h 59 min"


# --- views ------------------------------------------------------------------------------------
def _page(client, thread) -> str:
    response = client.get(reverse("messaging:thread", kwargs={"thread_id": thread.pk}))
    assert response.status_code == 200
    return response.content.decode()


def _send_url(thread) -> str:
    return reverse("messaging:thread_send", kwargs={"thread_id": thread.pk})


@time_machine.travel(NOW, tick=False)
def test_page_inside_the_window_shows_countdown_free_text_and_templates(owner_client, tenant):
    _twilio(tenant)
    thread = _thread(tenant, hours_ago=18 + 48 / 60)
    html = _page(owner_client, thread)
    assert "Janela de 24 h: fecha em 5 h 12 min" in html
    assert 'data-window-open="1"' in html
    assert "Fecha em 10/03/2026 às 17:12 (horário de Brasília)" in html
    assert '<fieldset class="plain-fieldset" data-free-text >' in html  # enabled
    assert "data-window-closed-notice hidden" in html
    assert 'id="template-form"' in html and "Lembrete de sessão" in html
    assert f'value="{REMINDER}" selected' in html
    assert 'data-template-pattern="Olá, {{1}}! Sua sessão é {{2}}."' in html
    assert "Olá, [nome do paciente]! Sua sessão é [data e hora]." in html
    assert "<script>" not in html and "style=" not in html


@time_machine.travel(NOW, tick=False)
def test_page_outside_the_window_disables_free_text_and_opens_templates(owner_client, tenant):
    _twilio(tenant)
    thread = _thread(tenant, hours_ago=25)
    html = _page(owner_client, thread)
    assert "Janela fechada" in html and 'data-window-open="0"' in html
    assert "data-free-text disabled" in html
    assert "o WhatsApp só aceita modelos aprovados" in html
    assert "data-window-closed-notice hidden" not in html
    assert 'data-testid="template-picker" open' in html


def test_twilio_without_templates_points_to_the_setup(owner_client, tenant):
    make_channel(tenant, Provider.TWILIO)
    html = _page(owner_client, make_thread(tenant))
    assert "Nenhum modelo aprovado cadastrado" in html
    assert reverse("integrations:twilio_setup") in html
    assert 'id="template-form"' not in html


def test_evolution_page_has_no_window_nor_templates(owner_client, tenant):
    make_channel(tenant)
    html = _page(owner_client, make_thread(tenant))
    assert 'id="thread-window"' not in html and 'id="template-form"' not in html
    assert "data-free-text disabled" not in html and "Janela" not in html


@time_machine.travel(NOW, tick=False)
def test_timeline_refresh_brings_the_window_pill_out_of_band(owner_client, tenant):
    _twilio(tenant)
    thread = _thread(tenant, hours_ago=2)
    url = reverse("messaging:thread_timeline", kwargs={"thread_id": thread.pk})
    html = owner_client.get(url, headers={"HX-Request": "true"}).content.decode()
    # Only the newest messages and the pill: the drawer appends them (conversation.js).
    assert "<section" not in html and 'id="send-box"' not in html
    assert 'id="thread-window"' in html and 'hx-swap-oob="true"' in html
    assert "fecha em 22 h" in html
    # The full page renders the pill once, not out-of-band.
    page = _page(owner_client, thread)
    assert page.count('id="thread-window"') == 1 and "hx-swap-oob" not in page


@time_machine.travel(NOW, tick=False)
def test_send_template_from_the_page(owner_client, tenant):
    _twilio(tenant)
    thread = _thread(tenant, hours_ago=30)
    response = owner_client.post(
        _send_url(thread),
        {"content_sid": REMINDER, "var_1": "Júlia", "var_2": "sexta 14h"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "timeline-refresh"
    message = Message.objects.get()
    assert message.kind == "template" and message.body == "Olá, Júlia! Sua sessão é sexta 14h."
    assert message.extra["variables"] == {"1": "Júlia", "2": "sexta 14h"}
    assert _balance(tenant) == 4


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"content_sid": "HX" + "f" * 32, "var_1": "x"}, UNKNOWN_TEMPLATE_MESSAGE),
        ({"content_sid": ""}, "Escolha um modelo aprovado."),
        ({"content_sid": REMINDER, "var_1": "Júlia"}, "Preencha “data e hora”."),
        ({"content_sid": REMINDER, "var_1": "", "var_2": "sexta"}, "Preencha “nome do paciente”."),
    ],
)
def test_bad_template_posts_are_400_and_create_nothing(owner_client, tenant, data, expected):
    _twilio(tenant)
    thread = _thread(tenant, hours_ago=30)
    response = owner_client.post(_send_url(thread), data, headers={"HX-Request": "true"})
    assert response.status_code == 400
    html = response.content.decode()
    assert expected in html
    assert 'id="send-box"' in html and "has-error" in html
    assert not Message.objects.exists()
    assert _balance(tenant) == 5


@time_machine.travel(NOW, tick=False)
def test_bad_template_post_keeps_what_was_typed(owner_client, tenant):
    _twilio(tenant)
    thread = _thread(tenant, hours_ago=30)
    response = owner_client.post(
        _send_url(thread), {"content_sid": REMINDER, "var_1": "Júlia"}, headers={"HX-Request": "1"}
    )
    html = response.content.decode()
    assert 'value="Júlia"' in html
    assert "Olá, Júlia! Sua sessão é [data e hora]." in html
    assert 'data-testid="template-picker" open' in html


@time_machine.travel(NOW, tick=False)
def test_template_without_credits_is_a_clear_400_and_creates_nothing(owner_client, tenant):
    _twilio(tenant, credits=0)
    thread = _thread(tenant, hours_ago=30)
    response = owner_client.post(
        _send_url(thread), {"content_sid": RETURN, "var_1": "Júlia"}, headers={"HX-Request": "1"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert INSUFFICIENT_CREDITS_MESSAGE in html and "alert-error" in html
    assert not Message.objects.exists()
    assert not CreditTransaction.objects.filter(tenant=tenant).exists()


def test_template_post_on_evolution_is_refused(owner_client, tenant):
    make_channel(tenant)
    thread = make_thread(tenant, last_inbound_at=timezone.now())
    response = owner_client.post(
        _send_url(thread), {"content_sid": REMINDER, "var_1": "x"}, headers={"HX-Request": "1"}
    )
    assert response.status_code == 400
    assert "Modelos aprovados só podem ser enviados pelo WhatsApp Oficial." in (
        response.content.decode()
    )
    assert not Message.objects.exists()


def test_template_post_to_another_tenants_thread_is_404(owner_client, tenant, other_tenant):
    _twilio(tenant)
    thread = make_thread(other_tenant)
    response = owner_client.post(_send_url(thread), {"content_sid": RETURN, "var_1": "x"})
    assert response.status_code == 404
    assert not Message.objects.exists()
