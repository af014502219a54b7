"""Opt-out and opt-in keywords: the system ones every tenant has, plus the clinic's own."""

from typing import Any

from django.db import IntegrityError, transaction

from clinicrm.automation.detector import (
    MAX_KEYWORD_LENGTH,
    MAX_KEYWORD_WORDS,
    SYSTEM_OPT_IN,
    SYSTEM_OPT_OUT,
    text_normalize,
)
from clinicrm.automation.models import KeywordKind, OptOutKeyword
from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant
from clinicrm.core.services import audit_log_record

SYSTEM_KEYWORDS = tuple((KeywordKind.OPT_OUT, k) for k in SYSTEM_OPT_OUT) + tuple(
    (KeywordKind.OPT_IN, k) for k in SYSTEM_OPT_IN
)


def optout_keywords_ensure(*, tenant: Tenant) -> None:
    """Give `tenant` the system keywords it lacks (tenants created after migration 0004)."""
    if OptOutKeyword.objects.filter(tenant=tenant, is_system=True).count() >= len(SYSTEM_KEYWORDS):
        return
    OptOutKeyword.objects.bulk_create(
        [
            OptOutKeyword(tenant=tenant, kind=kind, keyword=keyword, is_system=True)
            for kind, keyword in SYSTEM_KEYWORDS
        ],
        ignore_conflicts=True,
    )


def optout_keywords_of(*, tenant: Tenant) -> tuple[frozenset[str], frozenset[str]]:
    """(opt-out words, opt-in words) of `tenant`, system ones included."""
    optout, optin = set(SYSTEM_OPT_OUT), set(SYSTEM_OPT_IN)
    for kind, keyword in OptOutKeyword.objects.filter(tenant=tenant, is_system=False).values_list(
        "kind", "keyword"
    ):
        (optout if kind == KeywordKind.OPT_OUT else optin).add(keyword)
    return frozenset(optout), frozenset(optin)


def optout_keyword_add(
    *, tenant: Tenant, actor: Any, keyword: str, kind: str, ip: str | None = None
) -> OptOutKeyword:
    if kind not in KeywordKind.values:
        raise ApplicationError("Escolha o tipo da palavra-chave.", field="kind")
    normalized = text_normalize((keyword or "")[: MAX_KEYWORD_LENGTH * 4])
    if not normalized:
        raise ApplicationError(
            "Digite uma palavra com letras ou números (pontuação e emojis são ignorados).",
            field="keyword",
        )
    if len(normalized) > MAX_KEYWORD_LENGTH:
        raise ApplicationError(
            f"A palavra-chave pode ter no máximo {MAX_KEYWORD_LENGTH} caracteres.",
            field="keyword",
        )
    if normalized.count(" ") + 1 > MAX_KEYWORD_WORDS:
        raise ApplicationError(
            f"Use no máximo {MAX_KEYWORD_WORDS} palavras: frases longas não são pedidos de saída.",
            field="keyword",
        )
    optout_keywords_ensure(tenant=tenant)
    try:
        with transaction.atomic():
            row = OptOutKeyword.objects.create(
                tenant=tenant,
                kind=kind,
                keyword=normalized,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError as exc:
        raise ApplicationError(
            f"“{normalized}” já é uma palavra-chave desta clínica.", field="keyword"
        ) from exc
    audit_log_record(
        action="optout_keyword.create",
        user=actor,
        tenant=tenant,
        obj=row,
        ip=ip,
        details={"kind": kind},
    )
    return row


@transaction.atomic
def optout_keyword_delete(*, keyword: OptOutKeyword, actor: Any, ip: str | None = None) -> None:
    if keyword.is_system:
        raise ApplicationError("Palavras-chave do sistema não podem ser excluídas.")
    tenant, pk, kind = keyword.tenant, keyword.pk, keyword.kind
    keyword.delete()
    audit_log_record(
        action="optout_keyword.delete",
        user=actor,
        tenant=tenant,
        object_type="optoutkeyword",
        object_id=str(pk),
        ip=ip,
        details={"kind": kind},
    )
