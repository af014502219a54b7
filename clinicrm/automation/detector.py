"""What a patient's text asks for: opting out or back in (LGPD), or answering a reminder.

Pure functions, no database: callers pass the tenant's keywords. Texts are compared in one
normal form (`text_normalize`): the search's folding (`core.search.search_normalize`:
lowercase, accents stripped, spaces collapsed) with every character that is not a letter or a
digit (punctuation, emoji, symbols) turned into a space. "PARE!" and "pare." become "pare".

A keyword matches on word boundaries only ("pare" is not in "parede" nor "comparecer"), and
the message is an opt-out only when the keyword stands alone or with at most
MAX_OTHER_WORDS other words ("quero sair", "PARAR MENSAGENS", "sair por favor"): in a longer
sentence ("vou sair mais cedo do trabalho, posso remarcar?") it is ordinary conversation, and a
false opt-out would silence a patient's reminders.
"""

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from clinicrm.core.search import search_normalize

MAX_OTHER_WORDS = 3
MAX_KEYWORD_WORDS = 4
MAX_KEYWORD_LENGTH = 60

# The ten opt-out words every tenant has: not "cancelar", which patients use for
# appointments (confirm by reply).
SYSTEM_OPT_OUT = (
    "sair",
    "parar",
    "pare",
    "descadastrar",
    "descadastre",
    "stop",
    "remover",
    "bloquear",
    "nao quero receber",
    "cancelar inscricao",
)
SYSTEM_OPT_IN = ("voltar", "retornar", "reativar", "restart")

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def text_normalize(text: str) -> str:
    """Lowercase ASCII words separated by single spaces: "  Não QUERO receber!! 🙏" ->
    "nao quero receber"."""
    return _NOT_WORD.sub(" ", search_normalize(text)).strip()


@dataclass(frozen=True)
class KeywordMatcher:
    pattern: re.Pattern[str] | None
    max_words: int  # words of the longest keyword


@functools.lru_cache(maxsize=2048)
def keyword_matcher(keywords: frozenset[str]) -> KeywordMatcher:
    """One compiled alternation per keyword set (cached: a tenant's set rarely changes)."""
    words = sorted({k for k in keywords if k}, key=lambda k: (-len(k), k))
    if not words:
        return KeywordMatcher(pattern=None, max_words=0)
    alternation = "|".join(re.escape(k) for k in words)
    return KeywordMatcher(
        pattern=re.compile(rf"\b(?:{alternation})\b"),
        max_words=max(k.count(" ") + 1 for k in words),
    )


def keyword_find(normalized: str, matcher: KeywordMatcher) -> str | None:
    """The keyword `normalized` (a `text_normalize` result) is about, or None."""
    if matcher.pattern is None or not normalized:
        return None
    words = normalized.count(" ") + 1
    if words > matcher.max_words + MAX_OTHER_WORDS:
        return None  # too long to be a request, whatever it contains (the common case)
    best: str | None = None
    for match in matcher.pattern.finditer(normalized):
        keyword = match.group(0)
        others = words - (keyword.count(" ") + 1)
        if others <= MAX_OTHER_WORDS and (best is None or len(keyword) > len(best)):
            best = keyword
    return best


@dataclass(frozen=True)
class Detection:
    kind: str  # "optout" | "optin"
    keyword: str


def could_be_request(normalized: str) -> bool:
    """False for texts too long to be a request whatever keywords a tenant has: the hook skips
    its keyword query for them."""
    return bool(normalized) and normalized.count(" ") + 1 <= MAX_KEYWORD_WORDS + MAX_OTHER_WORDS


def optout_detect(
    text: str, *, optout: Iterable[str], optin: Iterable[str] = ()
) -> Detection | None:
    """Does `text` ask to stop (kind "optout") or to start again ("optin")? Opt-out wins when
    both appear ("pare, não volte a mandar")."""
    return optout_detect_normalized(text_normalize(text), optout=optout, optin=optin)


def optout_detect_normalized(
    normalized: str, *, optout: Iterable[str], optin: Iterable[str] = ()
) -> Detection | None:
    """`optout_detect` of a text already through `text_normalize`."""
    found = keyword_find(normalized, keyword_matcher(frozenset(optout)))
    if found:
        return Detection("optout", found)
    found = keyword_find(normalized, keyword_matcher(frozenset(optin)))
    if found:
        return Detection("optin", found)
    return None


# --- confirm by reply ---------------------------------------------------------------------------
CONFIRM_WORDS = frozenset({"1", "sim", "confirmo", "confirmado", "confirmada", "confirmar"})
CANCEL_WORDS = frozenset({"2", "nao", "cancelar", "cancelo", "cancela", "cancelado", "cancelada"})
# Words that may ride along without changing the answer ("Sim, obrigada!", "2 por favor").
FILLER_WORDS = frozenset(
    {"ok", "obrigado", "obrigada", "obg", "por", "favor", "pode", "ser", "vou", "eu"}
    | {"bom", "boa", "dia", "tarde", "noite", "ola", "oi", "claro", "com", "certeza", "a"}
    | {"consulta", "sessao", "presenca", "estarei", "la"}
)
MAX_REPLY_WORDS = 8


def reply_intent(text: str) -> str | None:
    """ "confirm", "cancel", or None when the reply is not clearly one of them (left for staff):
    every word must be an answer word or a filler, and the answers must agree."""
    words = text_normalize(text).split()
    if not words or len(words) > MAX_REPLY_WORDS:
        return None
    confirm = cancel = False
    for word in words:
        if word in CONFIRM_WORDS:
            confirm = True
        elif word in CANCEL_WORDS:
            cancel = True
        elif word not in FILLER_WORDS:
            return None
    if confirm == cancel:
        return None
    return "confirm" if confirm else "cancel"
