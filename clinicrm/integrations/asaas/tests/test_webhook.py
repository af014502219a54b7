"""The Asaas webhook: token, malformed bodies, storage, dedup, one effect per fixture."""

import threading

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from clinicrm.core.models import AuditLog, Membership, Notification, Role
from clinicrm.credits.models import CreditBalance, CreditTransaction
from clinicrm.credits.services import credits_add, credits_deduct
from clinicrm.devtools.fake_asaas.server import FakeAsaasServer
from clinicrm.devtools.fake_asaas.testing import API_KEY
from clinicrm.integrations.asaas.tests.helpers import (
    TOKEN,
    asaas_says,
    fixture_bytes,
    in_thread_db_cleanup,
    make_purchase,
    post_webhook,
    process_pending,
    run_ready_tasks,
)
from clinicrm.integrations.models import InboundEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _token(settings):
    settings.ASAAS_WEBHOOK_TOKEN = TOKEN


@pytest.fixture(autouse=True)
def asaas_api(settings):
    """The fake Asaas over real HTTP: a "received" webhook is read back before crediting, and
    by default Asaas confirms the fixtures' payment (RECEIVED, R$ 100)."""
    server = FakeAsaasServer(api_keys={API_KEY}).start()
    settings.ASAAS_BASE_URL = server.base_url
    settings.ASAAS_API_KEY = API_KEY
    asaas_says(server, status="RECEIVED")
    try:
        yield server
    finally:
        server.stop()


def _balance(tenant) -> int:
    row = CreditBalance.objects.filter(tenant=tenant).first()
    return row.balance if row else 0


# --- authentication and malformed input ---------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "wrong-token", TOKEN + "x"])
def test_wrong_or_missing_token_is_401_and_stores_nothing(client, token):
    response = post_webhook(client, fixture_bytes("PAYMENT_RECEIVED"), token=token)
    assert response.status_code == 401
    assert InboundEvent.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


def test_missing_setting_refuses_even_an_empty_token(client, settings):
    settings.ASAAS_WEBHOOK_TOKEN = ""
    response = post_webhook(client, fixture_bytes("PAYMENT_RECEIVED"), token="")
    assert response.status_code == 401
    assert InboundEvent.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"{",
        b"[]",
        b'"text"',
        b'{"event": "PAYMENT_RECEIVED"}',
        b'{"id": "", "event": "PAYMENT_RECEIVED"}',
        b'{"id": "evt_1&1"}',
        b'{"id": 12, "event": "PAYMENT_RECEIVED"}',
        b"\xff\xfe",
    ],
)
def test_malformed_body_is_400_and_stores_nothing(client, body):
    response = post_webhook(client, body)
    assert response.status_code == 400
    assert InboundEvent.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


def test_get_is_not_allowed(client):
    assert client.get("/webhooks/asaas/", HTTP_ASAAS_ACCESS_TOKEN=TOKEN).status_code == 405


def test_delivery_is_stored_byte_exact_without_secret_headers_and_enqueued(client, tenant):
    make_purchase(tenant=tenant)
    body = fixture_bytes("PAYMENT_RECEIVED")
    response = post_webhook(client, body)
    assert response.status_code == 200
    assert response.content == b"ok"
    event = InboundEvent.objects.get()
    assert event.provider == "asaas"
    assert event.event_id == "evt_05b708f961d739ea7eba7e4db318f621&368604920"
    assert event.event_type == "PAYMENT_RECEIVED"
    assert event.body_bytes == body
    assert event.status == "pending"
    assert "asaas-access-token" not in event.headers
    assert all("token" not in name for name in event.headers)
    task = DBTaskResult.objects.get()
    assert task.queue_name == "webhooks"
    assert task.args_kwargs["kwargs"] == {"provider": "asaas", "channel_key": "asaas"}
    # The real worker runs it.
    assert run_ready_tasks() == 1
    event.refresh_from_db()
    assert event.status == "processed"
    assert event.tenant_id == tenant.pk
    assert _balance(tenant) == 500


def test_duplicate_delivery_answers_200_and_enqueues_nothing_more(client, tenant):
    make_purchase(tenant=tenant)
    for _ in range(3):
        assert post_webhook(client, fixture_bytes("PAYMENT_CREATED")).status_code == 200
    assert InboundEvent.objects.count() == 1
    assert DBTaskResult.objects.count() == 1


# --- one effect per fixture ---------------------------------------------------------------


def _setup_pending(tenant):
    return make_purchase(tenant=tenant)


def _setup_cancelled(tenant):
    return make_purchase(tenant=tenant, status="cancelled")


def _setup_paid_and_partly_used(tenant):
    purchase = make_purchase(tenant=tenant, status="paid")
    credits_add(tenant=tenant, amount=500, kind="purchase", purchase=purchase)
    for message_id in range(1, 201):
        credits_deduct(tenant=tenant, message_id=message_id)
    return purchase


def _state(tenant, purchase):
    purchase.refresh_from_db()
    return {
        "status": purchase.status,
        "balance": _balance(tenant),
        "transactions": CreditTransaction.objects.filter(tenant=tenant).count(),
        "reviews": AuditLog.objects.filter(action="credits.purchase_needs_review").count(),
        "staff_notifications": Notification.objects.filter(kind="credits.refund_review").count(),
    }


CASES = {
    # event: (setup, expected state after, expected event status)
    "PAYMENT_RECEIVED": (
        _setup_pending,
        {"status": "paid", "balance": 500, "transactions": 1, "reviews": 0},
        "processed",
    ),
    "PAYMENT_CONFIRMED": (
        _setup_pending,
        {"status": "paid", "balance": 500, "transactions": 1, "reviews": 0},
        "processed",
    ),
    "PAYMENT_OVERDUE": (
        _setup_pending,
        {"status": "expired", "balance": 0, "transactions": 0, "reviews": 0},
        "processed",
    ),
    "PAYMENT_DELETED": (
        _setup_pending,
        {"status": "cancelled", "balance": 0, "transactions": 0, "reviews": 0},
        "processed",
    ),
    "PAYMENT_RESTORED": (
        _setup_cancelled,
        {"status": "pending", "balance": 0, "transactions": 0, "reviews": 0},
        "processed",
    ),
    "PAYMENT_REFUNDED": (
        _setup_paid_and_partly_used,
        # 500 bought, 200 used: 300 removed by one adjustment, 200 flagged for staff.
        {"status": "refunded", "balance": 0, "transactions": 202, "reviews": 1},
        "processed",
    ),
    "PAYMENT_PARTIALLY_REFUNDED": (
        _setup_paid_and_partly_used,
        {"status": "paid", "balance": 300, "transactions": 201, "reviews": 1},
        "processed",
    ),
    "PAYMENT_CREATED": (
        _setup_pending,
        {"status": "pending", "balance": 0, "transactions": 0, "reviews": 0},
        "processed",
    ),
    "PAYMENT_UPDATED": (
        _setup_pending,
        {"status": "pending", "balance": 0, "transactions": 0, "reviews": 0},
        "processed",
    ),
    "PAYMENT_BANK_SLIP_VIEWED": (
        _setup_pending,
        {"status": "pending", "balance": 0, "transactions": 0, "reviews": 0},
        "ignored",
    ),
}


def _check(tenant, purchase, expected, event_status, staff_count):
    state = _state(tenant, purchase)
    for key, value in expected.items():
        assert state[key] == value, (key, state)
    assert state["staff_notifications"] == expected["reviews"] * staff_count
    event = InboundEvent.objects.get()
    assert event.status == event_status
    assert event.attempts == 1


@pytest.mark.parametrize("event_type", list(CASES))
def test_fixture_delivered_five_times_in_a_row_has_one_effect(
    client, tenant, staff_user, event_type
):
    setup, expected, event_status = CASES[event_type]
    purchase = setup(tenant)
    body = fixture_bytes(event_type)
    for _ in range(5):
        assert post_webhook(client, body).status_code == 200
        process_pending()
    assert InboundEvent.objects.count() == 1
    _check(tenant, purchase, expected, event_status, staff_count=1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("event_type", list(CASES))
def test_fixture_delivered_five_times_concurrently_has_one_effect(tenant, staff_user, event_type):
    setup, expected, event_status = CASES[event_type]
    purchase = setup(tenant)
    body = fixture_bytes(event_type)
    barrier = threading.Barrier(5)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait(timeout=10)
            statuses.append(post_webhook(Client(), body).status_code)
            # Each "worker" then processes whatever is pending, concurrently with the others.
            process_pending()
        except BaseException as exc:  # pragma: no cover - surfaced below
            errors.append(exc)
        finally:
            in_thread_db_cleanup()

    threads = [threading.Thread(target=deliver) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert statuses == [200] * 5
    assert InboundEvent.objects.count() == 1
    _check(tenant, purchase, expected, event_status, staff_count=1)


def test_confirmed_then_received_credits_once(client, tenant):
    purchase = make_purchase(tenant=tenant)
    for event in ("PAYMENT_CONFIRMED", "PAYMENT_RECEIVED", "PAYMENT_CONFIRMED"):
        for _ in range(2):
            assert post_webhook(client, fixture_bytes(event)).status_code == 200
        process_pending()
    purchase.refresh_from_db()
    assert purchase.status == "paid"
    assert purchase.paid_at is not None
    assert _balance(tenant) == 500
    assert CreditTransaction.objects.filter(purchase=purchase, kind="purchase").count() == 1
    assert InboundEvent.objects.count() == 2
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {"processed"}


@pytest.mark.django_db(transaction=True)
def test_confirmed_and_received_concurrently_credit_once(tenant):
    purchase = make_purchase(tenant=tenant)
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def deliver(event: str) -> None:
        try:
            barrier.wait(timeout=10)
            post_webhook(Client(), fixture_bytes(event))
            process_pending()
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            in_thread_db_cleanup()

    threads = [
        threading.Thread(target=deliver, args=(e,))
        for e in ["PAYMENT_CONFIRMED", "PAYMENT_RECEIVED"] * 3
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    purchase.refresh_from_db()
    assert purchase.status == "paid"
    assert _balance(tenant) == 500
    assert CreditTransaction.objects.filter(purchase=purchase, kind="purchase").count() == 1


def test_unknown_payment_is_ignored_with_reason_and_changes_nothing(client, tenant, other_tenant):
    mine = make_purchase(tenant=tenant, payment_id="pay_someotherpayment1")
    assert post_webhook(client, fixture_bytes("PAYMENT_RECEIVED")).status_code == 200
    assert process_pending() == ["ignored"]
    event = InboundEvent.objects.get()
    assert event.last_error == "unknown payment"
    assert event.tenant is None
    mine.refresh_from_db()
    assert mine.status == "pending"
    assert CreditTransaction.objects.count() == 0
    assert CreditBalance.objects.count() == 0


def test_value_mismatch_is_ignored_and_credits_nothing(client, tenant):
    purchase = make_purchase(tenant=tenant, amount="250.00")
    post_webhook(client, fixture_bytes("PAYMENT_RECEIVED"))
    assert process_pending() == ["ignored"]
    purchase.refresh_from_db()
    assert purchase.status == "pending"
    assert _balance(tenant) == 0


def test_late_payment_of_an_expired_purchase_is_honoured(client, tenant):
    purchase = make_purchase(tenant=tenant, status="expired")
    post_webhook(client, fixture_bytes("PAYMENT_RECEIVED"))
    process_pending()
    purchase.refresh_from_db()
    assert purchase.status == "paid"
    assert _balance(tenant) == 500


def test_refund_before_use_removes_everything_and_flags_nothing(client, tenant, staff_user):
    purchase = make_purchase(tenant=tenant, status="paid")
    credits_add(tenant=tenant, amount=500, kind="purchase", purchase=purchase)
    post_webhook(client, fixture_bytes("PAYMENT_REFUNDED"))
    process_pending()
    purchase.refresh_from_db()
    assert purchase.status == "refunded"
    assert _balance(tenant) == 0
    adjustment = CreditTransaction.objects.get(purchase=purchase, kind="adjustment")
    assert adjustment.amount == -500
    assert not AuditLog.objects.filter(action="credits.purchase_needs_review").exists()


def test_received_after_refund_does_not_credit_again(client, tenant):
    purchase = make_purchase(tenant=tenant)
    post_webhook(client, fixture_bytes("PAYMENT_RECEIVED"))
    post_webhook(client, fixture_bytes("PAYMENT_REFUNDED"))
    process_pending()
    purchase.refresh_from_db()
    assert purchase.status == "refunded"
    assert _balance(tenant) == 0
    assert CreditTransaction.objects.filter(purchase=purchase).count() == 2


def test_refund_arriving_before_received_credits_nothing(client, tenant):
    purchase = make_purchase(tenant=tenant)
    post_webhook(client, fixture_bytes("PAYMENT_REFUNDED"))
    post_webhook(client, fixture_bytes("PAYMENT_RECEIVED"))
    process_pending()
    purchase.refresh_from_db()
    assert purchase.status == "refunded"
    assert _balance(tenant) == 0
    assert CreditTransaction.objects.filter(purchase=purchase).count() == 0


def test_handler_failure_rolls_back_and_retries_with_backoff(client, tenant, monkeypatch):
    from clinicrm.integrations.asaas import handlers
    from clinicrm.integrations.services import MAX_ATTEMPTS, inbound_event_process

    purchase = make_purchase(tenant=tenant)
    calls = {"n": 0}
    original = handlers.HANDLERS["PAYMENT_RECEIVED"]

    def flaky(*, event):
        calls["n"] += 1
        original(event=event)  # credits ...
        if calls["n"] < 3:
            raise RuntimeError("boom")  # ... then fails: the credit must roll back

    monkeypatch.setitem(handlers.HANDLERS, "PAYMENT_RECEIVED", flaky)
    post_webhook(client, fixture_bytes("PAYMENT_RECEIVED"))
    event = InboundEvent.objects.get()
    assert inbound_event_process(event_id=event.pk) == "pending"
    event.refresh_from_db()
    assert event.attempts == 1
    assert event.last_error == "RuntimeError"
    assert _balance(tenant) == 0
    # The retry was enqueued for later (run_after in the future).
    retry = DBTaskResult.objects.order_by("-enqueued_at").first()
    assert retry is not None and DBTaskResult.objects.count() == 2
    assert inbound_event_process(event_id=event.pk) == "pending"
    assert inbound_event_process(event_id=event.pk) == "processed"
    purchase.refresh_from_db()
    assert purchase.status == "paid"
    assert _balance(tenant) == 500
    assert MAX_ATTEMPTS >= 3


def test_gives_up_after_max_attempts(client, tenant, monkeypatch):
    from clinicrm.integrations.asaas import handlers
    from clinicrm.integrations.services import MAX_ATTEMPTS, inbound_event_process

    make_purchase(tenant=tenant)

    def broken(*, event):
        raise RuntimeError("down")

    monkeypatch.setitem(handlers.HANDLERS, "PAYMENT_RECEIVED", broken)
    post_webhook(client, fixture_bytes("PAYMENT_RECEIVED"))
    event = InboundEvent.objects.get()
    results = [inbound_event_process(event_id=event.pk) for _ in range(MAX_ATTEMPTS + 2)]
    assert results[MAX_ATTEMPTS - 1] == "failed"
    event.refresh_from_db()
    assert event.status == "failed"
    assert event.attempts == MAX_ATTEMPTS


def test_members_are_not_flagged_only_staff(client, tenant, member_factory, staff_user):
    member_factory(Role.ADMIN)
    _setup_paid_and_partly_used(tenant)
    post_webhook(client, fixture_bytes("PAYMENT_REFUNDED"))
    process_pending()
    flagged = Notification.objects.filter(kind="credits.refund_review")
    assert list(flagged.values_list("user_id", flat=True)) == [staff_user.pk]
    assert Membership.objects.filter(tenant=tenant).count() == 1


# --- the read-back: Asaas's own word before crediting -------------------------------------


@pytest.mark.parametrize("event", ["PAYMENT_RECEIVED", "PAYMENT_CONFIRMED"])
@pytest.mark.parametrize(
    ("says", "reason"),
    [
        ({"status": "PENDING"}, "asaas says the payment is PENDING"),
        ({"status": "OVERDUE"}, "asaas says the payment is OVERDUE"),
        ({"status": "RECEIVED", "deleted": True}, "asaas does not know the payment"),
        ({"status": "RECEIVED", "value": 1.0}, "asaas payment value differs from purchase amount"),
    ],
)
def test_forged_received_credits_nothing(client, tenant, asaas_api, event, says, reason):
    """A delivery with the right token saying "received" for a payment Asaas itself says is
    pending (a leaked webhook token) mints nothing."""
    purchase = make_purchase(tenant=tenant)
    asaas_says(asaas_api, **says)
    assert post_webhook(client, fixture_bytes(event)).status_code == 200
    assert process_pending() == ["ignored"]
    event_row = InboundEvent.objects.get()
    assert event_row.last_error == reason
    purchase.refresh_from_db()
    assert purchase.status == "pending"
    assert _balance(tenant) == 0
    assert CreditTransaction.objects.count() == 0


def test_unknown_to_asaas_credits_nothing(client, tenant, asaas_api):
    make_purchase(tenant=tenant)
    with asaas_api.state.lock:
        asaas_api.state.payments.clear()
    post_webhook(client, fixture_bytes("PAYMENT_RECEIVED"))
    assert process_pending() == ["ignored"]
    assert _balance(tenant) == 0


def test_asaas_unreachable_credits_nothing_until_it_confirms(client, tenant, asaas_api):
    from clinicrm.integrations.services import inbound_event_process

    purchase = make_purchase(tenant=tenant)
    asaas_api.state.fail_next = [503, 503, 503, 503]
    post_webhook(client, fixture_bytes("PAYMENT_RECEIVED"))
    event = InboundEvent.objects.get()
    assert inbound_event_process(event_id=event.pk) == "pending"  # retried later
    assert _balance(tenant) == 0
    asaas_api.state.fail_next = []
    assert inbound_event_process(event_id=event.pk) == "processed"
    purchase.refresh_from_db()
    assert purchase.status == "paid"
    assert _balance(tenant) == 500
