"""`/__control/...` actions of the fake Twilio (JSON in, JSON out): configuration and fault
switches, accounts and API keys, the virtual clock, the 24-hour window, inbound pushes (and
resends of the same event) and manual status changes for the phone simulator."""

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from clinicrm.devtools.fake_twilio.dispatcher import Job
from clinicrm.devtools.fake_twilio.inbound import build_inbound
from clinicrm.devtools.fake_twilio.state import ApiError, digits

if TYPE_CHECKING:
    from clinicrm.devtools.fake_twilio.dispatcher import Dispatcher
    from clinicrm.devtools.fake_twilio.state import FakeTwilioState


class ControlMixin:
    state: "FakeTwilioState"
    dispatcher: "Dispatcher"
    url: str

    def add_account(self, account_sid: str, auth_token: str) -> None:
        with self.state.lock:
            self.state.accounts[account_sid] = auth_token
            self.state.accounts_save()

    def control(self, action: str, body: dict[str, Any]) -> Any:
        s = self.state
        if action == "reset":
            s.reset()
            self.dispatcher.deliveries.clear()
            return {"ok": True}
        if action == "config":
            with s.lock:
                for key, value in body.items():
                    if key in s.config:
                        s.config[key] = value
                if "inbound_url" in body:
                    s.inbound_url = str(body["inbound_url"])
            return {"config": dict(s.config)}
        if action == "accounts":
            self.add_account(str(body["account_sid"]), str(body["auth_token"]))
            if body.get("inbound_url"):
                with s.lock:
                    s.inbound_urls[str(body["account_sid"])] = str(body["inbound_url"])
            return {"ok": True}
        if action == "api_keys":
            with s.lock:
                s.api_keys[str(body["sid"])] = (str(body["account_sid"]), str(body["secret"]))
            return {"ok": True}
        if action == "fail_next":
            with s.lock:
                if body.get("clear"):
                    s.fail_next.clear()
                else:
                    s.fail_next.append(dict(body))
            return {"queued": len(s.fail_next)}
        if action == "created":
            # Every message the API created, with the StatusCallback it was given (tests match
            # provider messages to the CRM's through it).
            with s.lock:
                return {
                    "messages": [
                        {**s.public(m), "status_callback": m["_meta"]["status_callback"]}
                        for m in s.messages.values()
                        if "sid" in m and "_meta" in m
                    ]
                }
        if action == "async_next":
            with s.lock:
                s.async_next.extend(str(c) for c in body.get("codes", []))
            return {"queued": len(s.async_next)}
        if action == "number_rules":
            with s.lock:
                s.number_rules[digits(str(body["number"]))] = {
                    k: body[k] for k in ("sync", "async", "status") if k in body
                }
            return {"ok": True}
        if action == "clock":
            with s.lock:
                s.clock_offset += dt.timedelta(seconds=float(body.get("seconds", 0)))
            return {"now": s.now().isoformat()}
        if action == "window":
            # `at` (ISO 8601, optional): when the user last wrote, for history the fake did not
            # see (the demo seed); without it, now.
            at = dt.datetime.fromisoformat(str(body["at"])) if body.get("at") else None
            s.record_inbound(str(body["sender"]), str(body["user"]), "", at=at)
            return {"ok": True}
        if action == "flush":
            return {"idle": self.dispatcher.flush(float(body.get("timeout", 10)))}
        if action == "state":
            with s.lock:
                return {
                    "messages": [s.public(m) for m in s.messages.values()],
                    "deliveries": list(self.dispatcher.deliveries),
                    "cdn_requests": list(s.cdn_requests),
                    "config": dict(s.config),
                }
        if action == "inbound":
            return self._inbound(body)
        m = re.fullmatch(r"inbound/(?P<sid>(?:SM|MM)[0-9a-f]{32})/resend", action)
        if m:
            return self._resend(m["sid"])
        m = re.fullmatch(r"messages/(?P<sid>(?:SM|MM)[0-9a-f]{32})/status", action)
        if m:
            self.dispatcher.schedule_status(
                m["sid"], str(body["status"]), str(body.get("error_code", ""))
            )
            return {"ok": True}
        raise ApiError(404, 20404, path=f"/__control/{action}")

    def _account_for(self, body: dict[str, Any]) -> str:
        with self.state.lock:
            ac = str(body.get("account_sid") or next(iter(self.state.accounts), ""))
        if not ac:
            raise ApiError(400, 20404, path="no account configured")
        return ac

    def _inbound(self, body: dict[str, Any]) -> dict[str, Any]:
        ac = self._account_for(body)
        url = str(body.get("url") or self.state.inbound_urls.get(ac) or self.state.inbound_url)
        if not url:
            raise ApiError(400, 20404, path="no inbound url configured")
        sid, params = build_inbound(self.state, api_url=self.url, account_sid=ac, spec=body)
        text = dict(params).get("Body", "")
        self.state.record_inbound(dict(params)["To"], dict(params)["From"], text)
        job = Job(due=0, seq=0, kind="inbound", url=url, params=params, account_sid=ac, sid=sid)
        with self.state.lock:
            self.state.messages.setdefault(f"in:{sid}", {"_job": job})
        copies = 1 + int(body.get("repeat", 0)) + int(self.state.config.get("duplicates", 0))
        statuses = [self.dispatcher.post(job) for _ in range(copies)]
        retries = int(self.state.config.get("callback_retries", 1))
        while statuses and not 200 <= statuses[-1] < 300 and retries > 0:
            retries -= 1
            statuses.append(self.dispatcher.post(job))
        return {"sid": sid, "http_statuses": statuses, "params": params, "url": url}

    def _resend(self, sid: str) -> dict[str, Any]:
        with self.state.lock:
            entry = self.state.messages.get(f"in:{sid}")
        if entry is None:
            raise ApiError(404, 20404, path=sid)
        job = entry["_job"]
        return {"sid": sid, "http_statuses": [self.dispatcher.post(job)]}
