"""Structured logs: one JSON line per event with the request id and the tenant id, redacted;
the X-Request-ID header; Sentry events scrubbed the same way."""

import io
import json
import logging
from collections.abc import Iterator

import pytest
from django.test import Client

from clinicrm.core.log_context import LogContext, request_id_var, tenant_id_var
from clinicrm.core.log_filters import RedactPersonalData
from clinicrm.core.log_json import JsonFormatter
from clinicrm.core.sentry import sentry_before_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """A handler built as settings.LOGGING builds the production one, on django.request."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(LogContext())
    handler.addFilter(RedactPersonalData())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        yield out
    finally:
        logger.removeHandler(handler)


def _lines(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_request_answers_its_id_and_makes_one_when_the_proxy_sends_none_or_junk(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="req-42.a_b")["X-Request-ID"] == "req-42.a_b"
    made = client.get("/healthz")["X-Request-ID"]
    assert len(made) == 32 and made.isalnum()
    junk = client.get("/healthz", HTTP_X_REQUEST_ID='x" injected=1 ' + "9" * 80)["X-Request-ID"]
    assert len(junk) == 32 and "injected" not in junk


def test_one_json_line_with_request_and_tenant_ids_and_no_personal_data(
    json_lines, tenant, owner_client: Client
):
    owner_client.get("/pacientes/5511988887777/nao-existe/?q=Maria", HTTP_X_REQUEST_ID="r-1")
    (line,) = _lines(json_lines)
    assert line["level"] == "WARNING" and line["logger"] == "django.request"
    assert (line["request_id"], line["tenant_id"]) == ("r-1", str(tenant.pk))
    assert "5511988887777" not in json_lines.getvalue() and "Maria" not in json_lines.getvalue()
    assert "[telefone]" in str(line["message"])
    assert line["task_id"] == "-"
    assert set(line) == {
        "time",
        "level",
        "logger",
        "message",
        "request_id",
        "tenant_id",
        "task_id",
        "process",
    }


def test_outside_a_request_the_ids_are_dashes_and_tracebacks_are_redacted():
    # A fresh thread or task (the test client left the last request's ids in this one).
    request_id_var.set("")
    tenant_id_var.set("")
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(LogContext())
    handler.addFilter(RedactPersonalData())
    logger = logging.getLogger("clinicrm.test_log_json")
    logger.addHandler(handler)
    try:
        try:
            raise ValueError("CPF 123.456.789-09 recusado")
        except ValueError:
            logger.exception("falhou para +5511988887777")
    finally:
        logger.removeHandler(handler)
    (line,) = _lines(out)
    assert line["message"] == "falhou para [telefone]"
    assert "123.456.789-09" not in str(line["exc"]) and "[documento]" in str(line["exc"])
    assert line["request_id"] == line["tenant_id"] == "-"


def test_sentry_events_carry_no_personal_data():
    event = {
        "message": "envio para +5511988887777 falhou",
        "exception": {"values": [{"type": "X", "value": "CPF 123.456.789-09"}]},
        "breadcrumbs": {"values": [{"message": "GET /midia/abc.def/ ?q=joana"}]},
        "request": {
            "url": "https://c.example.com/webhooks/twilio/s3cr3t/inbound/",
            "query_string": "q=Maria+Silva",
            "data": {"Body": "texto do paciente"},
            "cookies": {"sessionid": "x"},
            "headers": {"Authorization": "Bearer t", "User-Agent": "ua"},
        },
        "user": {"id": "u", "email": "a@b.c"},
    }
    out = sentry_before_send(event, {})
    text = json.dumps(out)
    for secret in ("5511988887777", "123.456.789-09", "abc.def", "s3cr3t", "texto", "Bearer"):
        assert secret not in text, secret
    assert "user" not in out and "cookies" not in out["request"]
    assert out["request"]["headers"] == {"User-Agent": "ua"}
