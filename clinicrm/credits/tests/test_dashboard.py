"""The dashboard card "Saldo de créditos WhatsApp": balance, low-balance pill, store link."""

import pytest
from django.test import Client
from django.urls import reverse

from clinicrm.core.models import Role
from clinicrm.credits.dashboard import credits_balance_summary
from clinicrm.credits.services import (
    credits_add,
    credits_deduct,
    credits_low_balance_threshold_set,
)

pytestmark = pytest.mark.django_db


def _card(client: Client) -> str:
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('id="kpi-slot-credits"')
    return html[start : html.index("dashboard-panels", start)]


def _topup(tenant, staff_user, amount: int) -> None:
    credits_add(tenant=tenant, amount=amount, kind="topup_manual", admin=staff_user, note="teste")


def test_summary_before_any_movement(tenant):
    summary = credits_balance_summary(tenant=tenant)
    assert (summary.balance, summary.low_balance_threshold) == (0, 20)
    assert summary.is_low and summary.is_empty


def test_healthy_balance_has_no_pill(tenant, other_tenant, staff_user, owner_client):
    _topup(tenant, staff_user, 150)
    credits_deduct(tenant=tenant, message_id=1)
    _topup(other_tenant, staff_user, 5)
    card = _card(owner_client)
    assert "kpi-placeholder" not in card
    assert '<div class="kpi-value">149</div>' in card
    assert "Saldo de créditos WhatsApp" in card
    assert "pill" not in card
    assert "Alerta abaixo de 20" in card
    assert f'href="{reverse("credits:page")}"' in card


def test_low_balance_shows_the_warning_pill(tenant, staff_user, owner_client):
    _topup(tenant, staff_user, 20)
    assert "Saldo baixo" not in _card(owner_client)  # at the threshold is not below it
    credits_deduct(tenant=tenant, message_id=1)
    card = _card(owner_client)
    assert '<div class="kpi-value">19 <span class="pill pill-warn">Saldo baixo</span></div>' in card
    assert "Abaixo do limite de alerta (20)" in card
    assert "Comprar créditos" in card
    credits_low_balance_threshold_set(tenant=tenant, threshold=5)
    assert "Saldo baixo" not in _card(owner_client)


def test_empty_balance_pill(owner_client):
    card = _card(owner_client)
    assert '<div class="kpi-value">0 <span class="pill pill-danger">Sem saldo</span></div>' in card


@pytest.mark.parametrize(
    ("role", "links"),
    [
        (Role.ADMIN, True),
        (Role.SECRETARY, False),
    ],
)
def test_store_link_only_for_owner_and_admin(tenant, staff_user, member_factory, role, links):
    _topup(tenant, staff_user, 42)
    client = Client()
    client.force_login(member_factory(role))
    card = _card(client)
    assert '<div class="kpi-value">42</div>' in card
    assert (reverse("credits:page") in card) is links
