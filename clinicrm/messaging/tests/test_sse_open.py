"""Opening a stream on the lean path (messaging/asgi.py: no middleware chain) through the
project's real ASGI application: the view checks the session, user and membership itself, so
revocation works as on every other page, and a stream the server ends resumes without loss."""

import time

import httpx
import pytest
from django.db import connection
from django.test import Client

from clinicrm.core.accounts.middleware import SEEN_AT_KEY
from clinicrm.core.models import Membership, Tenant, User
from clinicrm.messaging.services import realtime_event_emit
from clinicrm.messaging.tests.test_sse_asgi import (
    ON_POSTGRES,
    Stream,
    _wait_listening,
    asgi_url,
    streams,
)

pytestmark = pytest.mark.django_db(transaction=True)

__all__ = ["asgi_url", "streams"]  # fixtures shared with test_sse_asgi.py


def _emit(tenant: Tenant, n: int) -> int:
    return realtime_event_emit(tenant=tenant, kind="message", payload={"thread": n}).pk


def _logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _open_status(url: str, client: Client) -> int:
    cookies = {"sessionid": client.cookies["sessionid"].value}
    with httpx.stream("GET", f"{url}/eventos/", cookies=cookies, timeout=5) as response:
        return response.status_code


def test_a_stream_the_server_ends_resumes_and_gets_each_missed_event_once(
    asgi_url, tenant, owner, streams, settings
) -> None:
    settings.MESSAGING_SSE_MAX_SECONDS = 1.0
    first = Stream(asgi_url, owner, tenant)
    streams.append(first)
    _wait_listening()
    seen = _emit(tenant, 1)
    assert first.next()[0] == seen
    assert first.ended.wait(timeout=10)  # the server ended it: the browser reconnects
    settings.MESSAGING_SSE_MAX_SECONDS = 300.0
    missed = [_emit(tenant, 2), _emit(tenant, 3)]

    again = Stream(asgi_url, owner, tenant, last_event_id=seen)
    streams.append(again)
    assert [again.next()[0] for _ in missed] == missed
    live = _emit(tenant, 4)
    assert again.next()[0] == live  # nothing twice, nothing between


def test_a_first_stream_that_ends_before_any_event_resumes_from_where_it_opened(
    asgi_url, tenant, owner, streams, settings
) -> None:
    streams.append(Stream(asgi_url, owner, tenant))  # starts the server's hub
    _wait_listening()
    settings.MESSAGING_SSE_MAX_SECONDS = 1.0
    quiet = Stream(asgi_url, owner, tenant)
    streams.append(quiet)
    assert quiet.ended.wait(timeout=10)
    settings.MESSAGING_SSE_MAX_SECONDS = 300.0
    # The open told the browser where "now" was, as an event the page's script can read.
    assert quiet.ready_id is not None and quiet.last_id == quiet.ready_id
    missed = _emit(tenant, 1)  # while the tab is away, before it ever saw an event

    again = Stream(asgi_url, owner, tenant, last_event_id=quiet.last_id)
    streams.append(again)
    assert again.next()[0] == missed


def test_the_stream_skips_the_middleware_chain(asgi_url, tenant, owner, streams) -> None:
    cookies = {"sessionid": _logged_in(owner).cookies["sessionid"].value}
    with httpx.stream("GET", f"{asgi_url}/eventos/", cookies=cookies, timeout=5) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        # Headers only the chain adds (clickjacking, CSP middlewares): this path has none.
        assert "x-frame-options" not in response.headers
        assert "content-security-policy" not in response.headers
    page = httpx.get(f"{asgi_url}/pacientes/", cookies=cookies, timeout=5)
    assert "x-frame-options" in page.headers  # while every page still goes through it


def test_a_logged_out_session_is_refused(asgi_url, owner) -> None:
    client = _logged_in(owner)
    cookie = client.cookies["sessionid"].value
    client.logout()
    response = httpx.get(f"{asgi_url}/eventos/", cookies={"sessionid": cookie}, timeout=5)
    assert response.status_code == 401


def test_a_password_change_revokes_the_session(asgi_url, owner) -> None:
    client = _logged_in(owner)
    owner.set_password("another-secret-123")
    owner.save()
    assert _open_status(asgi_url, client) == 401


def test_a_member_removed_from_the_clinic_is_refused(asgi_url, tenant, owner) -> None:
    client = _logged_in(owner)
    Membership.objects.filter(user=owner, tenant=tenant).update(is_active=False)
    assert _open_status(asgi_url, client) == 403


def test_an_idle_session_stops_the_stream_and_is_left_for_the_next_page(asgi_url, owner) -> None:
    client = _logged_in(owner)
    session = client.session
    session[SEEN_AT_KEY] = int(time.time()) - 24 * 3600
    session.save()
    assert _open_status(asgi_url, client) == 204  # EventSource stops reconnecting
    # The next page logs the session out and says why.
    page = httpx.get(
        f"{asgi_url}/pacientes/",
        cookies={"sessionid": client.cookies["sessionid"].value},
        timeout=5,
    )
    assert page.status_code == 302
    assert "motivo=inatividade" in page.headers["location"]


@pytest.mark.skipif(not ON_POSTGRES, reason="row-level security is PostgreSQL's")
def test_with_row_level_security_a_stream_opens_and_replays_its_clinic_only(
    asgi_url, tenant, other_tenant, owner, streams, settings, rls_app_role, monkeypatch
) -> None:
    """The lean path runs no tenant middleware: the stream resolves the membership across
    clinics itself and scopes its replay, or the policies hide every row (403, nothing replayed)."""
    settings.DATABASE_RLS = True
    # The server's connections open as the application role (the test's own stays superuser).
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "assume_role", rls_app_role)
    seen = _emit(tenant, 1)
    missed = [_emit(tenant, 2), _emit(other_tenant, 9), _emit(tenant, 3)]

    again = Stream(asgi_url, owner, tenant, last_event_id=seen)
    streams.append(again)
    assert [again.next()[0] for _ in range(2)] == [missed[0], missed[2]]
