import pytest
from django.urls import reverse

from clinicrm.core.models import AuditLog
from clinicrm.credits.models import CreditBalance, CreditTransaction
from clinicrm.credits.services import credits_add

pytestmark = pytest.mark.django_db

URL = "saas:topup"


def balance(tenant) -> int:
    return (
        CreditBalance.objects.filter(tenant=tenant).values_list("balance", flat=True).first() or 0
    )


def post(client, tenant, operation, amount, note="Cortesia de boas-vindas", **extra):
    data = {"tenant": str(tenant.pk), "operation": operation, "amount": str(amount), "note": note}
    return client.post(reverse(URL), data, **extra)


def test_manual_topup_goes_through_the_ledger_with_admin(staff_client, staff_user, tenant):
    response = post(staff_client, tenant, "topup", 150)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse(URL)}?tenant={tenant.pk}"
    row = CreditTransaction.objects.get()
    assert (row.kind, row.amount, row.balance_after) == ("topup_manual", 150, 150)
    assert row.admin == staff_user and row.tenant == tenant
    assert row.note == "Cortesia de boas-vindas"
    assert balance(tenant) == 150
    audit = AuditLog.objects.get(action="credits.topup_manual")
    assert audit.user == staff_user and audit.tenant == tenant
    assert "Cortesia" not in str(audit.details)
    page = staff_client.get(response["Location"]).content.decode()
    assert "Recarga registrada: +150 créditos" in page and "staff@clinicrm.test" in page


def test_adjustment_may_be_negative_but_never_below_zero(staff_client, staff_user, tenant):
    credits_add(tenant=tenant, amount=30, kind="topup_manual", admin=staff_user, note="x")
    assert post(staff_client, tenant, "adjustment", -20, "Correção").status_code == 302
    assert balance(tenant) == 10
    row = CreditTransaction.objects.filter(kind="adjustment").get()
    assert (row.amount, row.balance_after, row.admin) == (-20, 10, staff_user)
    assert AuditLog.objects.filter(action="credits.adjustment", tenant=tenant).count() == 1
    response = post(staff_client, tenant, "adjustment", -11, "Correção")
    assert response.status_code == 400
    assert "deixaria o saldo negativo: a clínica tem 10 créditos" in response.content.decode()
    assert balance(tenant) == 10 and CreditTransaction.objects.count() == 2


@pytest.mark.parametrize(
    ("operation", "amount", "note", "message"),
    [
        ("topup", 0, "x", "A recarga deve ser de pelo menos 1 crédito."),
        ("topup", -5, "x", "A recarga deve ser de pelo menos 1 crédito."),
        ("adjustment", 0, "x", "O ajuste não pode ser zero."),
        ("topup", "abc", "x", "Informe um número inteiro de créditos."),
        ("topup", 10, "   ", "Este campo é obrigatório."),
        ("bogus", 10, "x", "Faça uma escolha válida"),
    ],
)
def test_bad_topup_changes_nothing(staff_client, tenant, operation, amount, note, message):
    response = post(staff_client, tenant, operation, amount, note)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CreditTransaction.objects.exists()
    assert balance(tenant) == 0
    assert not AuditLog.objects.filter(action__startswith="credits.").exists()


def test_unknown_tenant_is_refused(staff_client, tenant):
    data = {
        "tenant": "00000000-0000-0000-0000-000000000000",
        "operation": "topup",
        "amount": "5",
        "note": "x",
    }
    response = staff_client.post(reverse(URL), data)
    assert response.status_code == 400
    assert "Selecione uma clínica válida." in response.content.decode()
    assert not CreditTransaction.objects.exists()


def test_balance_fragment_follows_the_selected_tenant(
    staff_client, staff_user, tenant, other_tenant
):
    credits_add(tenant=tenant, amount=42, kind="topup_manual", admin=staff_user, note="a")
    credits_add(tenant=other_tenant, amount=7, kind="topup_manual", admin=staff_user, note="b")
    url = reverse("saas:topup_balance")
    body = staff_client.get(url, {"tenant": tenant.pk}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-balance="42"' in body and 'id="tenant-balance"' in body
    assert 'hx-swap-oob="true"' in body  # the recent rows follow the tenant
    assert tenant.name in body
    other = staff_client.get(url, {"tenant": other_tenant.pk}, HTTP_HX_REQUEST="true")
    assert 'data-balance="7"' in other.content.decode()
    none = staff_client.get(url, {"tenant": "garbage"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Selecione a clínica para ver o saldo." in none


def test_recent_list_shows_only_staff_kinds_and_at_most_20(
    staff_client, staff_user, tenant, other_tenant
):
    for _ in range(22):
        credits_add(tenant=tenant, amount=1, kind="topup_manual", admin=staff_user, note="a")
    credits_add(tenant=other_tenant, amount=3, kind="topup_manual", admin=staff_user, note="b")
    from clinicrm.credits.services import credits_deduct

    credits_deduct(tenant=tenant, message_id=1)
    everyone = staff_client.get(reverse(URL)).context["recent"]
    assert len(everyone) == 20 and all(r.kind != "usage" for r in everyone)
    assert everyone[0].tenant == other_tenant
    mine = staff_client.get(reverse(URL), {"tenant": other_tenant.pk}).context["recent"]
    assert [r.amount for r in mine] == [3]
