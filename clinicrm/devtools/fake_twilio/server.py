"""HTTP front of the fake Twilio (stdlib ThreadingHTTPServer), two origins like the real thing:

- the API host: `/2010-04-01/Accounts/{AC}[.json]`, `.../Messages[.json]` (create, form-encoded,
  201), `.../Messages/{SM}[.json]` (fetch), `.../Messages/{MM}/Media[.json]` (list),
  `.../Media/{ME}` (Basic auth, then 307 to the CDN) and `.../Media/{ME}.json` (metadata);
  and `/__control/...` (JSON) to drive it from tests, the demo and the phone simulator;
- the "CDN" host (another port): serves media bytes with Content-Type and Content-Disposition
  for a short-lived token, refuses a forwarded Authorization header and records the headers it
  saw so tests can prove credentials were not leaked.
"""

import base64
import datetime as dt
import json
import re
import secrets
import time
import uuid
from email.utils import parsedate_to_datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qsl, urlencode, urlsplit

from clinicrm.devtools.fake_twilio.control import ControlMixin
from clinicrm.devtools.fake_twilio.dispatcher import Dispatcher
from clinicrm.devtools.fake_twilio.state import ApiError, FakeTwilioState
from clinicrm.devtools.fakebase import BackgroundServer, FakeRequestHandler

AC = r"(?P<ac>AC[0-9a-fA-F]{32})"
PREFIX = r"^/2010-04-01/Accounts/" + AC
ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(PREFIX + r"(?:\.json)?$"), "account"),
    ("POST", re.compile(PREFIX + r"/Messages(?:\.json)?$"), "create"),
    ("GET", re.compile(PREFIX + r"/Messages(?:\.json)?$"), "list"),
    ("GET", re.compile(PREFIX + r"/Messages/(?P<sid>(?:SM|MM)[0-9a-f]{32})(?:\.json)?$"), "fetch"),
    (
        "GET",
        re.compile(PREFIX + r"/Messages/(?P<sid>(?:SM|MM)[0-9a-f]{32})/Media(?:\.json)?$"),
        "media_list",
    ),
    (
        "GET",
        re.compile(
            PREFIX + r"/Messages/(?P<sid>(?:SM|MM)[0-9a-f]{32})/Media/(?P<me>ME[0-9a-f]{32})"
            r"(?P<json>\.json)?$"
        ),
        "media",
    ),
]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out on purpose (fault injection) leaves a broken pipe: expected.
        return


class FakeTwilioServer(ControlMixin, BackgroundServer[Dispatcher]):
    """A running fake. `url` is what the CRM's TWILIO_API_BASE_URL should be."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        cdn_port: int = 0,
        accounts: dict[str, str] | None = None,
        api_keys: dict[str, tuple[str, str]] | None = None,
        inbound_url: str = "",
        accept_any: bool = False,
        data_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.state = FakeTwilioState(
            accounts=accounts, api_keys=api_keys, accept_any=accept_any, data_dir=data_dir
        )
        self.state.inbound_url = inbound_url
        self.dispatcher = Dispatcher(self.state)
        self.httpd = self._listen(
            host, port, _Handler, server_class=_QuietServer, poll_interval=0.05, role="api"
        )
        self.cdn = self._listen(
            host, cdn_port, _Handler, server_class=_QuietServer, poll_interval=0.05, role="cdn"
        )
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        self.cdn_url = f"http://{host}:{self.cdn.server_address[1]}"

    def start(self) -> Self:
        super().start()
        # Messages kept from a previous run go on towards their final status.
        self.dispatcher.resume_all()
        return self

    def stop(self) -> None:
        super().stop()
        self.state.close()

    # --- convenience for tests and the simulator -----------------------------------------------
    def send_inbound(self, **spec: Any) -> dict[str, Any]:
        return self.control("inbound", spec)

    # --- API -----------------------------------------------------------------------------------
    def api(
        self, method: str, path: str, form: list[tuple[str, str]], auth: str, query: str = ""
    ) -> Any:
        for route_method, pattern, name in ROUTES:
            match = pattern.match(path)
            if not match or route_method != method:
                continue
            ac = match.group("ac")
            user, password = _basic(auth)
            self.state.check_auth(user, password, ac)
            if name == "account":
                return 200, {
                    "sid": ac,
                    "friendly_name": "Clinicrm fake account",
                    "status": "active",
                    "type": "Full",
                    "date_created": "Thu, 24 Aug 2023 05:01:45 +0000",
                    "date_updated": "Thu, 24 Aug 2023 05:01:45 +0000",
                    "uri": f"/2010-04-01/Accounts/{ac}.json",
                }
            if name == "create":
                return self._create(ac, form)
            if name == "list":
                return 200, self._list(ac, dict(parse_qsl(query)))
            if name == "fetch":
                return 200, self.state.message_get(ac, match.group("sid"))
            if name == "media_list":
                return 200, self._media_list(ac, match.group("sid"))
            return self._media(ac, match.group("sid"), match.group("me"), bool(match["json"]))
        raise ApiError(404, 20404, path=path)

    def _create(self, ac: str, form: list[tuple[str, str]]) -> Any:
        """One create, with the next queued fault (if any) applied.

        Faults: `{"code", "status"}` a synchronous Twilio error (nothing created);
        `{"status": 5xx}` a server error before anything is created, `"after_create": true` after;
        `{"mode": "slow", "seconds"}` the answer comes late but comes; `{"mode": "timeout",
        "seconds"}` the message is created and the answer comes too late for the caller,
        `"create": false` nothing is created (the request hung, then a 500)."""
        fault = self.state.fault_take()
        status = int(fault.get("status", 0)) if "code" not in fault else 0
        mode = fault.get("mode", "")
        if mode == "slow" or (mode == "timeout" and fault.get("create") is False):
            time.sleep(float(fault.get("seconds", 1)))
        if (status >= 500 and not fault.get("after_create")) or (
            mode == "timeout" and fault.get("create") is False
        ):
            return status or 500, _server_error(status or 500)
        message = self.state.message_resource(ac, form, fault)
        # Twilio answers with the resource as created ("queued"); snapshot it before the status
        # progression starts moving the same message in the dispatcher thread.
        created = self.state.public(message)
        self.dispatcher.schedule_progress(message)
        if mode == "timeout":
            # The message exists, but the answer comes too late: an unknown outcome.
            time.sleep(float(fault.get("seconds", 5)))
        if status >= 500:
            return status, _server_error(status)
        return 201, created

    def _list(self, ac: str, query: dict[str, str]) -> dict[str, Any]:
        """Messages.json: To / From / DateSent> filters, newest first, paged like Twilio: each
        page names the next one (`next_page_uri` with `Page` and a `PageToken` that is the last
        sid seen, so messages created meanwhile never push one out of the walk)."""
        after = query.get("DateSent>") or query.get("DateSent>=") or ""
        since = dt.datetime.fromisoformat(after.replace("Z", "+00:00")) if after else None
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        with self.state.lock:
            rows = []
            for m in self.state.messages.values():
                if "sid" not in m or m.get("account_sid") != ac:
                    continue
                if query.get("To") and m["to"] != query["To"]:
                    continue
                if query.get("From") and m["from"] != query["From"]:
                    continue
                sent = parsedate_to_datetime(m["date_sent"])
                if since is not None and sent < since.replace(microsecond=0):
                    continue
                rows.append(self.state.public(m))
        rows.reverse()
        size = max(1, min(int(query.get("PageSize", 50)), 1000))
        page = int(query.get("Page", 0))
        token = query.get("PageToken", "")
        start = 0
        if token.startswith("PA"):
            sids = [r["sid"] for r in rows]
            start = sids.index(token[2:]) + 1 if token[2:] in sids else len(rows)
        chunk = rows[start : start + size]
        uri = f"/2010-04-01/Accounts/{ac}/Messages.json"
        filters = {k: v for k, v in query.items() if k not in ("Page", "PageToken", "PageSize")}
        more = start + size < len(rows)
        next_uri = None
        if more and chunk:
            params = {**filters, "PageSize": str(size), "Page": str(page + 1)}
            next_uri = f"{uri}?{urlencode({**params, 'PageToken': 'PA' + chunk[-1]['sid']})}"
        return {
            "messages": chunk,
            "end": start + max(len(chunk) - 1, 0),
            "first_page_uri": f"{uri}?{urlencode({**filters, 'PageSize': str(size), 'Page': '0'})}",
            "next_page_uri": next_uri,
            "page": page,
            "page_size": size,
            "previous_page_uri": None,
            "start": start,
            "uri": f"{uri}?{urlencode(query)}",
        }

    def _media_list(self, ac: str, sid: str) -> dict[str, Any]:
        with self.state.lock:
            items = [
                self.state.media_meta(me)
                for me, m in self.state.media.items()
                if m["parent_sid"] == sid and m["account_sid"] == ac
            ]
        uri = f"/2010-04-01/Accounts/{ac}/Messages/{sid}/Media.json"
        return {
            "media_list": items,
            "first_page_uri": uri,
            "next_page_uri": None,
            "page": 0,
            "page_size": 50,
            "previous_page_uri": None,
            "uri": uri,
        }

    def _media(self, ac: str, sid: str, me: str, as_json: bool) -> Any:
        with self.state.lock:
            media = self.state.media.get(me)
            if media is None or media["parent_sid"] != sid or media["account_sid"] != ac:
                raise ApiError(404, 20404, path=f"/Media/{me}")
            if as_json:
                return 200, self.state.media_meta(me)
            token = secrets.token_urlsafe(24)
            self.state.cdn_tokens[token] = me
        location = f"{self.cdn_url}/{ac}/{me}?" + urlencode(
            {"x-amz-security-token": token, "Expires": str(int(time.time()) + 4 * 3600)}
        )
        return 307, {"__redirect__": location}

    def cdn_get(self, path: str, query: dict[str, str], headers: dict[str, str]) -> Any:
        with self.state.lock:
            self.state.cdn_requests.append({"path": path, "headers": headers})
            if "authorization" in headers:
                # S3 refuses a request that carries two auth mechanisms.
                return 400, {
                    "__raw__": b"<Error><Code>InvalidArgument</Code></Error>",
                    "content_type": "application/xml",
                }
            me = self.state.cdn_tokens.get(query.get("x-amz-security-token", ""))
            media = self.state.media.get(me or "")
            if media is None or not path.endswith(f"/{me}"):
                return 403, {
                    "__raw__": b"<Error><Code>AccessDenied</Code></Error>",
                    "content_type": "application/xml",
                }
            return 200, {
                "__raw__": media["content"],
                "content_type": media["content_type"],
                "filename": media["filename"],
            }


def _server_error(status: int) -> dict[str, Any]:
    return {
        "code": 20500,
        "message": "Internal Server Error",
        "more_info": "https://www.twilio.com/docs/errors/20500",
        "status": status,
    }


def _basic(header: str) -> tuple[str | None, str | None]:
    if not header.lower().startswith("basic "):
        return None, None
    try:
        user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
    except ValueError:
        return None, None
    return user, password


class _Handler(FakeRequestHandler[FakeTwilioServer]):
    server_version = "FakeTwilio/1.0"

    def _send(self, status: int, payload: Any) -> None:
        headers: dict[str, str] = {}
        if isinstance(payload, dict) and "__redirect__" in payload:
            data = b""
            headers["Location"] = payload["__redirect__"]
            ctype = "text/plain"
        elif isinstance(payload, dict) and "__raw__" in payload:
            data, ctype = payload["__raw__"], payload.get("content_type", "")
            if payload.get("filename"):
                headers["Content-Disposition"] = f'inline; filename="{payload["filename"]}"'
        else:
            data, ctype = json.dumps(payload).encode(), "application/json; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Twilio-Request-Id", "RQ" + uuid.uuid4().hex)
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        raw = self._read_body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            if self.server.role == "cdn":  # type: ignore[attr-defined]
                query = dict(parse_qsl(parts.query))
                self._send(*self.fake.cdn_get(parts.path, query, headers))
                return
            if parts.path.startswith("/__control/"):
                try:
                    body = json.loads(raw) if raw.strip() else {}
                except ValueError:
                    body = dict(parse_qsl(raw.decode()))
                action = parts.path[len("/__control/") :].strip("/")
                self._send(200, self.fake.control(action, body if isinstance(body, dict) else {}))
                return
            try:
                form = parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
            except UnicodeDecodeError:
                form = []
            auth = self.headers.get("Authorization", "")
            self._send(*self.fake.api(method, parts.path, form, auth, parts.query))
        except ApiError as err:
            self._send(err.status, err.body())
        except (KeyError, ValueError, TypeError) as exc:
            self._send(
                400, {"code": 21000, "message": f"bad request: {type(exc).__name__}", "status": 400}
            )
