"""Session expiry: an idle timeout and an absolute lifetime for logged-in sessions.

Two timestamps live in the session (epoch seconds): when the member logged in and when they were
last active. A request of an expired session is logged out and sent to the login page, which says
why (`?motivo=inatividade` or `?motivo=limite`); an htmx request gets `HX-Redirect`, so the
browser leaves the page instead of swapping the login form into a fragment.

Only the member's own actions count as activity. Requests a page makes by itself do not refresh
the idle clock, so an open tab cannot keep a session alive forever:
- views marked with `@background_view` (the realtime stream, the bell's counts);
- requests that carry `X-Clinicrm-Background: 1`, which app.js adds to every htmx request not
  triggered by a trusted user event (`every Ns` polls, `load`, events fired from the stream).

Cost: no query beyond the session's own load; the activity stamp is rewritten at most once per
`ACTIVITY_RESOLUTION_SECONDS`, so a busy member does not save the session on every click.
Requests with an `Authorization` header (the bearer-token API) are left alone.
"""

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import SESSION_KEY, alogout, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url

from clinicrm.core.hybrid_middleware import HybridMiddleware

LOGIN_AT_KEY = "_clinicrm_login_at"
SEEN_AT_KEY = "_clinicrm_seen_at"
BACKGROUND_HEADER = "X-Clinicrm-Background"
ACTIVITY_RESOLUTION_SECONDS = 60
BACKGROUND_ATTR = "session_background"

REASON_IDLE = "inatividade"
REASON_LIMIT = "limite"


def background_view[F: Callable[..., Any]](view: F) -> F:
    """Mark a view as one the page calls by itself: it never counts as the member's activity."""
    setattr(view, BACKGROUND_ATTR, True)
    return view


def session_stamp_login(session: Any, *, now: float | None = None) -> None:
    """Called on login (user_logged_in): both clocks start now."""
    stamp = int(now if now is not None else time.time())
    session[LOGIN_AT_KEY] = stamp
    session[SEEN_AT_KEY] = stamp


def expiry_reason(*, login_at: int | None, seen_at: int | None, now: float) -> str | None:
    if login_at is not None and now - login_at > settings.SESSION_MAX_AGE_SECONDS:
        return REASON_LIMIT
    if seen_at is not None and now - seen_at > settings.SESSION_IDLE_TIMEOUT_SECONDS:
        return REASON_IDLE
    return None


def _is_background(request: HttpRequest) -> bool:
    if request.headers.get(BACKGROUND_HEADER) == "1":
        return True
    match = getattr(request, "resolver_match", None)
    return bool(match and getattr(match.func, BACKGROUND_ATTR, False))


def _expired_response(request: HttpRequest, reason: str) -> HttpResponse:
    htmx = request.headers.get("HX-Request") == "true"  # runs before HtmxMiddleware
    params = {"motivo": reason}
    if request.method == "GET" and not htmx:
        params["next"] = request.get_full_path()
    url = f"{resolve_url(settings.LOGIN_URL)}?{urlencode(params)}"
    if "text/event-stream" in request.headers.get("Accept", ""):
        return HttpResponse(status=204)  # EventSource stops reconnecting on 204
    if htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _skip(request: HttpRequest) -> bool:
    return "Authorization" in request.headers or (
        settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


class SessionExpiryMiddleware(HybridMiddleware):
    """Sync and async capable (the realtime stream is an async view); after
    AuthenticationMiddleware, before TenantMiddleware (an expired session costs no membership
    look-up)."""

    def call_sync(self, request: HttpRequest) -> Any:
        if _skip(request):
            return self.get_response(request)
        session = request.session
        now = time.time()
        if SESSION_KEY in session:
            reason = expiry_reason(
                login_at=session.get(LOGIN_AT_KEY), seen_at=session.get(SEEN_AT_KEY), now=now
            )
            if reason:
                logout(request)
                return _expired_response(request, reason)
        response = self.get_response(request)
        if SESSION_KEY in session and not _is_background(request):
            _touch(session, now)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        if _skip(request):
            response: HttpResponse = await self.get_response(request)
            return response
        session = request.session
        now = time.time()
        if await session.ahas_key(SESSION_KEY):
            reason = expiry_reason(
                login_at=await session.aget(LOGIN_AT_KEY),
                seen_at=await session.aget(SEEN_AT_KEY),
                now=now,
            )
            if reason:
                await alogout(request)
                return _expired_response(request, reason)
        response = await self.get_response(request)
        if await session.ahas_key(SESSION_KEY) and not _is_background(request):
            await _atouch(session, now)
        return response


def _stale(seen_at: Any, login_at: Any, now: float) -> bool:
    return login_at is None or seen_at is None or now - seen_at >= ACTIVITY_RESOLUTION_SECONDS


def _touch(session: Any, now: float) -> None:
    if _stale(session.get(SEEN_AT_KEY), session.get(LOGIN_AT_KEY), now):
        session.setdefault(LOGIN_AT_KEY, int(now))  # a session from before this middleware
        session[SEEN_AT_KEY] = int(now)


async def _atouch(session: Any, now: float) -> None:
    if _stale(await session.aget(SEEN_AT_KEY), await session.aget(LOGIN_AT_KEY), now):
        await session.asetdefault(LOGIN_AT_KEY, int(now))
        await session.aset(SEEN_AT_KEY, int(now))
