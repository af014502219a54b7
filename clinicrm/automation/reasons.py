"""Why an automated message was not sent: codes stored in the logs, pt-BR labels for pages."""

NO_WHATSAPP = "no_whatsapp"
OPTED_OUT = "opted_out"
NO_CHANNEL = "no_channel"
CHANNEL_DISCONNECTED = "channel_disconnected"
NO_TEMPLATE = "no_template"
INSUFFICIENT_CREDITS = "insufficient_credits"
APPOINTMENT_CANCELLED = "appointment_cancelled"
DISABLED = "disabled"
SEND_REFUSED = "send_refused"
# Auto-reply only.
OPEN_NOW = "open_now"
COOLDOWN = "cooldown"
OWN_MESSAGE = "own_message"
NO_MESSAGE = "no_message"

LABELS: dict[str, str] = {
    NO_WHATSAPP: "Paciente sem WhatsApp cadastrado",
    OPTED_OUT: "Pediu para não receber mensagens (LGPD)",
    NO_CHANNEL: "Nenhum canal de WhatsApp ativo",
    CHANNEL_DISCONNECTED: "WhatsApp da clínica desconectado",
    NO_TEMPLATE: "Sem modelo aprovado para enviar fora da janela de 24 h",
    INSUFFICIENT_CREDITS: "Saldo de créditos WhatsApp insuficiente",
    APPOINTMENT_CANCELLED: "Consulta cancelada",
    DISABLED: "Lembrete desligado",
    SEND_REFUSED: "Envio recusado pelo sistema",
    OPEN_NOW: "Dentro do horário de atendimento",
    COOLDOWN: "Já respondida há pouco nesta conversa",
    OWN_MESSAGE: "Mensagem da própria clínica",
    NO_MESSAGE: "Mensagem automática sem texto",
}


def reason_label(code: str) -> str:
    return LABELS.get(code, code)
