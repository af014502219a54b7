import pytest
from django.urls import reverse
from django.utils import timezone

from clinicrm.core.models import AuditLog
from clinicrm.credits.models import AddonProduct
from clinicrm.saas.tests.factories import make_product

pytestmark = pytest.mark.django_db

GOOD = {
    "slug": "sms-500",
    "name": "SMS 500",
    "description": "Pacote de SMS",
    "addon_type": "sms",
    "credits_amount": "500",
    "price": "R$ 29,90",
    "currency": "BRL",
    "is_active": "on",
    "is_visible": "on",
    "sort_order": "2",
}


def test_create_product_parses_brazilian_price_into_cents(staff_client, staff_user):
    response = staff_client.post(reverse("saas:product_create"), GOOD)
    assert response.status_code == 302
    product = AddonProduct.objects.get(slug="sms-500")
    assert product.price_cents == 2990
    assert product.credits_amount == 500
    assert product.is_active and product.is_visible
    audit = AuditLog.objects.get(action="saas.addon_product.create")
    assert audit.user == staff_user and audit.object_id == str(product.pk)
    assert "price_cents" in audit.details["fields"]
    assert "SMS 500" not in str(audit.details)  # field names only, never values


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("price", "abc", "Informe um valor em reais"),
        ("price", "-5,00", "Informe um valor em reais"),
        ("slug", "Com Espaço", "Use só letras minúsculas"),
        ("name", "", "Este campo é obrigatório"),
        ("addon_type", "SMS-x!", "Use só letras minúsculas"),
        ("credits_amount", "-1", "maior ou igual a 0"),
    ],
)
def test_bad_product_input_is_refused_and_nothing_is_stored(staff_client, field, value, message):
    response = staff_client.post(reverse("saas:product_create"), {**GOOD, field: value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AddonProduct.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="saas.").exists()


def test_slug_is_unique_among_non_deleted_products(staff_client):
    make_product(slug="sms-500")
    response = staff_client.post(reverse("saas:product_create"), GOOD)
    assert response.status_code == 400
    assert "Já existe um produto com este identificador" in response.content.decode()
    assert AddonProduct.objects.count() == 1
    # A soft-deleted product frees its slug.
    AddonProduct.objects.update(deleted_at=timezone.now())
    assert staff_client.post(reverse("saas:product_create"), GOOD).status_code == 302
    assert AddonProduct.objects.filter(slug="sms-500", deleted_at__isnull=True).count() == 1


def test_update_product_records_changed_field_names(staff_client, staff_user):
    product = make_product()
    url = reverse("saas:product_update", kwargs={"product_id": product.pk})
    page = staff_client.get(url).content.decode()
    assert 'value="19,90"' in page  # price shown in reais, pt-BR
    data = {
        **GOOD,
        "slug": "sms-100",
        "name": "SMS 100",
        "price": "19.90",
        "credits_amount": "100",
        "description": "",
        "sort_order": "0",
    }
    data.pop("is_visible")
    response = staff_client.post(url, {**data, "price": "49,90"})
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.price_cents == 4990 and product.is_visible is False
    audit = AuditLog.objects.get(action="saas.addon_product.update")
    assert set(audit.details["fields"]) == {"price_cents", "is_visible"}


def test_bad_update_changes_nothing(staff_client):
    product = make_product()
    other = make_product(slug="sms-200", name="SMS 200")
    url = reverse("saas:product_update", kwargs={"product_id": product.pk})
    response = staff_client.post(url, {**GOOD, "slug": other.slug})
    assert response.status_code == 400
    product.refresh_from_db()
    assert product.slug == "sms-100" and product.name == "SMS 100" and product.price_cents == 1990


def test_soft_delete_hides_the_product_and_keeps_the_row(staff_client, staff_user):
    product = make_product()
    response = staff_client.post(reverse("saas:product_delete", kwargs={"product_id": product.pk}))
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.deleted_at is not None and product.is_active is False
    assert "SMS 100" not in staff_client.get(reverse("saas:addons")).content.decode()
    assert AuditLog.objects.filter(action="saas.addon_product.delete", user=staff_user).exists()
    # Deleted products can no longer be edited or deleted again.
    url = reverse("saas:product_update", kwargs={"product_id": product.pk})
    assert staff_client.get(url).status_code == 404
    again = reverse("saas:product_delete", kwargs={"product_id": product.pk})
    assert staff_client.post(again).status_code == 404


def test_delete_needs_post(staff_client):
    product = make_product()
    url = reverse("saas:product_delete", kwargs={"product_id": product.pk})
    assert staff_client.get(url).status_code == 405
    product.refresh_from_db()
    assert product.deleted_at is None


def test_product_list_search_empty_state_and_pagination(staff_client):
    assert (
        "Nenhum produto add-on cadastrado"
        in staff_client.get(reverse("saas:addons")).content.decode()
    )
    for i in range(30):
        make_product(slug=f"p-{i:02d}", name=f"Produto {i:02d}", sort_order=i)
    page1 = staff_client.get(reverse("saas:addons")).content.decode()
    assert "Produto 00" in page1 and "Produto 29" not in page1 and "Página 1 de 2" in page1
    page2 = staff_client.get(reverse("saas:addons") + "?page=2").content.decode()
    assert "Produto 29" in page2
    found = staff_client.get(reverse("saas:addons") + "?q=p-07").content.decode()
    assert "Produto 07" in found and "Produto 08" not in found


def test_tab_query_parameter_leads_to_the_tab(staff_client):
    response = staff_client.get(reverse("saas:addons") + "?tab=pacotes")
    assert response.status_code == 302 and response["Location"] == reverse("saas:package_list")
