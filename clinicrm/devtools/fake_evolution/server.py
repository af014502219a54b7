"""HTTP front of the fake Evolution (stdlib ThreadingHTTPServer).

Evolution routes at the root (`/{controller}/{action}/{instance}`), guarded in the real order
(instance exists -> apikey), and control endpoints under `/__control/` (no auth; dev only):

- `POST /__control/reset`, `POST /__control/config` (any `Switches` field, plus
  `not_on_whatsapp`, `legacy_jid` lists and `global_webhook`), `GET /__control/deliveries`,
  `POST /__control/flush`, `POST /__control/pause` / `resume`
- `POST /__control/scan/{i}` (pair: {number, profileName}), `/__control/qr/{i}` (rotate QR),
  `/__control/drop/{i}` ({statusReason})
- `POST /__control/inbound/{i}` (see inbound.py), `POST /__control/status/{i}` ({key_id, status})
- `GET /__control/messages/{i}[?number=]` (stored messages, for the phone simulator)
"""

import contextlib
import json
import time
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from clinicrm.devtools.fake_evolution import api
from clinicrm.devtools.fake_evolution import payloads as p
from clinicrm.devtools.fake_evolution.dispatcher import Dispatcher
from clinicrm.devtools.fake_evolution.inbound import inbound_message
from clinicrm.devtools.fake_evolution.state import ApiError, FakeEvolutionState, Instance
from clinicrm.devtools.fakebase import BackgroundServer, FakeRequestHandler

GLOBAL_APIKEY = "BQYHJGJHJ"
STATUS_STEPS = {"sent": 1, "delivered": 2, "read": 3}


class FakeEvolutionServer(BackgroundServer[Dispatcher]):
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        global_apikey: str = GLOBAL_APIKEY,
        version: str = "2.3.7",
    ) -> None:
        super().__init__()
        self.state = FakeEvolutionState(global_apikey=global_apikey)
        self.state.switches.version = version
        self.dispatcher = Dispatcher(self.state)
        self.httpd = self._listen(host, port, _Handler)
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        self.state.switches.server_url = self.url

    # --- helpers for tests and the simulator --------------------------------------------------
    def create_open_instance(
        self, name: str, *, token: str, number: str = "5511988887777", webhook: dict | None = None
    ) -> Instance:
        with self.state.lock:
            inst = Instance(name=name, token=token, state="open")
            inst.wuid = f"{number}@s.whatsapp.net"
            inst.profile_name = "Clínica Demo"
            if webhook:
                api._set_webhook(inst, webhook)
            self.state.instances[name] = inst
            return inst

    def inbound(self, instance: str, **spec: Any) -> dict[str, Any]:
        with self.state.lock:
            return inbound_message(self, self.state.instance(instance), spec)

    def status_update(self, inst: Instance, key_id: str, status: str) -> None:
        stored = self.state.messages.get(key_id)
        if stored is None:
            return
        stored["statuses"].append(status)
        data = stored["data"]
        self.state.emit(
            inst,
            "messages.update",
            {
                "keyId": key_id,
                "remoteJid": data["key"]["remoteJid"],
                "fromMe": data["key"]["fromMe"],
                "status": status,
                "instanceId": inst.id,
                "messageId": p.cuid(),
            },
        )

    def schedule_statuses(self, inst: Instance, key_id: str, *, ptt: bool = False) -> None:
        sw = self.state.switches
        steps = STATUS_STEPS.get(sw.auto_status, 0)
        chain = ["SERVER_ACK", "DELIVERY_ACK", "READ"][:steps]
        if steps == 3 and ptt:
            chain.append("PLAYED")
        if sw.status_before_send and chain and chain[0] == "SERVER_ACK":
            chain = chain[1:]
        for n, status in enumerate(chain, start=1):
            self.dispatcher.later(sw.status_interval * n, self._status_action(inst, key_id, status))

    def _status_action(self, inst: Instance, key_id: str, status: str) -> Callable[[], None]:
        return lambda: self._locked_status(inst, key_id, status)

    def _locked_status(self, inst: Instance, key_id: str, status: str) -> None:
        with self.state.lock:
            self.status_update(inst, key_id, status)

    # --- control ------------------------------------------------------------------------------
    def control(self, path: str, query: dict[str, str], body: dict[str, Any]) -> Any:
        s, d = self.state, self.dispatcher
        action, _, name = path.partition("/")
        name = unquote(name)
        with s.lock:
            if action == "reset":
                s.reset()
                d.queue.clear()
                d.deliveries.clear()
                return {"ok": True}
            if action == "config":
                for key, value in body.items():
                    if key == "not_on_whatsapp":
                        s.not_on_whatsapp = {p.digits(str(n)) for n in value}
                    elif key == "legacy_jid":
                        s.legacy_jid = {p.br_thirteen(p.digits(str(n))) for n in value}
                    elif key == "global_webhook":
                        s.global_webhook = value or None
                    elif hasattr(s.switches, key):
                        setattr(s.switches, key, value)
                    else:
                        raise ApiError(400, [f"unknown switch {key}"])
                return {"ok": True, "switches": vars(s.switches)}
            if action == "deliveries":
                return {"data": list(d.deliveries)}
            if action == "pause":
                d.paused = True
                return {"ok": True}
            if action == "resume":
                d.paused = False
                return {"ok": True}
            if action == "messages":
                inst = s.instance(name)
                number = p.digits(query.get("number", ""))
                out = []
                for key_id, m in s.messages.items():
                    if m["instance"] != inst.name:
                        continue
                    jid = m["data"]["key"]["remoteJid"]
                    if number and p.br_thirteen(p.digits(jid.split("@")[0])) != p.br_thirteen(
                        number
                    ):
                        continue
                    out.append({"id": key_id, "data": m["data"], "statuses": m["statuses"]})
                return {"data": out}
            if action == "instances":
                return {"data": [i.row() for i in s.instances.values()]}
        if action == "flush":
            return {"idle": d.flush(float(body.get("timeout", 10)))}
        with s.lock:
            inst = s.instance(name)
            if action == "scan":
                return api.scan(self, inst, body)[1]
            if action == "qr":
                return api.refresh_qr(self, inst)[1]
            if action == "drop":
                return api.drop(self, inst, body)[1]
            if action == "inbound":
                return inbound_message(self, inst, body)
            if action == "status":
                key_id = str(body.get("key_id") or "")
                if key_id not in s.messages:
                    raise ApiError(404, ["Message not found"])
                self.status_update(inst, key_id, str(body.get("status") or "READ"))
                return {"ok": True}
        raise ApiError(404, [f"Cannot POST /__control/{path}"])

    # --- Evolution routes ---------------------------------------------------------------------
    def route(self, method: str, path: str, query: dict[str, str], body: Any, apikey: str | None):
        s = self.state
        if method == "GET" and path == "/":
            return 200, {
                "status": 200,
                "message": "Welcome to the Evolution API, it is working!",
                "version": s.switches.version,
                "clientName": "evolution_exchange",
                "manager": f"{self.url}/manager",
                "documentation": "https://doc.evolution-api.com",
            }
        if s.switches.version.startswith("2.4") and not s.switches.licensed:
            return 503, {
                "error": "service not activated",
                "code": "LICENSE_REQUIRED",
                "register_url": f"{self.url}/license/register",
            }
        parts = [unquote(x) for x in path.strip("/").split("/")]
        if len(parts) < 2:
            raise ApiError(404, [f"Cannot {method} {path}"])
        controller, action = parts[0], parts[1]
        name = parts[2] if len(parts) > 2 else None
        if (method, controller, action) == ("POST", "instance", "create"):
            if apikey != s.global_apikey:
                raise ApiError(401, "Unauthorized")
            self._inject()
            return api.instance_create(self, body)
        if (method, controller, action) == ("GET", "instance", "fetchInstances"):
            rows = [i.row() for i in s.instances.values()]
            if apikey != s.global_apikey:
                rows = [r for r in rows if r["token"] == apikey]
                if not rows:
                    raise ApiError(401, "Unauthorized")
            if query.get("instanceName"):
                rows = [r for r in rows if r["name"] == query["instanceName"]]
            return 200, rows
        table = {
            ("GET", "instance", "connect"): lambda i: api.connect(self, i, query),
            ("GET", "instance", "connectionState"): api.connection_state,
            ("POST", "instance", "restart"): lambda i: api.connection_state(i),
            ("DELETE", "instance", "logout"): lambda i: api.logout(self, i),
            ("DELETE", "instance", "delete"): lambda i: api.delete(self, i),
            ("POST", "webhook", "set"): lambda i: api.webhook_set(i, body),
            ("GET", "webhook", "find"): lambda i: (200, i.webhook),
            ("POST", "message", "sendText"): lambda i: api.send_text(self, i, body),
            ("POST", "message", "sendMedia"): lambda i: api.send_media(self, i, body),
            ("POST", "message", "sendWhatsAppAudio"): lambda i: api.send_audio(self, i, body),
            ("POST", "chat", "getBase64FromMediaMessage"): lambda i: api.get_base64(self, i, body),
            ("POST", "chat", "whatsappNumbers"): lambda i: api.whatsapp_numbers(self, i, body),
            ("POST", "chat", "markMessageAsRead"): lambda i: api.mark_read(self, i, body),
            ("POST", "chat", "findMessages"): lambda i: api.find_messages(self, i, body),
        }
        func = table.get((method, controller, action))
        if func is None or name is None:
            raise ApiError(404, [f"Cannot {method} {path}"])
        inst = s.instance(name)
        s.check_key(apikey, inst)
        self._inject()
        return func(inst)

    def _inject(self) -> None:
        sw = self.state.switches
        if sw.fail_next:
            status = int(sw.fail_next.pop(0))
            if status == 500:
                closed = "Connection Closed"
                raise ApiError(status, [f"Error: {closed}"] if sw.fail_form == "array" else closed)
            raise ApiError(status, ["Error: simulated failure"])


def _multipart(content_type: str, raw: bytes) -> dict[str, Any]:
    msg = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    out: dict[str, Any] = {}
    for part in msg.iter_parts():
        field = part.get_param("name", header="content-disposition")
        if not field:
            continue
        decoded = part.get_payload(decode=True)
        payload = decoded if isinstance(decoded, bytes) else b""
        if field == "file":
            out["_file"] = payload
            filename = part.get_filename()
            if filename and "fileName" not in out:
                out["fileName"] = filename
        else:
            out[str(field)] = payload.decode("utf-8", "replace")
    return out


class _Handler(FakeRequestHandler[FakeEvolutionServer]):
    server_version = "FakeEvolution/2.3"

    def _send(self, status: int, payload: Any) -> None:
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query))
        raw = self._read_body()
        ctype = self.headers.get("Content-Type") or ""
        try:
            if ctype.startswith("multipart/form-data"):
                body: Any = _multipart(ctype, raw)
            else:
                body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            self._send(400, {"status": 400, "error": "Bad Request", "response": {"message": [
                "Unexpected token in JSON"]}})  # fmt: skip
            return
        if not isinstance(body, dict):
            body = {}
        fake = self.fake
        sw = fake.state.switches
        hang = 0.0
        try:
            if parts.path.startswith("/__control/"):
                path = parts.path[len("/__control/") :].strip("/")
                self._send(200, fake.control(path, query, body))
                return
            if sw.response_delay:
                time.sleep(float(sw.response_delay))
            with fake.state.lock:
                if sw.hang_next > 0 and parts.path != "/":
                    sw.hang_next -= 1
                    hang = float(sw.hang_seconds)
                status, payload = fake.route(
                    method, parts.path, query, body, self.headers.get("apikey")
                )
        except ApiError as err:
            status, payload = err.status, err.body()
        if hang:
            # The work is done (a send reached WhatsApp); only the answer is lost to a timeout.
            time.sleep(hang)
        with contextlib.suppress(OSError):
            self._send(status, payload)

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")
