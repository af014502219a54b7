"""Session expiry: idle timeout and absolute lifetime; polls and the realtime stream are not
activity; htmx gets HX-Redirect; bearer-token API requests are left alone; sync and async paths."""

import datetime as dt

import pytest
import time_machine
from asgiref.sync import async_to_sync
from django.db import connection
from django.test import AsyncClient, Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinicrm.api.services import api_token_create
from clinicrm.core.accounts.middleware import BACKGROUND_HEADER
from clinicrm.messaging.hub import realtime_hub

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
HOME = "/"
COUNTS = "/notificacoes/contagem/"
IDLE_NOTICE = "Sua sessão expirou após 30 minutos sem atividade"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 30 * 60
    settings.SESSION_MAX_AGE_SECONDS = 12 * 3600


def _minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def _logged_in(client: Client, user) -> Client:
    client.force_login(user)
    return client


def test_idle_session_is_logged_out_and_the_login_page_says_why(owner):
    with time_machine.travel(START, tick=False) as clock:
        client = _logged_in(Client(), owner)
        assert client.get(HOME).status_code == 200
        clock.shift(_minutes(29))
        assert client.get(HOME).status_code == 200  # activity: the idle clock restarts
        clock.shift(_minutes(29))
        assert client.get(HOME).status_code == 200
        clock.shift(_minutes(31))
        response = client.get("/agenda/?data=2026-03-02")
        assert response.status_code == 302
        assert response["Location"].startswith("/entrar/?motivo=inatividade&next=")
        assert "_auth_user_id" not in client.session
        page = client.get(response["Location"])
        assert IDLE_NOTICE in page.content.decode()
        # Logged out for good: the next page asks for a login (no reason any more).
        assert client.get(HOME)["Location"].startswith("/entrar/?next=")


def test_login_page_without_reason_shows_no_notice(client):
    assert "Sua sessão expirou" not in client.get("/entrar/").content.decode()


def test_background_requests_do_not_keep_the_session_alive(owner):
    with time_machine.travel(START, tick=False) as clock:
        client = _logged_in(Client(), owner)
        for _ in range(4):  # 28 minutes of a tab polling by itself
            clock.shift(_minutes(7))
            assert client.get(COUNTS).status_code == 200  # @background_view
            poll = client.get(HOME, headers={"HX-Request": "true", BACKGROUND_HEADER: "1"})
            assert poll.status_code == 200  # header sent by app.js for polls
        clock.shift(_minutes(3))
        response = client.get(HOME)
        assert response.status_code == 302
        assert "motivo=inatividade" in response["Location"]


def test_absolute_limit_ends_an_active_session(owner):
    with time_machine.travel(START, tick=False) as clock:
        client = _logged_in(Client(), owner)
        for _ in range(12 * 3):  # active every 20 minutes for 12 hours
            clock.shift(_minutes(20))
            assert client.get(HOME).status_code == 200
        clock.shift(_minutes(1))
        response = client.get(HOME)
        assert response.status_code == 302
        assert "motivo=limite" in response["Location"]
        page = client.get(response["Location"]).content.decode()
        assert "ela dura no máximo 12 horas" in page


def test_expired_htmx_request_gets_hx_redirect(owner):
    with time_machine.travel(START, tick=False) as clock:
        client = _logged_in(Client(), owner)
        clock.shift(_minutes(31))
        response = client.post(reverse("core:notification_mark_all_read"), HTTP_HX_REQUEST="true")
        assert response.status_code == 204
        assert response["HX-Redirect"] == "/entrar/?motivo=inatividade"
        assert "_auth_user_id" not in client.session


def test_expired_event_stream_gets_204_so_eventsource_stops(owner):
    with time_machine.travel(START, tick=False) as clock:
        client = _logged_in(Client(), owner)
        clock.shift(_minutes(31))
        response = client.get("/eventos/", HTTP_ACCEPT="text/event-stream")
        assert response.status_code == 204


def test_bearer_token_requests_are_left_alone(owner, tenant):
    token = api_token_create(tenant=tenant, user=owner, name="integração").plain
    with time_machine.travel(START, tick=False) as clock:
        client = _logged_in(Client(), owner)
        clock.shift(_minutes(31))
        response = client.get("/api/v1/patients", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200
        assert "_auth_user_id" in client.session  # untouched by the API call


def test_no_query_beyond_the_sessions_own(owner, settings):
    """A request within the resolution window costs exactly what it costs without the
    middleware; the activity stamp is saved at most once a minute."""
    with time_machine.travel(START, tick=False) as clock:
        client = _logged_in(Client(), owner)
        clock.shift(dt.timedelta(seconds=70))
        client.get(COUNTS)
        client.get(HOME)  # stamps activity (one session save)
        clock.shift(dt.timedelta(seconds=10))
        with CaptureQueriesContext(connection) as with_mw:
            client.get(HOME)
        settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "SessionExpiry" not in m]
        with CaptureQueriesContext(connection) as without_mw:
            client.get(HOME)
    assert len(with_mw.captured_queries) == len(without_mw.captured_queries)


def test_async_path_expires_and_the_stream_is_not_activity(owner):
    async def run(clock) -> list[int]:
        client = AsyncClient()
        await client.aforce_login(owner)
        statuses = []
        clock.shift(_minutes(20))
        stream = await client.get("/eventos/", headers={"Accept": "text/event-stream"})
        statuses.append(stream.status_code)
        await stream.streaming_content.__aiter__().aclose()  # type: ignore[attr-defined]
        await realtime_hub().stop()
        statuses.append((await client.get(COUNTS)).status_code)
        clock.shift(_minutes(11))
        expired = await client.get("/eventos/", headers={"Accept": "text/event-stream"})
        statuses.append(expired.status_code)
        statuses.append((await client.get(HOME)).status_code)
        return statuses

    with time_machine.travel(START, tick=False) as clock:
        assert async_to_sync(run)(clock) == [200, 200, 204, 302]


def test_async_path_counts_activity(owner):
    async def run(clock) -> list[int]:
        client = AsyncClient()
        await client.aforce_login(owner)
        statuses = []
        for _ in range(3):
            clock.shift(_minutes(20))
            statuses.append((await client.get(HOME)).status_code)
        return statuses

    with time_machine.travel(START, tick=False) as clock:
        assert async_to_sync(run)(clock) == [200, 200, 200]


def test_background_header_name_matches_app_js():
    from django.conf import settings as django_settings

    app_js = (django_settings.BASE_DIR / "clinicrm/static/clinicrm/app.js").read_text()
    assert f'"{BACKGROUND_HEADER}"' in app_js
