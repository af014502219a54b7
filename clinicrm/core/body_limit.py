"""Request bodies are capped in front of Django's ASGI handler, before anything is spooled.

Django's ASGI handler reads a whole request body into a temporary file (on disk past
FILE_UPLOAD_MAX_MEMORY_SIZE) before the first middleware runs, so neither a view nor a Django
upload handler can refuse an oversized upload in time: by then it is on disk. This wrapper
decides per route, from the URL alone:
- a view that takes uploads declares its cap with `@body_max(callable)` (the send box: the
  largest file the upload table allows, plus room for the form's other fields);
- every other route gets Django's own limit for non-file data (`DATA_UPLOAD_MAX_MEMORY_SIZE`)
  plus the same room: a bigger body is one Django would refuse anyway;
- provider webhooks (`/webhooks/`) keep their own cap (integrations/asgi.py).

A body whose Content-Length is over the cap gets 413 before a byte is read. A body without
Content-Length (chunked) is counted as it arrives; past the cap Django sees the client go away
(nothing more is read or spooled) and the answer is 413. Both answers are short pt-BR text;
htmx forms show it (conversation.js).
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.urls import Resolver404, resolve

BODY_MAX_ATTR = "body_max_bytes"
# Multipart boundaries and headers, the caption (up to 65,536 characters) and the CSRF token.
FORM_ROOM_BYTES = 1024 * 1024
SKIP_PREFIXES = ("/webhooks/", "/static/")
TOO_LARGE_MESSAGE = "Arquivo grande demais: o limite é de {mb} MB."

Scope = dict[str, Any]


def body_max[F: Callable[..., Any]](limit: Callable[[], int]) -> Callable[[F], F]:
    """Declare a view's body cap in bytes (a callable, read per request)."""

    def decorator(view: F) -> F:
        setattr(view, BODY_MAX_ATTR, limit)
        return view

    return decorator


def default_body_max() -> int:
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) + FORM_ROOM_BYTES


def body_limit_for(path: str) -> int | None:
    """The cap of a path in bytes; None for paths this wrapper leaves alone."""
    if path.startswith(SKIP_PREFIXES):
        return None
    try:
        func = resolve(path).func
    except Resolver404:
        return default_body_max()
    limit = getattr(func, BODY_MAX_ATTR, None)
    return int(limit()) if limit is not None else default_body_max()


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or ():
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(send: Any, limit: int) -> None:
    # The file limit people know (the table's), not the body cap with the form's room.
    mb = f"{max(limit - FORM_ROOM_BYTES, 0) / (1024 * 1024):.1f}".removesuffix(".0")
    body = TOO_LARGE_MESSAGE.format(mb=mb.replace(".", ",")).encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def with_body_limits(app: Any) -> Any:
    async def application(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        limit = body_limit_for(str(scope.get("path", "")))
        if limit is None:
            await app(scope, receive, send)
            return
        if (_content_length(scope) or 0) > limit:
            await _too_large(send, limit)
            return
        seen = 0
        over = False
        started = False

        async def capped_receive() -> Any:
            nonlocal seen, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message.get("type") == "http.request":
                seen += len(message.get("body") or b"")
                if seen > limit:
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def tracked_send(message: Any) -> None:
            nonlocal started
            if message.get("type") == "http.response.start":
                started = True
            await send(message)

        await app(scope, capped_receive, tracked_send)
        if over and not started:
            await _too_large(send, limit)

    return application
