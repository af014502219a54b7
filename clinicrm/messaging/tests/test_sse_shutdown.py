"""SIGTERM to the web server with event streams open: the streams end cleanly and the server
exits (core/stop_signal.py, `RealtimeHub.drain`).

granian stops gracefully by waiting for every open response to finish; an event stream never
does by itself, so a web process with a tab open never exited on SIGTERM. Here a real granian
(two workers, as production runs several) serves two streams; the test SIGTERMs granian's main
process as a supervisor does, and each stream must receive the `closing` frame and then a clean
end of the response (no reset, no truncated chunk), and granian must exit with status 0.
"""

import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from clinicrm.core.models import User
from clinicrm.core.tests.processes import child_process, wait_for
from clinicrm.messaging.tests.test_sse_asgi import _session_cookie
from tests.asgi_server import free_port

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.xdist_group("concurrency"),
    pytest.mark.django_db(transaction=True),
]

STREAMS = 4


class RawStream:
    """One `/eventos/` response read on a thread: its lines, and how it ended."""

    def __init__(self, url: str, user: User) -> None:
        self.lines: list[str] = []
        self.opened = threading.Event()
        self.ended = threading.Event()
        self.error: str | None = None
        timeout = httpx.Timeout(5, read=60)
        self._client = httpx.Client(cookies=_session_cookie(user), timeout=timeout)
        self._thread = threading.Thread(target=self._read, args=(f"{url}/eventos/",), daemon=True)
        self._thread.start()

    def _read(self, url: str) -> None:
        try:
            with self._client.stream("GET", url) as response:
                assert response.status_code == 200
                for line in response.iter_lines():
                    self.lines.append(line)
                    self.opened.set()
        except (httpx.HTTPError, AssertionError) as exc:
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self._client.close()
            self.opened.set()
            self.ended.set()


@pytest.fixture
def granian() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    cmd = [str(Path(sys.executable).parent / "granian"), "--interface", "asginl"]
    cmd += ["--port", str(port), "--workers", "2", "clinicrm.config.asgi:application"]
    env = {"DJANGO_DEBUG": "0", "MESSAGING_SSE_HEARTBEAT_SECONDS": "30"}
    with child_process(cmd, env) as proc:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _up(url) or proc.poll() is not None, what="granian to start")
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        yield url, proc


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_sigterm_ends_open_streams_cleanly_and_the_server_exits(granian, owner):
    url, proc = granian
    streams = [RawStream(url, owner) for _ in range(STREAMS)]
    for stream in streams:
        wait_for(stream.opened.is_set, what="the stream to open")
        assert stream.error is None, stream.error

    proc.send_signal(signal.SIGTERM)
    for stream in streams:
        wait_for(stream.ended.is_set, what="the stream to end after SIGTERM")
    assert proc.wait(timeout=20) == 0

    for stream in streams:
        assert stream.error is None, stream.error  # a clean end, not a reset
        assert stream.lines[0].startswith("retry:")
        assert "event: closing" in stream.lines, stream.lines
        closing = stream.lines.index("event: closing")
        assert stream.lines[closing - 1].startswith("retry:")  # spread-out reconnection
        assert not any(line.startswith("id:") for line in stream.lines[closing - 1 :])
