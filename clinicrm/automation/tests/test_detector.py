"""The opt-out detector on real-world Portuguese messages, and the confirm-by-reply reader."""

import pytest

from clinicrm.automation.detector import (
    SYSTEM_OPT_IN,
    SYSTEM_OPT_OUT,
    optout_detect,
    reply_intent,
    text_normalize,
)

CUSTOM = ("nao mande mais", "chega")
OPTOUT = (*SYSTEM_OPT_OUT, *CUSTOM)

# (message, expected): "optout:<keyword>", "optin:<keyword>" or None.
CASES = [
    # Opt-outs: the keyword alone, with punctuation, accents, emoji, capitals.
    ("PARE", "optout:pare"),
    ("PARE!", "optout:pare"),
    ("pare.", "optout:pare"),
    ("Pare!!!", "optout:pare"),
    ("  pare  ", "optout:pare"),
    ("sair", "optout:sair"),
    ("SAIR", "optout:sair"),
    ("Sair 👋", "optout:sair"),
    ("🛑 stop 🛑", "optout:stop"),
    ("STOP", "optout:stop"),
    ("parar", "optout:parar"),
    ("PARAR MENSAGENS", "optout:parar"),
    ("quero sair", "optout:sair"),
    ("Quero sair!", "optout:sair"),
    ("sair por favor", "optout:sair"),
    ("Sair, por favor.", "optout:sair"),
    ("quero sair da lista", "optout:sair"),
    ("por favor pare", "optout:pare"),
    ("pare de mandar mensagem", "optout:pare"),
    ("descadastrar", "optout:descadastrar"),
    ("Me descadastre", "optout:descadastre"),
    ("me descadastre por favor", "optout:descadastre"),
    ("remover", "optout:remover"),
    ("Remover meu número", "optout:remover"),
    ("bloquear", "optout:bloquear"),
    ("Não quero receber", "optout:nao quero receber"),
    ("NÃO QUERO RECEBER MENSAGENS", "optout:nao quero receber"),
    ("nao quero receber mais nada", "optout:nao quero receber"),
    ("não quero receber!!! 😡", "optout:nao quero receber"),
    ("Cancelar inscrição", "optout:cancelar inscricao"),
    ("cancelar inscricao", "optout:cancelar inscricao"),
    ("Parar.", "optout:parar"),
    ("stop please", "optout:stop"),
    ("SAIR SAIR SAIR", "optout:sair"),
    # The tenant's own keywords.
    ("Não mande mais", "optout:nao mande mais"),
    ("chega!", "optout:chega"),
    ("Chega de mensagem", "optout:chega"),
    # Opt-ins.
    ("voltar", "optin:voltar"),
    ("VOLTAR", "optin:voltar"),
    ("Quero voltar a receber", "optin:voltar"),
    ("retornar", "optin:retornar"),
    ("Reativar", "optin:reativar"),
    ("restart", "optin:restart"),
    ("reativar por favor 🙏", "optin:reativar"),
    # Not a request: the keyword inside other words.
    ("parede", None),
    ("Vou comparecer", None),
    ("comparecer", None),
    ("Sairá amanhã o resultado?", None),
    ("stopped", None),
    ("desparar", None),
    ("saír", "optout:sair"),  # an accent typo on the keyword itself still counts
    ("paradinha", None),
    ("removeram meu horário?", None),
    ("bloqueado", None),
    ("voltaremos a falar", None),
    ("Chegamos!", None),
    # Not a request: the keyword in a longer sentence.
    ("vou sair mais cedo do trabalho, posso remarcar?", None),
    ("Não posso parar o tratamento agora, tudo bem?", None),
    ("Preciso sair às 15h, dá pra atender antes?", None),
    ("Minha filha quer parar de tomar o remédio, o que faço?", None),
    ("Quero voltar a fazer terapia na semana que vem", None),
    ("Posso retornar a ligação mais tarde hoje?", None),
    ("Pode remover o horário de quinta e colocar na sexta?", None),
    ("Meu celular vai bloquear mensagens de números desconhecidos, me liga", None),
    ("O ônibus teve que parar no meio do caminho, vou atrasar", None),
    # Ordinary messages.
    ("Bom dia! Tudo bem?", None),
    ("Qual o endereço da clínica?", None),
    ("Obrigada, doutora 😊", None),
    ("1", None),
    ("sim", None),
    ("cancelar", None),  # appointments, not messages (confirm by reply)
    ("Quero cancelar a consulta de amanhã", None),
    ("", None),
    ("!!!", None),
    ("🙂🙂🙂", None),
]


@pytest.mark.parametrize(("message", "expected"), CASES)
def test_optout_detector(message, expected):
    found = optout_detect(message, optout=OPTOUT, optin=SYSTEM_OPT_IN)
    assert (f"{found.kind}:{found.keyword}" if found else None) == expected


def test_the_table_is_big_and_balanced():
    positives = [c for c in CASES if c[1]]
    negatives = [c for c in CASES if not c[1]]
    assert len(CASES) >= 60 and len(positives) >= 30 and len(negatives) >= 25


def test_normal_form():
    assert text_normalize("  Não QUERO  receber!! 🙏 ") == "nao quero receber"
    assert text_normalize("AÇÃO—já; ok?") == "acao ja ok"
    assert text_normalize("\u200bpare\u0000") == "pare"


@pytest.mark.parametrize(
    ("reply", "intent"),
    [
        ("1", "confirm"),
        ("1.", "confirm"),
        ("Sim", "confirm"),
        ("sim!! 👍", "confirm"),
        ("Confirmo", "confirm"),
        ("Sim, confirmo. Obrigada!", "confirm"),
        ("confirmado", "confirm"),
        ("2", "cancel"),
        ("Não", "cancel"),
        ("nao", "cancel"),
        ("cancelar", "cancel"),
        ("Cancelar, por favor", "cancel"),
        ("2 por favor", "cancel"),
        ("não vou", "cancel"),
        # Ambiguous or something else: left for staff.
        ("sim e não", None),
        ("1 ou 2?", None),
        ("Sim, mas posso mudar o horário?", None),
        ("ok", None),
        ("12", None),
        ("talvez", None),
        ("Não sei ainda, te aviso", None),
        ("", None),
    ],
)
def test_reply_intent(reply, intent):
    assert reply_intent(reply) == intent
