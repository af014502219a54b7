"""In-memory state of the fake Asaas: customers, payments, the PIX state machine, webhooks.

Behaviour follows docs/providers/asaas.md §10. Every mutation happens under one lock; webhook
events are snapshots of the payment frozen at event time, queued per webhook configuration and
delivered by `dispatcher.Dispatcher`.
"""

import copy
import datetime as dt
import re
import secrets
import string
import threading
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from clinicrm.devtools.fake_asaas.pix import emv_payload, qr_png_base64

ACCOUNT_ID = "a1b2c3d4-0000-4000-8000-00000000fa4e"
_ALNUM = string.ascii_letters + string.digits
_CNPJ_W1 = (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
_CNPJ_W2 = (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)


class ApiError(Exception):
    def __init__(self, status: int, code: str | None = None, description: str = "") -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"description": self.description}
        if self.code is not None:
            err = {"code": self.code, "description": self.description}
        return {"errors": [err]}


def _mod11(total: int) -> int:
    r = total % 11
    return 0 if r < 2 else 11 - r


def cpf_ok(v: str) -> bool:
    if not re.fullmatch(r"\d{11}", v) or len(set(v)) == 1:
        return False
    d = [int(x) for x in v]

    def dv(n: int) -> int:
        r = (sum(d[i] * (n + 1 - i) for i in range(n)) * 10) % 11
        return 0 if r == 10 else r

    return dv(9) == d[9] and dv(10) == d[10]


def cnpj_ok(v: str, *, allow_alnum: bool = True) -> bool:
    pattern = r"[0-9A-Z]{12}\d{2}" if allow_alnum else r"\d{14}"
    if not re.fullmatch(pattern, v) or len(set(v)) == 1:
        return False
    vals = [ord(ch) - 48 for ch in v[:12]]
    d1 = _mod11(sum(a * b for a, b in zip(vals, _CNPJ_W1, strict=True)))
    d2 = _mod11(sum(a * b for a, b in zip([*vals, d1], _CNPJ_W2, strict=True)))
    return v[12:] == f"{d1}{d2}"


def _money(value: Decimal) -> float | int:
    q = value.quantize(Decimal("0.01"))
    return int(q) if q == q.to_integral_value() else float(q)


class FakeAsaasState:
    def __init__(
        self,
        *,
        api_keys: set[str] | None = None,
        public_url: str = "http://127.0.0.1:8083",
        pix_fee: Decimal = Decimal("1.99"),
    ) -> None:
        self.lock = threading.RLock()
        self.api_keys = api_keys  # None: accept any sandbox-format key
        self.public_url = public_url.rstrip("/")
        self.pix_fee = pix_fee
        self.reject_alnum_cnpj = False
        self.strict_user_agent = False
        self.clock_offset = dt.timedelta()
        # Fault injection.
        self.fail_next: list[int] = []  # HTTP statuses returned by the next API calls
        self.duplicates = 1  # deliveries per event
        self.concurrent_duplicates = False
        self.reorder = False  # deliver the newest queued event first
        self.customers: dict[str, dict[str, Any]] = {}
        self.payments: dict[str, dict[str, Any]] = {}
        self.webhooks: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self._customer_seq = 8392496
        self._payment_seq = 0
        self._event_seq = 368604920
        self.events_changed = threading.Condition(self.lock)

    # --- clock ---------------------------------------------------------------------------------
    def now(self) -> dt.datetime:
        # Asaas speaks Brasília wall-clock time without a zone.
        brt = dt.timezone(dt.timedelta(hours=-3))
        return dt.datetime.now(brt).replace(tzinfo=None) + self.clock_offset

    def today(self) -> dt.date:
        return self.now().date()

    def advance_clock(self, *, days: int = 0, seconds: int = 0) -> None:
        with self.lock:
            self.clock_offset += dt.timedelta(days=days, seconds=seconds)
            self._run_overdue_job()

    # --- auth ----------------------------------------------------------------------------------
    def check_auth(self, headers: dict[str, str]) -> None:
        key = headers.get("access_token")
        if not key:
            raise ApiError(
                401,
                "access_token_not_found",
                "O cabeçalho de autenticação 'access_token' é obrigatório e não foi "
                "encontrado na requisição",
            )
        if not key.startswith("$aact_"):
            raise ApiError(
                401,
                "invalid_access_token_format",
                "O valor fornecido não parece ser uma chave de API válida do Asaas. "
                "Verifique o formato da sua chave",
            )
        if key.startswith("$aact_prod_"):
            raise ApiError(
                401,
                "invalid_environment",
                "A chave de API informada não pertence a este ambiente",
            )
        if self.api_keys is not None and key not in self.api_keys:
            raise ApiError(401, "invalid_access_token", "A chave de API fornecida é inválida")
        if self.strict_user_agent and not headers.get("user-agent"):
            raise ApiError(400, "invalid_user_agent", "O header User-Agent é obrigatório.")

    def take_injected_failure(self) -> int | None:
        with self.lock:
            return self.fail_next.pop(0) if self.fail_next else None

    # --- customers -----------------------------------------------------------------------------
    def _validate_document(self, raw: Any) -> str:
        doc = re.sub(r"[\s./\-]", "", str(raw or "")).upper()
        ok = cpf_ok(doc) if len(doc) == 11 else cnpj_ok(doc, allow_alnum=not self.reject_alnum_cnpj)
        if not ok:
            raise ApiError(400, "invalid_object", "O CPF/CNPJ informado é inválido.")
        return doc

    def customer_create(self, data: dict[str, Any], *, legacy: bool = False) -> dict[str, Any]:
        with self.lock:
            if not data.get("name"):
                raise ApiError(400, "invalid_name", "O campo name deve ser informado.")
            doc = None
            if not legacy or data.get("cpfCnpj"):
                if not data.get("cpfCnpj"):
                    raise ApiError(400, "invalid_cpfCnpj", "O campo cpfCnpj deve ser informado.")
                doc = self._validate_document(data["cpfCnpj"])
            mobile = re.sub(r"\D", "", str(data.get("mobilePhone") or ""))
            if mobile and len(set(mobile)) == 1:
                raise ApiError(400, "invalid_mobilePhone", "O celular informado é inválido.")
            self._customer_seq += 1
            cid = f"cus_{self._customer_seq:012d}"
            customer = {
                "object": "customer",
                "id": cid,
                "dateCreated": self.today().isoformat(),
                "name": data["name"],
                "email": data.get("email"),
                "company": data.get("company"),
                "phone": data.get("phone"),
                "mobilePhone": data.get("mobilePhone"),
                "address": None,
                "addressNumber": None,
                "complement": None,
                "province": None,
                "postalCode": None,
                "cpfCnpj": doc,
                "personType": (None if doc is None else "FISICA" if len(doc) == 11 else "JURIDICA"),
                "deleted": False,
                "additionalEmails": None,
                "externalReference": data.get("externalReference"),
                "notificationDisabled": bool(data.get("notificationDisabled", False)),
                "observations": data.get("observations"),
                "municipalInscription": None,
                "stateInscription": None,
                "canDelete": True,
                "cannotBeDeletedReason": None,
                "canEdit": True,
                "cannotEditReason": None,
                "city": None,
                "cityName": None,
                "state": None,
                "country": "Brasil",
            }
            self.customers[cid] = customer
            return copy.deepcopy(customer)

    def customer_get(self, cid: str) -> dict[str, Any]:
        with self.lock:
            customer = self.customers.get(cid)
            if customer is None:
                raise ApiError(404, None, "Not found")
            return copy.deepcopy(customer)

    def customer_update(self, cid: str, data: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            customer = self.customers.get(cid)
            if customer is None or customer["deleted"]:
                raise ApiError(404, None, "Not found")
            if "cpfCnpj" in data:
                doc = self._validate_document(data["cpfCnpj"])
                customer["cpfCnpj"] = doc
                customer["personType"] = "FISICA" if len(doc) == 11 else "JURIDICA"
            for key in (
                "name",
                "email",
                "phone",
                "mobilePhone",
                "externalReference",
                "notificationDisabled",
                "observations",
                "company",
            ):
                if key in data:
                    customer[key] = data[key]
            return copy.deepcopy(customer)

    def customer_delete(self, cid: str) -> dict[str, Any]:
        with self.lock:
            customer = self.customers.get(cid)
            if customer is None:
                raise ApiError(404, None, "Not found")
            customer["deleted"] = True
            return {"deleted": True, "id": cid}

    def customer_list(self, params: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            rows = [c for c in self.customers.values() if not c["deleted"]]
            for key in ("cpfCnpj", "externalReference", "email", "name"):
                if params.get(key):
                    want = params[key]
                    if key == "cpfCnpj":
                        want = re.sub(r"[\s./\-]", "", want).upper()
                    rows = [c for c in rows if (c.get(key) or "") == want]
            rows.reverse()  # newest first
            return _envelope(rows, params)

    # --- payments ------------------------------------------------------------------------------
    def _new_payment_id(self) -> str:
        self._payment_seq += 1
        if self._payment_seq % 2:
            return "pay_" + "".join(secrets.choice(_ALNUM.lower()) for _ in range(16))
        # The format announced for Nov 2026: same length, with an underscore.
        return f"pay_{secrets.randbelow(9) + 1}_" + "".join(
            secrets.choice(_ALNUM) for _ in range(14)
        )

    def payment_create(self, data: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            customer = self.customers.get(str(data.get("customer") or ""))
            if customer is None or customer["deleted"]:
                raise ApiError(400, "invalid_customer", "Customer inválido ou não informado.")
            billing = data.get("billingType")
            if billing not in ("UNDEFINED", "BOLETO", "CREDIT_CARD", "PIX"):
                raise ApiError(
                    400, "invalid_billingType", "Forma de pagamento inválida ou não informada."
                )
            if data.get("value") in (None, ""):
                raise ApiError(400, "invalid_value", "O campo value deve ser informado")
            try:
                value = Decimal(str(data["value"]))
            except InvalidOperation as exc:
                raise ApiError(400, "invalid_value", "O campo value é inválido.") from exc
            discount = Decimal(str((data.get("discount") or {}).get("value") or 0))
            if value - discount < Decimal("5"):
                raise ApiError(
                    400,
                    "invalid_object",
                    f"O valor da cobrança (R$ {_brl(value)}) menos o valor do desconto "
                    f"(R$ {_brl(discount)}) não pode ser menor que R$ 5,00.",
                )
            try:
                due = dt.date.fromisoformat(str(data.get("dueDate") or ""))
            except ValueError as exc:
                raise ApiError(
                    400, "invalid_dueDate", "O campo dueDate deve ser informado."
                ) from exc
            if due < self.today():
                raise ApiError(
                    400, "invalid_dueDate", "A data de vencimento não pode ser inferior à hoje"
                )
            if not customer.get("cpfCnpj"):
                raise ApiError(
                    400,
                    "invalid_customer.cpfCnpj",
                    "Para criar esta cobrança é necessário preencher o CPF ou CNPJ do cliente.",
                )
            pid = self._new_payment_id()
            short = pid[4:]
            payment: dict[str, Any] = {
                "object": "payment",
                "id": pid,
                "dateCreated": self.today().isoformat(),
                "customer": customer["id"],
                "checkoutSession": None,
                "paymentLink": None,
                "value": _money(value),
                "netValue": _money(value - self.pix_fee),
                "originalValue": None,
                "interestValue": None,
                "description": data.get("description"),
                "billingType": billing,
                "pixTransaction": None,
                "status": "PENDING",
                "dueDate": due.isoformat(),
                "originalDueDate": due.isoformat(),
                "paymentDate": None,
                "clientPaymentDate": None,
                "installmentNumber": None,
                "invoiceUrl": f"{self.public_url}/i/{short}",
                "invoiceNumber": f"{15924714 + self._payment_seq:08d}",
                "externalReference": data.get("externalReference"),
                "deleted": False,
                "anticipated": False,
                "anticipable": False,
                "creditDate": None,
                "estimatedCreditDate": None,
                "transactionReceiptUrl": None,
                "nossoNumero": None,
                "bankSlipUrl": None,
                "lastInvoiceViewedDate": None,
                "lastBankSlipViewedDate": None,
                "discount": {
                    "value": _money(discount),
                    "limitDate": None,
                    "dueDateLimitDays": 0,
                    "type": "FIXED",
                },
                "fine": {"value": 0, "type": "FIXED"},
                "interest": {"value": 0, "type": "PERCENTAGE"},
                "postalService": False,
                "escrow": None,
                "refunds": None,
            }
            self.payments[pid] = payment
            self._emit("PAYMENT_CREATED", payment)
            return copy.deepcopy(payment)

    def _payment(self, pid: str, *, include_deleted: bool = False) -> dict[str, Any]:
        payment = self.payments.get(pid)
        if payment is None or (payment["deleted"] and not include_deleted):
            raise ApiError(404, None, "Not found")
        return payment

    def payment_get(self, pid: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self._payment(pid))

    def payment_list(self, params: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            rows = [p for p in self.payments.values() if not p["deleted"]]
            for key in ("customer", "externalReference", "status", "billingType"):
                if params.get(key):
                    rows = [p for p in rows if str(p.get(key) or "") == params[key]]
            rows.reverse()
            return _envelope(rows, params)

    def payment_qr(self, pid: str) -> dict[str, Any]:
        with self.lock:
            payment = self._payment(pid)
            if payment["billingType"] not in ("PIX", "BOLETO", "UNDEFINED"):
                raise ApiError(400, "invalid_billingType", "Cobrança não permite PIX.")
            payload = emv_payload(txid=pid.replace("_", ""), value=Decimal(str(payment["value"])))
            due = dt.date.fromisoformat(payment["dueDate"])
            try:
                expiry = due.replace(year=due.year + 1)
            except ValueError:  # 29 Feb
                expiry = due.replace(year=due.year + 1, day=28)
            return {
                "success": True,
                "encodedImage": qr_png_base64(payload),
                "payload": payload,
                "expirationDate": f"{expiry.isoformat()} 23:59:59",
                "description": payment.get("description") or "Descricao nao informada",
            }

    def payment_update(self, pid: str, data: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            payment = self._payment(pid)
            if payment["status"] not in ("PENDING", "OVERDUE"):
                raise ApiError(400, "invalid_action", "Só é possível alterar cobranças pendentes.")
            for key in ("value", "dueDate", "description", "externalReference"):
                if key in data:
                    payment[key] = data[key]
            self._emit("PAYMENT_UPDATED", payment)
            return copy.deepcopy(payment)

    def payment_delete(self, pid: str) -> dict[str, Any]:
        with self.lock:
            payment = self._payment(pid)
            if payment["status"] not in ("PENDING", "OVERDUE"):
                raise ApiError(
                    400, "invalid_action", "Não é possível excluir uma cobrança já paga."
                )
            payment["deleted"] = True
            self._emit("PAYMENT_DELETED", payment)
            return {"deleted": True, "id": pid}

    def payment_restore(self, pid: str) -> dict[str, Any]:
        with self.lock:
            payment = self._payment(pid, include_deleted=True)
            if not payment["deleted"]:
                raise ApiError(400, "invalid_action", "A cobrança não está excluída.")
            payment["deleted"] = False
            self._emit("PAYMENT_RESTORED", payment)
            return copy.deepcopy(payment)

    def payment_pay(self, pid: str) -> dict[str, Any]:
        """A PIX payment arrives (sandbox confirm): PENDING/OVERDUE/CONFIRMED -> RECEIVED."""
        with self.lock:
            payment = self._payment(pid)
            if payment["status"] not in ("PENDING", "OVERDUE", "CONFIRMED"):
                raise ApiError(400, "invalid_action", "A cobrança não está pendente.")
            today = self.today().isoformat()
            payment["status"] = "RECEIVED"
            payment["paymentDate"] = today
            payment["clientPaymentDate"] = payment["clientPaymentDate"] or today
            payment["creditDate"] = today
            payment["estimatedCreditDate"] = today
            payment["pixTransaction"] = str(uuid.uuid4())
            payment["transactionReceiptUrl"] = f"{self.public_url}/comprovantes/{pid[4:]}"
            self._emit("PAYMENT_RECEIVED", payment)
            return copy.deepcopy(payment)

    def payment_block(self, pid: str) -> dict[str, Any]:
        """Precautionary block: the payer paid, Asaas holds the money (CONFIRMED)."""
        with self.lock:
            payment = self._payment(pid)
            if payment["status"] not in ("PENDING", "OVERDUE"):
                raise ApiError(400, "invalid_action", "A cobrança não está pendente.")
            payment["status"] = "CONFIRMED"
            payment["clientPaymentDate"] = self.today().isoformat()
            payment["pixTransaction"] = str(uuid.uuid4())
            self._emit("PAYMENT_CONFIRMED", payment)
            return copy.deepcopy(payment)

    def payment_overdue(self, pid: str) -> dict[str, Any]:
        with self.lock:
            payment = self._payment(pid)
            if payment["status"] != "PENDING":
                raise ApiError(400, "invalid_action", "A cobrança não está pendente.")
            payment["status"] = "OVERDUE"
            self._emit("PAYMENT_OVERDUE", payment)
            return copy.deepcopy(payment)

    def payment_refund(self, pid: str, data: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            payment = self._payment(pid)
            if payment["status"] not in ("RECEIVED", "CONFIRMED"):
                raise ApiError(400, "invalid_action", "Só é possível estornar cobranças pagas.")
            total = Decimal(str(payment["value"]))
            already = sum(
                (Decimal(str(r["value"])) for r in payment["refunds"] or []), Decimal("0")
            )
            value = Decimal(str(data.get("value") or (total - already)))
            if value <= 0 or already + value > total:
                raise ApiError(400, "invalid_value", "Valor de estorno inválido.")
            refunds = payment["refunds"] or []
            refunds.append(
                {
                    "dateCreated": self.now().strftime("%Y-%m-%d %H:%M:%S"),
                    "status": "DONE",
                    "value": _money(value),
                    "description": data.get("description"),
                }
            )
            payment["refunds"] = refunds
            if already + value == total:
                payment["status"] = "REFUNDED"
                self._emit("PAYMENT_REFUNDED", payment)
            else:
                self._emit("PAYMENT_PARTIALLY_REFUNDED", payment)
            return copy.deepcopy(payment)

    def payment_receive_in_cash(self, pid: str, data: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            payment = self._payment(pid)
            if payment["status"] not in ("PENDING", "OVERDUE"):
                raise ApiError(400, "invalid_action", "A cobrança não está pendente.")
            payment["status"] = "RECEIVED_IN_CASH"
            payment["paymentDate"] = data.get("paymentDate") or self.today().isoformat()
            # Cash received outside Asaas: no balance credit and no PAYMENT_RECEIVED.
            return copy.deepcopy(payment)

    def payment_undo_cash(self, pid: str) -> dict[str, Any]:
        with self.lock:
            payment = self._payment(pid)
            if payment["status"] != "RECEIVED_IN_CASH":
                raise ApiError(400, "invalid_action", "A cobrança não foi recebida em dinheiro.")
            payment["status"] = "PENDING"
            payment["paymentDate"] = None
            self._emit("PAYMENT_RECEIVED_IN_CASH_UNDONE", payment)
            return copy.deepcopy(payment)

    def _run_overdue_job(self) -> None:
        today = self.today()
        for payment in self.payments.values():
            if (
                payment["status"] == "PENDING"
                and not payment["deleted"]
                and dt.date.fromisoformat(payment["dueDate"]) < today
            ):
                payment["status"] = "OVERDUE"
                self._emit("PAYMENT_OVERDUE", payment)

    # --- webhooks ------------------------------------------------------------------------------
    def webhook_create(self, data: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            for key in ("name", "url", "sendType"):
                if not data.get(key):
                    raise ApiError(400, f"invalid_{key}", f"O campo {key} deve ser informado.")
            wid = str(uuid.uuid4())
            hook = {
                "object": "webhook",
                "id": wid,
                "name": data["name"],
                "url": data["url"],
                "email": data.get("email"),
                "enabled": bool(data.get("enabled", True)),
                "interrupted": False,
                "apiVersion": 3,
                "authToken": data.get("authToken"),
                "sendType": data["sendType"],
                "events": list(data.get("events") or []),
                # Not part of the API: the dispatcher's queue and failure counter.
                "_queue": [],
                "_failures": 0,
            }
            self.webhooks[wid] = hook
            return _public_hook(hook)

    def webhook_update(self, wid: str, data: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            hook = self.webhooks.get(wid)
            if hook is None:
                raise ApiError(404, None, "Not found")
            for key in (
                "name",
                "url",
                "email",
                "enabled",
                "interrupted",
                "authToken",
                "sendType",
                "events",
            ):
                if key in data:
                    hook[key] = data[key]
            if not hook["interrupted"]:
                hook["_failures"] = 0
            self.events_changed.notify_all()
            return _public_hook(hook)

    def webhook_list(self) -> dict[str, Any]:
        with self.lock:
            return _envelope([_public_hook(h) for h in self.webhooks.values()], {})

    def _emit(self, event: str, payment: dict[str, Any]) -> None:
        self._event_seq += 1
        envelope = {
            "id": f"evt_{secrets.token_hex(16)}&{self._event_seq}",
            "event": event,
            "dateCreated": self.now().strftime("%Y-%m-%d %H:%M:%S"),
            "account": {"id": ACCOUNT_ID, "ownerId": None},
            "payment": copy.deepcopy(payment),
        }
        for hook in self.webhooks.values():
            if hook["enabled"] and (not hook["events"] or event in hook["events"]):
                hook["_queue"].append({"envelope": envelope, "attempts": 0, "next_at": 0.0})
        self.events_changed.notify_all()

    def reset(self) -> None:
        with self.lock:
            self.customers.clear()
            self.payments.clear()
            for hook in self.webhooks.values():
                hook["_queue"].clear()
                hook["_failures"] = 0
                hook["interrupted"] = False
            self.fail_next.clear()
            self.duplicates = 1
            self.concurrent_duplicates = False
            self.reorder = False
            self.clock_offset = dt.timedelta()


def _brl(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def _public_hook(hook: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in hook.items() if not k.startswith("_")}


def _envelope(rows: list[dict[str, Any]], params: dict[str, str]) -> dict[str, Any]:
    try:
        offset = max(int(params.get("offset", 0)), 0)
        limit = min(max(int(params.get("limit", 10)), 1), 100)
    except ValueError:
        offset, limit = 0, 10
    page = rows[offset : offset + limit]
    return {
        "object": "list",
        "hasMore": offset + limit < len(rows),
        "totalCount": len(rows),
        "limit": limit,
        "offset": offset,
        "data": copy.deepcopy(page),
    }
