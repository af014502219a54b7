import pytest
from django.urls import reverse

from clinicrm.core.models import Membership, Role, Tenant
from clinicrm.core.money import brl_format, brl_parse
from clinicrm.credits.services import credits_add
from clinicrm.people.documents import cpf_cnpj_format

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


def test_staff_without_a_clinic_land_on_the_console(client, staff_user):
    client.force_login(staff_user)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == reverse("saas:home")


def test_staff_who_belong_to_a_clinic_see_its_dashboard(client, staff_user, tenant):
    Membership.objects.create(tenant=tenant, user=staff_user, role=Role.OWNER)
    client.force_login(staff_user)
    assert client.get("/").status_code == 200


def test_members_who_are_not_staff_still_land_on_the_dashboard(owner_client):
    assert owner_client.get("/").status_code == 200


def test_home_shows_the_staff_notices_the_bell_cannot(staff_client, staff_user, tenant):
    """Staff belong to no clinic, so the ledger check's notices are listed on the console."""
    from django.db.models import F

    from clinicrm.core.models import Notification
    from clinicrm.credits.models import CreditBalance
    from clinicrm.credits.services.ledger_check import credits_ledger_check

    assert "Avisos para a equipe" not in staff_client.get(reverse("saas:home")).content.decode()
    credits_add(tenant=tenant, amount=10, kind="topup_manual", admin=staff_user, note="x")
    CreditBalance.objects.filter(tenant=tenant).update(balance=F("balance") + 1)
    credits_ledger_check()
    html = staff_client.get(reverse("saas:home")).content.decode()
    assert "Avisos para a equipe" in html
    assert "Saldo de créditos WhatsApp diverge do extrato" in html and tenant.name in html
    assert f'href="/saas/addons/topup-whatsapp?tenant={tenant.pk}"' in html

    response = staff_client.post(reverse("saas:notices_read"))
    assert response.status_code == 302
    assert not Notification.objects.filter(user=staff_user, read_at__isnull=True).exists()
    assert "Avisos para a equipe" not in staff_client.get(reverse("saas:home")).content.decode()
