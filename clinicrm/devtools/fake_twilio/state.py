"""State of the fake Twilio: accounts, messages, media, 24-hour windows, opt-outs, fault switches.

Everything is in memory behind one lock; with a data folder, messages, windows, opt-outs and
learned accounts are also written through to a small SQLite file (store.py) and read back when
the fake starts again, as Twilio keeps them whatever happens to its callers. Times come from a
virtual clock (`now()`, advanced by `/__control/clock`) so the 24-hour window can be crossed in a
test. Message resources are the dicts returned over HTTP, shaped exactly like
docs/providers/twilio.md §2.1 (string `num_media`/`num_segments`, RFC 2822 dates, `price` null until
a terminal state).

Faults queued with `/__control/fail_next` are taken one per create, in the order they were
queued, whatever their kind (see `fault_take`).
"""

import datetime as dt
import json
import secrets
import threading
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from clinicrm.devtools.fake_twilio.store import FakeTwilioStore

API_VERSION = "2010-04-01"
WINDOW = dt.timedelta(hours=24)
TERMINAL = frozenset({"delivered", "read", "failed", "undelivered", "canceled"})
# Failed-message fee exemptions (docs/providers/twilio.md §6).
FEE_EXEMPT = frozenset({"63013", "63018", "63021", "63024", "63032", "21408", "30036"})
# Async error code -> final status (docs/providers/twilio.md §5).
ASYNC_STATUS = {
    "63003": "failed",
    "63016": "undelivered",
    "63018": "failed",
    "63032": "failed",
    "63049": "failed",
    "30008": "undelivered",
    "30003": "undelivered",
    "30007": "undelivered",
}
# Async errors that end `undelivered` (after `sent`); the others end `failed`.
UNDELIVERED = frozenset({"63016", "30003", "30007", "30008"})
SYNC_MESSAGES = {
    20003: "Authenticate",
    20429: "Too Many Requests",
    21211: "The 'To' number {to} is not a valid phone number.",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' "
    "number: {to}.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
    21604: "A 'To' phone number is required.",
    21603: "A 'From' phone number is required.",
    21619: "A text message body or media URL must be specified.",
    21656: "The ContentVariables Parameter is invalid.",
    20404: "The requested resource {path} was not found",
}
CHANNEL_MESSAGES = {
    "63003": "Channel could not find To address",
    "63016": "Failed to send freeform message because you are outside the allowed window.",
    "63018": "Rate limit exceeded for Channel",
    "63032": "User's number is part of an experiment",
    "63049": "Meta chose not to deliver this WhatsApp marketing message.",
    "30008": "Unknown error",
}
OPT_OUT_WORDS = frozenset({"stop", "sair", "parar", "cancelar", "unsubscribe"})
OPT_IN_WORDS = frozenset({"start", "voltar", "retornar", "reativar", "unstop"})


class ApiError(Exception):
    def __init__(self, status: int, code: int, **fmt: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = SYNC_MESSAGES.get(code, "Error").format(**{"to": "", "path": "", **fmt})

    def body(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def rfc2822(value: dt.datetime) -> str:
    return format_datetime(value.astimezone(dt.UTC).replace(microsecond=0), usegmt=False).replace(
        "-0000", "+0000"
    )


def digits(address: str) -> str:
    return "".join(ch for ch in address if ch.isdigit())


class FakeTwilioState:
    def __init__(
        self,
        *,
        accounts: dict[str, str] | None = None,
        api_keys: dict[str, tuple[str, str]] | None = None,
        accept_any: bool = False,
        data_dir: Path | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.accounts: dict[str, str] = dict(accounts or {})  # AC -> auth token
        self.api_keys: dict[str, tuple[str, str]] = dict(api_keys or {})  # SK -> (AC, secret)
        # Demo: any well-formed AC + token (>= 32 chars) is accepted and remembered.
        self.accept_any = accept_any
        self.inbound_url = ""  # where inbound messages are pushed (per account override)
        self.inbound_urls: dict[str, str] = {}
        self.store = FakeTwilioStore(data_dir) if data_dir is not None else None
        self._blank()
        self._load()

    def reset(self) -> None:
        with self.lock:
            self._blank()
            if self.store is not None:
                self.store.clear()

    def _blank(self) -> None:
        with self.lock:
            self.messages: dict[str, dict[str, Any]] = {}
            self.media: dict[str, dict[str, Any]] = {}  # ME -> {content, content_type, ...}
            self.windows: dict[tuple[str, str], dt.datetime] = {}  # (sender, user) digits
            self.opted_out: set[tuple[str, str]] = set()
            self.cdn_tokens: dict[str, str] = {}  # security token -> ME
            self.cdn_requests: list[dict[str, Any]] = []  # headers seen by the CDN host
            self.api_requests: list[dict[str, Any]] = []  # method, path, form (for tests)
            self.clock_offset = dt.timedelta()
            self.config: dict[str, Any] = {
                "auto_progress": "read",  # none | sent | delivered | read
                "step_delay": 0.05,  # seconds between status callbacks
                "duplicates": 0,  # extra copies of every callback / inbound push
                "reorder": False,  # deliver a message's callbacks newest first
                "drop_next": 0,  # status callbacks to drop silently
                "drop_callbacks": False,  # drop every status callback (statuses still move)
                "callback_retries": 1,  # Twilio's default #rc=1
                "advanced_opt_out": True,
                "send_sending": False,  # also emit a `sending` callback
            }
            self.fail_next: list[dict[str, Any]] = []  # sync faults for the next creates
            self.async_next: list[str] = []  # async error codes for the next creates
            self.number_rules: dict[str, dict[str, Any]] = {}  # To digits -> {sync|async}

    # --- persistence (store.py) ------------------------------------------------------------------
    def _load(self) -> None:
        if self.store is None:
            return
        with self.lock:
            for message in self.store.messages():
                self.messages[message["sid"]] = message
            for sender, user, at in self.store.value("windows", []):
                self.windows[(sender, user)] = dt.datetime.fromisoformat(at)
            self.opted_out = {(a, b) for a, b in self.store.value("opted_out", [])}
            for account_sid, token in self.store.value("accounts", {}).items():
                self.accounts.setdefault(account_sid, token)

    def _save_message(self, sid: str) -> None:
        if self.store is not None:
            self.store.message_put(self.messages[sid])

    def _save_people(self) -> None:
        if self.store is None:
            return
        windows = [[s, u, at.isoformat()] for (s, u), at in self.windows.items()]
        self.store.value_put("windows", windows)
        self.store.value_put("opted_out", sorted([list(k) for k in self.opted_out]))

    def accounts_save(self) -> None:
        if self.store is not None:
            self.store.value_put("accounts", dict(self.accounts))

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    # --- faults ----------------------------------------------------------------------------------
    def fault_take(self) -> dict[str, Any]:
        """The next queued create fault ({} when none): exactly one per create, in order."""
        with self.lock:
            return self.fail_next.pop(0) if self.fail_next else {}

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.clock_offset

    # --- auth ----------------------------------------------------------------------------------
    def check_auth(self, username: str | None, password: str | None, account_sid: str) -> None:
        with self.lock:
            if username and password:
                if username.startswith("SK"):
                    key = self.api_keys.get(username)
                    if key and key == (account_sid, password):
                        return
                elif username == account_sid:
                    token = self.accounts.get(account_sid)
                    if token is not None and secrets.compare_digest(token, password):
                        return
                    if (
                        token is None
                        and self.accept_any
                        and len(account_sid) == 34
                        and len(password) >= 32
                    ):
                        self.accounts[account_sid] = password
                        self.accounts_save()
                        return
            raise ApiError(401, 20003)

    def auth_token(self, account_sid: str) -> str:
        with self.lock:
            return self.accounts.get(account_sid, "")

    # --- window / opt-out ----------------------------------------------------------------------
    def window_open(self, sender: str, user: str) -> bool:
        with self.lock:
            last = self.windows.get((digits(sender), digits(user)))
            return last is not None and self.now() - last < WINDOW

    def record_inbound(
        self, sender: str, user: str, body: str, *, at: dt.datetime | None = None
    ) -> None:
        with self.lock:
            key = (digits(sender), digits(user))
            moment = at if at is not None else self.now()
            if key not in self.windows or moment > self.windows[key]:
                self.windows[key] = moment
            word = body.strip().lower()
            if self.config["advanced_opt_out"] and word in OPT_OUT_WORDS:
                self.opted_out.add(key)
            elif word in OPT_IN_WORDS:
                self.opted_out.discard(key)
            self._save_people()

    # --- messages ------------------------------------------------------------------------------
    def progress_plan(self, async_error: str) -> list[list[str]]:
        """The status steps a new message will go through after its initial one: [status, code]."""
        cfg = self.config
        steps: list[list[str]] = []
        if cfg.get("send_sending"):
            steps.append(["sending", ""])
        if async_error:
            final = "undelivered" if async_error in UNDELIVERED else "failed"
            if final == "undelivered":
                steps.append(["sent", ""])
            steps.append([final, async_error])
        else:
            upto = {"none": 0, "sent": 1, "delivered": 2, "read": 3}.get(cfg["auto_progress"], 3)
            steps.extend([["sent", ""], ["delivered", ""], ["read", ""]][:upto])
        return steps

    def message_resource(
        self, account_sid: str, form: list[tuple[str, str]], fault: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Validate a create form and store the new message (raises ApiError for sync errors,
        including a queued `fault` with a Twilio `code`)."""
        values: dict[str, list[str]] = {}
        for key, value in form:
            values.setdefault(key, []).append(value)

        def one(key: str) -> str:
            return values.get(key, [""])[0]

        to, from_, service = one("To"), one("From"), one("MessagingServiceSid")
        body, content_sid = one("Body"), one("ContentSid")
        media_urls = values.get("MediaUrl", [])
        if not to:
            raise ApiError(400, 21604)
        if not from_ and not service:
            raise ApiError(400, 21603)
        to_digits = digits(to)
        if not to.startswith("whatsapp:+") or not 8 <= len(to_digits) <= 15:
            raise ApiError(400, 21211, to=to)
        if not (body or media_urls or content_sid):
            raise ApiError(400, 21619)
        if content_sid and values.get("ContentVariables"):
            try:
                parsed = json.loads(one("ContentVariables"))
            except ValueError:
                raise ApiError(400, 21656) from None
            if not isinstance(parsed, dict):
                raise ApiError(400, 21656)
        with self.lock:
            if fault and "code" in fault:
                raise ApiError(int(fault.get("status", 400)), int(fault["code"]), to=to)
            rule = self.number_rules.get(to_digits, {})
            if rule.get("sync"):
                raise ApiError(int(rule.get("status", 400)), int(rule["sync"]), to=to)
            if (digits(from_), to_digits) in self.opted_out:
                raise ApiError(400, 21610)
            async_error = ""
            if self.async_next:
                async_error = str(self.async_next.pop(0))
            elif rule.get("async"):
                async_error = str(rule["async"])
            elif not content_sid and not self.window_open(from_, to):
                async_error = "63016"
            now = self.now()
            prefix = "MM" if media_urls else "SM"
            sid = new_sid(prefix)
            base = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}"
            message: dict[str, Any] = {
                "account_sid": account_sid,
                "api_version": API_VERSION,
                "body": body,
                "date_created": rfc2822(now),
                "date_sent": rfc2822(now),
                "date_updated": rfc2822(now),
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": from_ or "whatsapp:+15555238886",
                "num_media": str(len(media_urls)),
                "num_segments": "1",
                "price": None,
                "price_unit": None,
                "messaging_service_sid": service or None,
                "sid": sid,
                "status": "queued" if from_ else "accepted",
                "subresource_uris": {"media": f"{base}/Media.json"},
                "to": to,
                "uri": f"{base}.json",
            }
            self.messages[sid] = message
            self.api_requests.append({"sid": sid, "form": list(form)})
            meta = {
                "status_callback": one("StatusCallback"),
                "async_error": async_error,
                "content_sid": content_sid,
                "media_urls": media_urls,
                "plan": self.progress_plan(async_error),
            }
            self.messages[sid]["_meta"] = meta
            self._save_message(sid)
            return message

    def public(self, message: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in message.items() if not k.startswith("_")}

    def message_get(self, account_sid: str, sid: str) -> dict[str, Any]:
        with self.lock:
            message = self.messages.get(sid)
            if message is None or message["account_sid"] != account_sid:
                raise ApiError(
                    404, 20404, path=f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}.json"
                )
            return self.public(message)

    def message_set_status(self, sid: str, status: str, error_code: str = "") -> dict[str, Any]:
        """Move a message to `status` (used by the dispatcher); fills price on terminal states."""
        with self.lock:
            message = self.messages[sid]
            message["status"] = status
            message["date_updated"] = rfc2822(self.now())
            if error_code:
                message["error_code"] = int(error_code)
                message["error_message"] = CHANNEL_MESSAGES.get(error_code, "Unknown error")
            if status in TERMINAL:
                message["price_unit"] = "USD"
                if status == "failed":
                    message["price"] = "0.00000" if error_code in FEE_EXEMPT else "-0.00100"
                elif status == "undelivered":
                    message["price"] = "0.00000"
                else:
                    message["price"] = "-0.00500"
            self._save_message(sid)
            return dict(message)

    # --- media ---------------------------------------------------------------------------------
    def media_add(
        self,
        *,
        message_sid: str,
        account_sid: str,
        content: bytes,
        content_type: str,
        filename: str,
    ) -> str:
        me = new_sid("ME")
        with self.lock:
            self.media[me] = {
                "sid": me,
                "parent_sid": message_sid,
                "account_sid": account_sid,
                "content": content,
                "content_type": content_type,
                "filename": filename,
                "date_created": rfc2822(self.now()),
            }
        return me

    def media_meta(self, me: str) -> dict[str, Any]:
        m = self.media[me]
        uri = (
            f"/{API_VERSION}/Accounts/{m['account_sid']}/Messages/{m['parent_sid']}/Media/{me}.json"
        )
        return {
            "account_sid": m["account_sid"],
            "content_type": m["content_type"],
            "date_created": m["date_created"],
            "date_updated": m["date_created"],
            "parent_sid": m["parent_sid"],
            "sid": me,
            "uri": uri,
        }
