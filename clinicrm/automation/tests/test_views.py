"""The settings pages: opt-outs (LGPD), auto-reply and reminders. Bad input answers 400 with a
pt-BR message and changes nothing; roles decide who may change what."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from clinicrm.automation.models import (
    AutoReplySettings,
    OptOut,
    OptOutKeyword,
    ReminderSettings,
)
from clinicrm.automation.tests.helpers import appointment_for, patient_with_whatsapp
from clinicrm.core.models import AuditLog, Role
from clinicrm.core.timeutils import local_datetime, local_today
from clinicrm.messaging.tests.factories import make_channel

pytestmark = pytest.mark.django_db

HOURS = {f"bh_{d}_0_start": "08:00" for d in range(5)} | {
    f"bh_{d}_0_end": "18:00" for d in range(5)
}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_optouts_page_lists_keywords_and_numbers(tenant, owner_client):
    OptOut.objects.create(
        tenant=tenant,
        thread_key="+5511988887777",
        opted_out_at=local_datetime(dt.date(2026, 3, 2), dt.time(9, 30)),
        source="keyword",
        keyword="pare",
    )
    resp = owner_client.get(reverse("automation:optouts"))
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "+55 (11) 98888-7777" in html and "02/03/2026 09:30" in html
    assert "“pare”" in html
    assert OptOutKeyword.objects.filter(tenant=tenant, is_system=True).count() == 14
    assert "nao quero receber" in html and "Reativar" in html


@pytest.mark.parametrize(
    ("keyword", "message"),
    [("", "Este campo é obrigatório."), ("?!…", "Digite uma palavra"), ("sair", "já é")],
)
def test_bad_keywords_answer_400_and_save_nothing(tenant, owner_client, keyword, message):
    owner_client.get(reverse("automation:optouts"))  # seeds the system keywords
    before = OptOutKeyword.objects.count()
    resp = owner_client.post(
        reverse("automation:keyword_add"), {"keyword": keyword, "kind": "optout"}
    )
    assert resp.status_code == 400
    assert message in resp.content.decode()
    assert OptOutKeyword.objects.count() == before


def test_keyword_add_delete_and_system_ones_stay(tenant, owner_client):
    resp = owner_client.post(
        reverse("automation:keyword_add"), {"keyword": "Chega!", "kind": "optout"}
    )
    assert resp.status_code == 302
    custom = OptOutKeyword.objects.get(keyword="chega")
    system = OptOutKeyword.objects.filter(is_system=True).order_by("pk")[0]
    resp = owner_client.post(reverse("automation:keyword_delete", args=[system.pk]), follow=True)
    assert "não podem ser excluídas" in resp.content.decode()
    owner_client.post(reverse("automation:keyword_delete", args=[custom.pk]))
    assert not OptOutKeyword.objects.filter(keyword="chega").exists()
    assert OptOutKeyword.objects.filter(pk=system.pk).exists()


def test_secretary_manages_numbers_but_not_keywords(tenant, member_factory):
    client = _client(member_factory(Role.SECRETARY))
    resp = client.post(reverse("automation:keyword_add"), {"keyword": "chega", "kind": "optout"})
    assert resp.status_code == 403
    resp = client.post(
        reverse("automation:optout_add"), {"number": "(11) 98888-7777", "reason": "Pediu"}
    )
    assert resp.status_code == 302
    row = OptOut.objects.get()
    resp = client.post(reverse("automation:optout_close", args=[row.pk]), {"reason": ""})
    assert resp.status_code == 400 and "Informe o motivo" in resp.content.decode()
    row.refresh_from_db()
    assert row.opted_in_at is None
    resp = client.post(reverse("automation:optout_close", args=[row.pk]), {"reason": "Voltou"})
    assert resp.status_code == 302
    row.refresh_from_db()
    assert row.opted_in_reason == "Voltou"
    assert AuditLog.objects.filter(action="optout.close").exists()
    # Professionals do not see these pages.
    pro = _client(member_factory(Role.PROFESSIONAL))
    assert pro.get(reverse("automation:optouts")).status_code == 403


def test_manual_opt_out_and_opt_in_audit_the_request_ip(tenant, owner, owner_client):
    # Who changed whether a patient may be written to, and from where (LGPD accountability).
    resp = owner_client.post(
        reverse("automation:optout_add"),
        {"number": "(11) 98888-7777", "reason": "Pediu por telefone"},
        REMOTE_ADDR="203.0.113.21",
    )
    assert resp.status_code == 302
    row = OptOut.objects.get()
    resp = owner_client.post(
        reverse("automation:optout_close", args=[row.pk]),
        {"reason": "Pediu para voltar"},
        REMOTE_ADDR="203.0.113.22",
    )
    assert resp.status_code == 302
    audits = AuditLog.objects.filter(object_type="optout", object_id=str(row.pk))
    assert {(a.action, a.user, a.ip_address) for a in audits} == {
        ("optout.create", owner, "203.0.113.21"),
        ("optout.close", owner, "203.0.113.22"),
    }


def test_manual_opt_out_bad_number_is_400(tenant, owner_client):
    resp = owner_client.post(
        reverse("automation:optout_add"), {"number": "12<b>", "reason": "Pediu"}
    )
    assert resp.status_code == 400 and not OptOut.objects.exists()
    assert "<b>" not in resp.content.decode().split("Descadastrar um número")[1][:2000]


def _autoreply(**overrides):
    data = {
        "enabled": "on",
        "mode": "business_hours",
        "message": "Fechado. Voltamos {proxima_abertura}.",
        "cooldown_hours": "4",
        "state": "SP",
        **HOURS,
    }
    data.update(overrides)
    return data


def test_autoreply_saves_and_shows_the_log(tenant, owner_client):
    resp = owner_client.post(reverse("automation:autoreply"), _autoreply())
    assert resp.status_code == 302
    row = AutoReplySettings.objects.get()
    assert row.enabled and row.cooldown_hours == 4
    assert row.business_hours[0] == {"weekday": 0, "start": "08:00", "end": "18:00"}
    tenant.refresh_from_db()
    assert tenant.state == "SP"
    page = owner_client.get(reverse("automation:autoreply")).content.decode()
    assert 'value="08:00"' in page and "Nenhuma decisão registrada ainda" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"message": "Volte {amanha}"}, "Variável desconhecida: {amanha}"),
        ({"cooldown_hours": "0"}, "de 1 a"),
        ({"cooldown_hours": "-1"}, "de 1 a"),
        ({"cooldown_hours": "abc"}, "Informe um número inteiro"),
        ({"bh_0_1_start": "11:00", "bh_0_1_end": "13:00"}, "se sobrepõem"),
        (
            {
                "mode": "window",
                "window_starts_at": "2026-12-20T00:00",
                "window_ends_at": "2026-12-10T00:00",
            },
            "depois do início",
        ),
        ({"window_starts_at": "31/02/2026"}, "Data e hora inválidas"),
        ({"state": "XX"}, "Faça uma escolha válida"),
        ({"mode": ""}, "Este campo é obrigatório."),
    ],
)
def test_autoreply_bad_input_is_400_and_saves_nothing(tenant, owner_client, overrides, message):
    resp = owner_client.post(reverse("automation:autoreply"), _autoreply(**overrides))
    assert resp.status_code == 400
    assert message in resp.content.decode()
    assert not AutoReplySettings.objects.exists()


def test_only_managers_change_the_settings(tenant, member_factory):
    client = _client(member_factory(Role.SECRETARY))
    assert client.get(reverse("automation:autoreply")).status_code == 200
    assert client.post(reverse("automation:autoreply"), _autoreply()).status_code == 403
    assert client.post(reverse("automation:reminders"), {}).status_code == 403
    assert not AutoReplySettings.objects.exists()


def _reminders(**overrides):
    data = {
        "enabled_24h": "on",
        "text_24h": "Olá, {paciente}! Amanhã às {hora}.",
        "text_2h": "Olá, {paciente}! Hoje às {hora}.",
    }
    data.update(overrides)
    return data


def test_reminders_save_preview_and_preflight(tenant, owner_client):
    make_channel(tenant)
    resp = owner_client.post(reverse("automation:reminders"), _reminders())
    assert resp.status_code == 302
    row = ReminderSettings.objects.get()
    assert row.enabled_24h and not row.enabled_2h

    resp = owner_client.post(
        reverse("automation:reminders_preview"),
        _reminders(text_24h="Oi {paciente}, {data} {hora} com {profissional} — {clinica}"),
        HTTP_HX_REQUEST="true",
    )
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "<html" not in html and "Oi Maria" in html and "Clínica Alfa" in html
    resp = owner_client.post(
        reverse("automation:reminders_preview"),
        _reminders(text_2h="Oi {nome}"),
        HTTP_HX_REQUEST="true",
    )
    assert resp.status_code == 400 and "Variável desconhecida: {nome}" in resp.content.decode()

    # Tomorrow's appointment of a patient without WhatsApp is in the pre-flight list.
    patient, _ = patient_with_whatsapp(tenant, "Otávio Sem Zap", linked=False)
    tomorrow = local_today() + dt.timedelta(days=1)
    appointment_for(tenant, patient, local_datetime(tomorrow, dt.time(23, 0)))
    page = owner_client.get(reverse("automation:reminders")).content.decode()
    preflight = page.split('id="preflight"')[1].split("</section>")[0]
    assert "Otávio Sem Zap" in preflight and "Paciente sem WhatsApp cadastrado" in preflight


def test_reminders_bad_text_is_400(tenant, owner_client):
    resp = owner_client.post(reverse("automation:reminders"), _reminders(text_24h="Oi {x"))
    assert resp.status_code == 400 and "Chave sem par" in resp.content.decode()
    assert not ReminderSettings.objects.exists()


def test_the_menu_links_to_automation(tenant, owner_client):
    html = owner_client.get(reverse("automation:reminders")).content.decode()
    assert 'href="/configuracoes/lembretes-sessao"' in html
    assert 'href="/configuracoes/conversas-autoreply"' in html
    assert 'href="/configuracoes/conversas-optouts"' in html
