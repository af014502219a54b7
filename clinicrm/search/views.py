"""The global search page and the fragment the top bar's search box fetches. Thin: the
selector searches, the template groups."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from clinicrm.core.errors import ApplicationError
from clinicrm.core.tenancy import tenant_required
from clinicrm.search.selectors import search_global, search_query_clean


@require_GET
@tenant_required
def global_search(request: HttpRequest) -> HttpResponse:
    """`/busca/?q=`: the grouped results as a fragment for the search box's script (which sends
    `HX-Request`), or as a page (no script, Enter without a highlighted result, links)."""
    fragment = bool(request.htmx)  # type: ignore[attr-defined]
    raw = request.GET.get("q", "")
    context: dict[str, Any] = {"query": " ".join(raw.split())[:100]}
    status = 200
    if raw.strip() or fragment:
        try:
            query = search_query_clean(raw)
        except ApplicationError as exc:
            context["error"] = exc.message
            status = 400
        else:
            context["results"] = search_global(
                tenant=request.tenant,  # type: ignore[attr-defined]
                role=request.membership.role,  # type: ignore[attr-defined]
                query=query,
            )
    template = "search/results.html" if fragment else "search/page.html"
    return render(request, template, context, status=status)
