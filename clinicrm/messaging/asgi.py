"""A lean ASGI path for the realtime stream (`/eventos/`): no middleware chain.

Opening a stream used to walk the whole chain (about a dozen thread hops) while holding the
database connection its session load had taken, from that load until the stream's first
iteration closed it. With thousands of streams opening on a busy event loop every hop waits its
turn, so each open held a pool connection for a long time, opens queued on the pool and got 503s.
On this path the view loads the session, user and membership and replays, all in one thread hop
that ends by releasing the connection (`sse.stream_open`); none of the chain's middlewares does
anything for an event stream (no CSRF on GET, no messages, CSP or HTML headers, no htmx, and a
background view never refreshes the session's activity stamp). Like the webhook path, it starts
the log context itself (request id; the view adds the tenant).
"""

from collections.abc import Callable, Coroutine
from typing import Any

from clinicrm.core.lean_asgi import LeanASGIHandler
from clinicrm.core.log_context import log_request_begin

STREAM_PATH = "/eventos/"

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Coroutine[Any, Any, None]]


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers") or ():
        if name.lower() == b"x-request-id":
            return bytes(value).decode("latin-1")
    return ""


def with_lean_stream(app: Any) -> ASGIApp:
    """Wrap the site's ASGI app so the realtime stream skips the middleware chain."""
    lean = LeanASGIHandler()

    async def application(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("path") == STREAM_PATH:
            log_request_begin(_request_id(scope))
            await lean(scope, receive, send)
        else:
            await app(scope, receive, send)

    return application
