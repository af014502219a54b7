"""Forgot password in the browser: the login page's link, the e-mail (locmem, as the console
backend would print it), the link, a new password, and a login with it."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from clinicrm.core.models import Membership, Role, Tenant, User
from clinicrm.core.tests.helpers import link_in_last_email, run_queued_tasks
from conftest import PASSWORD, make_user

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]

NEW_PASSWORD = "Jabuticaba-no-quintal-2026"


def test_forgot_password_email_link_new_password_then_login(
    page: Page, live_server, settings, screenshot_dir: Path
) -> None:
    settings.PUBLIC_BASE_URL = live_server.url
    tenant = Tenant.objects.create(name="Clínica Aurora", slug="aurora")
    user = make_user("recepcao@aurora.test")
    Membership.objects.create(tenant=tenant, user=user, role=Role.SECRETARY)
    base = live_server.url

    page.goto(f"{base}/entrar/")
    page.get_by_role("link", name="Esqueci minha senha").click()
    page.get_by_label("E-mail").fill("Recepcao@Aurora.test")
    page.get_by_role("button", name="Enviar link").click()
    expect(page.get_by_role("heading", name="Verifique o seu e-mail")).to_be_visible()

    run_queued_tasks()  # what the worker does in production
    link = link_in_last_email(user.email)
    page.goto(link)
    # The token left the address bar before the form is shown.
    page.wait_for_url(re.compile(r".*/senha/redefinir/[^/]+/nova-senha/$"))
    expect(page.get_by_role("heading", name="Crie uma nova senha")).to_be_visible()

    # A weak password first: refused in pt-BR, nothing changes.
    page.get_by_label(re.compile(r"^Nova senha")).fill("12345678")
    page.get_by_label("Repita a nova senha").fill("12345678")
    page.get_by_role("button", name="Salvar senha").click()
    expect(page.get_by_text("Esta senha é inteiramente numérica.")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "password-reset-weak.png"), full_page=True)
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)

    page.get_by_label(re.compile(r"^Nova senha")).fill(NEW_PASSWORD)
    page.get_by_label("Repita a nova senha").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Salvar senha").click()
    expect(page.get_by_role("heading", name="Senha alterada")).to_be_visible()

    page.get_by_role("link", name="Entrar").click()
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Senha").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(re.compile(r".*/(painel/)?$"))
    expect(page.locator("header.topbar")).to_contain_text("recepcao")  # logged in

    # The e-mailed link was for one use only.
    page.goto(link)
    expect(page.get_by_role("heading", name="Link inválido ou expirado")).to_be_visible()
