"""The global search: patients, professionals, conversations and messages of one tenant.

Each group reuses its own app's search (`people.selectors`, `messaging.selectors`): the same
accent- and case-insensitive matching on the trigram-indexed `search_text` columns, the same
dispatch of digits to phones/CPF. A group shows its first few hits and links to the full list;
nothing is counted (a COUNT of a frequent word is the slow part of a search). Professionals are
listed only for the roles that may open their pages. Conversations are found by name and number;
what was written in them is the messages group (as WhatsApp does), which also spares the search
reading the matching messages twice.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.http import urlencode

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import CLINIC_ROLES, Tenant
from clinicrm.core.search import MAX_QUERY_LENGTH, Snippet, search_normalize, search_snippet
from clinicrm.core.search import search_terms as terms_of
from clinicrm.core.visibility import visibility_filter
from clinicrm.messaging.models import Thread
from clinicrm.messaging.selectors import messages_matching, thread_search_filter
from clinicrm.people.phones import phone_format_display
from clinicrm.people.selectors import (
    ListFilters,
    first_matches,
    patient_list,
    professional_list,
)

MIN_QUERY_LENGTH = 2
PER_GROUP = 5


@dataclass(frozen=True)
class SearchItem:
    id: int
    title: str
    subtitle: str
    url: str
    at: dt.datetime | None = None
    snippet: Snippet | None = None


@dataclass(frozen=True)
class SearchGroup:
    key: str  # patients | professionals | threads | messages
    title: str
    items: list[SearchItem]
    more_url: str = ""


@dataclass(frozen=True)
class SearchResults:
    query: str
    groups: list[SearchGroup] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not any(group.items for group in self.groups)

    def group(self, key: str) -> list[SearchItem]:
        return next((g.items for g in self.groups if g.key == key), [])


def search_query_clean(raw: object) -> str:
    """The query with whitespace collapsed; ApplicationError (field "q") when it is too short
    to search (under 2 visible characters) or too long (over 100)."""
    query = " ".join(str(raw or "").split())
    if len(query) > MAX_QUERY_LENGTH:
        raise ApplicationError(
            f"A busca aceita no máximo {MAX_QUERY_LENGTH} caracteres.", field="q"
        )
    if len(search_normalize(query).replace(" ", "")) < MIN_QUERY_LENGTH:
        raise ApplicationError(
            f"Digite pelo menos {MIN_QUERY_LENGTH} letras ou números para buscar.", field="q"
        )
    return query


def _list_url(name: str, query: str) -> str:
    return f"{reverse(name)}?{urlencode({'q': query})}"


def thread_title(thread: Thread) -> str:
    """How the inbox names a conversation: the patient, the contact's name, or the number."""
    if thread.patient_id and thread.patient is not None:
        return thread.patient.full_name
    return thread.contact_name or phone_format_display(thread.thread_key)


def thread_url(thread: Thread) -> str:
    return reverse("messaging:thread", kwargs={"thread_id": thread.pk})


def _patients(tenant: Tenant, query: str) -> SearchGroup:
    qs = patient_list(tenant=tenant, filters=ListFilters(query=query, status="all"))
    items = []
    for p in first_matches(qs, limit=PER_GROUP):
        details = [p.social_name, phone_format_display(p.primary_phone or "")]
        if not p.is_active:
            details.append("arquivado")
        items.append(
            SearchItem(
                id=p.pk,
                title=p.full_name,
                subtitle=" · ".join(d for d in details if d),
                url=reverse("people:patient_detail", kwargs={"patient_id": p.pk}),
            )
        )
    return SearchGroup("patients", "Pacientes", items, _list_url("people:patient_list", query))


def _professionals(tenant: Tenant, query: str) -> SearchGroup:
    qs = professional_list(tenant=tenant, filters=ListFilters(query=query, status="all"))
    items = [
        SearchItem(
            id=p.pk,
            title=p.full_name,
            subtitle=" · ".join(d for d in (p.specialty, p.council_registration) if d),
            url=reverse("people:professional_detail", kwargs={"professional_id": p.pk}),
        )
        for p in first_matches(qs, limit=PER_GROUP)
    ]
    more = _list_url("people:professional_list", query)
    return SearchGroup("professionals", "Profissionais", items, more)


def _threads(tenant: Tenant, query: str) -> SearchGroup:
    qs: QuerySet[Thread] = visibility_filter(
        Thread.objects.filter(tenant=tenant).select_related("patient")
    )
    qs = thread_search_filter(tenant=tenant, qs=qs, query=query, message_text=False)
    items = [
        SearchItem(
            id=t.pk,
            title=thread_title(t),
            subtitle=t.last_message_preview,
            url=thread_url(t),
            at=t.last_message_at,
        )
        for t in qs.order_by("-last_message_at", "-id")[:PER_GROUP]
    ]
    return SearchGroup("threads", "Conversas", items, _list_url("crm:inbox", query))


def _messages(tenant: Tenant, query: str) -> SearchGroup:
    rows = list(
        visibility_filter(messages_matching(tenant=tenant, query=query))
        .only("id", "thread_key", "body", "direction", "provider_timestamp", "created_at")
        .order_by("-created_at", "-id")[:PER_GROUP]
    )
    threads = {
        t.thread_key: t
        for t in Thread.objects.filter(
            tenant=tenant, thread_key__in={m.thread_key for m in rows}
        ).select_related("patient")
    }
    terms = terms_of(query)
    inbox = _list_url("crm:inbox", query)
    items = []
    for m in rows:
        thread = threads.get(m.thread_key)
        name = thread_title(thread) if thread else phone_format_display(m.thread_key)
        items.append(
            SearchItem(
                id=m.pk,
                title=name,
                subtitle="Recebida" if m.direction == "in" else "Enviada",
                url=f"{thread_url(thread)}#msg-{m.pk}" if thread else inbox,
                at=m.provider_timestamp,
                snippet=search_snippet(m.body, terms),
            )
        )
    return SearchGroup("messages", "Mensagens", items)


def search_global(*, tenant: Tenant, role: str, query: str) -> SearchResults:
    """The first hits of `query` (cleaned by `search_query_clean`) in each group, in the order
    patients, professionals, conversations, messages."""
    groups = [_patients(tenant, query)]
    if role in CLINIC_ROLES:
        groups.append(_professionals(tenant, query))
    groups += [_threads(tenant, query), _messages(tenant, query)]
    return SearchResults(query=query, groups=groups)
