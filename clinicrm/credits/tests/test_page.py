# ruff: noqa: F811 - pytest fixtures imported from devtools.fake_asaas.testing
"""The "Créditos WhatsApp" page, the purchase dialog fragments and the add-on statement."""

from decimal import Decimal

import pytest

from clinicrm.core.models import Role
from clinicrm.credits.models import CreditPackage, CreditPurchase
from clinicrm.credits.services import credits_add
from clinicrm.devtools.fake_asaas.testing import fake_asaas  # noqa: F401
from clinicrm.integrations.asaas.tests.helpers import make_purchase

pytestmark = pytest.mark.django_db
URL = "/configuracoes/creditos-whatsapp"


def _pkg(name, credits, price, **kw):
    return CreditPackage.objects.create(name=name, credits=credits, price_brl=Decimal(price), **kw)


def test_page_shows_balance_store_and_empty_states(owner_client, tenant):
    _pkg("Pequeno", 100, "19.90", position=1)
    _pkg("Destaque", 1000, "149.90", is_featured=True, position=50)
    _pkg("Inativo", 50, "9.90", is_active=False)
    response = owner_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Destaque") < html.index("Pequeno")
    assert "Inativo" not in html
    assert "Nenhuma compra ainda" in html
    assert "Nenhuma movimentação de créditos ainda" in html
    assert 'data-testid="balance">0<' in html
    assert "<script>" not in html and "style=" not in html


def test_menu_links_the_page(owner_client):
    assert f'href="{URL}"' in owner_client.get(URL).content.decode()


@pytest.mark.parametrize("role", [Role.SECRETARY, Role.PROFESSIONAL])
def test_other_roles_are_refused(client, member_factory, role):
    client.force_login(member_factory(role))
    assert client.get(URL).status_code == 403


def test_anonymous_is_redirected_to_login(client):
    assert client.get(URL).status_code == 302


def test_histories_are_listed_and_paginated(owner_client, tenant, other_tenant):
    for n in range(12):
        make_purchase(tenant=tenant, payment_id=f"pay_page_{n:02d}")
    make_purchase(tenant=other_tenant, payment_id="pay_other", amount="77.77")
    purchase = CreditPurchase.objects.filter(tenant=tenant).first()
    credits_add(tenant=tenant, amount=500, kind="purchase", purchase=purchase)
    html = owner_client.get(URL).content.decode()
    assert "77,77" not in html
    assert "Página 1 de 2" in html
    assert "+500" in html
    assert 'data-testid="balance">500<' in html
    assert "Página 2 de 2" in owner_client.get(URL + "?compras=2").content.decode()


def test_purchase_form_is_prefilled_and_formatted(owner_client, tenant):
    tenant.cpf_cnpj = "24971563792"
    tenant.save()
    package = _pkg("Pacote", 500, "99.90")
    response = owner_client.get(f"{URL}/comprar?package_id={package.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="249.715.637-92"' in html
    assert "R$ 99,90" in html


@pytest.mark.parametrize("package_id", ["", "x", "7b0c35a4-3a4e-4c55-9d0f-3b1c1d9b0c11"])
def test_purchase_form_unknown_package(owner_client, package_id):
    response = owner_client.get(f"{URL}/comprar?package_id={package_id}")
    assert response.status_code == 404
    assert "indisponível" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"cpf_cnpj": "249.715.637-93"}, "CPF inválido"),
        ({"cpf_cnpj": ""}, "Este campo é obrigatório"),
        ({"expected_price": "89.90"}, "O preço deste pacote mudou"),
    ],
)
def test_purchase_create_bad_input_is_400_and_changes_nothing(
    owner_client, tenant, fake_asaas, data, message
):
    package = _pkg("Pacote", 500, "99.90")
    post = {"package_id": str(package.pk), "expected_price": "99.90", "cpf_cnpj": "24971563792"}
    response = owner_client.post(f"{URL}/compras", {**post, **data}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert CreditPurchase.objects.count() == 0
    tenant.refresh_from_db()
    assert tenant.cpf_cnpj is None
    assert fake_asaas.state.payments == {}


def test_purchase_create_shows_pix_and_polls(owner_client, tenant, fake_asaas):
    package = _pkg("Pacote", 500, "99.90")
    response = owner_client.post(
        f"{URL}/compras",
        {"package_id": str(package.pk), "expected_price": "99.90", "cpf_cnpj": "249.715.637-92"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    purchase = CreditPurchase.objects.get()
    assert "data:image/png;base64,iVBORw0KGgo" in html
    assert purchase.asaas_pix_copy_paste in html
    # The status follows realtime events (with a slow fallback), and the dialog can be closed.
    assert 'hx-trigger="credits-changed from:body, every 30s"' in html
    assert f"/compras/{purchase.pk}/status" in html
    assert "Pague até" in html
    assert "Pode fechar esta janela" in html and 'aria-label="Fechar"' in html
    assert "<html" not in html


def test_status_fragment_when_paid_shows_balance_and_refreshes_the_page(owner_client, tenant):
    purchase = make_purchase(tenant=tenant, status="paid")
    credits_add(tenant=tenant, amount=500, kind="purchase", purchase=purchase)
    response = owner_client.get(f"{URL}/compras/{purchase.pk}/status", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "Pagamento recebido! Créditos adicionados." in html
    assert 'data-testid="dialog-balance">500<' in html
    assert "hx-trigger" not in html
    assert response["HX-Trigger"] == "credits-changed"


def test_live_fragment_swaps_balance_purchases_and_movements(owner_client, tenant):
    purchase = make_purchase(tenant=tenant, status="paid")
    credits_add(tenant=tenant, amount=500, kind="purchase", purchase=purchase)
    response = owner_client.get(f"{URL}/ao-vivo", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.count('hx-swap-oob="true"') == 3
    for box in ('id="credits-kpis"', 'id="credits-purchases"', 'id="credits-movements"'):
        assert box in html
    assert 'data-testid="balance">500<' in html and "Pago" in html and "+500" in html


def test_page_listens_for_changes_and_polls_only_while_a_purchase_waits(owner_client, tenant):
    html = owner_client.get(URL).content.decode()
    assert 'hx-trigger="credits-changed from:body"' in html
    make_purchase(tenant=tenant)
    html = owner_client.get(URL + "?compras=1").content.decode()
    assert 'hx-trigger="credits-changed from:body, every 30s"' in html
    assert f'hx-get="{URL}/ao-vivo?compras=1"' in html


def test_purchase_dialog_works_as_a_full_page(owner_client, tenant, fake_asaas):
    package = _pkg("Clínica", 500, "119.90")
    response = owner_client.get(f"{URL}/comprar?package_id={package.pk}")
    html = response.content.decode()
    assert "<html" in html and 'id="purchase-dialog-body"' in html
    assert f'action="{URL}/compras"' in html
    assert "Pacote Clínica: <strong>500 créditos</strong> por <strong>R$ 119,90</strong>" in html
    response = owner_client.post(
        f"{URL}/compras",
        {"package_id": str(package.pk), "expected_price": "119.90", "cpf_cnpj": "24971563792"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html and "Pague com PIX" in html and "QR Code PIX" in html


def test_package_named_by_its_credits_says_them_once(owner_client, tenant):
    _pkg("500 créditos", 500, "119.90")
    html = owner_client.get(URL).content.decode()
    assert html.count(">500 créditos<") == 1  # the card's heading; nothing repeats it on screen
    assert 'aria-label="Comprar 500 créditos por R$ 119,90"' in html  # the button names its package
    assert "R$ 119,90" in html and "R$ 0,24 por mensagem" in html
    package = CreditPackage.objects.get()
    html = owner_client.get(f"{URL}/comprar?package_id={package.pk}").content.decode()
    assert "<strong>500 créditos</strong> por <strong>R$ 119,90</strong>" in html
    assert "500 créditos: 500 créditos" not in html


def test_status_of_another_tenants_purchase_is_404(owner_client, other_tenant):
    purchase = make_purchase(tenant=other_tenant)
    assert owner_client.get(f"{URL}/compras/{purchase.pk}/status").status_code == 404
