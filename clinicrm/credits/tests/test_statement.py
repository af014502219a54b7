"""The clinic's statement ("Extrato"): every movement of both ledgers with its reason, filters,
totals, and the CSV/XLSX exports holding the same rows and totals as the page."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from openpyxl import load_workbook

from clinicrm.core.models import Role
from clinicrm.core.timeutils import SAO_PAULO
from clinicrm.credits.models import CreditPurchase
from clinicrm.credits.purchases import purchase_payment_received, purchase_payment_refunded
from clinicrm.credits.services import addon_credits_add, addon_credits_consume, credits_add
from clinicrm.credits.statement import StatementFilters, statement_page, statement_totals
from clinicrm.messaging.models import Provider
from clinicrm.messaging.providers import SendResult, StatusUpdate
from clinicrm.messaging.services import (
    message_ingest,
    message_send,
    message_send_perform,
    message_status_apply,
)
from clinicrm.messaging.tests.factories import AdapterScope, inbound_text, make_channel, thread_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def adapters():
    with AdapterScope() as scope:
        yield scope


URL = "/configuracoes/extrato"
PHONE = "+5511988887777"


def _at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 5, day, hour, 0, tzinfo=SAO_PAULO)


def _history(tenant, owner, staff_user, adapters) -> None:
    """May 2026: a PIX purchase, two messages (one refused by the 24-hour window, refunded),
    a staff top-up, a refunded purchase, and add-on movements."""
    channel = make_channel(tenant, Provider.TWILIO)
    with time_machine.travel(_at(1), tick=False):
        purchase = CreditPurchase.objects.create(
            tenant=tenant, package_name="Clínica", credits=500, amount_brl=Decimal("119.90")
        )
        purchase_payment_received(purchase=purchase)
    with time_machine.travel(_at(2, 9), tick=False):
        # Maria writes first: the 24-hour window is open until 9:00 the next day.
        message_ingest(
            channel=channel,
            inbound=inbound_text(jid=f"whatsapp:{PHONE}", contact_name="Maria Souza"),
        )
    with time_machine.travel(_at(2), tick=False):
        sent = message_send(tenant=tenant, actor=owner, thread_key=PHONE, text="Oi, Maria!")
        adapters.script(channel, SendResult.ok("SM1"))
        message_send_perform(message_id=sent.pk)
    with time_machine.travel(_at(3, 8), tick=False):
        refused = message_send(tenant=tenant, actor=owner, thread_key=PHONE, text="Lembrete")
        adapters.script(channel, SendResult.ok("SM2"))
        message_send_perform(message_id=refused.pk)
        message_status_apply(channel=channel, update=StatusUpdate("SM2", "failed", "63016"))
    with time_machine.travel(_at(4), tick=False):
        credits_add(
            tenant=tenant, amount=50, kind="topup_manual", admin=staff_user, note="Cortesia"
        )
    with time_machine.travel(_at(5), tick=False):
        returned = CreditPurchase.objects.create(
            tenant=tenant, package_name="Inicial", credits=100, amount_brl=Decimal("29.90")
        )
        purchase_payment_received(purchase=returned)
        purchase_payment_refunded(purchase=returned)
    with time_machine.travel(_at(6), tick=False):
        addon_credits_add(
            tenant=tenant, addon_type="sms", amount=10, price_cents=990, description="Pacote SMS"
        )
    with time_machine.travel(_at(6, 11), tick=False):
        addon_credits_consume(tenant=tenant, addon_type="sms")


def test_statement_lists_every_movement_with_its_reason(
    owner_client, tenant, owner, staff_user, adapters
):
    _history(tenant, owner, staff_user, adapters)
    response = owner_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Compra PIX do pacote Clínica" in html
    assert "R$ 119,90" in html
    assert "Mensagem enviada pelo WhatsApp Oficial" in html
    assert "Conversa com Maria Souza" in html
    assert f'href="{thread_url(tenant, PHONE)}"' in html
    # The refund names the failure (the 24-hour window), not an empty note.
    assert (
        "Mensagem não entregue: reembolsada (A janela de 24 horas do WhatsApp está fechada" in html
    )
    # ... and keeps the ledger's note of the evidence that proved it failed.
    assert "Reembolso — evidência: aviso de status do provedor" in html and "63016" in html
    assert "Recarga feita pela equipe Clinicrm: Cortesia" in html
    assert "Estorno do pagamento PIX: Inicial" in html and "-R$ 29,90" in html
    assert "Pacote SMS" in html and "Add-on sms" in html
    assert "centavos" not in html

    _page, rows = statement_page(tenant=tenant, filters=StatementFilters())
    assert [r.kind for r in rows] == [
        "Consumo", "Compra", "Ajuste", "Compra", "Recarga", "Reembolso", "Uso", "Uso", "Compra"
    ]  # fmt: skip
    assert rows[0].local_time == dt.datetime(2026, 5, 6, 11, 0)


def test_statement_totals_per_product(tenant, owner, staff_user, adapters):
    _history(tenant, owner, staff_user, adapters)
    whatsapp, sms = statement_totals(tenant=tenant, filters=StatementFilters())
    # 500 + 1 (refund) + 50 + 100 in; 2 usages and the 100 taken back out.
    assert (whatsapp.product, whatsapp.credited, whatsapp.debited) == (
        "Créditos WhatsApp",
        651,
        -102,
    )
    assert whatsapp.net == 549
    assert whatsapp.value == Decimal("119.90")  # 119,90 + 29,90 paid - 29,90 given back
    assert (sms.product, sms.credited, sms.debited, sms.value) == (
        "Add-on sms",
        10,
        -1,
        Decimal("9.90"),
    )


def test_statement_filters_by_kind_product_and_period(
    owner_client, tenant, owner, staff_user, adapters
):
    _history(tenant, owner, staff_user, adapters)

    def kinds(query: str) -> list[str]:
        html = owner_client.get(f"{URL}?{query}").content.decode()
        return [
            k for k in ("Compra PIX", "Mensagem enviada", "não entregue", "Pacote SMS") if k in html
        ]

    assert kinds("kind=uso") == ["Mensagem enviada"]
    assert kinds("kind=reembolso") == ["não entregue"]
    assert kinds("kind=compra&product=whatsapp") == ["Compra PIX"]
    assert kinds("product=sms") == ["Pacote SMS"]
    assert kinds("date_from=2026-05-02&date_to=2026-05-03") == ["Mensagem enviada", "não entregue"]
    html = owner_client.get(f"{URL}?date_from=2027-01-01").content.decode()
    assert "Nenhuma movimentação para estes filtros" in html


def test_statement_refuses_an_inverted_period(owner_client, tenant):
    response = owner_client.get(f"{URL}?date_from=2026-05-10&date_to=2026-05-01")
    assert response.status_code == 400
    assert "data final" in response.content.decode()
    assert owner_client.get(f"{URL}?kind=nada").status_code == 400


def test_empty_statement(owner_client, tenant):
    html = owner_client.get(URL).content.decode()
    assert "Nenhuma movimentação." in html and "Exportar" not in html


def test_statement_is_paginated(owner_client, tenant, staff_user):
    for n in range(30):
        credits_add(tenant=tenant, amount=1, kind="topup_manual", admin=staff_user, note=f"n{n}")
    html = owner_client.get(URL).content.decode()
    assert html.count('data-testid="statement-row"') == 25 and "Página 1 de 2" in html
    html = owner_client.get(f"{URL}?page=2").content.decode()
    assert html.count('data-testid="statement-row"') == 5


def test_exports_hold_the_page_rows_and_totals(owner_client, tenant, owner, staff_user, adapters):
    _history(tenant, owner, staff_user, adapters)
    _page, rows = statement_page(tenant=tenant, filters=StatementFilters())
    totals = statement_totals(tenant=tenant, filters=StatementFilters())

    response = owner_client.get(f"{URL}?export=xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="extrato.xlsx"'
    values = list(load_workbook(io.BytesIO(response.content)).active.values)
    header, body = values[0], values[1 : 1 + len(rows)]
    assert header[:3] == ("Data", "Produto", "Movimento")
    assert [(v[1], v[2], v[3], v[6]) for v in body] == [
        (r.product, r.kind, r.amount, r.reason) for r in rows
    ]
    assert body[-1][0] == dt.datetime(2026, 5, 1, 10, 0)  # São Paulo time
    assert values[1 + len(rows)] == (None,) * len(header) or not any(values[1 + len(rows)])
    total_rows = values[2 + len(rows) + 1 :]
    assert [(t[1], t[2], t[3], t[4], Decimal(str(t[5]))) for t in total_rows] == [
        (t.product, t.credited, t.debited, t.net, t.value) for t in totals
    ]

    response = owner_client.get(f"{URL}?export=csv&product=whatsapp")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0][0] == "Data" and lines[1][0] == "05/05/2026 10:00"
    assert ["", "Créditos WhatsApp", "651", "-102", "549", "119,90"] in lines
    assert not any("sms" in cell for line in lines for cell in line)


def test_old_addon_statement_url_redirects_with_its_filters(owner_client):
    response = owner_client.get("/configuracoes/extrato-addons?addon_type=sms&type=consumption")
    assert response.status_code == 301
    assert response["Location"] == f"{URL}?product=sms&kind=uso"
    assert owner_client.get("/configuracoes/extrato-addons")["Location"] == URL


def test_menu_shows_one_statement(owner_client):
    html = owner_client.get(URL).content.decode()
    assert f'href="{URL}"' in html and "Extrato de add-ons" not in html


@pytest.mark.parametrize("role", [Role.SECRETARY, Role.PROFESSIONAL])
def test_other_roles_are_refused(client, member_factory, role):
    client.force_login(member_factory(role))
    assert client.get(URL).status_code == 403


def test_another_tenants_rows_never_show(owner_client, tenant, other_tenant, staff_user):
    credits_add(tenant=other_tenant, amount=7777, kind="topup_manual", admin=staff_user)
    addon_credits_add(tenant=other_tenant, addon_type="sms", amount=8888, description="outra")
    html = owner_client.get(URL).content.decode()
    assert "7.777" not in html and "8.888" not in html and "outra" not in html
    xlsx = owner_client.get(f"{URL}?export=xlsx").content
    assert len(list(load_workbook(io.BytesIO(xlsx)).active.values)) == 3  # header, blank, totals
