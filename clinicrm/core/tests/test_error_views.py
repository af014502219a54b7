"""An unavailable database answers 503 + Retry-After (pages, API, webhooks); a bug answers a
plain 500. Every query of the request fails through Django's public `execute_wrapper`."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection
from django.test import Client

from clinicrm.api.services import api_token_create

pytestmark = pytest.mark.django_db


@contextmanager
def every_query_fails(exc: Exception) -> Iterator[None]:
    def fail(execute, sql, params, many, context):
        raise exc

    with connection.execute_wrapper(fail):
        yield


@pytest.fixture
def member_client(owner) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    return client


def test_pages_answer_503_with_retry_after(member_client):
    with every_query_fails(OperationalError("FATAL: sorry, too many clients already")):
        page = member_client.get("/pacientes/")
    assert page.status_code == 503
    assert page["Retry-After"] == "5"
    body = page.content.decode()
    assert "temporariamente indisponível" in body
    assert "too many clients" not in body  # no internals shown


def test_the_api_answers_a_json_503(owner, tenant):
    token = api_token_create(user=owner, tenant=tenant, name="t").plain
    client = Client(raise_request_exception=False)
    with every_query_fails(OperationalError("connection refused")):
        response = client.get("/api/v1/patients", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "indisponível" in response.json()["detail"]


def test_webhooks_answer_a_plain_503_so_providers_retry(settings):
    settings.ASAAS_WEBHOOK_TOKEN = "secret-token"
    client = Client(raise_request_exception=False)
    with every_query_fails(OperationalError("connection refused")):
        response = client.post(
            "/webhooks/asaas/",
            data=b'{"id": "evt_1", "event": "PAYMENT_RECEIVED", "payment": {"id": "pay_1"}}',
            content_type="application/json",
            HTTP_ASAAS_ACCESS_TOKEN="secret-token",
        )
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/plain")


def test_a_bug_is_a_500_without_retry_after(member_client):
    with every_query_fails(ZeroDivisionError("bug")):
        page = member_client.get("/pacientes/")
    assert page.status_code == 500
    assert "Retry-After" not in page
    assert "Algo deu errado" in page.content.decode()


def test_an_unavailable_database_is_logged_as_one_warning_line(member_client, caplog):
    with (
        caplog.at_level("WARNING", logger="django.request"),
        every_query_fails(OperationalError("FATAL: sorry, too many clients already")),
    ):
        member_client.get("/pacientes/")
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelname == "WARNING"
    assert record.exc_info is None
    assert "OperationalError" in record.getMessage()
