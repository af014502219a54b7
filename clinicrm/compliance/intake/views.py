"""The clinic's side of intake invites: create an invite (page or conversation drawer), list
and review submissions, accept or reject. Every member may invite; a professional under least
privilege sees only the invites they created (`compliance.apps` registers the scope)."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinicrm.compliance.intake.forms import InviteForm
from clinicrm.compliance.intake.models import IntakeInvite, IntakeSubmission, SubmissionStatus
from clinicrm.compliance.intake.selectors import (
    intake_invites_open,
    intake_patient_match,
    intake_submissions,
)
from clinicrm.compliance.intake.services import (
    intake_invite_create,
    intake_invite_create_and_send,
    intake_submission_accept,
    intake_submission_reject,
)
from clinicrm.compliance.intake.tokens import intake_invite_url
from clinicrm.core.errors import ApplicationError
from clinicrm.core.services import audit_log_record, client_ip
from clinicrm.core.tenancy import request_tenant, tenant_get_or_404, tenant_required
from clinicrm.messaging.models import Thread
from clinicrm.messaging.views import TIMELINE_REFRESH

PAGE_SIZE = 20
PANEL = "compliance/intake/_drawer_panel.html"


@require_GET
@tenant_required
def intake_list(request: HttpRequest) -> HttpResponse:
    tenant = request_tenant(request)
    status = request.GET.get("situacao", SubmissionStatus.PENDING)
    if status not in (*SubmissionStatus.values, "todos"):
        status = SubmissionStatus.PENDING
    page = Paginator(intake_submissions(tenant=tenant, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page_obj": page,
        "status": status,
        "statuses": [*SubmissionStatus.choices, ("todos", "Todos")],
        "query_string": f"situacao={status}",
        "invites": intake_invites_open(tenant=tenant)[:10],
        "form": InviteForm(),
        "retention_days": settings.RETENTION_INTAKE_DAYS,
    }
    return render(request, "compliance/intake/list.html", context)


@require_http_methods(["GET", "POST"])
@tenant_required
def intake_invite_new(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            invite = intake_invite_create(
                tenant=request_tenant(request),
                actor=request.user,
                name=form.cleaned_data["name"],
                phone=form.cleaned_data["phone"],
                days=form.cleaned_data["days"],
                ip=client_ip(request),
            )
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("compliance:intake_invite", invite_id=invite.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "compliance/intake/invite_new.html", {"form": form}, status=status)


@require_GET
@tenant_required
def intake_invite_detail(request: HttpRequest, invite_id: str) -> HttpResponse:
    invite = tenant_get_or_404(
        IntakeInvite.objects.select_related("created_by", "professional"),
        tenant=request_tenant(request),
        pk=invite_id,
    )
    submission = IntakeSubmission.objects.filter(tenant=invite.tenant_id, invite=invite).first()
    context = {"invite": invite, "url": intake_invite_url(invite=invite), "submission": submission}
    return render(request, "compliance/intake/invite_detail.html", context)


def _submission(request: HttpRequest, submission_id: str) -> IntakeSubmission:
    submission: IntakeSubmission = tenant_get_or_404(
        IntakeSubmission.objects.select_related("invite__created_by", "patient", "reviewed_by"),
        tenant=request_tenant(request),
        pk=submission_id,
    )
    return submission


def _review(request: HttpRequest, submission: IntakeSubmission, *, error: str = "") -> HttpResponse:
    context: dict[str, Any] = {"submission": submission, "error": error}
    if submission.status == SubmissionStatus.PENDING:
        context["match"] = intake_patient_match(submission=submission)
    return render(request, "compliance/intake/review.html", context, status=400 if error else 200)


@require_GET
@tenant_required
def intake_review(request: HttpRequest, submission_id: str) -> HttpResponse:
    submission = _submission(request, submission_id)
    audit_log_record(
        action="intake.view",
        user=request.user,
        tenant=request_tenant(request),
        obj=submission,
        ip=client_ip(request),
    )
    return _review(request, submission)


@require_POST
@tenant_required
def intake_accept(request: HttpRequest, submission_id: str) -> HttpResponse:
    submission = _submission(request, submission_id)
    try:
        patient = intake_submission_accept(
            submission=submission, actor=request.user, ip=client_ip(request)
        )
    except ApplicationError as exc:
        submission.refresh_from_db()
        return _review(request, submission, error=exc.message)
    messages.success(request, "Cadastro aceito: o paciente está na lista de pacientes.")
    return redirect("people:patient_detail", patient_id=patient.pk)


@require_POST
@tenant_required
def intake_reject(request: HttpRequest, submission_id: str) -> HttpResponse:
    submission = _submission(request, submission_id)
    try:
        intake_submission_reject(submission=submission, actor=request.user, ip=client_ip(request))
    except ApplicationError as exc:
        submission.refresh_from_db()
        return _review(request, submission, error=exc.message)
    messages.success(request, "Cadastro recusado. Nenhum paciente foi criado ou alterado.")
    return redirect("compliance:intake_list")


# --- the conversation drawer's panel -------------------------------------------------------------


def intake_panel_context(*, request: HttpRequest, thread: Thread) -> dict[str, Any]:
    return {}


def intake_panel_render(request: HttpRequest, thread: Thread, **extra: Any) -> SafeString:
    html = render_to_string(PANEL, {"thread": thread, **extra}, request=request)
    return mark_safe(html)  # noqa: S308  # the template's own escaped output


@require_POST
@tenant_required
def intake_thread_invite(request: HttpRequest, thread_id: int) -> HttpResponse:
    """`acao=enviar`: create an invite and send its link in the conversation; `acao=link`:
    create it and show the link to copy. Answers the drawer panel."""
    tenant = request_tenant(request)
    thread = tenant_get_or_404(Thread, tenant=tenant, pk=thread_id)
    send = request.POST.get("acao") == "enviar"
    try:
        if send:
            invite, _ = intake_invite_create_and_send(
                tenant=tenant,
                actor=request.user,
                thread_key=thread.thread_key,
                contact_name=thread.contact_name,
                ip=client_ip(request),
            )
        else:
            phone = thread.thread_key if thread.thread_key.startswith("+") else ""
            invite = intake_invite_create(
                tenant=tenant,
                actor=request.user,
                name=thread.contact_name,
                phone=phone,
                via="drawer",
                ip=client_ip(request),
            )
    except ApplicationError as exc:
        html = intake_panel_render(request, thread, error=exc.message, open=True)
        return HttpResponse(html, status=400)
    html = intake_panel_render(
        request, thread, invite=invite, url=intake_invite_url(invite=invite), sent=send, open=True
    )
    response = HttpResponse(html)
    if send:
        response["HX-Trigger"] = TIMELINE_REFRESH
    return response
