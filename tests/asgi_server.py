"""The project's ASGI application under a real server, for tests that need real streaming.

pytest-django's live_server is WSGI and buffers responses, so SSE frames would never arrive as
they happen. `asgi_server()` runs uvicorn serving clinicrm.config.asgi:application in a daemon
thread on a free local port, on the test database (use it from a transactional test: the server
thread has its own connection and must see committed rows). Used by the SSE test in
clinicrm/messaging/tests and by the browser tests in tests/e2e (through their `asgi_url` fixture).
"""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

START_SECONDS = 15


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def asgi_server() -> Iterator[str]:
    """Serve the ASGI application until the block ends; yields its base URL (no trailing /)."""
    port = free_port()
    config = uvicorn.Config(
        "clinicrm.config.asgi:application",
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="warning",
        # No handlers of uvicorn's own: its loggers propagate to the site's redacting handler.
        log_config=None,
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_SECONDS
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
