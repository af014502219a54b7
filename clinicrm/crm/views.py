"""The CRM panels of the conversation drawer: each URL answers its panel (GET: a realtime
refresh) and its forms (POST), always with the panel's fragment; a refused change answers 400
with the reason and the panel as it is in the database. Thin: services decide and write."""

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinicrm.core.errors import ApplicationError
from clinicrm.core.services import client_ip
from clinicrm.core.tenancy import request_tenant, tenant_get_or_404, tenant_required
from clinicrm.crm import services
from clinicrm.crm.models import Note
from clinicrm.crm.panels import ASSIGNMENT, CONTEXTS, NOTES, PATIENT, TAGS, TEMPLATES
from clinicrm.messaging.models import Thread
from clinicrm.people.selectors import ListFilters, first_matches, patient_list

PATIENT_RESULTS = 10
DRAWER_RELOAD = "drawer-reload"


def _thread(request: HttpRequest, thread_id: int) -> Thread:
    thread: Thread = tenant_get_or_404(
        Thread.objects.select_related("patient"), tenant=request_tenant(request), pk=thread_id
    )
    return thread


def _panel(
    request: HttpRequest, part: str, thread: Thread, *, error: str = "", **extra: Any
) -> HttpResponse:
    context = {"thread": thread, **CONTEXTS[part](request=request, thread=thread)}
    context.update(extra, error=error)
    return render(request, TEMPLATES[part], context, status=400 if error else 200)


def _run(action: Any) -> str:
    """Run a service call; its refusal (pt-BR) becomes the panel's error."""
    try:
        action()
    except ApplicationError as exc:
        return exc.message
    return ""


@require_http_methods(["GET", "POST"])
@tenant_required
def thread_tags(request: HttpRequest, thread_id: int) -> HttpResponse:
    """Add (`acao=adicionar`) or remove (`acao=remover`) the tag `tag` on the thread."""
    thread = _thread(request, thread_id)
    error = ""
    if request.method == "POST":
        service = (
            services.thread_tag_remove
            if request.POST.get("acao") == "remover"
            else services.thread_tag_add
        )
        error = _run(
            lambda: service(
                tenant=request_tenant(request),
                thread=thread,
                tag_id=request.POST.get("tag"),
                actor=request.user,
                ip=client_ip(request),
            )
        )
    return _panel(request, TAGS, thread, error=error, open=bool(error))


@require_http_methods(["GET", "POST"])
@tenant_required
def thread_assignment(request: HttpRequest, thread_id: int) -> HttpResponse:
    """ "Assumir" (`assumir=1`) or assign to `assigned_to` ("" unassigns). `expected` is the
    assignee the page showed: if it changed meanwhile, nothing changes and the panel says so."""
    thread = _thread(request, thread_id)
    error = ""
    if request.method == "POST":
        expected = request.POST.get("expected", "")
        assignee = (
            request.user.pk if request.POST.get("assumir") else request.POST.get("assigned_to")
        )
        error = _run(
            lambda: services.assignment_set(
                tenant=request_tenant(request),
                thread=thread,
                assignee_id=assignee or None,
                actor=request.user,
                expected=expected,
                ip=client_ip(request),
            )
        )
    return _panel(request, ASSIGNMENT, thread, error=error)


@require_http_methods(["GET", "POST"])
@tenant_required
def thread_notes(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = _thread(request, thread_id)
    error, body = "", ""
    if request.method == "POST":
        body = request.POST.get("body", "")
        error = _run(
            lambda: services.note_create(
                tenant=request_tenant(request),
                thread=thread,
                author=request.user,  # type: ignore[arg-type]  # tenant_required: authenticated
                body=body,
                ip=client_ip(request),
            )
        )
    return _panel(request, NOTES, thread, error=error, body=body if error else "", open=True)


def _note(request: HttpRequest, thread: Thread, note_id: int) -> Note:
    note: Note = tenant_get_or_404(
        Note.objects.select_related("tenant"),
        tenant=request_tenant(request),
        thread=thread,
        pk=note_id,
    )
    return note


@require_POST
@tenant_required
def note_edit(request: HttpRequest, thread_id: int, note_id: int) -> HttpResponse:
    thread = _thread(request, thread_id)
    note = _note(request, thread, note_id)
    error = _run(
        lambda: services.note_update(
            note=note,
            actor=request.user,  # type: ignore[arg-type]
            body=request.POST.get("body", ""),
            ip=client_ip(request),
        )
    )
    return _panel(request, NOTES, thread, error=error, open=True, error_note=note.pk)


@require_POST
@tenant_required
def note_remove(request: HttpRequest, thread_id: int, note_id: int) -> HttpResponse:
    thread = _thread(request, thread_id)
    note = _note(request, thread, note_id)
    error = _run(
        lambda: services.note_delete(
            note=note,
            actor=request.user,  # type: ignore[arg-type]
            ip=client_ip(request),
        )
    )
    return _panel(request, NOTES, thread, error=error, open=True, error_note=note.pk)


@require_GET
@tenant_required
def thread_patient(request: HttpRequest, thread_id: int) -> HttpResponse:
    return _panel(request, PATIENT, _thread(request, thread_id))


@require_GET
@tenant_required
def patient_search(request: HttpRequest, thread_id: int) -> HttpResponse:
    """ "Vincular existente": the first matches (name, CPF, phone) among active patients."""
    thread = _thread(request, thread_id)
    query = " ".join(request.GET.get("q", "").split())[:100]
    rows = []
    if query:
        qs = patient_list(tenant=request_tenant(request), filters=ListFilters(query=query))
        rows = first_matches(qs, limit=PATIENT_RESULTS)
    return render(
        request, "crm/_patient_results.html", {"thread": thread, "rows": rows, "q": query}
    )


def _linked(request: HttpRequest, thread: Thread) -> HttpResponse:
    # The whole drawer follows (its title is the record's name now).
    response = _panel(request, PATIENT, thread)
    response["HX-Retarget"] = "#crm-patient"  # the dialog's form asked; the panel answers
    response["HX-Reswap"] = "outerHTML"
    response["HX-Trigger"] = DRAWER_RELOAD
    return response


@require_POST
@tenant_required
def patient_link(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = _thread(request, thread_id)
    error = _run(
        lambda: services.thread_patient_link(
            tenant=request_tenant(request),
            thread=thread,
            patient_id=request.POST.get("patient"),
            actor=request.user,
            ip=client_ip(request),
        )
    )
    if error:
        return _panel(request, PATIENT, thread, error=error)
    return _linked(request, thread)


def _birth_date(value: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ApplicationError("Data de nascimento inválida.", field="birth_date") from exc


@require_POST
@tenant_required
def patient_new(request: HttpRequest, thread_id: int) -> HttpResponse:
    """ "Cadastrar paciente": the quick dialog (name, CPF, birth date)."""
    thread = _thread(request, thread_id)
    data = {k: request.POST.get(k, "").strip() for k in ("full_name", "cpf", "birth_date")}
    try:
        services.thread_patient_create(
            tenant=request_tenant(request),
            thread=thread,
            actor=request.user,
            full_name=data["full_name"],
            cpf=data["cpf"],
            birth_date=_birth_date(data["birth_date"]),
            ip=client_ip(request),
        )
    except ApplicationError as exc:
        context = {"thread": thread, "form": data, "error": exc.message, "field": exc.field}
        return render(request, "crm/_patient_new_form.html", context, status=400)
    return _linked(request, thread)
