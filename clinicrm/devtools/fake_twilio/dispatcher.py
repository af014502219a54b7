"""Outgoing requests of the fake Twilio: signed status callbacks and inbound-message pushes.

Every request is form-encoded and carries `X-Twilio-Signature` computed by the twilio SDK's own
`RequestValidator` (independent of the CRM's implementation) with the account's Auth Token over
the exact target URL, plus `I-Twilio-Idempotency-Token` and `User-Agent: TwilioProxy/1.1`.
Status callbacks run on a scheduler thread with fault switches read from the state: extra
duplicate copies, newest-first reordering, silent drops, delays; a failed delivery (non-2xx or
connection error) is retried `callback_retries` times (Twilio's default `#rc=1`).
"""

import heapq
import itertools
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from clinicrm.devtools.fake_twilio.state import FakeTwilioState
from clinicrm.devtools.fakebase import WebhookDispatcher

STATUS_RANK = {
    "queued": 0,
    "accepted": 0,
    "sending": 1,
    "sent": 2,
    "failed": 3,
    "undelivered": 3,
    "delivered": 4,
    "read": 5,
}


@dataclass(order=True)
class Job:
    due: float
    seq: int
    kind: str = field(compare=False)  # "status" | "inbound"
    url: str = field(compare=False)
    params: list[tuple[str, str]] = field(compare=False)
    account_sid: str = field(compare=False)
    sid: str = field(compare=False, default="")
    status: str = field(compare=False, default="")
    error_code: str = field(compare=False, default="")
    idempotency: str = field(compare=False, default_factory=lambda: str(uuid.uuid4()))
    attempts: int = field(compare=False, default=0)


def signed_headers(
    token: str, url: str, params: list[tuple[str, str]], idem: str
) -> dict[str, str]:
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": RequestValidator(token).compute_signature(url, dict(params)),
        "I-Twilio-Idempotency-Token": idem,
        "User-Agent": "TwilioProxy/1.1",
    }


class Dispatcher(WebhookDispatcher):
    thread_name = "fake-twilio-callbacks"

    def __init__(self, state: FakeTwilioState) -> None:
        super().__init__(threading.Condition())
        self.state = state
        self._heap: list[Job] = []
        self._seq = itertools.count()

    # --- scheduling ----------------------------------------------------------------------------
    def schedule_progress(self, message: dict[str, Any], *, resume: bool = False) -> None:
        """Queue the status callbacks a message goes through (none for the initial status).

        `resume`: after a restart, only the steps beyond the status the message already reached
        (the real provider keeps moving its messages whatever happened to the callbacks)."""
        steps = [(str(status), str(code)) for status, code in message["_meta"].get("plan", [])]
        if resume:
            reached = STATUS_RANK.get(str(message.get("status")), 0)
            steps = [(st, code) for st, code in steps if STATUS_RANK.get(st, 0) > reached]
        delay = float(self.state.config["step_delay"])
        times = [time.monotonic() + delay * (i + 1) for i in range(len(steps))]
        if self.state.config.get("reorder"):
            times.reverse()
        for when, (status, code) in zip(times, steps, strict=True):
            self.schedule_status(message["sid"], status, code, when=when)

    def resume_all(self) -> int:
        """Restart the progression of every stored message not yet at its last step."""
        with self.state.lock:
            pending = [m for m in self.state.messages.values() if "_meta" in m and "sid" in m]
        for message in pending:
            self.schedule_progress(message, resume=True)
        return len(pending)

    def schedule_status(
        self, sid: str, status: str, error_code: str = "", *, when: float | None = None
    ) -> None:
        with self.state.lock:
            message = self.state.messages.get(sid)
            if message is None:
                return
            url = message["_meta"]["status_callback"]
            account_sid = message["account_sid"]
        job = Job(
            due=when if when is not None else time.monotonic(),
            seq=next(self._seq),
            kind="status",
            url=url,
            params=[],
            account_sid=account_sid,
            sid=sid,
            status=status,
            error_code=error_code,
        )
        self._push(job)
        for _ in range(int(self.state.config.get("duplicates", 0))):
            copy = Job(**{**job.__dict__, "seq": next(self._seq), "due": job.due + 0.01})
            self._push(copy)

    def _push(self, job: Job) -> None:
        with self._cond:
            heapq.heappush(self._heap, job)
            self._cond.notify_all()

    def _pending(self) -> bool:
        return bool(self._heap)

    # --- delivery ------------------------------------------------------------------------------
    def _take(self) -> Job | None:
        if not self._heap or self._heap[0].due > time.monotonic():
            return None
        return heapq.heappop(self._heap)

    def _wait_timeout(self) -> float:
        wait = (self._heap[0].due - time.monotonic()) if self._heap else 0.5
        return max(0.005, min(wait, 0.1))

    def _failed(self, job: Job, exc: Exception) -> None:
        # A fake must keep running whatever the CRM does.
        self._log(job, 0, f"error {type(exc).__name__}")

    def _retry_delay(self, attempt: int) -> float | None:
        return 0.2 if attempt <= int(self.state.config.get("callback_retries", 1)) else None

    def _advance(self, job: Job) -> None:
        """The message resource moves (forward only, whatever order callbacks go out in) even
        when its callback is then lost: Twilio's record does not depend on our webhook."""
        with self.state.lock:
            message = self.state.messages[job.sid]
            if STATUS_RANK.get(job.status, 0) >= STATUS_RANK.get(message["status"], 0):
                self.state.message_set_status(job.sid, job.status, job.error_code)

    def _status_params(self, job: Job) -> list[tuple[str, str]]:
        with self.state.lock:
            message = self.state.messages[job.sid]
            to = message["to"]
        params = []
        if job.status == "read":
            params.append(("EventType", "READ"))
        elif job.status == "delivered":
            params.append(("EventType", "DELIVERED"))
        masked = "+" + "".join(ch for ch in to if ch.isdigit())
        masked = masked[:-4] + "XXXX"
        params += [
            ("SmsSid", job.sid),
            ("SmsStatus", job.status),
            ("MessageStatus", job.status),
            ("ChannelToAddress", masked),
            ("To", to),
            ("ChannelPrefix", "whatsapp"),
            ("MessageSid", job.sid),
            ("AccountSid", job.account_sid),
            ("From", message["from"]),
            ("ApiVersion", "2010-04-01"),
            ("ChannelInstallSid", "XE" + job.account_sid[2:]),
        ]
        if job.error_code:
            from clinicrm.devtools.fake_twilio.state import CHANNEL_MESSAGES

            params.insert(3, ("ErrorCode", job.error_code))
            params.append(("ChannelStatusMessage", CHANNEL_MESSAGES.get(job.error_code, "")))
        return params

    def _work(self, job: Job) -> None:
        if job.kind == "status":
            if job.attempts == 0:
                self._advance(job)
            with self.state.lock:
                if self.state.config.get("drop_callbacks"):
                    self._log(job, 0, "dropped")
                    return
                if self.state.config.get("drop_next", 0) > 0:
                    self.state.config["drop_next"] -= 1
                    self._log(job, 0, "dropped")
                    return
            if not job.params:
                job.params = self._status_params(job)
            if not job.url:
                self._log(job, 0, "no callback url")
                return
        status = self.post(job)
        if self._done(status):
            return
        delay = self._retry_delay(job.attempts)
        if delay is not None:
            job.due = time.monotonic() + delay
            job.seq = next(self._seq)
            self._push(job)

    def post(self, job: Job) -> int:
        """POST one signed request now; returns the HTTP status (0 on a connection error)."""
        job.attempts += 1
        token = self.state.auth_token(job.account_sid)
        headers = signed_headers(token, job.url, job.params, job.idempotency)
        status, error = self._http_post(job.url, urlencode(job.params), headers)
        self._log(job, status, error)
        return status

    def _log(self, job: Job, http_status: int, note: str) -> None:
        with self.state.lock:
            self.deliveries.append(
                {
                    "kind": job.kind,
                    "sid": job.sid,
                    "status": job.status,
                    "error_code": job.error_code,
                    "http_status": http_status,
                    "attempt": job.attempts,
                    "note": note,
                }
            )
