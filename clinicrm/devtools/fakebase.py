"""What the fake provider servers (fake_asaas, fake_evolution, fake_twilio) have in common.

- `BackgroundServer`: stdlib `ThreadingHTTPServer`s served from daemon threads next to a
  `WebhookDispatcher`; start/stop, context manager, `flush()`.
- `FakeRequestHandler`: the quiet request handler base (`self.fake` is the owning server).
- `WebhookDispatcher`: the worker thread that takes due work under a condition, counts it as in
  flight (so `flush()` can wait for idleness), posts over one httpx client and keeps a log of
  attempts in `deliveries`. Each provider supplies what is due (`_take`), how one item is
  delivered (`_work`) and its retry rule (`_retry_delay`, `_done`), so the provider-specific
  behaviour (retry tables, give-up rules, signing) stays in the provider's own module.
- `FakeServerCommand`: `manage.py fake_*` boilerplate: --host/--port, serve until SIGINT/SIGTERM.
"""

import signal
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import httpx
from django.core.management.base import BaseCommand


class WebhookDispatcher:
    thread_name = "fake-webhooks"
    http_timeout = 10.0

    def __init__(self, cond: threading.Condition) -> None:
        self.deliveries: list[dict[str, Any]] = []  # log of every attempt
        self._cond = cond  # guards the provider's queue; notified when work arrives
        self._stop = threading.Event()
        self._inflight = 0
        self._http = httpx.Client(timeout=self.http_timeout)
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)

    # --- what a provider supplies -------------------------------------------------------------
    def _pending(self) -> bool:
        """Is anything still queued? Called with the condition held."""
        raise NotImplementedError

    def _take(self) -> Any | None:
        """Remove and return the next due piece of work, or None. Called with the condition held."""
        raise NotImplementedError

    def _work(self, item: Any) -> None:
        raise NotImplementedError

    def _failed(self, item: Any, exc: Exception) -> None:
        """`_work` raised; by default the worker thread dies with it."""
        raise exc

    def _wait_timeout(self) -> float:
        return 0.05

    def _retry_delay(self, attempt: int) -> float | None:
        """Seconds before the next try after `attempt` failed ones; None gives up."""
        raise NotImplementedError

    def _done(self, status: int) -> bool:
        """Does this HTTP answer end the delivery (no retry)?"""
        return 200 <= status < 300

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        self._thread.join(timeout=5)
        self._http.close()

    def idle(self) -> bool:
        with self._cond:
            return not self._inflight and not self._pending()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued was delivered; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.idle():
                return True
            time.sleep(0.02)
        return self.idle()

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                item = self._take()
                if item is None:
                    self._cond.wait(timeout=self._wait_timeout())
                    continue
                self._inflight += 1
            try:
                self._work(item)
            except Exception as exc:
                self._failed(item, exc)
            finally:
                with self._cond:
                    self._inflight -= 1

    # --- sending ------------------------------------------------------------------------------
    def _http_post(
        self, url: str, content: bytes | str, headers: dict[str, str]
    ) -> tuple[int, str]:
        """POST once: (HTTP status, ""), or (0, the httpx error's class name) on a timeout or a
        refused connection."""
        try:
            return self._http.post(url, content=content, headers=headers).status_code, ""
        except httpx.HTTPError as exc:
            return 0, type(exc).__name__

    @staticmethod
    def _repeat(send: Callable[[], int], copies: int, *, concurrent: bool = False) -> list[int]:
        """Send `copies` duplicates (fault injection), one after another or all at once."""
        if copies <= 1 or not concurrent:
            return [send() for _ in range(max(copies, 1))]
        statuses: list[int] = []
        lock = threading.Lock()

        def one() -> None:
            status = send()
            with lock:
                statuses.append(status)

        threads = [threading.Thread(target=one) for _ in range(copies)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return statuses


class BackgroundServer[D: WebhookDispatcher]:
    """One or more HTTP servers in daemon threads plus the provider's webhook dispatcher."""

    dispatcher: D

    def __init__(self) -> None:
        self._servers: list[ThreadingHTTPServer] = []
        self._threads: list[threading.Thread] = []

    def _listen(
        self,
        host: str,
        port: int,
        handler: type[BaseHTTPRequestHandler],
        *,
        server_class: type[ThreadingHTTPServer] = ThreadingHTTPServer,
        poll_interval: float = 0.05,
        **attrs: Any,
    ) -> ThreadingHTTPServer:
        """Bind a server now (so its port is known) and serve it from `start()`. `shutdown()`
        waits for the serving loop's next poll, so `poll_interval` is what `stop()` costs (the
        standard library's 0.5 s made every test with a fake half a second slower)."""
        httpd = server_class((host, port), handler)
        httpd.daemon_threads = True
        httpd.fake = self  # type: ignore[attr-defined]
        for name, value in attrs.items():
            setattr(httpd, name, value)
        self._servers.append(httpd)
        self._threads.append(
            threading.Thread(
                target=httpd.serve_forever, kwargs={"poll_interval": poll_interval}, daemon=True
            )
        )
        return httpd

    def start(self) -> Self:
        for thread in self._threads:
            thread.start()
        self.dispatcher.start()
        return self

    def stop(self) -> None:
        self.dispatcher.stop()
        # Each shutdown() waits up to one poll interval: wait for all the servers at once.
        closers = [threading.Thread(target=httpd.shutdown) for httpd in self._servers]
        for closer in closers:
            closer.start()
        for closer in closers:
            closer.join()
        for httpd in self._servers:
            httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def flush(self, timeout: float = 10.0) -> bool:
        return self.dispatcher.flush(timeout)


class FakeRequestHandler[F: BackgroundServer[Any]](BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: paths and bodies carry phone numbers, document numbers, tokens

    @property
    def fake(self) -> F:
        return self.server.fake  # type: ignore[attr-defined]

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self, method: str) -> None:
        raise NotImplementedError

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")


class FakeServerCommand(BaseCommand):
    """`manage.py fake_<provider> --host --port ...`: runs until SIGINT (Ctrl-C) or SIGTERM."""

    default_port: int

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=self.default_port)

    def build(self, opts: dict[str, Any]) -> BackgroundServer[Any]:
        """The configured, not yet started, fake."""
        raise NotImplementedError

    def banner(self, fake: Any, opts: dict[str, Any]) -> list[str]:
        raise NotImplementedError

    def handle(self, *args: Any, **opts: Any) -> None:
        fake = self.build(opts).start()
        for line in self.banner(fake, opts):
            self.stdout.write(line)
        done = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: done.set())
        try:
            done.wait()
        except KeyboardInterrupt:
            pass
        finally:
            fake.stop()
