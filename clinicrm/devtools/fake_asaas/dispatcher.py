"""Webhook deliveries of the fake Asaas: at least once, retried, pausable, with fault injection.

A delivery succeeds only on HTTP 200 (asaas.md §4.4). Failures follow Asaas's retry table,
compressed by `time_scale`; 15 consecutive failures interrupt the webhook's queue. Switches on
the state duplicate deliveries (optionally concurrently) and reorder them (newest first).
"""

import json
import threading
import time
from typing import Any

import httpx

from clinicrm.devtools.fake_asaas.state import FakeAsaasState

# Seconds before retry n (asaas.md §4.4), scaled by `time_scale`.
RETRY_DELAYS = (0, 30, 60, 210, 300, 900, 1500, 3600, 3600, 3600, 3600, 3600, 3600, 3600, 10800)
PAUSE_AFTER_FAILURES = 15


class Dispatcher:
    def __init__(self, state: FakeAsaasState, *, time_scale: float = 0.001) -> None:
        self.state = state
        self.time_scale = time_scale
        self.paused = False
        self.deliveries: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fake-asaas-webhooks", daemon=True)
        self._http = httpx.Client(timeout=10.0)
        self._inflight = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self.state.lock:
            self.state.events_changed.notify_all()
        self._thread.join(timeout=5)
        self._http.close()

    def idle(self) -> bool:
        with self.state.lock:
            if self._inflight:
                return False
            return not any(
                h["_queue"]
                for h in self.state.webhooks.values()
                if h["enabled"] and not h["interrupted"]
            )

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every deliverable event was delivered; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.idle():
                return True
            time.sleep(0.02)
        return self.idle()

    def _due(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        now = time.monotonic()
        due = []
        for hook in self.state.webhooks.values():
            if not hook["enabled"] or hook["interrupted"] or not hook["_queue"]:
                continue
            reorder = self.state.reorder or hook["sendType"] == "NON_SEQUENTIALLY_REVERSED"
            item = hook["_queue"][-1] if reorder else hook["_queue"][0]
            if item["next_at"] <= now:
                due.append((hook, item))
        return due

    def _run(self) -> None:
        while not self._stop.is_set():
            with self.state.lock:
                due = [] if self.paused else self._due()
                if not due:
                    self.state.events_changed.wait(timeout=0.05)
                    continue
                self._inflight += 1
            try:
                for hook, item in due:
                    self._deliver(hook, item)
            finally:
                with self.state.lock:
                    self._inflight -= 1

    def _post(self, hook: dict[str, Any], body: bytes, attempt: int, event: dict) -> int:
        headers = {"Content-Type": "application/json", "User-Agent": "Asaas_Hmlg/3.0"}
        if hook.get("authToken"):
            headers["asaas-access-token"] = hook["authToken"]
        try:
            status = self._http.post(hook["url"], content=body, headers=headers).status_code
        except httpx.HTTPError:
            status = 0  # timeout or connection refused
        with self.state.lock:
            self.deliveries.append(
                {
                    "webhook": hook["id"],
                    "event_id": event["id"],
                    "event": event["event"],
                    "payment": event["payment"]["id"],
                    "attempt": attempt,
                    "status": status,
                    "at": time.time(),
                }
            )
        return status

    def _deliver(self, hook: dict[str, Any], item: dict[str, Any]) -> None:
        event = item["envelope"]
        body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        attempt = item["attempts"] + 1
        copies = max(self.state.duplicates, 1)
        statuses: list[int] = []
        if copies > 1 and self.state.concurrent_duplicates:
            lock = threading.Lock()

            def send() -> None:
                s = self._post(hook, body, attempt, event)
                with lock:
                    statuses.append(s)

            threads = [threading.Thread(target=send) for _ in range(copies)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        else:
            statuses = [self._post(hook, body, attempt, event) for _ in range(copies)]
        with self.state.lock:
            if 200 in statuses:
                if item in hook["_queue"]:
                    hook["_queue"].remove(item)
                hook["_failures"] = 0
                return
            item["attempts"] = attempt
            hook["_failures"] += 1
            if hook["_failures"] >= PAUSE_AFTER_FAILURES:
                hook["interrupted"] = True
            delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1] * self.time_scale
            item["next_at"] = time.monotonic() + delay
