"""Helpers shared by the browser tests: logging in through the form and a background worker."""

import re
import threading
import time

from playwright.sync_api import Page

from clinicrm.integrations.evolution.tests.helpers import process_pending
from clinicrm.messaging.models import Message
from clinicrm.messaging.services import message_send_perform
from conftest import PASSWORD


def login(page: Page, base: str, email: str) -> None:
    """Log in through the login form (the user's password is conftest.PASSWORD)."""
    page.goto(f"{base}/entrar/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Senha").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(re.compile(r".*/(painel/)?$"))


class Worker:
    """Does what `manage.py db_worker` does in production, in a background thread: processes
    stored webhook events and, with `send_queued`, performs queued sends (without it the test
    performs the send itself, at the moment it chooses)."""

    def __init__(self, *, send_queued: bool) -> None:
        self._send_queued = send_queued
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        from django.db import connection

        try:
            while not self._stop.is_set():
                process_pending()
                if self._send_queued:
                    queued = Message.objects.filter(
                        direction="out", status="pending", send_attempted_at__isnull=True
                    ).values_list("pk", flat=True)
                    for pk in list(queued):
                        message_send_perform(message_id=pk)
                time.sleep(0.1)
        finally:
            connection.close()

    def __enter__(self) -> "Worker":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
