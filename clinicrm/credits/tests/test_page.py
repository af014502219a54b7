# ruff: noqa: F811 - pytest fixtures imported from devtools.fake_asaas.testing
"""The "Créditos WhatsApp" page, the purchase dialog fragments and the add-on statement."""

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from clinicrm.core.models import Role
from clinicrm.credits.models import CreditPackage, CreditPurchase
from clinicrm.credits.services import addon_credits_add, credits_add
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
    assert 'hx-trigger="every 3s"' in html
    assert f"/compras/{purchase.pk}/status" in html
    assert "Pague até" in html


def test_status_fragment_when_paid_updates_balance(owner_client, tenant):
    purchase = make_purchase(tenant=tenant, status="paid")
    credits_add(tenant=tenant, amount=500, kind="purchase", purchase=purchase)
    response = owner_client.get(f"{URL}/compras/{purchase.pk}/status")
    html = response.content.decode()
    assert "Pagamento recebido! Créditos adicionados." in html
    assert 'hx-swap-oob="true"' in html and 'data-testid="balance">500<' in html
    assert "every 3s" not in html


def test_status_of_another_tenants_purchase_is_404(owner_client, other_tenant):
    purchase = make_purchase(tenant=other_tenant)
    assert owner_client.get(f"{URL}/compras/{purchase.pk}/status").status_code == 404


# --- add-on statement ---------------------------------------------------------------------

STATEMENT = "/configuracoes/extrato-addons"


def _addons(tenant):
    addon_credits_add(tenant=tenant, addon_type="sms", amount=100, description="Compra SMS")
    addon_credits_add(tenant=tenant, addon_type="email", amount=40, description="Compra e-mail")


def test_statement_lists_filters_and_empty_state(owner_client, tenant, other_tenant):
    assert "Nenhuma movimentação de add-ons" in owner_client.get(STATEMENT).content.decode()
    _addons(tenant)
    addon_credits_add(tenant=other_tenant, addon_type="sms", amount=7777, description="outra")
    html = owner_client.get(STATEMENT).content.decode()
    assert "Compra SMS" in html and "Compra e-mail" in html and "7.777" not in html
    html = owner_client.get(STATEMENT + "?addon_type=sms").content.decode()
    assert "Compra SMS" in html and "Compra e-mail" not in html
    html = owner_client.get(STATEMENT + "?type=consumption").content.decode()
    assert "Compra SMS" not in html and "para estes filtros" in html


def test_statement_invalid_period_is_400(owner_client, tenant):
    response = owner_client.get(STATEMENT + "?date_from=2026-05-10&date_to=2026-05-01")
    assert response.status_code == 400
    assert "data final" in response.content.decode()


def test_statement_exports_csv_and_xlsx(owner_client, tenant):
    _addons(tenant)
    response = owner_client.get(STATEMENT + "?addon_type=sms&export=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Data" and len(rows) == 2 and rows[1][1] == "sms"
    response = owner_client.get(STATEMENT + "?export=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0][0] == "Data" and len(values) == 3
