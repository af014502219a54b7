"""The inbox's filters and its keyset cursor, as they travel in URLs and API queries.

Everything a list shows is in the query string (bookmarkable, the back button works): `vista`
(todas / minhas / nao-atribuidas), `etiqueta` (tag id), `nao-lidas` (1), `q` (search). The same
names serve the inbox, the Kanban and the JSON API. Bad values fall back to "no filter" (a URL
typed by hand never answers 500); the API validates before building these.
"""

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from clinicrm.core.errors import ApplicationError

VIEW_ALL, VIEW_MINE, VIEW_UNASSIGNED = "todas", "minhas", "nao-atribuidas"
VIEWS = {VIEW_ALL: "Todas", VIEW_MINE: "Minhas", VIEW_UNASSIGNED: "Não atribuídas"}
SEARCH_MAX = 100
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICRO = dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class InboxFilters:
    view: str = VIEW_ALL
    tag: int | None = None
    unread: bool = False
    q: str = ""

    @classmethod
    def from_params(cls, params: Any) -> "InboxFilters":
        view = str(params.get("vista", VIEW_ALL))
        raw_tag = str(params.get("etiqueta", ""))
        tag = int(raw_tag) if raw_tag.isdigit() and len(raw_tag) < 19 else None
        return cls(
            view=view if view in VIEWS else VIEW_ALL,
            tag=tag,
            unread=str(params.get("nao-lidas", "")) in ("1", "on", "true"),
            q=" ".join(str(params.get("q", "")).split())[:SEARCH_MAX],
        )

    def params(self, **changes: Any) -> dict[str, str]:
        """The non-default filters as URL parameters (with `changes` applied)."""
        f = replace(self, **changes)
        out: dict[str, str] = {}
        if f.view != VIEW_ALL:
            out["vista"] = f.view
        if f.tag is not None:
            out["etiqueta"] = str(f.tag)
        if f.unread:
            out["nao-lidas"] = "1"
        if f.q:
            out["q"] = f.q
        return out

    @property
    def is_filtered(self) -> bool:
        return bool(self.params())


@dataclass(frozen=True)
class Cursor:
    """Position after the last row shown: (last_message_at, id), newest first."""

    at: dt.datetime
    thread_id: int

    def encode(self) -> str:
        return f"{(self.at - _EPOCH) // _MICRO}.{self.thread_id}"

    @classmethod
    def decode(cls, raw: str | None, *, strict: bool = False) -> "Cursor | None":
        """None for no cursor. A malformed one is ignored (first page), or refused if `strict`."""
        if not raw:
            return None
        micros, _, pk = str(raw).partition(".")
        if micros.isdigit() and pk.isdigit() and len(micros) <= 17 and len(pk) <= 18:
            try:
                at = _EPOCH + int(micros) * _MICRO
            except OverflowError:
                at = None
            if at is not None:
                return cls(at=at, thread_id=int(pk))
        if strict:
            raise ApplicationError("Cursor de paginação inválido.", field="cursor")
        return None
