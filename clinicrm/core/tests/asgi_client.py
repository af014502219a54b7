"""One request through an ASGI application the way a server sends it (tests of the real path)."""

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

Headers = list[tuple[bytes, bytes]]


def asgi_request(
    app: Any,
    path: str,
    *,
    method: str = "GET",
    body: bytes = b"",
    headers: Headers | None = None,
    query: bytes = b"",
) -> dict[str, Any]:
    """Status, headers (lower-case bytes names) and body of the answer to one request."""
    sent: list[dict[str, Any]] = []
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop()
        await asyncio.Event().wait()  # the client stays connected; Django cancels this
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-length", str(len(body)).encode()),
            *(headers or []),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    asgi_run(lambda: app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return {
        "status": start["status"],
        "headers": {k.lower(): v for k, v in start["headers"]},
        "body": b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"),
    }


def asgi_run(call: Callable[[], Awaitable[Any]]) -> None:
    """Await `call()` on a fresh event loop in a thread of its own: a browser test that ran
    earlier in the same process leaves Playwright's loop running on the main thread, where
    `asyncio.run()` refuses to start."""
    errors: list[BaseException] = []

    async def main() -> None:
        await call()

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=run, name="asgi-request")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
