"""Friendly pt-BR messages for provider errors, keyed by our own codes and provider codes.

Adapters report failures with a code: one of the `ErrorCode` values below, or the provider's
own code (Twilio numbers such as "63016"). `error_friendly` turns either into the sentence a
clinic sees; never show the provider's raw text (it can change and may carry the number).
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    NOT_ON_WHATSAPP = "not_on_whatsapp"
    INVALID_NUMBER = "invalid_number"
    WINDOW_CLOSED = "window_closed"
    DISCONNECTED = "disconnected"
    INSUFFICIENT_CREDITS = "insufficient_credits"
    RATE_LIMITED = "rate_limited"
    PROVIDER_DOWN = "provider_down"
    AUTH_FAILED = "auth_failed"
    SENDER_NOT_CONFIGURED = "sender_not_configured"
    OPTED_OUT = "opted_out"
    MEDIA_REJECTED = "media_rejected"
    MEDIA_TOO_LARGE = "media_too_large"
    UNDELIVERABLE = "undeliverable"
    TEMPLATE_UNSUPPORTED = "template_unsupported"
    UNCONFIRMED = "unconfirmed"
    UNKNOWN = "unknown"


WINDOW_CLOSED_MESSAGE = "A janela de 24 horas do WhatsApp está fechada: envie um modelo aprovado."
INSUFFICIENT_CREDITS_MESSAGE = (
    "Saldo de créditos WhatsApp insuficiente. Compre créditos em Créditos WhatsApp para enviar."
)

FRIENDLY: dict[str, str] = {
    ErrorCode.NOT_ON_WHATSAPP: "Este número não tem WhatsApp.",
    ErrorCode.INVALID_NUMBER: "O número do destinatário é inválido.",
    ErrorCode.WINDOW_CLOSED: WINDOW_CLOSED_MESSAGE,
    ErrorCode.DISCONNECTED: (
        "O WhatsApp da clínica está desconectado. Reconecte o aparelho em Configurações > WhatsApp."
    ),
    ErrorCode.INSUFFICIENT_CREDITS: INSUFFICIENT_CREDITS_MESSAGE,
    ErrorCode.RATE_LIMITED: (
        "Muitas mensagens em pouco tempo. Aguarde alguns minutos e tente novamente."
    ),
    ErrorCode.PROVIDER_DOWN: (
        "O serviço de WhatsApp está indisponível no momento. Tente novamente em alguns minutos."
    ),
    ErrorCode.AUTH_FAILED: (
        "As credenciais do WhatsApp foram recusadas. Revise a configuração do canal."
    ),
    ErrorCode.SENDER_NOT_CONFIGURED: (
        "O número remetente do WhatsApp não está habilitado nesta conta. Revise a configuração."
    ),
    ErrorCode.OPTED_OUT: "Este contato pediu para não receber mensagens.",
    ErrorCode.MEDIA_REJECTED: "O arquivo não foi aceito pelo WhatsApp (formato não suportado).",
    ErrorCode.MEDIA_TOO_LARGE: "O arquivo é grande demais para o WhatsApp.",
    ErrorCode.UNDELIVERABLE: "O WhatsApp não conseguiu entregar a mensagem a este número.",
    ErrorCode.TEMPLATE_UNSUPPORTED: (
        "Modelos aprovados só podem ser enviados pelo WhatsApp Oficial."
    ),
    ErrorCode.UNCONFIRMED: (
        "O provedor não recebeu esta mensagem: ela não foi enviada. O crédito foi devolvido."
    ),
    ErrorCode.UNKNOWN: "Não foi possível enviar a mensagem. Tente novamente.",
}

# Failures a second try may get through (the provider or the phone was briefly unavailable): the
# drawer offers "Tentar novamente" on such a failed text. Not for a number without WhatsApp etc.
RETRY_MAY_HELP = frozenset(
    {
        ErrorCode.DISCONNECTED,
        ErrorCode.RATE_LIMITED,
        ErrorCode.PROVIDER_DOWN,
        ErrorCode.UNCONFIRMED,
        ErrorCode.UNKNOWN,
    }
)

# Twilio error codes (docs/providers/twilio.md §5) -> our codes.
TWILIO_CODES: dict[str, ErrorCode] = {
    "20003": ErrorCode.AUTH_FAILED,
    "20429": ErrorCode.RATE_LIMITED,
    "21211": ErrorCode.INVALID_NUMBER,
    "21408": ErrorCode.INVALID_NUMBER,
    "21610": ErrorCode.OPTED_OUT,
    "21614": ErrorCode.INVALID_NUMBER,
    "63003": ErrorCode.NOT_ON_WHATSAPP,
    "63007": ErrorCode.SENDER_NOT_CONFIGURED,
    "63016": ErrorCode.WINDOW_CLOSED,
    "63017": ErrorCode.RATE_LIMITED,
    "63018": ErrorCode.RATE_LIMITED,
    "63021": ErrorCode.MEDIA_REJECTED,
    "63024": ErrorCode.INVALID_NUMBER,
    "63032": ErrorCode.UNDELIVERABLE,
    "63049": ErrorCode.UNDELIVERABLE,
    "11751": ErrorCode.MEDIA_TOO_LARGE,
    "30003": ErrorCode.UNDELIVERABLE,
    "30005": ErrorCode.UNDELIVERABLE,
    "30006": ErrorCode.UNDELIVERABLE,
    "30007": ErrorCode.UNDELIVERABLE,
    "30008": ErrorCode.UNDELIVERABLE,
}


def error_normalize(code: str | int | None) -> str:
    """Our code for `code` (provider code or ours); unknown codes stay as given."""
    text = str(code or "").strip()
    if not text:
        return ErrorCode.UNKNOWN
    mapped = TWILIO_CODES.get(text)
    return str(mapped) if mapped is not None else text


def error_friendly(code: str | int | None) -> str:
    """The pt-BR sentence for a provider or internal error code."""
    return FRIENDLY.get(error_normalize(code), FRIENDLY[ErrorCode.UNKNOWN])


# Why a media download failed, as the conversation's placeholder says it. Keys are our codes and
# the adapters' download codes (Evolution client codes, Twilio's); transient ones were retried.
_MEDIA_RETRIED = (
    "O serviço de WhatsApp não respondeu (instável ou fora do ar). "
    "Tente novamente em alguns minutos."
)
MEDIA_FRIENDLY: dict[str, str] = {
    "timeout": _MEDIA_RETRIED,
    "unreachable": _MEDIA_RETRIED,
    ErrorCode.PROVIDER_DOWN: _MEDIA_RETRIED,
    ErrorCode.RATE_LIMITED: _MEDIA_RETRIED,
    ErrorCode.DISCONNECTED: FRIENDLY[ErrorCode.DISCONNECTED],
    ErrorCode.AUTH_FAILED: FRIENDLY[ErrorCode.AUTH_FAILED],
    "unauthorized": FRIENDLY[ErrorCode.AUTH_FAILED],
    ErrorCode.MEDIA_TOO_LARGE: "O arquivo passa do tamanho máximo aceito (16 MB; imagens, 5 MB).",
    "media_unavailable": "O arquivo não está mais disponível no WhatsApp.",
    "media_forbidden": "O endereço do arquivo não pertence à conta de WhatsApp configurada.",
}
MEDIA_FRIENDLY_DEFAULT = "Não foi possível baixar o arquivo do WhatsApp."


def media_error_friendly(code: str | int | None) -> str:
    """The pt-BR reason a media download failed, for a provider or internal code."""
    text = str(code or "").strip()
    return MEDIA_FRIENDLY.get(text) or MEDIA_FRIENDLY.get(
        error_normalize(text), MEDIA_FRIENDLY_DEFAULT
    )
