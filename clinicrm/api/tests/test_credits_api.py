# ruff: noqa: F811 - pytest fixtures imported from devtools.fake_asaas.testing
"""/api/v1/credits/...: balance, statement, packages and PIX purchases (fake Asaas over HTTP)."""

import base64
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from clinicrm.api.tests.conftest import ApiClient
from clinicrm.core.models import AuditLog, Role
from clinicrm.core.timeutils import local_datetime
from clinicrm.credits.models import CreditBalance, CreditPackage, CreditPurchase, CreditTransaction
from clinicrm.credits.services import credits_add as ledger_add
from clinicrm.credits.services import (
    credits_adjust,
    credits_deduct,
    credits_low_balance_threshold_set,
    credits_refund,
)
from clinicrm.devtools.fake_asaas.testing import fake_asaas  # noqa: F401 - pytest fixture
from clinicrm.integrations.asaas.client import (
    MSG_INVALID_DOCUMENT,
    MSG_OUTAGE,
    MSG_RATE_LIMIT,
)

pytestmark = pytest.mark.django_db

CPF = "24971563792"


def _package(**kw: Any) -> CreditPackage:
    defaults = {"name": "Pacote 500", "credits": 500, "price_brl": Decimal("99.90")}
    return CreditPackage.objects.create(**{**defaults, **kw})


def _topup(tenant, staff_user, amount: int, note: str = "cortesia"):
    return ledger_add(
        tenant=tenant, amount=amount, kind="topup_manual", admin=staff_user, note=note
    )


@pytest.fixture
def secretary_api(tenant, member_factory, make_api_client):
    return make_api_client(member_factory(Role.SECRETARY), tenant)


@pytest.fixture
def professional_api(tenant, member_factory, make_api_client):
    return make_api_client(member_factory(Role.PROFESSIONAL), tenant)


@pytest.fixture
def admin_api(tenant, member_factory, make_api_client):
    return make_api_client(member_factory(Role.ADMIN), tenant)


# --- balance ---------------------------------------------------------------------------------


def test_balance_before_any_movement_is_zero_and_low(api):
    response = api.get("credits/balance")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "balance": 0,
        "lifetime_purchased": 0,
        "lifetime_used": 0,
        "low_balance_threshold": 20,
        "is_low": True,
    }


def test_balance_after_movements_for_every_role(
    api, secretary_api, professional_api, tenant, other_tenant, staff_user
):
    _topup(tenant, staff_user, 120)
    credits_deduct(tenant=tenant, message_id=9001)
    credits_deduct(tenant=tenant, message_id=9002, amount=2)
    _topup(other_tenant, staff_user, 7)  # another clinic's balance never leaks in
    expected = {
        "balance": 117,
        "lifetime_purchased": 120,
        "lifetime_used": 3,
        "low_balance_threshold": 20,
        "is_low": False,
    }
    for client in (api, secretary_api, professional_api):
        response = client.get("credits/balance")
        assert response.status_code == 200, response.content
        assert response.json() == expected
    credits_low_balance_threshold_set(tenant=tenant, threshold=200)
    assert api.get("credits/balance").json()["is_low"] is True


def test_balance_needs_a_token():
    response = ApiClient(None).get("credits/balance")
    assert response.status_code == 401
    assert "Token" in response.json()["detail"]


# --- transactions ----------------------------------------------------------------------------


def test_transactions_rows_carry_their_cause(api, tenant, other_tenant, staff_user):
    purchase = CreditPurchase.objects.create(
        tenant=tenant, package_name="P", credits=50, amount_brl=Decimal("19.90")
    )
    bought = ledger_add(tenant=tenant, amount=50, kind="purchase", purchase=purchase)
    topup = _topup(tenant, staff_user, 10)
    usage = credits_deduct(tenant=tenant, message_id=777)
    refund = credits_refund(tenant=tenant, message_id=777)
    adjust = credits_adjust(tenant=tenant, amount=-5, admin=staff_user, note="correção")
    _topup(other_tenant, staff_user, 99)

    response = api.get("credits/transactions")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["count"] == 5 and data["limit"] == 25 and data["offset"] == 0
    rows = {row["id"]: row for row in data["items"]}
    assert [row["id"] for row in data["items"]] == [
        adjust.pk,
        refund.pk,
        usage.pk,
        topup.pk,
        bought.pk,
    ]
    assert {k: v for k, v in rows[bought.pk].items() if k != "created_at"} == {
        "id": bought.pk,
        "kind": "purchase",
        "amount": 50,
        "balance_after": 50,
        "conversation_message_id": None,
        "purchase_id": str(purchase.pk),
        "admin_id": None,
        "note": None,
    }
    assert rows[topup.pk]["admin_id"] == str(staff_user.pk)
    assert rows[topup.pk]["balance_after"] == 60 and rows[topup.pk]["amount"] == 10
    assert rows[usage.pk]["conversation_message_id"] == 777 and rows[usage.pk]["amount"] == -1
    assert rows[refund.pk]["conversation_message_id"] == 777 and rows[refund.pk]["kind"] == "refund"
    assert rows[adjust.pk]["kind"] == "adjustment" and rows[adjust.pk]["balance_after"] == 55
    assert rows[adjust.pk]["note"] == "correção"
    parsed = dt.datetime.fromisoformat(rows[usage.pk]["created_at"])
    assert parsed.tzinfo is not None and abs(parsed - usage.created_at) < dt.timedelta(seconds=1)

    usage_only = api.get("credits/transactions", kind="usage").json()
    assert usage_only["count"] == 1 and usage_only["items"][0]["id"] == usage.pk

    paged = api.get("credits/transactions", limit=2, offset=2).json()
    assert paged["count"] == 5 and [r["id"] for r in paged["items"]] == [usage.pk, topup.pk]


def test_transactions_period_is_in_sao_paulo_days(api, tenant, staff_user):
    # 23:30 in São Paulo on the 10th is already the 11th in UTC.
    late_evening = local_datetime(dt.date(2030, 3, 10), dt.time(23, 30))
    next_morning = local_datetime(dt.date(2030, 3, 11), dt.time(9, 0))
    with time_machine.travel(late_evening, tick=False):
        evening = _topup(tenant, staff_user, 5)
    with time_machine.travel(next_morning, tick=False):
        morning = _topup(tenant, staff_user, 7)
    assert evening.created_at.astimezone(dt.UTC).date() == dt.date(2030, 3, 11)

    def ids(**params):
        response = api.get("credits/transactions", **params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["items"]]

    assert ids(date_from="2030-03-10", date_to="2030-03-10") == [evening.pk]
    assert ids(date_from="2030-03-11", date_to="2030-03-11") == [morning.pk]
    assert ids(date_from="2030-03-11") == [morning.pk]
    assert ids(date_to="2030-03-10") == [evening.pk]
    assert ids(date_from="2030-03-10") == [morning.pk, evening.pk]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"kind": "bonus"}, "kind", "Valor não permitido"),
        ({"date_from": "10/03/2030"}, "date_from", "Data inválida"),
        ({"date_from": "2030-03-12", "date_to": "2030-03-11"}, "date_to", "data final"),
        ({"limit": 0}, "limit", "mínimo"),
        ({"limit": 1000}, "limit", "máximo"),
        ({"offset": -1}, "offset", "mínimo"),
    ],
)
def test_transactions_bad_filters_are_400_naming_the_field(api, params, field, message):
    response = api.get("credits/transactions", **params)
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert message in response.json()["detail"]


def test_transactions_are_for_owners_and_admins(
    api, admin_api, secretary_api, professional_api, tenant, staff_user
):
    _topup(tenant, staff_user, 5)
    assert api.get("credits/transactions").json()["count"] == 1
    assert admin_api.get("credits/transactions").json()["count"] == 1
    for client in (secretary_api, professional_api):
        response = client.get("credits/transactions")
        assert response.status_code == 403
        assert response.json()["detail"] == "Seu papel não permite esta operação."


# --- packages --------------------------------------------------------------------------------


def test_packages_active_featured_first(secretary_api):
    small = _package(name="Inicial", credits=100, price_brl=Decimal("29.9"), position=1)
    big = _package(name="Grande", credits=2000, price_brl=Decimal("399"), position=3)
    featured = _package(name="Clínica", credits=500, price_brl=Decimal("119.90"), is_featured=True)
    _package(name="Antigo", is_active=False)
    response = secretary_api.get("credits/packages")
    assert response.status_code == 200, response.content
    data = response.json()
    assert [p["id"] for p in data] == [str(featured.pk), str(small.pk), str(big.pk)]
    assert data[0] == {
        "id": str(featured.pk),
        "name": "Clínica",
        "description": None,
        "credits": 500,
        "price_brl": "119.90",
        "is_featured": True,
    }
    assert [p["price_brl"] for p in data[1:]] == ["29.90", "399.00"]


# --- purchases -------------------------------------------------------------------------------


def _buy(client, package: CreditPackage, **overrides: Any):
    body = {"package_id": str(package.pk), "expected_price": "99.90", "cpf_cnpj": CPF}
    return client.post("credits/purchases", {**body, **overrides})


def test_purchase_start_returns_the_pix_charge(fake_asaas, api, tenant, owner):
    package = _package()
    response = _buy(api, package, cpf_cnpj="249.715.637-92")
    assert response.status_code == 201, response.content
    data = response.json()
    purchase = CreditPurchase.objects.get(tenant=tenant)
    assert data["id"] == str(purchase.pk)
    assert data["status"] == "pending"
    assert data["package_id"] == str(package.pk) and data["package_name"] == "Pacote 500"
    assert data["credits"] == 500 and data["amount_brl"] == "99.90"
    assert base64.b64decode(data["pix_qr_code_base64"]).startswith(b"\x89PNG\r\n\x1a\n")
    assert data["pix_copy_paste"].startswith("000201")
    assert data["pix_copy_paste"] == purchase.asaas_pix_copy_paste
    expires = dt.datetime.fromisoformat(data["expires_at"])
    assert expires > timezone.now()
    assert data["paid_at"] is None and data["failed_at"] is None
    assert purchase.created_by == owner
    tenant.refresh_from_db()
    assert tenant.cpf_cnpj == CPF
    assert fake_asaas.state.payment_get(purchase.asaas_payment_id)["externalReference"] == str(
        purchase.pk
    )
    assert AuditLog.objects.filter(action="credits.purchase_start").count() == 1


def _assert_nothing_stored(fake, tenant) -> None:
    assert CreditPurchase.objects.count() == 0
    tenant.refresh_from_db()
    assert tenant.cpf_cnpj is None
    assert fake.state.customers == {} and fake.state.payments == {}
    assert not AuditLog.objects.filter(action__startswith="credits.").exists()


@pytest.mark.parametrize(
    ("case", "field", "message"),
    [
        ("unknown", "package_id", "Pacote não encontrado"),
        ("garbage", "package_id", "Pacote não encontrado"),
        ("inactive", "package_id", "Pacote não encontrado"),
        ("price_changed", "package_id", "O preço deste pacote mudou"),
        ("bad_price", "expected_price", "Preço inválido"),
        ("bad_cpf", "cpf_cnpj", "CPF inválido"),
        ("bad_cnpj", "cpf_cnpj", "CNPJ inválido"),
        ("missing_doc", "cpf_cnpj", "Campo obrigatório"),
        ("number_price", "expected_price", "Informe um texto"),
        ("extra_field", "credits", "Campo não reconhecido"),
    ],
)
def test_purchase_bad_input_is_400_naming_the_field_and_stores_nothing(
    fake_asaas, api, tenant, case, field, message
):
    package = _package(is_active=case != "inactive")
    body: dict[str, Any] = {
        "package_id": str(package.pk),
        "expected_price": "99.90",
        "cpf_cnpj": CPF,
    }
    if case == "unknown":
        body["package_id"] = "7b0c35a4-3a4e-4c55-9d0f-3b1c1d9b0c11"
    elif case == "garbage":
        body["package_id"] = "not-a-uuid"
    elif case == "price_changed":
        body["expected_price"] = "89.90"
    elif case == "bad_price":
        body["expected_price"] = "abc"
    elif case == "bad_cpf":
        body["cpf_cnpj"] = "249.715.637-93"
    elif case == "bad_cnpj":
        body["cpf_cnpj"] = "12.ABC.345/01DE-36"
    elif case == "missing_doc":
        del body["cpf_cnpj"]
    elif case == "number_price":
        body["expected_price"] = 99.9
    elif case == "extra_field":
        body["credits"] = 1_000_000
    response = api.post("credits/purchases", body)
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert message in response.json()["detail"]
    _assert_nothing_stored(fake_asaas, tenant)


@pytest.mark.parametrize(
    ("fail_next", "message"), [([500], MSG_OUTAGE), ([503], MSG_OUTAGE), ([429], MSG_RATE_LIMIT)]
)
def test_asaas_outage_is_502_with_friendly_message(fake_asaas, api, fail_next, message):
    fake_asaas.state.fail_next = list(fail_next)
    response = _buy(api, _package())
    assert response.status_code == 502, response.content
    assert response.json() == {"detail": message, "field": None}
    # The charge was attempted, so the purchase is kept as failed (the page shows it too).
    purchase = CreditPurchase.objects.get()
    assert purchase.status == "failed" and purchase.failed_at is not None


def test_asaas_unreachable_is_502(fake_asaas, api, settings):
    settings.ASAAS_BASE_URL = "http://127.0.0.1:9/v3"
    response = _buy(api, _package())
    assert response.status_code == 502
    assert response.json()["detail"] == MSG_OUTAGE


def test_asaas_refusing_the_document_is_400_on_cpf_cnpj(fake_asaas, api):
    fake_asaas.state.reject_alnum_cnpj = True
    response = _buy(api, _package(), cpf_cnpj="12.ABC.345/01DE-35")
    assert response.status_code == 400, response.content
    assert response.json() == {"detail": MSG_INVALID_DOCUMENT, "field": "cpf_cnpj"}
    assert CreditPurchase.objects.get().status == "failed"


def test_purchases_are_for_owners_and_admins(
    fake_asaas, admin_api, secretary_api, professional_api, tenant
):
    package = _package()
    for client in (secretary_api, professional_api):
        response = _buy(client, package)
        assert response.status_code == 403
        assert client.get("credits/purchases").status_code == 403
    _assert_nothing_stored(fake_asaas, tenant)
    created = _buy(admin_api, package)
    assert created.status_code == 201, created.content
    purchase_id = created.json()["id"]
    assert admin_api.get(f"credits/purchases/{purchase_id}").status_code == 200
    for client in (secretary_api, professional_api):
        assert client.get(f"credits/purchases/{purchase_id}").status_code == 403


def _purchase(tenant, *, minutes_ago: int, status: str = "pending") -> CreditPurchase:
    purchase = CreditPurchase.objects.create(
        tenant=tenant,
        package_name=f"Pacote {minutes_ago}",
        credits=100,
        amount_brl=Decimal("19.90"),
        status=status,
    )
    CreditPurchase.objects.filter(pk=purchase.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )
    return purchase


def test_purchase_list_is_paginated_newest_first_and_tenant_scoped(api, tenant, other_tenant):
    rows = [_purchase(tenant, minutes_ago=m, status="paid") for m in (30, 20, 10)]
    _purchase(other_tenant, minutes_ago=5)
    response = api.get("credits/purchases", limit=2)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["count"] == 3 and data["limit"] == 2
    assert [p["id"] for p in data["items"]] == [str(rows[2].pk), str(rows[1].pk)]
    assert "pix_qr_code_base64" not in data["items"][0]
    assert data["items"][0]["status"] == "paid" and data["items"][0]["amount_brl"] == "19.90"
    rest = api.get("credits/purchases", limit=2, offset=2).json()
    assert [p["id"] for p in rest["items"]] == [str(rows[0].pk)]
    bad = api.get("credits/purchases", limit=500)
    assert bad.status_code == 400 and bad.json()["field"] == "limit"


def test_purchase_detail_of_another_tenant_is_404(api, other_tenant):
    theirs = _purchase(other_tenant, minutes_ago=1)
    response = api.get(f"credits/purchases/{theirs.pk}")
    assert response.status_code == 404
    assert response.json()["detail"] == "Não encontrado."
    assert api.get("credits/purchases/7b0c35a4-3a4e-4c55-9d0f-3b1c1d9b0c11").status_code == 404


def test_purchase_detail_follows_the_payment(fake_asaas, api, tenant):
    created = _buy(api, _package())
    assert created.status_code == 201, created.content
    purchase_id = created.json()["id"]
    detail = api.get(f"credits/purchases/{purchase_id}")
    assert detail.status_code == 200 and detail.json()["status"] == "pending"
    assert detail.json()["pix_copy_paste"] == created.json()["pix_copy_paste"]

    purchase = CreditPurchase.objects.get(pk=purchase_id)
    fake_asaas.state.payment_pay(purchase.asaas_payment_id)
    # The webhook is late: once the purchase is older than 30 s, reading it asks Asaas.
    CreditPurchase.objects.filter(pk=purchase_id).update(
        created_at=timezone.now() - dt.timedelta(minutes=2)
    )
    paid = api.get(f"credits/purchases/{purchase_id}").json()
    assert paid["status"] == "paid" and paid["paid_at"] is not None
    assert CreditBalance.objects.get(tenant=tenant).balance == 500
    assert api.get("credits/balance").json()["balance"] == 500
    assert CreditTransaction.objects.filter(purchase_id=purchase_id).count() == 1
    assert api.get("credits/transactions").json()["items"][0]["purchase_id"] == purchase_id
