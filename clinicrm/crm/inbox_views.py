"""The CRM inbox (/conversas/) and its Kanban: thin views over `crm.selectors` and `crm.services`.

Filters travel in the query string (`InboxFilters`), so every list is bookmarkable and the back
button works. htmx requests get fragments: the results (the filters' target), the next page of rows
(`cursor=`), one row or card (live updates), the next page of one Kanban column.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Role, User
from clinicrm.core.services import client_ip
from clinicrm.core.tenancy import tenant_get_or_404, tenant_required
from clinicrm.crm import selectors
from clinicrm.crm.models import KanbanGroup
from clinicrm.crm.selectors import Cursor, InboxFilters, ThreadPage
from clinicrm.crm.services import crm_settings_get, kanban_group_set, kanban_move
from clinicrm.messaging.models import Thread
from clinicrm.messaging.selectors import channel_active_get

TAG_UNKNOWN = "Etiqueta não encontrada: mostrando nenhuma conversa. Escolha outra etiqueta."
MANAGERS = frozenset({Role.OWNER, Role.ADMIN})


def _base(request: HttpRequest) -> dict[str, Any]:
    """What every inbox or Kanban fragment needs: tenant, user, filters and the chips' data."""
    tenant = request.tenant  # type: ignore[attr-defined]
    filters = InboxFilters.from_params(request.GET)
    tags = selectors.tags_of_tenant(tenant=tenant)
    raw_tag = request.GET.get("etiqueta", "")
    tag_error = bool(raw_tag) and (filters.tag is None or all(t.pk != filters.tag for t in tags))
    channel = channel_active_get(tenant=tenant)
    return {
        "tenant": tenant,
        "me": str(request.user.pk),
        "filters": filters,
        "tags": tags,
        "tag_error": TAG_UNKNOWN if tag_error else "",
        "is_twilio": bool(channel and channel.is_twilio),
        "now": timezone.now(),
        "query": urlencode(filters.params()),
        "views": selectors.VIEWS,
    }


def _page(request: HttpRequest, ctx: dict[str, Any], cursor: Cursor | None) -> ThreadPage:
    if ctx["tag_error"]:
        return ThreadPage(rows=[], next_cursor=None)
    return selectors.thread_page(
        tenant=ctx["tenant"], user=_user(request), filters=ctx["filters"], cursor=cursor
    )


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]  # tenant_required: authenticated


def _is_htmx(request: HttpRequest) -> bool:
    return bool(request.htmx)  # type: ignore[attr-defined]


def _varying(response: HttpResponse) -> HttpResponse:
    """The same URL answers a page or a fragment: caches must tell them apart."""
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@require_GET
@tenant_required
def inbox(request: HttpRequest) -> HttpResponse:
    ctx = _base(request)
    cursor = Cursor.decode(request.GET.get("cursor"))
    ctx["page"] = _page(request, ctx, cursor)
    if _is_htmx(request) and cursor is not None:
        return _varying(render(request, "crm/inbox.html#rows", ctx))
    if _is_htmx(request) and request.headers.get("HX-Target") == "inbox-results":
        return _varying(render(request, "crm/inbox.html#results", ctx))
    opened = request.GET.get("conversa", "")
    if opened.isdigit() and len(opened) < 19:
        ctx["open_thread"] = Thread.objects.filter(tenant=ctx["tenant"], pk=int(opened)).first()
    return _varying(render(request, "crm/inbox.html", ctx))


def _matching_row(request: HttpRequest, ctx: dict[str, Any], thread: Thread) -> Any:
    """The thread as a row if it is in the list the page shows (its filters), else None."""
    if ctx["tag_error"]:
        return None
    qs = selectors.threads_filtered(
        tenant=ctx["tenant"], user=_user(request), filters=ctx["filters"]
    )
    if not qs.filter(pk=thread.pk).exists():
        return None
    return selectors.thread_row_get(thread=thread)


@require_GET
@tenant_required
def inbox_row(request: HttpRequest, thread_id: int) -> HttpResponse:
    """One row, fresh (a new message, a tag, an assignment): 204 when it left the filtered list."""
    thread = tenant_get_or_404(Thread, tenant=request.tenant, pk=thread_id)  # type: ignore[attr-defined]
    ctx = _base(request)
    row = _matching_row(request, ctx, thread)
    if row is None:
        return HttpResponse(status=204)
    return render(request, "crm/_thread_row.html", ctx | {"row": row})


# --- Kanban ---------------------------------------------------------------------------------------


def _kanban_ctx(request: HttpRequest) -> dict[str, Any]:
    ctx = _base(request)
    group = crm_settings_get(tenant=ctx["tenant"]).kanban_group
    ctx.update(
        {
            "group": group,
            "groups": KanbanGroup.choices,
            "columns": selectors.kanban_columns(tenant=ctx["tenant"], group=group),
            "can_regroup": request.membership.role in MANAGERS,  # type: ignore[attr-defined]
        }
    )
    return ctx


@require_GET
@tenant_required
def kanban(request: HttpRequest) -> HttpResponse:
    ctx = _kanban_ctx(request)
    key = request.GET.get("coluna", "")
    if _is_htmx(request) and key:
        column = next((c for c in ctx["columns"] if c.key == key), None)
        cursor = Cursor.decode(request.GET.get("cursor"))
        if column is None or ctx["tag_error"]:
            return HttpResponse("")
        page = selectors.kanban_column_page(
            tenant=ctx["tenant"],
            user=_user(request),
            filters=ctx["filters"],
            column=column,
            cursor=cursor,
        )
        return _varying(
            render(request, "crm/kanban.html#cards", ctx | {"column": column, "page": page})
        )
    lanes = []
    for column in ctx["columns"]:
        page = (
            ThreadPage(rows=[], next_cursor=None)
            if ctx["tag_error"]
            else selectors.kanban_column_page(
                tenant=ctx["tenant"], user=_user(request), filters=ctx["filters"], column=column
            )
        )
        lanes.append({"column": column, "page": page})
    ctx["lanes"] = lanes
    if _is_htmx(request) and request.headers.get("HX-Target") == "kanban-board":
        return _varying(render(request, "crm/kanban.html#board", ctx))
    return _varying(render(request, "crm/kanban.html", ctx))


@require_GET
@tenant_required
def kanban_card(request: HttpRequest, thread_id: int) -> HttpResponse:
    """The card of one thread, once per column it belongs in; 204 when it left the board."""
    thread = tenant_get_or_404(Thread, tenant=request.tenant, pk=thread_id)  # type: ignore[attr-defined]
    ctx = _kanban_ctx(request)
    row = _matching_row(request, ctx, thread)
    if row is None:
        return HttpResponse(status=204)
    keys = selectors.kanban_card_columns(row=row, group=ctx["group"], columns=ctx["columns"])
    return render(request, "crm/_kanban_cards.html", ctx | {"row": row, "keys": keys})


@require_POST
@tenant_required
def kanban_card_move(request: HttpRequest, thread_id: int) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    thread = tenant_get_or_404(Thread, tenant=tenant, pk=thread_id)
    try:
        kanban_move(
            tenant=tenant,
            thread=thread,
            to=request.POST.get("coluna", ""),
            expected=request.POST.get("de", ""),
            actor=request.user,
            ip=client_ip(request),
        )
    except ApplicationError as exc:
        field = "coluna" if exc.field in ("stage", "coluna", "tag") else exc.field
        return JsonResponse({"detail": exc.message, "field": field}, status=400)
    return JsonResponse({"detail": "Conversa movida.", "thread": thread.pk})


@require_POST
@tenant_required(roles=MANAGERS)
def kanban_group(request: HttpRequest) -> HttpResponse:
    try:
        kanban_group_set(
            tenant=request.tenant,  # type: ignore[attr-defined]
            group=request.POST.get("group", ""),
            actor=request.user,
            ip=client_ip(request),
        )
    except ApplicationError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    return HttpResponseRedirect(reverse("crm:kanban"))


def crm_inbox_redirect(request: HttpRequest) -> HttpResponse:
    """/crm/conversas (the original system's address) → /conversas/, filters kept."""
    query = request.META.get("QUERY_STRING", "")
    return HttpResponseRedirect(reverse("crm:inbox") + (f"?{query}" if query else ""))
