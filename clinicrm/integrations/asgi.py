"""A lean ASGI path for provider webhooks (`/webhooks/...`).

Under ASGI every `MiddlewareMixin` middleware runs its process_request/process_response through
`sync_to_async` (two thread hops each): with the site's chain that was about a dozen hops and
most of the CPU of a webhook delivery. None of those middlewares does anything for a webhook: no
session, user, tenant, CSRF (exempt), messages, CSP/HTML headers, htmx or locale (answers are
plain text to a server; the views authenticate by URL token + apikey / signature themselves). So
`/webhooks/` requests go to a Django handler with no middleware (same URLconf, same views,
same exception handling and request signals); every other path keeps the full chain.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.exception import convert_exception_to_response

WEBHOOK_PREFIX = "/webhooks/"

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


class WebhookASGIHandler(ASGIHandler):
    """Django's ASGI handler without middleware."""

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        handler: Any = self
        get_response = handler._get_response_async if is_async else handler._get_response
        self._middleware_chain = convert_exception_to_response(get_response)


def with_lean_webhooks(app: Any) -> ASGIApp:
    """Wrap the site's ASGI app so webhook paths skip the middleware chain."""
    lean = WebhookASGIHandler()

    async def application(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith(WEBHOOK_PREFIX):
            await lean(scope, receive, send)
        else:
            await app(scope, receive, send)

    return application
