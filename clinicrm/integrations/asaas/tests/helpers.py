"""Shared helpers of the Asaas tests: fixtures as bytes, purchases, the simulated worker."""

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import close_old_connections, connection
from django.utils.module_loading import import_string

from clinicrm.core.models import Tenant
from clinicrm.credits.models import CreditPackage, CreditPurchase
from clinicrm.integrations.models import InboundEvent, InboundEventStatus

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TOKEN = "whk-test-3f7c2a9e-token"
FIXTURE_PAYMENT_ID = "pay_080225913252"


def fixture_bytes(event: str) -> bytes:
    return (FIXTURES / f"{event.lower()}.json").read_bytes()


def make_package(
    *,
    credits: int = 500,
    price: str = "100.00",
    active: bool = True,
    featured: bool = False,
    name: str = "Pacote 500",
    position: int = 100,
) -> CreditPackage:
    return CreditPackage.objects.create(
        name=name,
        credits=credits,
        price_brl=Decimal(price),
        is_active=active,
        is_featured=featured,
        position=position,
    )


def make_purchase(
    *,
    tenant: Tenant,
    status: str = "pending",
    payment_id: str | None = FIXTURE_PAYMENT_ID,
    credits: int = 500,
    amount: str = "100.00",
) -> CreditPurchase:
    return CreditPurchase.objects.create(
        tenant=tenant,
        package=None,
        package_name="Pacote 500",
        credits=credits,
        amount_brl=Decimal(amount),
        status=status,
        asaas_payment_id=payment_id,
        expires_at=None,
        created_at=dt.datetime.now(dt.UTC),
    )


def post_webhook(client, body: bytes, token: str | None = TOKEN):
    headers = {"content_type": "application/json"}
    if token is not None:
        headers["HTTP_ASAAS_ACCESS_TOKEN"] = token
    return client.post("/webhooks/asaas/", data=body, **headers)


def process_pending() -> list[str]:
    """What the worker does: process every pending event once (the service is idempotent)."""
    from clinicrm.integrations.services import inbound_event_process

    ids = list(
        InboundEvent.objects.filter(status=InboundEventStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return [inbound_event_process(event_id=pk) for pk in ids]


def run_ready_tasks() -> int:
    """Run the ready task rows the way django-tasks-db's worker does (by their stored path);
    the real `db_worker` closes the test's database connection, so it is not used here."""
    from django_tasks_db.models import DBTaskResult

    count = 0
    for row in DBTaskResult.objects.ready().filter(queue_name="webhooks"):
        task = import_string(row.task_path)
        task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
        count += 1
    return count


def in_thread_db_cleanup() -> None:
    close_old_connections()
    connection.close()


def asaas_says(
    server: Any,
    *,
    status: str,
    value: float = 100.0,
    payment_id: str = FIXTURE_PAYMENT_ID,
    deleted: bool = False,
) -> None:
    """What the fake Asaas answers when the payment is read back (GET /v3/payments/<id>)."""
    with server.state.lock:
        server.state.payments[payment_id] = {
            "object": "payment",
            "id": payment_id,
            "status": status,
            "value": value,
            "deleted": deleted,
        }
