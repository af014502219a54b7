"""/search: the global search (patients, professionals, conversations, messages), grouped.

The same selector as the top bar's search box: accent- and case-insensitive, one tenant (the
token's), professionals only for the roles that manage them. A query under 2 visible characters
or over 100 is a 400 naming the field `q`.
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from clinicrm.api.v1.common import role_of, tenant_of
from clinicrm.api.v1.schemas import ErrorOut
from clinicrm.search.selectors import SearchItem, search_global, search_query_clean

router = Router(tags=["busca"])


class SearchParams(Schema):
    q: str = Field(
        "", description="Nome (com ou sem acentos), telefone, CPF, e-mail ou trecho de mensagem."
    )


class SearchHit(Schema):
    id: int
    title: str
    subtitle: str
    url: str = Field(..., description="Caminho da página do resultado no app.")
    at: dt.datetime | None = None


class MessageHit(SearchHit):
    snippet: str = Field(..., description="Trecho da mensagem em volta da primeira ocorrência.")
    highlights: list[tuple[int, int]] = Field(
        ..., description="Intervalos [início, fim) do trecho que correspondem à busca."
    )


class SearchOut(Schema):
    query: str
    patients: list[SearchHit]
    professionals: list[SearchHit]
    threads: list[SearchHit]
    messages: list[MessageHit]


def _hit(item: SearchItem) -> dict[str, Any]:
    hit: dict[str, Any] = {
        "id": item.id,
        "title": item.title,
        "subtitle": item.subtitle,
        "url": item.url,
        "at": item.at,
    }
    if item.snippet is not None:
        hit["snippet"] = item.snippet.text
        hit["highlights"] = list(item.snippet.spans)
    return hit


@router.get(
    "/search",
    response={200: SearchOut, 400: ErrorOut, 401: ErrorOut},
    url_name="search",
    summary="Busca global",
)
def search(request: HttpRequest, params: Query[SearchParams]) -> dict[str, Any]:
    query = search_query_clean(params.q)
    results = search_global(tenant=tenant_of(request), role=role_of(request), query=query)
    out: dict[str, Any] = {"query": query}
    for key in ("patients", "professionals", "threads", "messages"):
        out[key] = [_hit(item) for item in results.group(key)]
    return out
