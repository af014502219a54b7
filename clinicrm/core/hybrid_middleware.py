"""One base for the site's middleware that runs natively under both WSGI and ASGI.

Under ASGI a sync-only middleware makes Django hop to a thread for the rest of the chain; a
middleware that declares both capabilities is called in the chain's own mode. Subclasses write
`call_sync` and `__acall__`; the base picks one per request from how it was constructed.
"""

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest


class HybridMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[..., Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        return self.call_sync(request)

    def call_sync(self, request: HttpRequest) -> Any:
        raise NotImplementedError

    async def __acall__(self, request: HttpRequest) -> Any:
        raise NotImplementedError
