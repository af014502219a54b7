"""An upload over the send box's cap, in a real browser on the ASGI server: refused in front of
Django (413) and the pt-BR reason shows in the send box; nothing is sent."""

import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import FilePayload, Page, expect

from clinicrm.core.models import Membership, Role, Tenant
from clinicrm.integrations.evolution.tests.helpers import make_channel
from clinicrm.messaging.models import Direction, Message, MessageStatus, Thread
from clinicrm.messaging.tests.factories import thread_url
from conftest import PASSWORD, make_user

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]

MB = 1024 * 1024


def test_a_file_over_the_cap_is_refused_with_the_reason(
    page: Page, asgi_url, settings, screenshot_dir: Path
) -> None:
    # A 2 MB image limit makes the route's cap 3 MB (2 MB + room for the form's fields).
    settings.MESSAGING_OUTBOUND_MEDIA = {
        "image": {
            "label": "Imagens",
            "types": {"image/png": (".png",)},
            "max_bytes": 2 * MB,
            "caption": (),
        }
    }
    tenant = Tenant.objects.create(name="Clínica Aurora", slug="aurora")
    user = make_user("recepcao@aurora.test")
    Membership.objects.create(tenant=tenant, user=user, role=Role.SECRETARY)
    channel = make_channel(tenant)
    key = "+5511999999999"
    Thread.objects.create(tenant=tenant, thread_key=key, contact_name="Maria Souza")
    Message.objects.create(
        tenant=tenant, channel=channel, thread_key=key, direction=Direction.INBOUND,
        provider_message_id="E2E0001", status=MessageStatus.DELIVERED, body="Oi",
        provider_timestamp=timezone.now(),
    )  # fmt: skip

    page.goto(f"{asgi_url}/entrar/")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Senha").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(re.compile(r".*/(painel/)?$"))
    page.goto(asgi_url + thread_url(tenant, key))

    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * (4 * MB)
    page.locator("#send-media").set_input_files(
        files=[FilePayload(name="enorme.png", mimeType="image/png", buffer=big)]
    )
    page.get_by_role("button", name="Enviar").click()
    expect(page.locator("[data-send-too-large]")).to_contain_text(
        "Arquivo grande demais: o limite é de 2 MB."
    )
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()
    page.screenshot(path=str(screenshot_dir / "upload-too-large.png"))
