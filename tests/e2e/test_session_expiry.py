"""Session expiry in the browser, on the ASGI server: an open dashboard (its realtime stream and
polls running) does not keep the session alive; the next click lands on the login page, which
says why. Then the 400 page of an out-of-range date."""

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from clinicrm.core.models import Membership, Role, Tenant
from conftest import PASSWORD, make_user

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]

IDLE_SECONDS = 8


def _login(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/entrar/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Senha").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(re.compile(r".*/(painel/)?$"))


def test_an_open_tab_does_not_keep_the_session_alive(
    page: Page, asgi_url, settings, screenshot_dir: Path
) -> None:
    settings.SESSION_IDLE_TIMEOUT_SECONDS = IDLE_SECONDS
    tenant = Tenant.objects.create(name="Clínica Aurora", slug="aurora")
    user = make_user("recepcao@aurora.test")
    Membership.objects.create(tenant=tenant, user=user, role=Role.SECRETARY)

    _login(page, asgi_url, user.email)
    time.sleep(IDLE_SECONDS + 2)  # the tab stays open: stream, bell and polls keep running
    page.get_by_role("link", name="Pacientes").first.click()
    page.wait_for_url(re.compile(r".*/entrar/\?motivo=inatividade.*"))
    notice = page.get_by_test_id("session-expired")
    # (durations under a minute read "1 minuto": the real setting is in minutes)
    expect(notice).to_contain_text("Sua sessão expirou após 1 minuto sem atividade")
    for width, height in ((1366, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(screenshot_dir / f"session-expired-{width}.png"))

    # Logging in again goes back where the member was going.
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 1800
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Senha").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(re.compile(r".*/pacientes/$"))

    page.goto(f"{asgi_url}/agenda/?data=9999-12-31")
    expect(page.get_by_test_id("bad-request")).to_contain_text("Data fora do intervalo permitido")
    for width, height in ((1366, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.reload()
        page.screenshot(path=str(screenshot_dir / f"bad-date-{width}.png"))
