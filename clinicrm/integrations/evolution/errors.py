"""`EvolutionError`: every failure of an Evolution call, classified and translated.

The server answers errors in several shapes (docs/providers/evolution.md §1, §5): the envelope
`{"status","error","response":{"message": str | list | list[list]}}`, the bare exception object of
`whatsappNumbers` (`{"status","error","message"}` or `{}`), `connect`'s HTTP 200
`{"error": true, "message"}`, and 2.4.0's `LICENSE_REQUIRED` 503. `error_from_response` reads all of
them. `outcome` says whether a send provably did not happen ("failed") or may have happened
("unknown": timeouts and 5xx once the request reached the server), which decides refunds upstream.
"""

import json
from typing import Any

import httpx

OUTCOME_FAILED = "failed"
OUTCOME_UNKNOWN = "unknown"

# code -> friendly pt-BR message (never echoes personal data or the raw provider text).
MESSAGES_PT_BR = {
    "not_on_whatsapp": "Este número não tem WhatsApp.",
    "unauthorized": "A chave de API da Evolution foi recusada. Verifique a configuração do canal.",
    "instance_not_found": "A instância do WhatsApp não existe no servidor Evolution.",
    "name_taken": "Já existe uma instância com esse nome no servidor Evolution.",
    "disconnected": "O WhatsApp está desconectado. Reconecte lendo o QR code.",
    "validation": "A Evolution recusou os dados enviados. Revise a mensagem e tente de novo.",
    "media_unavailable": "Não foi possível baixar a mídia desta mensagem.",
    "rate_limited": "Muitas mensagens em pouco tempo. Aguarde um instante e tente de novo.",
    "license_required": "O servidor Evolution precisa ser ativado (licença) antes do uso.",
    "timeout": "O servidor Evolution não respondeu a tempo. O envio será confirmado "
    "quando houver retorno.",
    "provider_down": "O servidor Evolution está indisponível no momento. Tente novamente "
    "em instantes.",
    "unreachable": "Não foi possível conectar ao servidor Evolution. Verifique o endereço "
    "configurado.",
    "already_closed": "A instância já está desconectada.",
    "bad_request": "A Evolution recusou a requisição.",
    "bad_response": "O servidor Evolution respondeu algo inesperado.",
}


class EvolutionError(Exception):
    """A failed Evolution call. `message_pt_br` is safe to show; `detail` is for ids and logs
    of the provider's own words (it may contain a JID, so never log it at info level)."""

    def __init__(
        self,
        code: str,
        *,
        status: int | None = None,
        outcome: str = OUTCOME_FAILED,
        detail: str = "",
        payload: Any = None,
    ) -> None:
        self.code = code
        self.status = status
        self.outcome = outcome
        self.detail = detail
        self.payload = payload
        self.message_pt_br = MESSAGES_PT_BR.get(code, MESSAGES_PT_BR["bad_request"])
        super().__init__(f"evolution {code} (HTTP {status})")

    @property
    def provable(self) -> bool:
        """True when the request provably had no effect (safe to refund / mark failed)."""
        return self.outcome == OUTCOME_FAILED

    def __str__(self) -> str:
        return self.message_pt_br


def flatten_messages(value: Any) -> list[Any]:
    """`"x"`, `["x"]`, `[["x"]]`, `[{...}]` -> a flat list of strings / dicts."""
    if value is None:
        return []
    if isinstance(value, list):
        out: list[Any] = []
        for item in value:
            out.extend(flatten_messages(item))
        return out
    if isinstance(value, dict):
        return [value]
    return [str(value)]


def _body(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content) if response.content else None
    except ValueError:
        return None


def error_from_response(response: httpx.Response, *, is_send: bool = False) -> EvolutionError:
    status = response.status_code
    body = _body(response)
    raw: Any = None
    if isinstance(body, dict):
        inner = body.get("response")
        raw = inner.get("message") if isinstance(inner, dict) else body.get("message")
    messages = flatten_messages(raw)
    texts = [m for m in messages if isinstance(m, str)]
    detail = "; ".join(texts)[:500]
    lowered = detail.lower()

    def err(code: str, outcome: str = OUTCOME_FAILED) -> EvolutionError:
        return EvolutionError(code, status=status, outcome=outcome, detail=detail, payload=body)

    if any(isinstance(m, dict) and m.get("exists") is False for m in messages):
        return err("not_on_whatsapp")
    if isinstance(body, dict) and body.get("code") == "LICENSE_REQUIRED":
        return err("license_required")
    if status == 401:
        return err("unauthorized")
    if status == 404:
        if "instance does not exist" in lowered:
            return err("instance_not_found")
        return err("bad_request")
    if status == 403 and "already in use" in lowered:
        return err("name_taken")
    if status == 429:
        return err("rate_limited")
    if status >= 500:
        # The request reached the server: for a send, WhatsApp may or may not have it.
        if "connection closed" in lowered or "cannot read properties" in lowered:
            # The socket is down (or the instance not loaded): the server fails in its
            # whatsappNumber pre-check, before anything reaches WhatsApp (§2.2).
            return err("disconnected")
        return err("provider_down", OUTCOME_UNKNOWN if is_send else OUTCOME_FAILED)
    if status == 400:
        if "message not found" in lowered or "not of the media type" in lowered:
            return err("media_unavailable")
        if "connection closed" in lowered:
            return err("disconnected")
        if any(isinstance(m, list) for m in (raw if isinstance(raw, list) else [])):
            return err("validation")
        if "required" in lowered or "must be" in lowered or "informed" in lowered:
            return err("validation")
        return err("bad_request")
    return err("bad_request")


def error_from_transport(exc: httpx.HTTPError, *, is_send: bool = False) -> EvolutionError:
    """Connect failures never reached the server (provable); timeouts after the request was
    written may have (unknown for sends)."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return EvolutionError("unreachable", outcome=OUTCOME_FAILED, detail=type(exc).__name__)
    if isinstance(exc, httpx.TimeoutException):
        outcome = OUTCOME_UNKNOWN if is_send else OUTCOME_FAILED
        return EvolutionError("timeout", outcome=outcome, detail=type(exc).__name__)
    outcome = OUTCOME_UNKNOWN if is_send else OUTCOME_FAILED
    return EvolutionError("provider_down", outcome=outcome, detail=type(exc).__name__)
