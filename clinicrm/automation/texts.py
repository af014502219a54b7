"""Message texts the clinic writes with variables in braces: "Olá, {paciente}!".

`text_check` validates a text against the variables its use allows (pt-BR errors: an unknown
variable, a brace left open, an empty text); `text_render` fills them in.
"""

import re
from collections.abc import Mapping

from clinicrm.core.errors import ApplicationError

MAX_TEXT_LENGTH = 1000
_VARIABLE = re.compile(r"\{([^{}]*)\}")

# Variable -> what it means (shown on the settings pages).
REMINDER_VARIABLES: dict[str, str] = {
    "paciente": "primeiro nome do paciente",
    "profissional": "nome do profissional",
    "data": "data da consulta (dd/mm)",
    "hora": "horário da consulta (hh:mm)",
    "clinica": "nome da clínica",
}
AUTOREPLY_VARIABLES: dict[str, str] = {
    "clinica": "nome da clínica",
    "proxima_abertura": "próximo horário de atendimento",
}


def _allowed_list(allowed: Mapping[str, str]) -> str:
    return ", ".join("{" + name + "}" for name in allowed)


def text_check(*, text: str, allowed: Mapping[str, str], field: str) -> str:
    """The text, stripped, if every variable in it is allowed; raises ApplicationError."""
    text = (text or "").strip()
    if not text:
        raise ApplicationError("Escreva o texto da mensagem.", field=field)
    if len(text) > MAX_TEXT_LENGTH:
        raise ApplicationError(
            f"O texto pode ter no máximo {MAX_TEXT_LENGTH} caracteres.", field=field
        )
    for match in _VARIABLE.finditer(text):
        name = match.group(1).strip()
        if name not in allowed:
            raise ApplicationError(
                f"Variável desconhecida: {{{match.group(1)}}}. Use: {_allowed_list(allowed)}.",
                field=field,
            )
    leftover = _VARIABLE.sub("", text)
    if "{" in leftover or "}" in leftover:
        raise ApplicationError(
            f"Chave sem par no texto. As variáveis são escritas assim: {_allowed_list(allowed)}.",
            field=field,
        )
    return text


def text_render(text: str, values: Mapping[str, str]) -> str:
    """`text` with each {variable} replaced (unknown ones are left as typed)."""
    return _VARIABLE.sub(lambda m: values.get(m.group(1).strip(), m.group(0)), text)


# Fixed texts of the automatic answers ({clinica} is the clinic's name).
OPTOUT_ACK_TEXT = (
    "Pronto: você não receberá mais mensagens automáticas de {clinica} por aqui. "
    "Para voltar a receber lembretes, responda VOLTAR."
)
OPTIN_ACK_TEXT = "Tudo certo: você voltará a receber lembretes e avisos de {clinica} por aqui."
CONFIRMED_TEXT = (
    "Obrigado! Sua consulta de {data} às {hora} com {profissional} está confirmada. Até lá!"
)
CANCELLED_TEXT = (
    "Sua consulta de {data} às {hora} com {profissional} foi cancelada. "
    "Se quiser remarcar, é só responder esta mensagem."
)
