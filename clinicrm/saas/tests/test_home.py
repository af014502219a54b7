import pytest
from django.urls import reverse

from clinicrm.core.models import Membership, Role, Tenant
from clinicrm.credits.services import credits_add
from clinicrm.saas.formatting import brl_format, brl_parse, cpf_cnpj_format

pytestmark = pytest.mark.django_db


def test_home_lists_tenants_with_members_balance_and_document(
    staff_client, staff_user, tenant, owner, member_factory
):
    member_factory(Role.SECRETARY)
    inactive = member_factory(Role.ADMIN)
    Membership.objects.filter(user=inactive).update(is_active=False)
    tenant.cpf_cnpj = "12345678000195"
    tenant.save()
    credits_add(tenant=tenant, amount=1234, kind="topup_manual", admin=staff_user, note="x")
    response = staff_client.get(reverse("saas:home"))
    row = response.context["page_obj"].object_list[0]
    assert row.members_count == 2 and row.wa_balance == 1234
    body = response.content.decode()
    assert "12.345.678/0001-95" in body and "1.234 créditos" in body


def test_home_search_and_pagination(staff_client, db):
    for i in range(30):
        Tenant.objects.create(name=f"Clínica {i:02d}", slug=f"c{i:02d}", cpf_cnpj=f"{i:011d}")
    first = staff_client.get(reverse("saas:home"))
    assert first.context["page_obj"].paginator.num_pages == 2
    found = staff_client.get(reverse("saas:home"), {"q": "Clínica 07"})
    assert [t.slug for t in found.context["page_obj"].object_list] == ["c07"]
    by_doc = staff_client.get(reverse("saas:home"), {"q": "000.000.000-12"})
    assert [t.slug for t in by_doc.context["page_obj"].object_list] == ["c12"]
    none = staff_client.get(reverse("saas:home"), {"q": "zzz"}).content.decode()
    assert "Nenhuma clínica encontrada" in none


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("R$ 29,90", "29.90"),
        ("29,9", "29.90"),
        ("1.234,56", "1234.56"),
        ("29.90", "29.90"),
        ("30", "30.00"),
        ("1.234", "1234.00"),
        ("R$\u00a010,00", "10.00"),
    ],
)
def test_brl_parse(raw, expected):
    assert str(brl_parse(raw)) == expected


@pytest.mark.parametrize("raw", ["", "abc", "1,2,3", "-5", "1.2.3,4,5", "0,001"])
def test_brl_parse_refuses(raw):
    assert brl_parse(raw) is None


def test_formats():
    assert brl_format(123456, cents=True) == "R$ 1.234,56"
    assert cpf_cnpj_format("12345678901") == "123.456.789-01"
    assert cpf_cnpj_format("12ABC34501DE35") == "12.ABC.345/01DE-35"
