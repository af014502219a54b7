"""Benchmark: opt-out detector throughput on one core (target: at least 50,000 messages/s).

Runs `optout_detect` (normalisation + keyword match + the opt-in check) over a mix of real-world
inbound texts: short requests ("PARE!", "quero sair"), confirm-by-reply answers, ordinary
greetings and long messages with a keyword inside (the common case a clinic receives). The
tenant's keywords are the ten system ones plus three custom ones. One process, so the figure
is per core: messages per CPU second of the process (what one core gives, also on a busy shared
machine), beside messages per wall-clock second. Also reports the mix's decisions, so a broken
detector cannot look fast.

    .venv/bin/python -m bench.optout_detector [--messages 300000] [--rounds 3]
"""

import argparse
import random
import statistics
import time

from clinicrm.automation.detector import SYSTEM_OPT_IN, SYSTEM_OPT_OUT, optout_detect

CUSTOM = ("nao mande mais", "chega", "me tira da lista")
OPTOUT = (*SYSTEM_OPT_OUT, *CUSTOM)

SHORT = [
    "PARE",
    "pare.",
    "Quero sair!",
    "sair por favor",
    "NÃO QUERO RECEBER MENSAGENS",
    "🛑 stop 🛑",
    "voltar",
    "Reativar por favor 🙏",
    "1",
    "Sim, confirmo. Obrigada!",
    "2",
    "Não",
    "ok",
    "Obrigada, doutora 😊",
    "Bom dia! Tudo bem?",
    "Qual o endereço da clínica?",
    "parede",
    "Vou comparecer",
]
LONG = [
    "vou sair mais cedo do trabalho, posso remarcar para as 17h?",
    "Não posso parar o tratamento agora, tudo bem se eu for na quinta?",
    "Bom dia, doutora! Queria saber se tem horário na semana que vem para minha filha, ela "
    "está precisando muito voltar às sessões.",
    "Oi, tudo bem? Recebi o lembrete, mas o ônibus teve que parar no meio do caminho e vou "
    "atrasar uns 15 minutos, pode ser?",
    "Pode remover o horário de quinta e colocar na sexta de manhã, por favor? Obrigado!",
    "Boa tarde. Gostaria de saber o valor da consulta particular e se vocês aceitam convênio.",
    "Meu celular vai bloquear mensagens de números desconhecidos, me liga no fixo se precisar",
    "Olá! Quero agendar uma avaliação com a fonoaudióloga para o meu filho de 4 anos 👶",
]


def corpus(size: int, seed: int = 7) -> list[str]:
    """Roughly what a clinic receives: 60 % long messages, 40 % short ones."""
    rng = random.Random(seed)
    return [rng.choice(LONG) if rng.random() < 0.6 else rng.choice(SHORT) for _ in range(size)]


def run(messages: list[str]) -> tuple[float, float, dict[str, int]]:
    """Wall and CPU seconds of one pass (CPU time is what a core gives on a shared machine)."""
    kinds = {"optout": 0, "optin": 0, "none": 0}
    start, cpu = time.perf_counter(), time.process_time()
    for text in messages:
        found = optout_detect(text, optout=OPTOUT, optin=SYSTEM_OPT_IN)
        kinds[found.kind if found else "none"] += 1
    return time.perf_counter() - start, time.process_time() - cpu, kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    messages = corpus(args.messages)
    run(messages[:1000])  # warm the keyword cache
    wall, cpu = [], []
    kinds: dict[str, int] = {}
    for _ in range(args.rounds):
        elapsed, used, kinds = run(messages)
        wall.append(len(messages) / elapsed)
        cpu.append(len(messages) / used)
    print(f"messages per round: {len(messages):,}  decisions: {kinds}")
    for name, rates in (("CPU time", cpu), ("wall time", wall)):
        print(
            f"messages/s per core by {name}: median {statistics.median(rates):,.0f}  "
            f"best {max(rates):,.0f}  worst {min(rates):,.0f}  (target >= 50,000)"
        )


if __name__ == "__main__":
    main()
