import logging

import pytest
from django.test import Client

from clinicrm.core.log_filters import RedactPersonalData, redact_personal_data


def test_rejected_webhook_paths_are_logged_without_the_channel_token(db, caplog):
    # caplog's handler sits on the root logger: give it the same filter the console has.
    caplog.handler.addFilter(RedactPersonalData())
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = Client().post(
            "/webhooks/evolution/segredo-do-canal-123/", b"{}", content_type="application/json"
        )
    assert response.status_code in (400, 401)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "django.request")
    assert "/webhooks/evolution/[token]/" in logged
    assert "segredo-do-canal-123" not in logged


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Unauthorized: /webhooks/twilio/abc_DEF-1/inbound/", "/webhooks/twilio/[token]/inbound/"),
        ("Not Found: /midia/eyJ0.abc:xyz/", "Not Found: /midia/[token]/"),
        ("/conversas/mensagens/7/midia/tentar-novamente/", "midia/tentar-novamente/"),
        ('"GET /busca/?q=Jo%C3%A3o HTTP/1.1" 200', '"GET /busca/?[...] HTTP/1.1" 200'),
        ("Bad Request: /senha/redefinir/MQ/cz5-0a1b2c/", "Bad Request: /senha/redefinir/[token]/"),
        ("to +5511988887777.", "to [telefone]."),
        ("jid 5511988887777@s.whatsapp.net", "jid [telefone]@s.whatsapp.net"),
        ("whatsapp:+14155550100", "whatsapp:[telefone]"),
        ("tel (11) 98888-7777", "tel [telefone]"),
        ("tel 11 98888-7777", "tel [telefone]"),
        ("tel +55 11 98888-7777", "tel [telefone]"),
        ("tel 11988887777", "tel [telefone]"),
        ("cpf 123.456.789-09", "cpf [documento]"),
        ("cnpj 12.345.678/0001-95", "cnpj [documento]"),
        # Left alone: ids, dates, addresses, durations.
        ("task 550e8400-e29b-41d4-a716-446655440000", "task 550e8400-e29b-41d4-a716-446655440000"),
        (
            "at 2026-03-02 12:00:00 from 192.168.100.200",
            "at 2026-03-02 12:00:00 from 192.168.100.200",
        ),
        ("message 123456 pay_080225913252 1.234s", "message 123456 pay_080225913252 1.234s"),
    ],
)
def test_redaction_table(line, expected):
    assert expected in redact_personal_data(line)


def test_tracebacks_are_redacted_too():
    try:
        raise ValueError("duplicate key (number_e164)=(+5511988887777)")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, "f", 1, "boom", None, None)
        import sys

        record.exc_info = sys.exc_info()
    RedactPersonalData().filter(record)
    text = logging.Formatter().format(record)
    assert "+5511988887777" not in text
    assert "(number_e164)=([telefone])" in text


def _project_handlers() -> list[tuple[str, logging.Handler]]:
    loggers = {"root": logging.getLogger()}
    loggers.update(
        (name, lg)
        for name, lg in logging.Logger.manager.loggerDict.items()
        if isinstance(lg, logging.Logger)
    )
    return [
        (name, handler)
        for name, logger in loggers.items()
        for handler in logger.handlers
        if not type(handler).__module__.startswith("_pytest")
        and not isinstance(handler, logging.NullHandler)  # libraries' "write nothing" default
    ]


def test_every_handler_of_every_logger_redacts():
    handlers = _project_handlers()
    assert handlers, "no handler configured"
    for name, handler in handlers:
        assert any(isinstance(f, RedactPersonalData) for f in handler.filters), name
    # Django's own handlers (DEBUG console, mail_admins, django.server) are gone: its loggers
    # write through the site's handler.
    for name in ("django", "django.server"):
        assert logging.getLogger(name).handlers == []
        assert logging.getLogger(name).propagate
    # granian's workers log through Python's logging too: the same handler (checked above).
    assert {"_granian", "granian.access"} <= {name for name, _ in handlers}
