from decimal import Decimal

import pytest
from django.urls import reverse

from clinicrm.core.models import AuditLog
from clinicrm.credits.models import CreditPackage, CreditPurchase
from clinicrm.saas.tests.factories import make_package

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "Pacote 500",
    "description": "",
    "credits": "500",
    "price_brl": "R$ 119,90",
    "is_active": "on",
    "position": "10",
}
HX = {"HTTP_HX_REQUEST": "true"}


def test_create_package_via_dialog(staff_client, staff_user):
    form = staff_client.get(reverse("saas:package_create"), **HX)
    assert form.status_code == 200 and "<form" in form.content.decode()
    assert "<html" not in form.content.decode()  # a fragment for the dialog
    response = staff_client.post(
        reverse("saas:package_create"), {**GOOD, "is_featured": "on"}, **HX
    )
    assert response.status_code == 200
    assert "saas:dialog-close" in response["HX-Trigger"]
    assert 'hx-swap-oob="true"' in response.content.decode()
    package = CreditPackage.objects.get()
    assert (package.credits, package.price_brl, package.is_featured, package.position) == (
        500,
        Decimal("119.90"),
        True,
        10,
    )
    assert AuditLog.objects.filter(action="saas.credit_package.create", user=staff_user).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("credits", "0", "A quantidade de créditos deve ser maior que zero."),
        ("credits", "-5", "A quantidade de créditos deve ser maior que zero."),
        ("credits", "dez", "Informe um número inteiro de créditos."),
        ("price_brl", "0,00", "O preço deve ser maior que zero."),
        ("price_brl", "xyz", "Informe um valor em reais"),
        ("name", "", "Este campo é obrigatório."),
        ("name", "   ", "Este campo é obrigatório."),
        ("name", "x" * 101, "O nome pode ter no máximo 100 caracteres."),
    ],
)
def test_invalid_dialog_answers_400_with_pt_br_errors_and_saves_nothing(
    staff_client, field, value, message
):
    package = make_package()
    url = reverse("saas:package_update", kwargs={"package_id": package.pk})
    response = staff_client.post(url, {**GOOD, field: value}, **HX)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body and "field-error" in body and "<html" not in body
    package.refresh_from_db()
    assert (package.name, package.credits, package.price_brl) == (
        "Pacote 100",
        100,
        Decimal("29.90"),
    )
    create = staff_client.post(reverse("saas:package_create"), {**GOOD, field: value}, **HX)
    assert create.status_code == 400
    assert CreditPackage.objects.count() == 1
    assert not AuditLog.objects.filter(action__startswith="saas.").exists()


def test_name_of_exactly_100_characters_is_accepted(staff_client):
    response = staff_client.post(reverse("saas:package_create"), {**GOOD, "name": "n" * 100})
    assert response.status_code == 302
    assert CreditPackage.objects.get().name == "n" * 100


def test_edit_without_htmx_is_a_full_page(staff_client, staff_user):
    package = make_package()
    url = reverse("saas:package_update", kwargs={"package_id": package.pk})
    page = staff_client.get(url)
    assert page.status_code == 200 and "<html" in page.content.decode()
    assert 'value="29,90"' in page.content.decode()
    response = staff_client.post(url, {**GOOD, "name": "Pacote novo"})
    assert response.status_code == 302
    package.refresh_from_db()
    assert package.name == "Pacote novo" and package.credits == 500
    audit = AuditLog.objects.get(action="saas.credit_package.update")
    assert set(audit.details["fields"]) == {"name", "credits", "price_brl", "position"}
    assert audit.tenant is None and audit.user == staff_user


def test_standalone_new_package_page_is_a_plain_form(staff_client):
    """Opened directly (or in a new tab) the dialog's form has no htmx target to miss: it posts
    as a plain form and comes back to the list."""
    html = staff_client.get(reverse("saas:package_create")).content.decode()
    assert "<html" in html and 'action="/saas/addons/pacotes-whatsapp/novo"' in html
    assert "hx-post" not in html and "package-dialog-body" not in html
    response = staff_client.post(reverse("saas:package_create"), GOOD, follow=True)
    assert response.redirect_chain == [(reverse("saas:package_list"), 302)]
    assert CreditPackage.objects.get().name == "Pacote 500"
    assert "Pacote criado." in response.content.decode()


def test_list_shows_the_price_per_credit_as_money(staff_client):
    make_package()  # 100 credits for R$ 29,90
    html = staff_client.get(reverse("saas:package_list")).content.decode()
    assert "R$ 0,30 por crédito" in html and "centavos" not in html


def test_inline_toggle_swaps_the_row(staff_client, staff_user):
    package = make_package()
    url = reverse("saas:package_toggle", kwargs={"package_id": package.pk})
    response = staff_client.post(url, **HX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.strip().startswith(f'<tr id="package-{package.pk}"') and "Inativo" in body
    package.refresh_from_db()
    assert package.is_active is False
    staff_client.post(url, **HX)
    package.refresh_from_db()
    assert package.is_active is True
    audits = AuditLog.objects.filter(action="saas.credit_package.toggle", user=staff_user)
    assert audits.count() == 2 and audits.first().details["fields"] == ["is_active"]


def test_toggle_needs_post_and_an_existing_package(staff_client):
    package = make_package()
    url = reverse("saas:package_toggle", kwargs={"package_id": package.pk})
    assert staff_client.get(url).status_code == 405
    package.refresh_from_db()
    assert package.is_active is True
    missing = reverse(
        "saas:package_toggle", kwargs={"package_id": "00000000-0000-0000-0000-000000000000"}
    )
    assert staff_client.post(missing).status_code == 404


def test_delete_keeps_purchase_history(staff_client, tenant, staff_user):
    package = make_package()
    purchase = CreditPurchase.objects.create(
        tenant=tenant,
        package=package,
        package_name=package.name,
        credits=100,
        amount_brl=Decimal("29.90"),
    )
    response = staff_client.post(reverse("saas:package_delete", kwargs={"package_id": package.pk}))
    assert response.status_code == 302
    assert not CreditPackage.objects.exists()
    purchase.refresh_from_db()
    assert purchase.package_id is None and purchase.package_name == "Pacote 100"
    assert AuditLog.objects.filter(action="saas.credit_package.delete", user=staff_user).exists()


def test_list_orders_featured_first_and_shows_empty_state(staff_client):
    assert (
        "Nenhum pacote de créditos WhatsApp"
        in staff_client.get(reverse("saas:package_list")).content.decode()
    )
    make_package(name="Comum", position=1)
    make_package(name="Estrela", position=50, is_featured=True)
    body = staff_client.get(reverse("saas:package_list")).content.decode()
    assert body.index("Estrela") < body.index("Comum")
    assert "R$ 29,90" in body
