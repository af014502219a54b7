"""Helpers shared by the browser tests: logging in through the form, reaching a control by Tab
with its focus ring checked, and a background worker."""

import re
import threading
import time

from playwright.sync_api import Locator, Page

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


# What a keyboard user sees on the focused element: "" when it shows app.css's ring (2px outline
# under :focus-visible), otherwise what is wrong.
_FOCUS_RING = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "the focus is on no element";
  const style = getComputedStyle(el);
  const what = el.outerHTML.slice(0, 120);
  if (!el.matches(":focus-visible")) return "no :focus-visible on " + what;
  if (style.outlineStyle === "none" || parseFloat(style.outlineWidth) < 2)
    return "no visible focus ring on " + what;
  return "";
}"""


def focus_ring_problem(page: Page) -> str:
    """The empty string when the focused element shows a visible focus ring, else what is wrong."""
    return str(page.evaluate(_FOCUS_RING))


def tab_to(page: Page, target: Locator, *, backwards: bool = False, limit: int = 60) -> None:
    """Press Tab (Shift+Tab with `backwards`) until `target` has the focus, as a keyboard user
    would, then check its focus ring. Fails when `limit` presses never reach it (an element out
    of the Tab order, hidden or disabled)."""
    key = "Shift+Tab" if backwards else "Tab"
    target.wait_for(state="visible")
    reached = target.evaluate("(el) => el === document.activeElement")
    for _ in range(limit):
        if reached:
            break
        page.keyboard.press(key)
        reached = target.evaluate("(el) => el === document.activeElement")
    assert reached, f"{limit} presses of {key} never reached {target}"
    problem = focus_ring_problem(page)
    assert problem == "", problem


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
