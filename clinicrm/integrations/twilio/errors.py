"""`TwilioError`: every failure of a Twilio call, classified and translated
(docs/providers/twilio.md §5).

`code` is Twilio's numeric code as text ("21211", "63016", "20003", ...) or one of our transport
codes ("timeout", "unreachable", "provider_down", "bad_response", "media_*"). `outcome` says
whether a create provably did not happen ("failed": any 4xx, since Twilio creates and bills
nothing then; a connection that never opened) or may have happened ("unknown": read timeout,
5xx, a dropped connection or an unreadable answer after the request was written), which decides
refunds upstream. `message_pt_br` is safe to show; Twilio's own text is never kept (it changes
and may echo the phone number).
"""

from typing import Any

import requests
from twilio.base.exceptions import TwilioRestException, TwilioServiceException

from clinicrm.messaging.errors import TWILIO_CODES, error_friendly

OUTCOME_FAILED = "failed"
OUTCOME_UNKNOWN = "unknown"

# Our transport-level codes -> pt-BR (Twilio codes go through messaging.errors).
TRANSPORT_MESSAGES_PT_BR = {
    "timeout": ("A Twilio não respondeu a tempo. O envio será confirmado quando houver retorno."),
    "unreachable": "Não foi possível conectar à Twilio. Tente novamente em alguns minutos.",
    "provider_down": (
        "O serviço de WhatsApp da Twilio está indisponível no momento. Tente novamente em "
        "alguns minutos."
    ),
    "bad_response": "A Twilio respondeu algo inesperado. O envio será confirmado depois.",
    "not_found": "O recurso não foi encontrado na Twilio.",
    "media_too_large": "O arquivo é grande demais para o WhatsApp.",
    "media_unavailable": "Não foi possível baixar a mídia desta mensagem.",
    "media_forbidden": "Endereço de mídia não pertence a esta conta Twilio.",
    "bad_request": "A Twilio recusou a requisição. Revise os dados e tente novamente.",
}


class TwilioError(Exception):
    def __init__(
        self,
        code: str | int,
        *,
        status: int | None = None,
        outcome: str = OUTCOME_FAILED,
        retry_after: float | None = None,
    ) -> None:
        self.code = str(code)
        self.status = status
        self.outcome = outcome
        self.retry_after = retry_after
        super().__init__(f"twilio {self.code} (HTTP {status}, {outcome})")

    @property
    def provable(self) -> bool:
        """True when the request provably had no effect (safe to mark failed and refund)."""
        return self.outcome == OUTCOME_FAILED

    @property
    def message_pt_br(self) -> str:
        if self.code in TRANSPORT_MESSAGES_PT_BR:
            return TRANSPORT_MESSAGES_PT_BR[self.code]
        if self.code in TWILIO_CODES:
            return error_friendly(self.code)
        if self.status == 401:
            return error_friendly("20003")
        if self.status == 429:
            return error_friendly("20429")
        if self.status is not None and self.status >= 500:
            return TRANSPORT_MESSAGES_PT_BR["provider_down"]
        if self.status == 404:
            return TRANSPORT_MESSAGES_PT_BR["not_found"]
        return TRANSPORT_MESSAGES_PT_BR["bad_request"]

    def __str__(self) -> str:
        return self.message_pt_br


def error_from_sdk(exc: TwilioRestException | TwilioServiceException) -> TwilioError:
    status = int(getattr(exc, "status", 0) or 0) or None
    code: Any = getattr(exc, "code", None) or status or "bad_request"
    if status is not None and status >= 500:
        # The request reached Twilio; whether a message was created is unknown.
        return TwilioError(code, status=status, outcome=OUTCOME_UNKNOWN)
    return TwilioError(code, status=status, outcome=OUTCOME_FAILED)


def _never_connected(exc: BaseException) -> bool:
    """True when the TCP connection was never established (nothing reached Twilio)."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        name = type(cur).__name__
        if name in {"NewConnectionError", "NameResolutionError", "ConnectTimeoutError"}:
            return True
        if isinstance(cur, ConnectionRefusedError):
            return True
        reason = getattr(cur, "reason", None)
        if isinstance(reason, BaseException) and id(reason) not in seen:
            cur = reason
            continue
        args = getattr(cur, "args", ())
        nxt = next((a for a in args if isinstance(a, BaseException)), None)
        cur = nxt or cur.__cause__ or cur.__context__
    return False


def error_from_transport(exc: requests.RequestException) -> TwilioError:
    if isinstance(exc, requests.ConnectTimeout) or (
        isinstance(exc, requests.ConnectionError) and _never_connected(exc)
    ):
        return TwilioError("unreachable", outcome=OUTCOME_FAILED)
    if isinstance(exc, requests.Timeout):
        return TwilioError("timeout", outcome=OUTCOME_UNKNOWN)
    return TwilioError("provider_down", outcome=OUTCOME_UNKNOWN)
