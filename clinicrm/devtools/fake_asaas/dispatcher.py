"""Webhook deliveries of the fake Asaas: at least once, retried, pausable, with fault injection.

A delivery succeeds only on HTTP 200 (docs/providers/asaas.md §4.4). Failures follow Asaas's retry
table, compressed by `time_scale`; 15 consecutive failures interrupt the webhook's queue. Switches
on the state duplicate deliveries (optionally concurrently) and reorder them (newest first).
"""

import json
import time
from typing import Any

from clinicrm.devtools.fake_asaas.state import FakeAsaasState
from clinicrm.devtools.fakebase import WebhookDispatcher

# Seconds before retry n (docs/providers/asaas.md §4.4), scaled by `time_scale`.
RETRY_DELAYS = (0, 30, 60, 210, 300, 900, 1500, 3600, 3600, 3600, 3600, 3600, 3600, 3600, 10800)
PAUSE_AFTER_FAILURES = 15

Due = list[tuple[dict[str, Any], dict[str, Any]]]


class Dispatcher(WebhookDispatcher):
    thread_name = "fake-asaas-webhooks"

    def __init__(self, state: FakeAsaasState, *, time_scale: float = 0.001) -> None:
        super().__init__(state.events_changed)  # the queues live on the webhooks in the state
        self.state = state
        self.time_scale = time_scale
        self.paused = False

    def _pending(self) -> bool:
        return any(
            h["_queue"]
            for h in self.state.webhooks.values()
            if h["enabled"] and not h["interrupted"]
        )

    def _take(self) -> Due | None:
        if self.paused:
            return None
        now = time.monotonic()
        due = []
        for hook in self.state.webhooks.values():
            if not hook["enabled"] or hook["interrupted"] or not hook["_queue"]:
                continue
            reorder = self.state.reorder or hook["sendType"] == "NON_SEQUENTIALLY_REVERSED"
            item = hook["_queue"][-1] if reorder else hook["_queue"][0]
            if item["next_at"] <= now:
                due.append((hook, item))
        return due or None

    def _work(self, due: Due) -> None:
        for hook, item in due:
            self._deliver(hook, item)

    def _done(self, status: int) -> bool:
        return status == 200  # docs/providers/asaas.md §4.4: any other 2xx is a failure too

    def _retry_delay(self, attempt: int) -> float:
        return RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1] * self.time_scale

    def _post(self, hook: dict[str, Any], body: bytes, attempt: int, event: dict) -> int:
        headers = {"Content-Type": "application/json", "User-Agent": "Asaas_Hmlg/3.0"}
        if hook.get("authToken"):
            headers["asaas-access-token"] = hook["authToken"]
        status, _ = self._http_post(hook["url"], body, headers)
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
        statuses = self._repeat(
            lambda: self._post(hook, body, attempt, event),
            self.state.duplicates,
            concurrent=self.state.concurrent_duplicates,
        )
        with self.state.lock:
            if any(self._done(s) for s in statuses):
                if item in hook["_queue"]:
                    hook["_queue"].remove(item)
                hook["_failures"] = 0
                return
            item["attempts"] = attempt
            hook["_failures"] += 1
            if hook["_failures"] >= PAUSE_AFTER_FAILURES:
                hook["interrupted"] = True
            item["next_at"] = time.monotonic() + self._retry_delay(attempt)
