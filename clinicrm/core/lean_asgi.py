"""Django's ASGI handler without the middleware chain, for the few paths that need none.

Under ASGI every `MiddlewareMixin` middleware runs its process_request/process_response through
`sync_to_async` (two thread hops each): with the site's chain that is about a dozen hops per
request. Provider webhooks (`integrations/asgi.py`) and the realtime stream (`messaging/asgi.py`)
skip it: same URLconf, same views, same exception handling and request signals, and the view
does itself whatever it needs of the chain (the webhook authenticates by token, the stream loads
the session, user and membership in one database round).

`load_middleware` sets attributes Django's `BaseHandler` keeps private. A Django upgrade that
renames them breaks these paths loudly: integrations/tests/test_asgi_road.py and the stream's
tests go through the project's real ASGI application and fail on a 500.
"""

from typing import Any

from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.exception import convert_exception_to_response


class LeanASGIHandler(ASGIHandler):
    """Django's ASGI handler without middleware."""

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        handler: Any = self
        get_response = handler._get_response_async if is_async else handler._get_response
        self._middleware_chain = convert_exception_to_response(get_response)
