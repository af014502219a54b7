"""WhiteNoise for an ASGI server without the per-request sync bridge.

WhiteNoise's middleware is sync-only. Under ASGI, Django adapts every middleware below a sync-only
one with `async_to_sync`, which (without a main event loop captured at start-up) starts a new
thread and a new event loop for every request: about half of the CPU of a small request. This
subclass is sync and async capable; in async mode the static-file lookup is a dict get (or a
filesystem check with autorefresh, done in a thread) and serving a file happens in a thread.
It uses WhiteNoise's internals (`files`, `find_file`, `serve`, `autorefresh`): the tripwire for
an upgrade that changes them is core/tests/test_static_middleware.py (the real ASGI and WSGI
paths).
"""

from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest
from whitenoise.middleware import WhiteNoiseMiddleware


class AsyncWhiteNoiseMiddleware(WhiteNoiseMiddleware):
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Any = None, settings: Any = None) -> None:
        if settings is None:
            super().__init__(get_response)
        else:
            super().__init__(get_response, settings)
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        return super().__call__(request)

    async def __acall__(self, request: HttpRequest) -> Any:
        if self.autorefresh:
            static_file = await sync_to_async(self.find_file, thread_sensitive=False)(
                request.path_info
            )
        else:
            static_file = self.files.get(request.path_info)
        if static_file is not None:
            return await sync_to_async(self.serve, thread_sensitive=False)(static_file, request)
        return await self.get_response(request)
