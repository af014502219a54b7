"""Patient and professional pages. Thin: forms validate input, services write, selectors read."""

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import CLINIC_ROLES, TenantModel
from clinicrm.core.services import audit_log_record, client_ip
from clinicrm.core.tenancy import request_tenant, tenant_get_or_404, tenant_required
from clinicrm.people import selectors, services
from clinicrm.people.detail import EMAIL, PHONE, editor_context, render_detail
from clinicrm.people.documents import cpf_cnpj_format
from clinicrm.people.extensions import patient_freeze
from clinicrm.people.forms import PatientCreateForm, PatientForm, ProfessionalForm
from clinicrm.people.kinds import PATIENT, PROFESSIONAL, Kind
from clinicrm.people.models import Patient, Professional


def _list(request: HttpRequest, kind: Kind) -> HttpResponse:
    filters = selectors.ListFilters.from_params(request.GET)
    if kind is PATIENT:
        qs: Any = selectors.patient_list(tenant=request_tenant(request), filters=filters)
    else:
        qs = selectors.professional_list(tenant=request_tenant(request), filters=filters)
    page_obj = selectors.paginate(qs, page=request.GET.get("page"))
    params = {k: v for k, v in (("q", filters.query), ("status", filters.status)) if v}
    if params.get("status") == "active":
        params.pop("status")
    context = {
        "kind": kind,
        "filters": filters,
        "page_obj": page_obj,
        "query_string": urlencode(params),
        "list_url": reverse(kind.url_name("list")),
    }
    template = f"people/{kind.name}_list.html"
    if request.htmx and request.htmx.target == "list-results":  # type: ignore[attr-defined]
        template += "#results"
    return render(request, template, context)


def _redirect_detail(kind: Kind, entity: TenantModel) -> HttpResponse:
    return redirect(kind.url_name("detail"), **{kind.id_kwarg: entity.pk})


# --- patients ----------------------------------------------------------------------------------


@tenant_required
def patient_list(request: HttpRequest) -> HttpResponse:
    return _list(request, PATIENT)


@tenant_required
def patient_create(request: HttpRequest) -> HttpResponse:
    form = PatientCreateForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            phone, email = data.pop("phone"), data.pop("email")
            try:
                with transaction.atomic():
                    actor, ip = request.user, client_ip(request)
                    patient = services.patient_create(
                        tenant=request_tenant(request), actor=actor, ip=ip, **data
                    )
                    if phone:
                        services.contact_phone_add(entity=patient, actor=actor, number=phone, ip=ip)
                    if email:
                        services.contact_email_add(entity=patient, actor=actor, email=email, ip=ip)
            except ApplicationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, "Paciente cadastrado.")
                return _redirect_detail(PATIENT, patient)
        return render(request, "people/patient_form.html", {"form": form}, status=400)
    return render(request, "people/patient_form.html", {"form": form})


@tenant_required
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = tenant_get_or_404(Patient, tenant=request_tenant(request), pk=patient_id)
    audit_log_record(  # every read of a patient's record is audited (LGPD)
        action="patient.view",
        user=request.user,
        tenant=request_tenant(request),
        obj=patient,
        ip=client_ip(request),
    )
    return render_detail(request, PATIENT, patient)


@tenant_required
def patient_edit(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = tenant_get_or_404(Patient, tenant=request_tenant(request), pk=patient_id)
    freeze = patient_freeze(patient=patient)
    if freeze is not None and request.method != "POST":
        messages.error(request, freeze.refusal)  # nothing to edit: back to the record
        return _redirect_detail(PATIENT, patient)
    fields = ("full_name", "social_name", "cpf", "birth_date", "notes")
    initial = {f: getattr(patient, f) for f in fields}
    initial["cpf"] = cpf_cnpj_format(patient.cpf)
    form = PatientForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.patient_update(
                    patient=patient,
                    actor=request.user,
                    data=form.cleaned_data,
                    ip=client_ip(request),
                )
            except ApplicationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, "Dados do paciente salvos.")
                return _redirect_detail(PATIENT, patient)
        status = 400
        patient.refresh_from_db()
    context = {
        "form": form,
        "obj": patient,
        "kind": PATIENT,
        "phone_editor": editor_context(kind=PATIENT, entity=patient, contact=PHONE),
        "email_editor": editor_context(kind=PATIENT, entity=patient, contact=EMAIL),
    }
    return render(request, "people/patient_form.html", context, status=status)


def _archive(request: HttpRequest, kind: Kind, entity: Any, *, archive: bool) -> HttpResponse:
    if request.method == "GET":
        return render(
            request,
            "people/archive_confirm.html",
            {"kind": kind, "obj": entity, "archive": archive},
        )
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    actor, ip = request.user, client_ip(request)
    try:
        if kind is PATIENT:
            fn: Any = services.patient_archive if archive else services.patient_unarchive
            fn(patient=entity, actor=actor, ip=ip)
        else:
            fn = services.professional_archive if archive else services.professional_unarchive
            fn(professional=entity, actor=actor, ip=ip)
    except ApplicationError as exc:  # e.g. an erased patient cannot be reactivated
        messages.error(request, exc.message)
        entity.refresh_from_db()
        return render_detail(request, kind, entity, status=400)
    label = kind.label.capitalize()
    messages.success(request, f"{label} {'arquivado' if archive else 'reativado'}(a).")
    return _redirect_detail(kind, entity)


@tenant_required(roles=CLINIC_ROLES)
def patient_archive(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = tenant_get_or_404(Patient, tenant=request_tenant(request), pk=patient_id)
    return _archive(request, PATIENT, patient, archive=True)


@tenant_required(roles=CLINIC_ROLES)
def patient_unarchive(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = tenant_get_or_404(Patient, tenant=request_tenant(request), pk=patient_id)
    return _archive(request, PATIENT, patient, archive=False)


# --- professionals -----------------------------------------------------------------------------


@tenant_required(roles=CLINIC_ROLES)
def professional_list(request: HttpRequest) -> HttpResponse:
    return _list(request, PROFESSIONAL)


def _professional_form_page(
    request: HttpRequest, professional: Professional | None
) -> HttpResponse:
    tenant = request_tenant(request)
    initial: dict[str, Any] = {"session_minutes": 50}
    if professional is not None:
        initial = {
            "full_name": professional.full_name,
            "specialty": professional.specialty,
            "council_registration": professional.council_registration,
            "session_minutes": professional.session_minutes,
            "user": professional.user_id,
        }
    form = ProfessionalForm(request.POST or None, tenant=tenant, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            actor, ip = request.user, client_ip(request)
            try:
                if professional is None:
                    professional = services.professional_create(
                        tenant=tenant, actor=actor, ip=ip, **form.cleaned_data
                    )
                else:
                    services.professional_update(
                        professional=professional, actor=actor, data=form.cleaned_data, ip=ip
                    )
            except ApplicationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, "Profissional salvo.")
                return _redirect_detail(PROFESSIONAL, professional)
        status = 400
    context: dict[str, Any] = {"form": form, "obj": professional, "kind": PROFESSIONAL}
    if professional is not None:
        professional.refresh_from_db()
        context["phone_editor"] = editor_context(
            kind=PROFESSIONAL, entity=professional, contact=PHONE
        )
        context["email_editor"] = editor_context(
            kind=PROFESSIONAL, entity=professional, contact=EMAIL
        )
    return render(request, "people/professional_form.html", context, status=status)


@tenant_required(roles=CLINIC_ROLES)
def professional_create(request: HttpRequest) -> HttpResponse:
    return _professional_form_page(request, None)


@tenant_required(roles=CLINIC_ROLES)
def professional_detail(request: HttpRequest, professional_id: int) -> HttpResponse:
    professional = tenant_get_or_404(
        Professional, tenant=request_tenant(request), pk=professional_id
    )
    return render_detail(request, PROFESSIONAL, professional)


@tenant_required(roles=CLINIC_ROLES)
def professional_edit(request: HttpRequest, professional_id: int) -> HttpResponse:
    professional = tenant_get_or_404(
        Professional, tenant=request_tenant(request), pk=professional_id
    )
    return _professional_form_page(request, professional)


@tenant_required(roles=CLINIC_ROLES)
def professional_archive(request: HttpRequest, professional_id: int) -> HttpResponse:
    professional = tenant_get_or_404(
        Professional, tenant=request_tenant(request), pk=professional_id
    )
    return _archive(request, PROFESSIONAL, professional, archive=True)


@tenant_required(roles=CLINIC_ROLES)
def professional_unarchive(request: HttpRequest, professional_id: int) -> HttpResponse:
    professional = tenant_get_or_404(
        Professional, tenant=request_tenant(request), pk=professional_id
    )
    return _archive(request, PROFESSIONAL, professional, archive=False)
