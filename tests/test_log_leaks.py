"""The log-leak guard can fail: deliberate leaks are caught, redacted lines pass."""

import logging

import pytest
from django.test import Client

from tests.log_leaks import LogLeakGuard

pytestmark = pytest.mark.django_db

TEXT = "Meu diagnóstico é confidencial"
PHONE = "+5511987654321"


@pytest.fixture
def guard():
    guard = LogLeakGuard()
    guard.start()
    yield guard
    guard.stop()


def test_message_text_logged_by_code_is_caught(guard, tenant):
    guard.learn(TEXT)
    logging.getLogger("clinicrm.messaging").debug("ingested %s", TEXT)
    assert any(TEXT in leak for leak in guard.leaks())


def test_a_phone_through_the_project_handler_is_redacted(guard):
    logging.getLogger("clinicrm.integrations").info("from %s (%s)", PHONE, "(11) 98765-4321")
    assert guard.lines and "[telefone] ([telefone])" in guard.lines[-1]
    assert guard.leaks() == []


def test_a_handler_without_the_filter_is_caught():
    logger = logging.getLogger("some.library")
    rogue = logging.StreamHandler()
    logger.addHandler(rogue)
    guard = LogLeakGuard()
    guard.start()
    try:
        logger.warning("sent to %s", PHONE)
    finally:
        guard.stop()
        logger.removeHandler(rogue)
    assert any(PHONE in leak for leak in guard.leaks())


@pytest.mark.parametrize("debug", [False, True])
def test_django_request_lines_are_redacted_in_debug_or_not(guard, settings, debug):
    settings.DEBUG = debug
    Client().get("/midia/um-token-assinado-qualquer/")
    Client().post("/webhooks/twilio/token-do-canal-xyz/inbound/", {"From": PHONE})
    written = "\n".join(guard.lines)
    assert "/midia/[token]/" in written
    assert "/webhooks/twilio/[token]/inbound/" in written
    assert guard.leaks() == []
