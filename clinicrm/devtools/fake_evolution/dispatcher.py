"""Webhook delivery engine and timed actions of the fake Evolution (docs/providers/evolution.md
§3.3-§3.5).

Envelope `{event, instance, data, destination, date_time, sender, server_url, apikey}` posted as
compact JSON to the instance webhook (and the global one when set), `{url}/{suffix}` when
byEvents is on; static headers as configured, `jwt_key` replaced by `Authorization: Bearer
<HS256 JWT>`. Any 2xx is success; 400/401/403/404/422 stop at once; anything else (timeouts,
connection errors, 5xx) is retried with `min(5*2^(n-1), 300)` s backoff (scaled) up to 10 tries.
Switches: duplicates, newest-first (reordered) delivery, a delivery delay.
"""

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import jwt

from clinicrm.devtools.fake_evolution import payloads as p
from clinicrm.devtools.fake_evolution.state import FakeEvolutionState, Instance
from clinicrm.devtools.fakebase import WebhookDispatcher

NON_RETRYABLE = {400, 401, 403, 404, 422}
MAX_ATTEMPTS = 10
REORDER_WINDOW = 0.25


def config_name(event: str) -> str:
    return event.replace(".", "_").replace("-", "_").upper()


def suffix(event: str) -> str:
    return config_name(event).replace("_", "-").lower()


def jwt_hs256(secret: str) -> str:
    iat = int(time.time())
    claims = {"iat": iat, "exp": iat + 600, "app": "evolution", "action": "webhook"}
    return jwt.encode(claims, secret, algorithm="HS256")


class Dispatcher(WebhookDispatcher):
    thread_name = "fake-evolution-hooks"
    http_timeout = 5.0

    def __init__(self, state: FakeEvolutionState) -> None:
        super().__init__(threading.Condition(state.lock))
        self.state = state
        self.queue: list[dict[str, Any]] = []  # pending deliveries
        self.actions: list[tuple[float, Callable[[], None]]] = []  # timed callbacks
        self.paused = False
        self._last_emit = 0.0
        state.emitter = self

    # --- producing ----------------------------------------------------------------------------
    def later(self, delay: float, action: Callable[[], None]) -> None:
        with self._cond:
            self.actions.append((time.monotonic() + delay, action))
            self._cond.notify_all()

    def _targets(self, inst: Instance, event: str) -> list[tuple[str, dict[str, Any], bool]]:
        out = []
        name = config_name(event)
        hook = inst.webhook
        if (
            hook
            and hook.get("enabled")
            and hook.get("url", "").startswith(("http://", "https://"))
            and (not hook["events"] or name in hook["events"])
        ):
            out.append((hook["url"], hook, bool(hook.get("webhookByEvents"))))
        g = self.state.global_webhook
        if g and g.get("url") and (not g.get("events") or name in g["events"]):
            out.append((g["url"], {"headers": {}}, bool(g.get("byEvents"))))
        return out

    def emit(self, inst: Instance, event: str, data: Any) -> None:
        sw = self.state.switches
        with self._cond:
            for url, hook, by_events in self._targets(inst, event):
                envelope: dict[str, Any] = {
                    "event": event,
                    "instance": inst.name,
                    "data": data,
                    "destination": url,
                    "date_time": p.date_time(),
                }
                if inst.wuid:
                    envelope["sender"] = inst.wuid
                envelope["server_url"] = sw.server_url
                envelope["apikey"] = inst.token if sw.expose_apikey else None
                headers = {"Content-Type": "application/json"}
                for key, value in (hook.get("headers") or {}).items():
                    if key == "jwt_key":
                        headers["Authorization"] = f"Bearer {jwt_hs256(str(value))}"
                    else:
                        headers[str(key)] = str(value)
                if sw.version.startswith("2.4"):
                    headers |= {
                        "X-Instance-ID": inst.id,
                        "X-Instance-Name": inst.name,
                        "X-Event-Type": event,
                        "X-Timestamp": str(int(time.time())),
                        "User-Agent": "EvolutionAPI-Webhook/2.3.7",
                    }
                target = f"{url}/{suffix(event)}" if by_events else url
                body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
                self.queue.append(
                    {
                        "url": target,
                        "headers": headers,
                        "body": body,
                        "event": event,
                        "attempts": 0,
                        "next_at": time.monotonic() + sw.webhook_delay,
                        "seq": len(self.deliveries) + len(self.queue),
                    }
                )
            self._last_emit = time.monotonic()
            self._cond.notify_all()

    # --- consuming ----------------------------------------------------------------------------
    def _pending(self) -> bool:
        return bool(self.queue or self.actions)

    def _wait_timeout(self) -> float:
        return 0.02

    def _take(self) -> tuple[str, Any] | None:
        now = time.monotonic()
        due_actions = [a for a in self.actions if a[0] <= now]
        if due_actions:
            first = min(due_actions, key=lambda a: a[0])
            self.actions.remove(first)
            return "action", first[1]
        if self.paused:
            return None
        if self.state.switches.reorder and now - self._last_emit < REORDER_WINDOW:
            # Let a burst accumulate so newest-first delivery actually reorders it.
            return None
        due = [d for d in self.queue if d["next_at"] <= now]
        if not due:
            return None
        pick = due[-1] if self.state.switches.reorder else due[0]
        self.queue.remove(pick)
        return "delivery", pick

    def _work(self, item: tuple[str, Any]) -> None:
        if item[0] == "action":
            item[1]()
        else:
            self._deliver(item[1])

    def _failed(self, item: Any, exc: Exception) -> None:
        pass  # a broken receiver must not kill the fake

    def _done(self, status: int) -> bool:
        return 200 <= status < 300 or status in NON_RETRYABLE

    def _retry_delay(self, attempt: int) -> float | None:
        if attempt >= MAX_ATTEMPTS:
            return None
        return min(5 * 2 ** (attempt - 1), 300) * self.state.switches.time_scale

    def _post(self, d: dict[str, Any]) -> int:
        status, _ = self._http_post(d["url"], d["body"], d["headers"])
        with self._cond:
            self.deliveries.append(
                {
                    "url": d["url"],
                    "event": d["event"],
                    "attempt": d["attempts"] + 1,
                    "status": status,
                    "at": time.time(),
                }
            )
        return status

    def _deliver(self, d: dict[str, Any]) -> None:
        statuses = self._repeat(lambda: self._post(d), int(self.state.switches.duplicates))
        if any(self._done(s) for s in statuses):
            return
        d["attempts"] += 1
        delay = self._retry_delay(d["attempts"])
        if delay is None:
            return
        with self._cond:
            d["next_at"] = time.monotonic() + delay
            self.queue.append(d)
            self._cond.notify_all()
