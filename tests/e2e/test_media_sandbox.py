"""A member opens a hostile media link in a real browser, logged in: HTML or SVG delivered as an
"image" downloads instead of rendering, a JPEG/HTML polyglot shows as an image, and in every case
no request leaves the page and no script runs (the payloads would load our htmx, fetch the API,
load an image and raise a dialog)."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Dialog, Download, Page, Request
from playwright.sync_api import Error as PlaywrightError

from clinicrm.core.models import Membership, Role, Tenant
from clinicrm.messaging.models import MediaStatus, Message
from clinicrm.messaging.providers import InboundMedia, InboundMessage
from clinicrm.messaging.services import message_ingest
from clinicrm.messaging.signing import media_signed_url
from clinicrm.messaging.tests.factories import make_channel
from conftest import make_user
from tests.e2e.helpers import login

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]

PAYLOAD_HTML = (
    b'<!DOCTYPE html><html><head><script src="/static/django_htmx/htmx.min.js"></script>'
    b'</head><body><img src="/vazou-img"><script>fetch("/vazou-fetch");alert("xss")</script>'
    b'<div hx-get="/api/v1/patients" hx-trigger="load">carregando</div></body></html>'
)
PAYLOAD_SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b'<image href="/vazou-svg"/><script>fetch("/vazou-fetch")</script></svg>'
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"


@pytest.fixture
def private_media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    return tmp_path


def _delivered(channel, pid: str, claimed: str, content: bytes) -> Message:
    message = message_ingest(
        channel=channel,
        inbound=InboundMessage(
            provider_message_id=pid,
            contact_raw_id="5511999999999@s.whatsapp.net",
            timestamp=timezone.now(),
            kind="image",
            media=InboundMedia(mime=claimed, size=len(content), inline=content),
        ),
    )
    assert message is not None
    message.refresh_from_db()
    assert message.media_status == MediaStatus.STORED
    return message


@pytest.mark.parametrize(
    ("claimed", "content", "attachment"),
    [
        ("image/jpeg, text/html", PAYLOAD_HTML, True),
        ("image/svg+xml", PAYLOAD_SVG, True),
        ("text/html", JPEG + PAYLOAD_HTML, False),
    ],
    ids=["jpeg-comma-html", "svg", "jpeg-html-polyglot"],
)
def test_opening_a_hostile_media_link_runs_nothing(
    page: Page, live_server, private_media, claimed, content, attachment
) -> None:
    tenant = Tenant.objects.create(name="Clínica Aurora", slug="aurora")
    user = make_user("recepcao@aurora.test")
    Membership.objects.create(tenant=tenant, user=user, role=Role.SECRETARY)
    message = _delivered(make_channel(tenant), "HOSTILE1", claimed, content)
    login(page, live_server.url, user.email)

    url = f"{live_server.url}{media_signed_url(message=message)}"
    # The link opens in a new tab (the page's links use target=_blank), with the session cookie.
    tab = page.context.new_page()
    requests: list[str] = []
    dialogs: list[str] = []

    def on_request(request: Request) -> None:
        requests.append(request.url)

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    downloads: list[Download] = []

    def on_download(download: Download) -> None:
        downloads.append(download)

    tab.on("request", on_request)
    tab.on("dialog", on_dialog)
    tab.on("download", on_download)
    try:
        response = tab.goto(url)
    except PlaywrightError as exc:  # the navigation became a download
        assert "Download is starting" in str(exc)
        response = None
    # Whatever the payload asked for (our htmx, the API, an image) was never requested: the tab's
    # only request is the media link itself.
    tab.wait_for_load_state("load")
    assert not any(re.search(r"/vazou-|/api/v1/|htmx", u) for u in requests), requests
    assert requests == [url], requests
    assert dialogs == []
    if attachment:
        assert response is None
        download = downloads[0] if downloads else tab.wait_for_event("download", timeout=5000)
        assert download.url == url
        with open(download.path(), "rb") as fh:
            assert fh.read() == content  # the file is intact: it just never renders
    else:
        assert response is not None and response.status == 200
        assert response.headers["content-type"] == "image/jpeg"
        assert response.headers["content-security-policy"] == "sandbox; default-src 'none'"
        assert downloads == []
