"""Reads of the people app.

`patient_list` must stay fast with 50,000 patients per tenant: it filters by tenant first (every
index starts with it), dispatches the search by the shape of the query (digits -> CPF/phone,
"@" -> e-mail, otherwise name) instead of OR-ing every column, and brings the page's primary
phone and e-mail as correlated subqueries of the same SELECT (one query, no N+1). Names are
searched accent- and case-insensitively on the folded `search_text` column, every word of the
query as a literal substring (`core.search`; a trigram index serves it on PostgreSQL).
"""

import contextlib
import re
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant, TenantModel
from clinicrm.core.search import DIGITS_QUERY, search_q, search_terms
from clinicrm.core.visibility import visibility_filter
from clinicrm.people.entities import entity_type_of
from clinicrm.people.models import (
    ContactEmail,
    ContactPhone,
    EntityType,
    Patient,
    Professional,
)
from clinicrm.people.phones import phone_canonicalize

PAGE_SIZE = 25
STATUSES = ("active", "archived", "all")


@dataclass(frozen=True)
class ListFilters:
    query: str = ""
    status: str = "active"

    @classmethod
    def from_params(cls, params: Any) -> "ListFilters":
        status = params.get("status", "active")
        return cls(
            query=" ".join(str(params.get("q", "")).split())[:100],
            status=status if status in STATUSES else "active",
        )


def _with_primary_contacts(qs: QuerySet, *, entity_type: str) -> QuerySet:
    phones = ContactPhone.objects.filter(
        tenant=OuterRef("tenant"),
        entity_type=entity_type,
        entity_id=OuterRef("pk"),
        is_primary=True,
    )
    emails = ContactEmail.objects.filter(
        tenant=OuterRef("tenant"),
        entity_type=entity_type,
        entity_id=OuterRef("pk"),
        is_primary=True,
    )
    # order_by(): drop the models' default ordering, the partial unique index finds the row.
    return qs.annotate(
        primary_phone=Subquery(phones.order_by().values("number_e164")[:1]),
        primary_phone_whatsapp=Subquery(phones.order_by().values("whatsapp_linked")[:1]),
        primary_email=Subquery(emails.order_by().values("email")[:1]),
    )


def _status_filter(qs: QuerySet, status: str) -> QuerySet:
    if status == "active":
        return qs.filter(is_active=True)
    if status == "archived":
        return qs.filter(is_active=False)
    return qs


def _contact_match(*, tenant: Tenant, entity_type: str, query: str) -> Q | None:
    """Q matching entities by phone digits or e-mail, via EXISTS on the contact tables."""
    if "@" in query:
        emails = ContactEmail.objects.filter(
            tenant=tenant,
            entity_type=entity_type,
            entity_id=OuterRef("pk"),
            email__startswith=query.lower(),
        )
        return Q(Exists(emails))
    if DIGITS_QUERY.match(query):
        digits = re.sub(r"\D", "", query)
        if len(digits) < 4:
            return None
        number = Q(number_e164__contains=digits)
        # The WhatsApp 12-digit form and other spellings still find the stored number.
        with contextlib.suppress(ApplicationError):
            number |= Q(number_e164=phone_canonicalize(query))
        phones = ContactPhone.objects.filter(
            number, tenant=tenant, entity_type=entity_type, entity_id=OuterRef("pk")
        )
        return Q(Exists(phones))
    return None


def _name_match(qs: QuerySet, query: str) -> QuerySet:
    """Rows whose folded names contain every word of `query`; none for a query that folds to
    nothing (only invisible characters)."""
    terms = search_terms(query)
    return qs.filter(search_q(terms)) if terms else qs.none()


def patient_list(*, tenant: Tenant, filters: ListFilters | None = None) -> QuerySet[Patient]:
    """Patients of `tenant` matching the filters, by name then id. Query: name (any part),
    CPF digits, phone digits or e-mail prefix. Use `paginate` to get a page with contacts."""
    filters = filters or ListFilters()
    qs = _status_filter(visibility_filter(Patient.objects.filter(tenant=tenant)), filters.status)
    query = filters.query
    if query:
        contact = _contact_match(tenant=tenant, entity_type=EntityType.PATIENT, query=query)
        if contact is not None and "@" in query:
            qs = qs.filter(contact)
        elif contact is not None:
            digits = re.sub(r"\D", "", query)
            cpf = Q(cpf=digits) if len(digits) == 11 else Q(cpf__startswith=digits)
            qs = qs.filter(cpf | contact)
        else:
            qs = _name_match(qs, query)
    return qs.order_by("full_name", "id")


def professional_list(
    *, tenant: Tenant, filters: ListFilters | None = None
) -> QuerySet[Professional]:
    filters = filters or ListFilters()
    qs = _status_filter(Professional.objects.filter(tenant=tenant), filters.status)
    if filters.query:
        q = filters.query
        contact = _contact_match(tenant=tenant, entity_type=EntityType.PROFESSIONAL, query=q)
        # Name, specialty and council registration are all in `search_text`.
        qs = qs.filter(contact) if contact is not None else _name_match(qs, q)
    return qs.order_by("full_name", "id")


def _rows_with_contacts(model: type[TenantModel], ids: list[Any]) -> list[Any]:
    """The rows of `ids` in that order, each with its primary phone and e-mail."""
    entity_type = EntityType.PATIENT if model is Patient else EntityType.PROFESSIONAL
    rows = _with_primary_contacts(
        model._default_manager.filter(pk__in=ids), entity_type=entity_type
    ).in_bulk()
    return [rows[pk] for pk in ids if pk in rows]


def paginate(qs: QuerySet, *, page: Any, per_page: int = PAGE_SIZE) -> Page:
    """A page of `qs` (patients or professionals) whose rows carry `primary_phone`,
    `primary_phone_whatsapp` and `primary_email`.

    Three queries whatever the page: COUNT, the page's ids (an index-only scan in list order,
    so deep pages skip index entries, not rendered rows), then the page's rows with their
    primary contacts as correlated subqueries evaluated for those rows only.
    """
    page_obj = Paginator(qs.values_list("pk", flat=True), per_page).get_page(page)
    page_obj.object_list = _rows_with_contacts(qs.model, list(page_obj.object_list))
    return page_obj


def first_matches(qs: QuerySet, *, limit: int) -> list[Any]:
    """The first `limit` rows of `qs` (a `patient_list`/`professional_list`) with their primary
    contacts, in one query and without counting the rest (PostgreSQL evaluates the contact
    subqueries after the sort and limit, for those rows only)."""
    entity_type = EntityType.PATIENT if qs.model is Patient else EntityType.PROFESSIONAL
    return list(_with_primary_contacts(qs, entity_type=entity_type)[:limit])


def entity_phones(*, entity: TenantModel) -> QuerySet[ContactPhone]:
    return (
        ContactPhone.objects.filter(
            tenant_id=entity.tenant_id, entity_type=entity_type_of(entity), entity_id=entity.pk
        )
        .select_related("contact_type")
        .order_by("-is_primary", "id")
    )


def entity_emails(*, entity: TenantModel) -> QuerySet[ContactEmail]:
    return (
        ContactEmail.objects.filter(
            tenant_id=entity.tenant_id, entity_type=entity_type_of(entity), entity_id=entity.pk
        )
        .select_related("email_type")
        .order_by("-is_primary", "id")
    )


def entity_contacts(*, entity: TenantModel) -> dict[str, list[Any]]:
    """Phones and e-mails of one entity, primary first."""
    return {
        "phones": list(entity_phones(entity=entity)),
        "emails": list(entity_emails(entity=entity)),
    }


def entity_phone_get(*, entity: TenantModel, phone_id: int) -> ContactPhone | None:
    """A phone of this very entity (tenant AND owner), or None."""
    return entity_phones(entity=entity).filter(pk=phone_id).first()


def entity_email_get(*, entity: TenantModel, email_id: int) -> ContactEmail | None:
    return entity_emails(entity=entity).filter(pk=email_id).first()
