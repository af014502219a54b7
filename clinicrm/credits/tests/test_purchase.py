# ruff: noqa: F811 - pytest fixtures imported from devtools.fake_asaas.testing
"""Buying credits by PIX against the fake Asaas over real HTTP (client, service, webhooks)."""

import base64
import time
from decimal import Decimal
from typing import Any

import httpx
import pytest

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import AuditLog
from clinicrm.credits.models import CreditBalance, CreditPackage, CreditPurchase, CreditTransaction
from clinicrm.credits.purchases import purchase_refresh_status, purchase_start
from clinicrm.devtools.fake_asaas.testing import (  # noqa: F401 - pytest fixtures
    API_KEY,
    asaas_webhooks_live,
    fake_asaas,
)
from clinicrm.integrations.asaas.client import (
    MSG_BELOW_MINIMUM,
    MSG_INVALID_DOCUMENT,
    MSG_MISSING_DOCUMENT,
    MSG_OUTAGE,
    MSG_RATE_LIMIT,
    AsaasClient,
    AsaasError,
    friendly_error,
)
from clinicrm.integrations.models import InboundEvent

CPF = "24971563792"
CNPJ_ALNUM = "12ABC34501DE35"


def _package(**kw) -> CreditPackage:
    defaults = {"name": "Pacote 500", "credits": 500, "price_brl": Decimal("99.90")}
    return CreditPackage.objects.create(**{**defaults, **kw})


def _balance(tenant) -> int:
    row = CreditBalance.objects.filter(tenant=tenant).first()
    return row.balance if row else 0


def _wait(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


# --- client: error envelopes -> friendly pt-BR messages -----------------------------------


@pytest.mark.parametrize(
    ("status", "body", "message", "code"),
    [
        (
            400,
            {
                "errors": [
                    {"code": "invalid_object", "description": "O CPF/CNPJ informado é inválido."}
                ]
            },
            MSG_INVALID_DOCUMENT,
            "invalid_object",
        ),
        (
            400,
            {
                "errors": [
                    {
                        "code": "invalid_customer.cpfCnpj",
                        "description": "Para criar esta cobrança é necessário preencher o CPF "
                        "ou CNPJ do cliente.",
                    }
                ]
            },
            MSG_MISSING_DOCUMENT,
            "invalid_customer.cpfCnpj",
        ),
        (
            400,
            {
                "errors": [
                    {
                        "code": "invalid_object",
                        "description": "Para criar esta cobrança é necessário preencher o CPF "
                        "ou CNPJ do cliente.",
                    }
                ]
            },
            MSG_MISSING_DOCUMENT,
            "invalid_object",
        ),
        (
            400,
            {
                "errors": [
                    {
                        "description": "O valor da cobrança (R$ 3,00) menos o valor do desconto "
                        "(R$ 0,00) não pode ser menor que R$ 5,00."
                    }
                ]
            },
            MSG_BELOW_MINIMUM,
            "",
        ),
        (429, None, MSG_RATE_LIMIT, ""),
        (500, None, MSG_OUTAGE, ""),
        (503, {"errors": []}, MSG_OUTAGE, ""),
    ],
)
def test_error_envelopes_become_friendly_messages(status, body, message, code):
    error = friendly_error(status, body)
    assert error.message == message
    assert error.code == code
    assert error.status == status


def test_other_400_keeps_asaas_description():
    error = friendly_error(
        400,
        {
            "errors": [
                {
                    "code": "invalid_dueDate",
                    "description": "A data de vencimento não pode ser inferior à hoje",
                }
            ]
        },
    )
    assert "vencimento" in error.message
    assert error.code == "invalid_dueDate"


def test_unreachable_asaas_is_an_outage():
    client = AsaasClient(base_url="http://127.0.0.1:9/v3", api_key=API_KEY, timeout=1)
    with pytest.raises(AsaasError) as info:
        client.payment_get(payment_id="pay_x")
    assert info.value.message == MSG_OUTAGE
    assert info.value.retryable


def test_client_sends_key_and_user_agent_and_parses_real_bodies(fake_asaas):
    fake_asaas.state.strict_user_agent = True
    with AsaasClient(base_url=fake_asaas.base_url, api_key=API_KEY) as client:
        customer = client.customer_get_or_create(
            name="Clínica", cpf_cnpj=CPF, external_reference="t-1"
        )
        again = client.customer_get_or_create(
            name="Clínica", cpf_cnpj=CPF, external_reference="t-1"
        )
        assert again["id"] == customer["id"]
        with pytest.raises(AsaasError) as info:
            client.customer_create(name="X", cpf_cnpj="11111111111", external_reference="t-2")
        assert info.value.message == MSG_INVALID_DOCUMENT
    with AsaasClient(base_url=fake_asaas.base_url, api_key="$aact_hmlg_wrong") as client:
        with pytest.raises(AsaasError) as info:
            client.customer_list(cpfCnpj=CPF)
        assert info.value.status == 401


def test_both_payment_id_formats_work(fake_asaas):
    with AsaasClient(base_url=fake_asaas.base_url, api_key=API_KEY) as client:
        customer = client.customer_create(name="C", cpf_cnpj=CPF, external_reference="t")
        ids = []
        for n in range(2):
            payment = client.payment_create_pix(
                customer_id=customer["id"],
                value=Decimal("10"),
                due_date=fake_asaas.state.today(),
                external_reference=f"r{n}",
                description="d",
            )
            ids.append(payment["id"])
            assert client.payment_get(payment_id=payment["id"])["status"] == "PENDING"
            assert client.payment_pix_qr(payment_id=payment["id"])["success"] is True
    assert any("_" in i[4:] for i in ids) and any("_" not in i[4:] for i in ids)
    assert all(len(i) == 20 for i in ids)


# --- purchase_start -----------------------------------------------------------------------


@pytest.mark.django_db
def test_purchase_start_creates_pix_charge_and_saves_document(fake_asaas, tenant, owner):
    package = _package()
    purchase = purchase_start(
        tenant=tenant,
        actor=owner,
        package_id=package.pk,
        expected_price="99.90",
        cpf_cnpj="249.715.637-92",
    )
    assert purchase.status == "pending"
    assert purchase.credits == 500 and purchase.amount_brl == Decimal("99.90")
    assert purchase.package_name == "Pacote 500"
    assert purchase.created_by == owner
    assert purchase.asaas_customer_id and purchase.asaas_payment_id
    assert base64.b64decode(purchase.asaas_pix_qrcode or "").startswith(b"\x89PNG\r\n\x1a\n")
    assert (purchase.asaas_pix_copy_paste or "").startswith("000201")
    assert purchase.expires_at is not None
    tenant.refresh_from_db()
    assert tenant.cpf_cnpj == CPF
    payment = fake_asaas.state.payment_get(purchase.asaas_payment_id)
    assert payment["externalReference"] == str(purchase.pk)
    assert payment["billingType"] == "PIX" and payment["value"] == 99.9
    customer = fake_asaas.state.customer_get(purchase.asaas_customer_id)
    assert customer["externalReference"] == str(tenant.pk)
    assert customer["notificationDisabled"] is True
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"credits.purchase_start", "tenant.update"} <= actions
    # No document in the audit trail.
    assert CPF not in str(list(AuditLog.objects.values_list("details", flat=True)))
    # A second purchase reuses the Asaas customer.
    purchase_start(
        tenant=tenant, actor=owner, package_id=package.pk, expected_price="99,90", cpf_cnpj=CPF
    )
    assert len(fake_asaas.state.customers) == 1


@pytest.mark.django_db
def test_legacy_customer_without_document_is_patched(fake_asaas, tenant, owner):
    legacy = fake_asaas.state.customer_create(
        {"name": "Antiga", "externalReference": str(tenant.pk)}, legacy=True
    )
    assert legacy["cpfCnpj"] is None
    package = _package()
    purchase = purchase_start(
        tenant=tenant, actor=owner, package_id=package.pk, expected_price="99.90", cpf_cnpj=CPF
    )
    assert purchase.asaas_customer_id == legacy["id"]
    assert fake_asaas.state.customer_get(legacy["id"])["cpfCnpj"] == CPF
    assert purchase.status == "pending"


def _assert_nothing_stored(fake, tenant, cpf_before=None):
    assert CreditPurchase.objects.count() == 0
    tenant.refresh_from_db()
    assert tenant.cpf_cnpj == cpf_before
    assert fake.state.customers == {} and fake.state.payments == {}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unknown", "Pacote não encontrado"),
        ("garbage", "Pacote não encontrado"),
        ("inactive", "Pacote não encontrado"),
        ("price_changed", "O preço deste pacote mudou"),
        ("bad_price", "Preço inválido"),
        ("bad_cpf", "CPF inválido"),
        ("bad_cnpj", "CNPJ inválido"),
        ("empty_doc", "Informe um CPF"),
    ],
)
def test_bad_input_changes_nothing(fake_asaas, tenant, owner, case, message):
    package = _package(is_active=case != "inactive")
    kwargs: dict[str, Any] = {"package_id": package.pk, "expected_price": "99.90", "cpf_cnpj": CPF}
    if case == "unknown":
        kwargs["package_id"] = "7b0c35a4-3a4e-4c55-9d0f-3b1c1d9b0c11"
    elif case == "garbage":
        kwargs["package_id"] = "not-a-uuid"
    elif case == "price_changed":
        kwargs["expected_price"] = "89.90"
    elif case == "bad_price":
        kwargs["expected_price"] = "abc"
    elif case == "bad_cpf":
        kwargs["cpf_cnpj"] = "249.715.637-93"
    elif case == "bad_cnpj":
        kwargs["cpf_cnpj"] = "12.ABC.345/01DE-36"
    elif case == "empty_doc":
        kwargs["cpf_cnpj"] = ""
    with pytest.raises(ApplicationError) as info:
        purchase_start(tenant=tenant, actor=owner, **kwargs)
    assert message in info.value.message
    _assert_nothing_stored(fake_asaas, tenant)


@pytest.mark.django_db
def test_package_below_asaas_minimum_is_refused_locally(fake_asaas, tenant, owner):
    package = _package(price_brl=Decimal("3.00"))
    with pytest.raises(ApplicationError) as info:
        purchase_start(
            tenant=tenant, actor=owner, package_id=package.pk, expected_price="3.00", cpf_cnpj=CPF
        )
    assert info.value.message == MSG_BELOW_MINIMUM
    _assert_nothing_stored(fake_asaas, tenant)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fail_next", "message"), [([429], MSG_RATE_LIMIT), ([500], MSG_OUTAGE), ([503], MSG_OUTAGE)]
)
def test_asaas_failure_marks_purchase_failed(fake_asaas, tenant, owner, fail_next, message):
    fake_asaas.state.fail_next = list(fail_next)
    package = _package()
    with pytest.raises(ApplicationError) as info:
        purchase_start(
            tenant=tenant, actor=owner, package_id=package.pk, expected_price="99.90", cpf_cnpj=CPF
        )
    assert info.value.message == message
    purchase = CreditPurchase.objects.get()
    assert purchase.status == "failed" and purchase.failed_at is not None
    assert AuditLog.objects.filter(action="credits.purchase_failed").count() == 1


@pytest.mark.django_db
def test_alphanumeric_cnpj_refused_by_asaas_gets_clear_message(fake_asaas, tenant, owner):
    fake_asaas.state.reject_alnum_cnpj = True
    package = _package()
    with pytest.raises(ApplicationError) as info:
        purchase_start(
            tenant=tenant,
            actor=owner,
            package_id=package.pk,
            expected_price="99.90",
            cpf_cnpj="12.ABC.345/01DE-35",
        )
    assert info.value.message == MSG_INVALID_DOCUMENT
    assert CreditPurchase.objects.get().status == "failed"


@pytest.mark.django_db
def test_alphanumeric_cnpj_accepted_when_asaas_accepts(fake_asaas, tenant, owner):
    package = _package()
    purchase = purchase_start(
        tenant=tenant,
        actor=owner,
        package_id=package.pk,
        expected_price="99.90",
        cpf_cnpj="12.abc.345/01de-35",
    )
    assert purchase.status == "pending"
    assert fake_asaas.state.customer_get(purchase.asaas_customer_id)["cpfCnpj"] == CNPJ_ALNUM


# --- polling fallback ---------------------------------------------------------------------


@pytest.mark.django_db
def test_refresh_status_polls_asaas_when_webhook_is_late(fake_asaas, tenant, owner):
    package = _package()
    purchase = purchase_start(
        tenant=tenant, actor=owner, package_id=package.pk, expected_price="99.90", cpf_cnpj=CPF
    )
    assert purchase_refresh_status(purchase=purchase, force=True).status == "pending"
    fake_asaas.state.payment_pay(purchase.asaas_payment_id)
    # Rate limited: a second poll inside the window does not call Asaas.
    assert purchase_refresh_status(purchase=purchase).status == "pending"
    purchase = purchase_refresh_status(purchase=purchase, force=True)
    assert purchase.status == "paid"
    assert _balance(tenant) == 500
    purchase_refresh_status(purchase=purchase, force=True)
    assert CreditTransaction.objects.filter(purchase=purchase).count() == 1


# --- end to end over HTTP: fake Asaas -> webhook -> worker -> ledger ----------------------


@pytest.mark.django_db(transaction=True)
def test_paid_in_sandbox_credits_once_through_webhooks(
    fake_asaas, asaas_webhooks_live, tenant, owner
):
    package = _package()
    purchase = purchase_start(
        tenant=tenant, actor=owner, package_id=package.pk, expected_price="99.90", cpf_cnpj=CPF
    )
    # The sandbox confirm endpoint, as a developer would call it.
    response = httpx.post(
        f"{fake_asaas.base_url}/sandbox/payment/{purchase.asaas_payment_id}/confirm",
        headers={"access_token": API_KEY},
        json={},
    )
    assert response.status_code == 200 and response.json()["status"] == "RECEIVED"
    assert fake_asaas.flush()
    assert _wait(lambda: CreditPurchase.objects.get(pk=purchase.pk).status == "paid")
    assert _balance(tenant) == 500
    assert {d["status"] for d in fake_asaas.dispatcher.deliveries} == {200}
    assert set(InboundEvent.objects.values_list("event_type", flat=True)) == {
        "PAYMENT_CREATED",
        "PAYMENT_RECEIVED",
    }
    assert not asaas_webhooks_live.errors


@pytest.mark.django_db(transaction=True)
def test_duplicates_reordering_and_confirmed_then_received_credit_once(
    fake_asaas, asaas_webhooks_live, tenant, owner
):
    fake_asaas.state.duplicates = 3
    fake_asaas.state.concurrent_duplicates = True
    fake_asaas.state.reorder = True
    fake_asaas.dispatcher.paused = True
    package = _package()
    purchase = purchase_start(
        tenant=tenant, actor=owner, package_id=package.pk, expected_price="99.90", cpf_cnpj=CPF
    )
    fake_asaas.state.payment_block(purchase.asaas_payment_id)  # CONFIRMED (precautionary block)
    fake_asaas.state.payment_pay(purchase.asaas_payment_id)  # then RECEIVED
    fake_asaas.dispatcher.paused = False
    assert fake_asaas.flush()
    assert _wait(
        lambda: (
            InboundEvent.objects.filter(status="pending").count() == 0
            and InboundEvent.objects.count() == 3
        )
    )
    assert _wait(lambda: CreditPurchase.objects.get(pk=purchase.pk).status == "paid")
    assert _balance(tenant) == 500
    assert CreditTransaction.objects.filter(purchase=purchase).count() == 1
    assert len(fake_asaas.dispatcher.deliveries) == 9  # 3 events x 3 copies, all answered 200
    assert {d["status"] for d in fake_asaas.dispatcher.deliveries} == {200}


@pytest.mark.django_db(transaction=True)
def test_wrong_webhook_token_is_retried_and_never_stored(
    fake_asaas, asaas_webhooks_live, tenant, owner, settings
):
    for hook in fake_asaas.state.webhooks.values():
        hook["authToken"] = "wrong"
    package = _package()
    purchase_start(
        tenant=tenant, actor=owner, package_id=package.pk, expected_price="99.90", cpf_cnpj=CPF
    )
    assert _wait(lambda: len(fake_asaas.dispatcher.deliveries) >= 3, timeout=10)
    assert {d["status"] for d in fake_asaas.dispatcher.deliveries} == {401}
    assert InboundEvent.objects.count() == 0
