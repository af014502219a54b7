"""The notifier's own reconnect resumes where the page's stream started, in a real browser over
a real ASGI server.

EventSource reconnects by itself when a stream ends, sending Last-Event-ID; when that reconnect
is answered with an error status (503 while the server sheds load) it gives up for good, and
notifier.js opens a new stream itself, passing the last id it saw as `?last_event_id=`. A tab
whose first stream ended before any event arrived knows that id only from the stream's opening
"ready" event; without it the new stream would start from "now" and lose what came between.
"""

import time

import pytest
from playwright.sync_api import Page, Request, Route

from clinicrm.core.models import Membership, Role, Tenant
from clinicrm.messaging.services import realtime_event_emit
from conftest import make_user
from tests.e2e.helpers import login

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]


def test_after_a_refused_reconnect_the_notifier_resumes_from_the_streams_start(
    page: Page, asgi_url: str, settings
) -> None:
    tenant = Tenant.objects.create(name="Clínica Aurora", slug="aurora")
    owner = make_user("dona@aurora.test")
    Membership.objects.create(tenant=tenant, user=owner, role=Role.OWNER)
    newest = realtime_event_emit(tenant=tenant, kind="crm", payload={"thread": 1})
    settings.MESSAGING_SSE_MAX_SECONDS = 1.0  # every stream ends quickly, before any event

    opens: list[Request] = []

    def stream(route: Route, request: Request) -> None:
        opens.append(request)
        if len(opens) == 2:  # the browser's own reconnect: refused, so EventSource gives up
            route.fulfill(status=503, body="")
        else:
            route.continue_()

    page.route("**/eventos/**", stream)
    login(page, asgi_url, owner.email)
    deadline = time.monotonic() + 30
    while len(opens) < 3 and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert len(opens) >= 3, [r.url for r in opens]

    # The page's first stream starts from "now"; the browser's own reconnect was refused; the
    # notifier's reconnect resumes from the id it learnt from the first stream's "ready" event.
    # (The browser's reconnect carries Last-Event-ID too, but Chromium adds that header below
    # the layer where Playwright sees requests: test_sse_open.py proves the server side.)
    first, _refused, notifier_retry = opens[:3]
    assert "last_event_id" not in first.url
    assert notifier_retry.url.endswith(f"last_event_id={newest.pk}")
