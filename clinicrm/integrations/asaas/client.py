"""Thin httpx client for the Asaas v3 endpoints the credit purchase needs.

Every failure becomes an `AsaasError` carrying a friendly pt-BR `message` for the UI, the
Asaas `code` when there is one, and the HTTP status. Nothing here logs request bodies: they
carry CPF/CNPJ. Base URL and key come from settings, so tests and the demo use the fake server.
"""

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

import httpx
from django.conf import settings

from clinicrm.credits.gateway import MSG_BELOW_MINIMUM, GatewayError
from clinicrm.integrations.asaas import constants as c

logger = logging.getLogger(__name__)

MSG_INVALID_DOCUMENT = "O CPF/CNPJ informado foi recusado pelo Asaas. Confira os números."
MSG_MISSING_DOCUMENT = "Para gerar a cobrança PIX precisamos do CPF/CNPJ da clínica."
MSG_RATE_LIMIT = (
    "O provedor de pagamentos recebeu muitas solicitações. Tente novamente em alguns minutos."
)
MSG_OUTAGE = "O provedor de pagamentos está indisponível no momento. Tente novamente em instantes."
MSG_AUTH = "Não foi possível autenticar no provedor de pagamentos. Avise o suporte."
MSG_NOT_FOUND = "Cobrança não encontrada no provedor de pagamentos."
MSG_CONFIG = "Pagamentos por PIX não estão configurados. Avise o suporte."
MSG_GENERIC = "O provedor de pagamentos recusou a operação."


class AsaasError(GatewayError):
    """An Asaas call failed. `message` is pt-BR and safe to show to the user."""

    def __init__(
        self, message: str, *, code: str = "", status: int | None = None, description: str = ""
    ) -> None:
        field = "cpf_cnpj" if message in (MSG_INVALID_DOCUMENT, MSG_MISSING_DOCUMENT) else None
        super().__init__(message, code=code, status=status, field=field)
        self.description = description


def friendly_error(status: int, body: Any) -> AsaasError:
    """Map an Asaas error response (envelope `{"errors":[{code, description}]}`) to AsaasError."""
    code, description = "", ""
    if isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"]:
        first = body["errors"][0] if isinstance(body["errors"][0], dict) else {}
        code = str(first.get("code") or "")
        description = str(first.get("description") or "")
    low = description.lower()
    if status == 429:
        message = MSG_RATE_LIMIT
    elif status >= 500:
        message = MSG_OUTAGE
    elif status in (401, 403):
        message = MSG_AUTH
    elif status == 404:
        message = MSG_NOT_FOUND
    elif code == "invalid_customer.cpfCnpj" or "preencher o cpf ou cnpj" in low:
        message = MSG_MISSING_DOCUMENT
    elif code in ("invalid_cpfCnpj",) or "cpf/cnpj informado é inválido" in low:
        message = MSG_INVALID_DOCUMENT
    elif "não pode ser menor que" in low or (code == "invalid_value" and "menor" in low):
        message = MSG_BELOW_MINIMUM
    elif description:
        message = f"{MSG_GENERIC} {description}"
    else:
        message = MSG_GENERIC
    return AsaasError(message, code=code, status=status, description=description)


def base_url_from_settings() -> str:
    explicit = (getattr(settings, "ASAAS_BASE_URL", "") or "").rstrip("/")
    if explicit:
        return explicit
    env = getattr(settings, "ASAAS_ENVIRONMENT", "sandbox") or "sandbox"
    return c.BASE_URLS.get(env, c.BASE_URLS["sandbox"])


class AsaasClient:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout: float = c.TIMEOUT_SECONDS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not api_key:
            raise AsaasError(MSG_CONFIG, code="config")
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport,
            headers={
                "access_token": api_key,
                "User-Agent": c.USER_AGENT,
                "Accept": "application/json",
            },
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "AsaasClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport ---------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        try:
            # Never a body on GET: Asaas answers 403 through CloudFront.
            response = self._http.request(method, path, json=json, params=params)
        except httpx.TimeoutException as exc:
            logger.warning("asaas %s %s timed out", method, path.split("?")[0])
            raise AsaasError(MSG_OUTAGE, code="timeout") from exc
        except httpx.HTTPError as exc:
            logger.warning("asaas %s unreachable: %s", method, type(exc).__name__)
            raise AsaasError(MSG_OUTAGE, code="unreachable") from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200:
            error = friendly_error(response.status_code, body)
            logger.warning(
                "asaas %s answered %s code=%s", method, response.status_code, error.code or "-"
            )
            raise error
        if not isinstance(body, dict):
            raise AsaasError(MSG_OUTAGE, code="bad_body", status=response.status_code)
        return body

    # --- customers ---------------------------------------------------------------------------
    def customer_list(self, **filters: str) -> list[dict[str, Any]]:
        body = self._request("GET", "/customers", params={**filters, "limit": 10})
        data = body.get("data") or []
        return [d for d in data if isinstance(d, dict) and not d.get("deleted")]

    def customer_create(
        self, *, name: str, cpf_cnpj: str, external_reference: str
    ) -> dict[str, Any]:
        result: dict[str, Any] = self._request(
            "POST",
            "/customers",
            json={
                "name": name,
                "cpfCnpj": cpf_cnpj,
                "externalReference": external_reference,
                # Sandbox sends real e-mails/SMS; the clinic sees the QR in the CRM anyway.
                "notificationDisabled": True,
            },
        )
        return result

    def customer_update(self, *, customer_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._request("PUT", f"/customers/{customer_id}", json=fields)
        return result

    def customer_get_or_create(
        self, *, name: str, cpf_cnpj: str, external_reference: str
    ) -> dict[str, Any]:
        """Asaas allows duplicate customers: look up by our reference, then by document."""
        found = self.customer_list(externalReference=external_reference)
        if not found:
            found = self.customer_list(cpfCnpj=cpf_cnpj)
        if not found:
            return self.customer_create(
                name=name, cpf_cnpj=cpf_cnpj, external_reference=external_reference
            )
        customer = found[0]
        if (customer.get("cpfCnpj") or "") != cpf_cnpj:
            # Legacy customers without a document cannot be charged by PIX (cobv needs it).
            customer = self.customer_update(
                customer_id=str(customer["id"]), fields={"cpfCnpj": cpf_cnpj}
            )
        return customer

    # --- payments ----------------------------------------------------------------------------
    def payment_create_pix(
        self,
        *,
        customer_id: str,
        value: Decimal,
        due_date: dt.date,
        external_reference: str,
        description: str,
    ) -> dict[str, Any]:
        result: dict[str, Any] = self._request(
            "POST",
            "/payments",
            json={
                "customer": customer_id,
                "billingType": "PIX",
                "value": float(value),
                "dueDate": due_date.isoformat(),
                "externalReference": external_reference,
                "description": description[:500],
            },
        )
        return result

    def payment_pix_qr(self, *, payment_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._request("GET", f"/payments/{payment_id}/pixQrCode")
        return result

    def payment_get(self, *, payment_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._request("GET", f"/payments/{payment_id}")
        return result


def asaas_client_from_settings() -> AsaasClient:
    return AsaasClient(
        base_url=base_url_from_settings(), api_key=getattr(settings, "ASAAS_API_KEY", "") or ""
    )
