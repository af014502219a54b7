"""A lean ASGI path for provider webhooks (`/webhooks/...`).

Under ASGI every `MiddlewareMixin` middleware runs its process_request/process_response through
`sync_to_async` (two thread hops each): with the site's chain that was about a dozen hops and
most of the CPU of a webhook delivery. None of those middlewares does anything for a webhook: no
session, user, tenant, CSRF (exempt), messages, CSP/HTML headers, htmx or locale (answers are
plain text to a server; the views authenticate by URL token + apikey / signature themselves). So
`/webhooks/` requests go to a Django handler with no middleware (same URLconf, same views,
same exception handling and request signals); every other path keeps the full chain.

The handler without middleware is core/lean_asgi.py's (the realtime stream uses it too); the test
in integrations/tests/test_asgi_road.py posts a delivery of each provider through the project's
real ASGI application and fails on a 500 or on any sign of the middleware chain.

Without middleware, Django's ASGI handler still takes three thread hops per request
(request_started's receivers, the sync view, response.close() with request_finished) inside a
per-request `ThreadSensitiveContext`, which starts and joins a new thread for every request:
about a fifth of a delivery's CPU (bench.webhooks_profile). `WebhookASGIHandler` reads the body
on the event loop, then serves the request in ONE hop to its own thread pool (threads reused;
as many as the process may hold database connections, so a free connection never waits for a
thread): request_started, the view through Django's sync `get_response`, response.close()
(request_finished hands the thread's pooled connection back), as a WSGI server's thread would;
the answer is sent on the loop.

Django's ASGI handler reads a whole body before the view runs; in front of it, a webhook body
larger than `WEBHOOK_BODY_MAX` is refused (413) by its Content-Length, or cut off as it
streams, so nothing unbounded is spooled. The per-route limits are the views' (`webhooks.py`).

With the middleware skipped, this path starts the log context itself (the request id, the
proxy's `X-Request-ID` when safe); the webhook base adds the tenant once it knows the channel.
"""

from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import get_script_prefix
from django.http import HttpResponseBase
from django.urls import set_script_prefix

from clinicrm.core.lean_asgi import LeanASGIHandler
from clinicrm.core.log_context import log_request_begin
from clinicrm.integrations.webhooks import WEBHOOK_BODY_MAX

WEBHOOK_PREFIX = "/webhooks/"

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Coroutine[Any, Any, None]]


def _thread_count() -> int:
    """The database pool's `max_size` (10 without a pool): one thread per connection."""
    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    size = pool.get("max_size") if isinstance(pool, dict) else None
    return int(size or 10)


class WebhookASGIHandler(LeanASGIHandler):
    """Django's ASGI handler without middleware (core/lean_asgi.py), serving a request in one
    thread hop."""

    def __init__(self) -> None:
        super().__init__()
        self.load_middleware(is_async=False)  # the view runs in the hop: Django's sync chain
        self._threads = ThreadPoolExecutor(_thread_count(), thread_name_prefix="webhook")

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        with closing(body_file):
            serve = sync_to_async(self._serve, thread_sensitive=False, executor=self._threads)
            response = await serve(scope, body_file)
            await self.send_response(response, send)
        if response.streaming:  # never a webhook's answer; closed once it was sent
            await sync_to_async(response.close, thread_sensitive=False, executor=self._threads)()

    def _serve(self, scope: Scope, body_file: Any) -> HttpResponseBase:
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error = self.create_request(scope, body_file)
        response = self.get_response(request) if request is not None else error
        assert response is not None  # create_request gives a request or an error answer
        if not response.streaming:
            response.close()  # request_finished: the thread's connection goes back
        return response


def _header(scope: Scope, wanted: bytes) -> bytes | None:
    for name, value in scope.get("headers") or ():
        if name.lower() == wanted:
            return bytes(value)
    return None


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


async def _too_large(send: Any) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"text/plain")],
        }
    )
    await send({"type": "http.response.body", "body": b"body too large"})


def _capped(receive: Any, limit: int) -> Any:
    """`receive` that reports a disconnect once more than `limit` body bytes arrived."""
    seen = 0

    async def capped() -> Any:
        nonlocal seen
        message = await receive()
        if message.get("type") == "http.request":
            seen += len(message.get("body") or b"")
            if seen > limit:
                return {"type": "http.disconnect"}
        return message

    return capped


def with_lean_webhooks(app: Any) -> ASGIApp:
    """Wrap the site's ASGI app so webhook paths skip the middleware chain."""
    lean = WebhookASGIHandler()

    async def application(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith(WEBHOOK_PREFIX):
            log_request_begin((_header(scope, b"x-request-id") or b"").decode("latin-1"))
            if (_content_length(scope) or 0) > WEBHOOK_BODY_MAX:
                await _too_large(send)
                return
            await lean(scope, _capped(receive, WEBHOOK_BODY_MAX), send)
        else:
            await app(scope, receive, send)

    return application
