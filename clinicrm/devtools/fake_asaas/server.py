"""HTTP front of the fake Asaas v3 (stdlib ThreadingHTTPServer): `/v3/...`, `/__control/...`
and two small HTML pages for the demo (`/` lists charges, `/i/<id>` is the invoice with a
"pay" button)."""

import html
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from clinicrm.devtools.fake_asaas.dispatcher import Dispatcher
from clinicrm.devtools.fake_asaas.state import ApiError, FakeAsaasState
from clinicrm.devtools.fakebase import BackgroundServer, FakeRequestHandler

Route = tuple[str, re.Pattern[str], Callable[..., Any]]


class FakeAsaasServer(BackgroundServer[Dispatcher]):
    """A running fake. `base_url` is what the CRM's ASAAS_BASE_URL should be."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_keys: set[str] | None = None,
        webhook_url: str | None = None,
        webhook_token: str | None = None,
        time_scale: float = 0.001,
    ) -> None:
        super().__init__()
        self.state = FakeAsaasState(api_keys=api_keys)
        self.dispatcher = Dispatcher(self.state, time_scale=time_scale)
        self.httpd = self._listen(host, port, _Handler)
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        self.state.public_url = self.url
        self.base_url = f"{self.url}/v3"
        if webhook_url:
            self.state.webhook_create(
                {
                    "name": "Clinicrm",
                    "url": webhook_url,
                    "email": "dev@clinicrm.test",
                    "sendType": "SEQUENTIALLY",
                    "authToken": webhook_token,
                    "events": [],
                }
            )
        self.routes = self._routes()

    # --- convenience for tests ---------------------------------------------------------------
    def payment_by_reference(self, reference: str) -> dict[str, Any]:
        with self.state.lock:
            for payment in self.state.payments.values():
                if payment.get("externalReference") == reference:
                    return dict(payment)
        raise KeyError(reference)

    # --- routing -----------------------------------------------------------------------------
    def _routes(self) -> list[Route]:
        s = self.state
        pid = r"(?P<pid>[A-Za-z0-9_]+)"
        cid = r"(?P<cid>[A-Za-z0-9_]+)"
        wid = r"(?P<wid>[A-Za-z0-9-]+)"
        table: list[tuple[str, str, Callable[..., Any]]] = [
            ("GET", r"/v3/customers", lambda q, b: s.customer_list(q)),
            ("POST", r"/v3/customers", lambda q, b: s.customer_create(b)),
            ("GET", rf"/v3/customers/{cid}", lambda q, b, cid: s.customer_get(cid)),
            ("PUT", rf"/v3/customers/{cid}", lambda q, b, cid: s.customer_update(cid, b)),
            ("POST", rf"/v3/customers/{cid}", lambda q, b, cid: s.customer_update(cid, b)),
            ("DELETE", rf"/v3/customers/{cid}", lambda q, b, cid: s.customer_delete(cid)),
            ("GET", r"/v3/payments", lambda q, b: s.payment_list(q)),
            ("POST", r"/v3/payments", lambda q, b: s.payment_create(b)),
            ("GET", rf"/v3/payments/{pid}", lambda q, b, pid: s.payment_get(pid)),
            ("PUT", rf"/v3/payments/{pid}", lambda q, b, pid: s.payment_update(pid, b)),
            ("DELETE", rf"/v3/payments/{pid}", lambda q, b, pid: s.payment_delete(pid)),
            (
                "GET",
                rf"/v3/payments/{pid}/status",
                lambda q, b, pid: {"status": s.payment_get(pid)["status"]},
            ),
            ("GET", rf"/v3/payments/{pid}/pixQrCode", lambda q, b, pid: s.payment_qr(pid)),
            ("POST", rf"/v3/payments/{pid}/restore", lambda q, b, pid: s.payment_restore(pid)),
            ("POST", rf"/v3/payments/{pid}/refund", lambda q, b, pid: s.payment_refund(pid, b)),
            (
                "POST",
                rf"/v3/payments/{pid}/receiveInCash",
                lambda q, b, pid: s.payment_receive_in_cash(pid, b),
            ),
            (
                "POST",
                rf"/v3/payments/{pid}/undoReceivedInCash",
                lambda q, b, pid: s.payment_undo_cash(pid),
            ),
            ("POST", rf"/v3/sandbox/payment/{pid}/confirm", lambda q, b, pid: s.payment_pay(pid)),
            (
                "POST",
                rf"/v3/sandbox/payment/{pid}/overdue",
                lambda q, b, pid: s.payment_overdue(pid),
            ),
            ("GET", r"/v3/webhooks", lambda q, b: s.webhook_list()),
            ("POST", r"/v3/webhooks", lambda q, b: s.webhook_create(b)),
            ("PUT", rf"/v3/webhooks/{wid}", lambda q, b, wid: s.webhook_update(wid, b)),
        ]
        return [(m, re.compile(p + r"/?$"), f) for m, p, f in table]

    def control(self, action: str, query: dict[str, str], body: dict[str, Any]) -> Any:
        s, d = self.state, self.dispatcher
        if action == "reset":
            s.reset()
            d.deliveries.clear()
            return {"ok": True}
        if action == "config":
            with s.lock:
                for key in (
                    "duplicates",
                    "concurrent_duplicates",
                    "reorder",
                    "reject_alnum_cnpj",
                    "strict_user_agent",
                ):
                    if key in body:
                        setattr(s, key, body[key])
                if "fail_next" in body:
                    s.fail_next = [int(x) for x in body["fail_next"]]
                if "pix_fee" in body:
                    s.pix_fee = Decimal(str(body["pix_fee"]))
                if "time_scale" in body:
                    d.time_scale = float(body["time_scale"])
                if "webhook_url" in body:
                    for hook in s.webhooks.values():
                        hook["url"] = body["webhook_url"]
            return {"ok": True}
        if action == "deliveries":
            with s.lock:
                return {"data": list(d.deliveries)}
        if action == "flush":
            return {"idle": d.flush(float(body.get("timeout", 10)))}
        if action == "pause":
            d.paused = True
            return {"ok": True}
        if action == "resume":
            d.paused = False
            with s.lock:
                s.events_changed.notify_all()
            return {"ok": True}
        if action == "clock":
            s.advance_clock(days=int(body.get("days", 0)), seconds=int(body.get("seconds", 0)))
            return {"today": s.today().isoformat()}
        if action == "legacy-customer":
            return s.customer_create(body, legacy=True)
        m = re.fullmatch(r"(pay|block|overdue|delete|refund)/([A-Za-z0-9_]+)", action)
        if m:
            verb, payment_id = m.groups()
            if verb == "pay":
                return s.payment_pay(payment_id)
            if verb == "block":
                return s.payment_block(payment_id)
            if verb == "overdue":
                return s.payment_overdue(payment_id)
            if verb == "delete":
                return s.payment_delete(payment_id)
            return s.payment_refund(payment_id, body)
        raise ApiError(404, None, "Unknown control action")

    def html_index(self) -> str:
        with self.state.lock:
            rows = "".join(
                f"<tr><td>{html.escape(p['id'])}</td><td>R$ {p['value']}</td>"
                f"<td>{html.escape(p.get('description') or '')}</td><td>{p['status']}</td>"
                f"<td>{_pay_form(p) if p['status'] in ('PENDING', 'OVERDUE') else ''}</td></tr>"
                for p in reversed(list(self.state.payments.values()))
                if not p["deleted"]
            )
        return _page(
            "Fake Asaas: cobranças",
            "<table border=1 cellpadding=6><tr><th>id</th><th>valor</th><th>descrição</th>"
            f"<th>status</th><th></th></tr>{rows or '<tr><td colspan=5>Nenhuma</td></tr>'}"
            "</table>",
        )

    def html_invoice(self, short: str) -> str:
        with self.state.lock:
            payment = next((p for p in self.state.payments.values() if p["id"][4:] == short), None)
        if payment is None:
            return _page("Fatura não encontrada", "")
        action = ""
        if payment["status"] in ("PENDING", "OVERDUE"):
            qr = self.state.payment_qr(payment["id"])
            action = (
                f"<p><img alt='QR Code PIX' src='data:image/png;base64,{qr['encodedImage']}'></p>"
                f"<p><code>{html.escape(qr['payload'])}</code></p>{_pay_form(payment)}"
            )
        return _page(
            f"Fatura {html.escape(payment['id'])}",
            f"<p>Valor: R$ {payment['value']} · Status: {payment['status']}</p>{action}",
        )


def _pay_form(payment: dict[str, Any]) -> str:
    return (
        f'<form method="post" action="/__control/pay/{html.escape(payment["id"])}?redirect=1">'
        '<button type="submit">Simular pagamento PIX</button></form>'
    )


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang='pt-BR'><meta charset='utf-8'><title>{title}</title>"
        f"<body><h1>{title}</h1>{body}<p><a href='/'>Todas as cobranças</a></p></body></html>"
    )


class _Handler(FakeRequestHandler[FakeAsaasServer]):
    server_version = "FakeAsaas/1.0"

    def _send(self, status: int, payload: Any, content_type: str = "application/json") -> None:
        if isinstance(payload, str):
            data = payload.encode()
        else:
            data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("RateLimit-Limit", "1000")
        self.send_header("RateLimit-Remaining", "999")
        self.send_header("RateLimit-Reset", "60")
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query))
        raw = self._read_body()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            self._send(400, {"errors": [{"code": "invalid_json", "description": "JSON inválido."}]})
            return
        if not isinstance(body, dict):
            body = {}
        path = parts.path
        try:
            if path.startswith("/__control/"):
                result = self.fake.control(path[len("/__control/") :].strip("/"), query, body)
                if query.get("redirect"):
                    self.send_response(303)
                    self.send_header("Location", "/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self._send(200, result)
                return
            if method == "GET" and path in ("/", ""):
                self._send(200, self.fake.html_index(), "text/html")
                return
            if method == "GET" and path.startswith("/i/"):
                self._send(200, self.fake.html_invoice(path[3:].strip("/")), "text/html")
                return
            if not path.startswith("/v3/"):
                raise ApiError(404, None, "Not found")
            if method == "GET" and raw:
                raise ApiError(403, None, "Acesso negado")
            self.fake.state.check_auth({k.lower(): v for k, v in self.headers.items()})
            injected = self.fake.state.take_injected_failure()
            if injected:
                raise ApiError(injected, None, "Falha simulada")
            for route_method, pattern, func in self.fake.routes:
                match = pattern.match(path)
                if match and route_method == method:
                    self._send(200, func(query, body, **match.groupdict()))
                    return
            raise ApiError(404, None, "Not found")
        except ApiError as err:
            self._send(err.status, err.body() if err.status != 429 else "")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")
