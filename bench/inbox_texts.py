"""Realistic pt-BR WhatsApp texts between a therapy clinic and its patients, for the inbox data
generator: a pool of distinct messages built from parts (greeting, subject, detail, closing),
with accents, names of patients and professionals, times and weekdays, the way they are typed
(sometimes without accents, sometimes in capitals, with emojis and abbreviations).
"""

import random
from collections.abc import Sequence

GREETINGS_IN = (
    "Oi",
    "Olá",
    "Bom dia",
    "Boa tarde",
    "Boa noite",
    "Oi, tudo bem?",
    "Olá, boa tarde!",
    "Bom diaa",
    "Oie",
    "Boa tarde, tudo bem?",
    "Olá! Tudo certo?",
    "Ei",
)
SUBJECTS_IN = (
    "queria remarcar minha sessão de {weekday}",
    "preciso desmarcar a consulta de {weekday} às {hour}",
    "confirmo a sessão de amanhã às {hour}",
    "vou me atrasar uns 15 minutos hoje",
    "{professional} atende no sábado?",
    "gostaria de saber o valor da avaliação",
    "vocês aceitam o convênio Unimed?",
    "consigo um horário com {professional} na {weekday}?",
    "meu filho {first} tem sessão de fono {weekday}, posso levar a irmã junto?",
    "posso pagar por PIX?",
    "já fiz o PIX da mensalidade, segue o comprovante",
    "preciso da nota fiscal das sessões de {month}",
    "vocês emitem recibo para reembolso do plano?",
    "a sessão de hoje vai ser online ou presencial?",
    "não vou conseguir ir {weekday}, estou gripado",
    "qual o endereço da clínica mesmo?",
    "tem estacionamento aí perto?",
    "o link da chamada não está abrindo",
    "gostaria de agendar uma primeira consulta de psicologia",
    "a terapia ocupacional do {first} pode ser às {hour}?",
    "obrigada pela sessão de hoje, me ajudou muito",
    "{professional} pediu para eu trazer os exames, posso mandar por aqui?",
    "segue o laudo do neuropediatra",
    "queria conversar sobre a evolução do {first} na fonoaudiologia",
    "estou sem crédito no celular, podem me ligar?",
    "minha avó {first} vai passar a fazer fisioterapia com vocês",
)
CLOSINGS_IN = (
    "",
    "",
    "",
    "Obrigado!",
    "Obrigada!",
    "Aguardo retorno",
    "Abraços",
    "Valeu",
    "🙏",
    "Desde já agradeço",
    "Obg",
    "😊",
    "Fico no aguardo, obrigada",
)
GREETINGS_OUT = (
    "Olá, {first}!",
    "Oi, {first}, tudo bem?",
    "Bom dia, {first}!",
    "Boa tarde, {first}!",
    "Olá!",
    "Oi!",
    "Boa noite, {first}.",
)
SUBJECTS_OUT = (
    "Lembrando da sua sessão {weekday} às {hour} com {professional}. Confirma presença?",
    "sua consulta foi remarcada para {weekday} às {hour}",
    "{professional} confirmou o horário de {weekday} às {hour}",
    "recebemos o seu PIX, obrigado!",
    "o valor da avaliação é R$ {price},00",
    "aceitamos Unimed, Bradesco Saúde e SulAmérica; para os demais emitimos recibo para reembolso",
    "a sessão de hoje será online, o link chega 10 minutos antes",
    "nosso endereço é Rua Conceição, 145, sala 3, ao lado da farmácia São João",
    "temos horário com {professional} na {weekday} às {hour}, posso reservar?",
    "a nota fiscal de {month} já foi enviada para o seu e-mail",
    "melhoras! Vamos reagendar assim que você estiver bem",
    "pode mandar os exames por aqui mesmo, {professional} vai avaliar",
    "a clínica estará fechada no feriado de {holiday}",
    "a sessão de avaliação dura cerca de 50 minutos",
    "não tem problema, aguardamos você",
    "o recibo segue em anexo",
    "{professional} vai ligar para conversar sobre a evolução do {first}",
)
CLOSINGS_OUT = (
    "",
    "Qualquer dúvida estamos à disposição.",
    "Abraços, equipe da clínica.",
    "Até lá!",
    "Obrigado!",
    "Responda SIM para confirmar ou NÃO para cancelar.",
)
WEEKDAYS = ("segunda", "terça", "quarta", "quinta", "sexta", "sábado", "segunda-feira")
MONTHS = ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto",
          "setembro", "outubro", "novembro", "dezembro")  # fmt: skip
HOLIDAYS = ("Corpus Christi", "Tiradentes", "Finados", "Nossa Senhora Aparecida", "Carnaval")
PROFESSIONALS = (
    "Dra. Helena", "Dra. Conceição", "Dr. Ígor", "Dra. Lúcia", "Dr. João Paulo", "Dra. Mônica",
    "Dr. Sérgio", "Dra. Fátima", "Dra. Patrícia", "Dr. Antônio",
)  # fmt: skip
_STRIP = str.maketrans("áàâãéêíóôõúçÁÀÂÃÉÊÍÓÔÕÚÇ", "aaaaeeiooouc" + "AAAAEEIOOOUC")


def _typed(text: str, rng: random.Random) -> str:
    """How people type: sometimes no accents, sometimes all lowercase or shouting."""
    roll = rng.random()
    if roll < 0.15:
        return text.translate(_STRIP)
    if roll < 0.25:
        return text.lower()
    if roll < 0.27:
        return text.upper()
    return text


def _fill(template: str, rng: random.Random, first_names: Sequence[str]) -> str:
    return template.format(
        weekday=rng.choice(WEEKDAYS),
        hour=f"{rng.randint(7, 20)}h{rng.choice(('', '', '30', '15', '45'))}",
        professional=rng.choice(PROFESSIONALS),
        first=rng.choice(first_names),
        month=rng.choice(MONTHS),
        holiday=rng.choice(HOLIDAYS),
        price=rng.choice((150, 180, 200, 220, 250, 300)),
    )


def _join(greeting: str, subject: str, closing: str) -> str:
    if greeting and not greeting.endswith(("!", "?", ".")):
        text = f"{greeting}, {subject}"
    else:
        text = f"{greeting} {subject[0].upper()}{subject[1:]}".strip()
    if not text.endswith(("?", "!", ".")):
        text += "."
    return f"{text} {closing}".strip()


def message_text(rng: random.Random, *, inbound: bool, first_names: Sequence[str]) -> str:
    parts: tuple[tuple[str, ...], ...] = (
        (GREETINGS_IN, SUBJECTS_IN, CLOSINGS_IN)
        if inbound
        else (GREETINGS_OUT, SUBJECTS_OUT, CLOSINGS_OUT)
    )
    greeting = _fill(rng.choice(parts[0]), rng, first_names) if rng.random() < 0.7 else ""
    subject = _fill(rng.choice(parts[1]), rng, first_names)
    if rng.random() < 0.2:  # two subjects in one message
        subject = subject.rstrip("!.?") + ", e " + _fill(rng.choice(parts[1]), rng, first_names)
    text = _join(greeting, subject, rng.choice(parts[2]))
    if inbound and rng.random() < 0.12:  # short replies
        text = rng.choice(("Sim", "SIM", "Confirmo", "ok", "Ok, obrigada", "Não vou poder",
                           "👍", "Combinado!", "Pode ser", "Certo", "kkkk obrigado"))  # fmt: skip
    return _typed(text, rng) if inbound else text


def text_pool(
    rng: random.Random, *, size: int, inbound: bool, first_names: Sequence[str]
) -> list[str]:
    """`size` messages (most distinct) of one direction."""
    return [message_text(rng, inbound=inbound, first_names=first_names) for _ in range(size)]
