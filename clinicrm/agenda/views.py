"""Agenda pages. Thin: parse input, check the role, call selectors/services, render.

Role rule: a member with the professional role sees and manages only the agenda of the
Professional row linked to their user; owner, admin and secretary manage everyone's.
"""

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import reswap, retarget

from clinicrm.agenda import selectors, services
from clinicrm.agenda.extensions import appointment_badges_attach
from clinicrm.agenda.forms import AppointmentForm, AvailabilityRuleForm
from clinicrm.agenda.models import Appointment, AppointmentStatus, AvailabilityRule
from clinicrm.core.dates import date_param
from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Role
from clinicrm.core.services import client_ip
from clinicrm.core.tenancy import tenant_get_or_404, tenant_required
from clinicrm.core.timeutils import SAO_PAULO, local_today
from clinicrm.people.models import Patient, Professional

OWN_AGENDA_ONLY = "Você só pode ver e gerenciar a sua própria agenda."


# --- helpers --------------------------------------------------------------------------------


def _is_professional_member(request: HttpRequest) -> bool:
    return request.membership.role == Role.PROFESSIONAL  # type: ignore[attr-defined]


def _visible_professionals(request: HttpRequest) -> QuerySet[Professional]:
    qs = selectors.professional_list_for_agenda(tenant=request.tenant)  # type: ignore[attr-defined]
    if _is_professional_member(request):
        qs = qs.filter(user_id=str(request.user.pk))
    return qs


def _ensure_can_manage(request: HttpRequest, professional: Professional) -> None:
    if _is_professional_member(request) and professional.user_id != request.user.pk:
        raise PermissionDenied(OWN_AGENDA_ONLY)


def _parse_time(raw: str | None) -> dt.time | None:
    try:
        return dt.time.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _safe_next(request: HttpRequest, fallback: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return nxt
    return fallback


def _ip(request: HttpRequest) -> str | None:
    return client_ip(request)


# --- day and week ---------------------------------------------------------------------------


@require_GET
@tenant_required
def day_view(request: HttpRequest) -> HttpResponse:
    today = local_today()
    day = date_param(request.GET.get("data"), field="data") or today
    professionals = list(_visible_professionals(request))
    columns = selectors.agenda_day(
        tenant=request.tenant,  # type: ignore[attr-defined]
        day=day,
        professionals=professionals,
        now=timezone.now(),
    )
    appointment_badges_attach(
        tenant=request.tenant,  # type: ignore[attr-defined]
        appointments=[a for column in columns for a in column.appointments],
    )
    context = {
        "day": day,
        "today": today,
        "prev_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
        "columns": columns,
        "appointment_count": sum(len(c.appointments) for c in columns),
        "missing_own_professional": _is_professional_member(request) and not professionals,
        "back_url": request.get_full_path(),
    }
    return render(request, "agenda/day.html", context)


def _render_week(request: HttpRequest, professional: Professional) -> HttpResponse:
    today = local_today()
    start = selectors.week_start(date_param(request.GET.get("semana"), field="semana") or today)
    columns = selectors.agenda_week(
        tenant=request.tenant,  # type: ignore[attr-defined]
        professional=professional,
        start=start,
        today=today,
        now=timezone.now(),
    )
    appointment_badges_attach(
        tenant=request.tenant,  # type: ignore[attr-defined]
        appointments=[a for column in columns for a in column.appointments],
    )
    context = {
        "professional": professional,
        "columns": columns,
        "week_start": start,
        "week_end": start + dt.timedelta(days=6),
        "prev_week": start - dt.timedelta(days=7),
        "next_week": start + dt.timedelta(days=7),
        "this_week": selectors.week_start(today),
        "is_my_week": request.resolver_match is not None
        and request.resolver_match.url_name == "my_week",
        "back_url": request.get_full_path(),
    }
    return render(request, "agenda/week.html", context)


@require_GET
@tenant_required
def week_view(request: HttpRequest, professional_id: int) -> HttpResponse:
    professional = tenant_get_or_404(
        Professional,
        tenant=request.tenant,  # type: ignore[attr-defined]
        pk=professional_id,
    )
    _ensure_can_manage(request, professional)
    return _render_week(request, professional)


@require_GET
@tenant_required
def my_week_view(request: HttpRequest) -> HttpResponse:
    professional = selectors.professional_for_user(
        tenant=request.tenant,  # type: ignore[attr-defined]
        user=request.user,
    )
    if professional is None:
        return render(request, "agenda/no_professional.html", status=404)
    return _render_week(request, professional)


# --- appointments ---------------------------------------------------------------------------


def _booking_token(data: dict[str, Any]) -> str:
    """Binds an "Agendar mesmo assim" to the booking it was shown for: change who or when
    after the warning and the warning is shown again."""
    value = "|".join(
        str(data[k]) for k in ("professional", "patient", "starts_at", "ends_at") if k in data
    )
    return salted_hmac("agenda.confirm_warnings", value, algorithm="sha256").hexdigest()[:20]


def _appointment_form_context(
    request: HttpRequest, form: AppointmentForm, appointment: Appointment | None
) -> dict[str, Any]:
    selected = None
    raw_patient = str(form["patient"].value() or "")
    if raw_patient.isdigit():
        selected = Patient.objects.filter(
            tenant=request.tenant,  # type: ignore[attr-defined]
            pk=int(raw_patient),
        ).first()
    return {
        "form": form,
        "appointment": appointment,
        "selected_patient": selected,
        "back_url": _safe_next(request, reverse("agenda:day")),
    }


def _appointment_form_save(
    request: HttpRequest,
    form: AppointmentForm,
    save: Callable[..., Appointment],
    success: str,
) -> HttpResponse | None:
    """The valid POST of the create and edit forms: `save` (the create or update service, bound
    to its tenant or appointment) gets the form's fields; on success flash `success` and show
    the appointment's day. On a service error put it on the form and answer None (re-render);
    warnings to confirm land in `form.booking_warnings` with the token that confirms them."""
    data = form.cleaned_data
    token = _booking_token(data)
    try:
        appointment = save(
            actor=request.user,
            professional_id=data["professional"].pk,
            patient_id=data["patient"].pk,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            status=data["status"],
            notes=data["notes"],
            ip=_ip(request),
            warnings_confirmed=request.POST.get("confirm_warnings") == token,
        )
    except services.AppointmentNeedsConfirmation as exc:
        form.booking_warnings = exc.warnings  # type: ignore[attr-defined]
        form.booking_token = token  # type: ignore[attr-defined]
        return None
    except ApplicationError as exc:
        form.add_service_error(exc.field, exc.message)
        return None
    start = appointment.starts_at.astimezone(SAO_PAULO)
    messages.success(request, f"{success} para {start:%d/%m/%Y} às {start:%H:%M}.")
    return redirect(_booking_day_url(request, appointment))


def _status(form: AppointmentForm) -> int:
    """400 for refused input; 200 for a valid booking waiting for "Agendar mesmo assim"."""
    return 200 if getattr(form, "booking_warnings", None) and not form.errors else 400


# Pages that show a day or a week, and the query parameter that picks it.
DAY_PARAMS = {"agenda:day": "data", "agenda:week": "semana", "agenda:my_week": "semana"}


def _booking_day_url(request: HttpRequest, appointment: Appointment) -> str:
    """Where to look at a saved booking: the page it was booked from, moved to the booking's
    day (never "today", where the booking may not be), scrolled to its card."""
    day = appointment.starts_at.astimezone(SAO_PAULO).date().isoformat()
    anchor = f"#appt-{appointment.pk}"
    nxt = _safe_next(request, "")
    path, _, query = nxt.partition("?")
    try:
        view_name = resolve(path).view_name if path else ""
    except Resolver404:
        view_name = ""
    if view_name not in DAY_PARAMS:
        return nxt or f"{reverse('agenda:day')}?data={day}{anchor}"
    params = QueryDict(query.partition("#")[0], mutable=True)
    params[DAY_PARAMS[view_name]] = day
    return f"{path}?{params.urlencode()}{anchor}"


@require_http_methods(["GET", "POST"])
@tenant_required
def appointment_create_view(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    professionals = _visible_professionals(request)
    if _is_professional_member(request) and not professionals.exists():
        return render(request, "agenda/no_professional.html", status=404)
    if request.method == "POST":
        form = AppointmentForm(request.POST, tenant=tenant, professionals=professionals)
        if form.is_valid():
            save = partial(services.appointment_create, tenant=tenant)
            saved = _appointment_form_save(request, form, save, "Consulta agendada")
            if saved is not None:
                return saved
        context = _appointment_form_context(request, form, None)
        return render(request, "agenda/appointment_form.html", context, status=_status(form))
    initial = _prefill(request, professionals)
    form = AppointmentForm(initial=initial, tenant=tenant, professionals=professionals)
    return render(
        request, "agenda/appointment_form.html", _appointment_form_context(request, form, None)
    )


def _prefill(request: HttpRequest, professionals: QuerySet[Professional]) -> dict[str, Any]:
    """Initial values from ?profissional=&data=&inicio= (a click on a free slot)."""
    initial: dict[str, Any] = {"status": AppointmentStatus.SCHEDULED, "date": local_today()}
    professional = None
    raw_prof = request.GET.get("profissional", "")
    if raw_prof.isdigit():
        professional = professionals.filter(pk=int(raw_prof)).first()
    if professional is None and _is_professional_member(request):
        professional = professionals.first()
    if professional is not None:
        initial["professional"] = professional.pk
    day = date_param(request.GET.get("data"), field="data")
    if day:
        initial["date"] = day
    start = _parse_time(request.GET.get("inicio"))
    if start:
        initial["start_time"] = start.strftime("%H:%M")
        minutes = professional.session_minutes if professional else 50
        end = (
            dt.datetime.combine(dt.date(2000, 1, 1), start) + dt.timedelta(minutes=minutes)
        ).time()
        if end > start:
            initial["end_time"] = end.strftime("%H:%M")
    raw_patient = request.GET.get("paciente", "")
    if raw_patient.isdigit():
        initial["patient"] = int(raw_patient)
    return initial


def _appointment_for_request(request: HttpRequest, appointment_id: int) -> Appointment:
    appointment = tenant_get_or_404(
        Appointment.objects.select_related("professional", "patient"),
        tenant=request.tenant,  # type: ignore[attr-defined]
        pk=appointment_id,
    )
    _ensure_can_manage(request, appointment.professional)
    return appointment


@require_http_methods(["GET", "POST"])
@tenant_required
def appointment_edit_view(request: HttpRequest, appointment_id: int) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    appointment = _appointment_for_request(request, appointment_id)
    professionals = _visible_professionals(request)
    # An archived professional stays selectable on their own past appointments.
    professionals = professionals | Professional.objects.filter(pk=appointment.professional_id)
    professionals = professionals.filter(tenant=tenant).distinct()
    if request.method == "POST":
        form = AppointmentForm(request.POST, tenant=tenant, professionals=professionals)
        if form.is_valid():
            save = partial(services.appointment_update, appointment=appointment)
            saved = _appointment_form_save(request, form, save, "Consulta atualizada")
            if saved is not None:
                return saved
        context = _appointment_form_context(request, form, appointment)
        return render(request, "agenda/appointment_form.html", context, status=_status(form))
    local_start = appointment.starts_at.astimezone(SAO_PAULO)
    local_end = appointment.ends_at.astimezone(SAO_PAULO)
    form = AppointmentForm(
        initial={
            "professional": appointment.professional_id,
            "patient": appointment.patient_id,
            "date": local_start.date(),
            "start_time": local_start.strftime("%H:%M"),
            "end_time": local_end.strftime("%H:%M"),
            "status": appointment.status,
            "notes": appointment.notes,
        },
        tenant=tenant,
        professionals=professionals,
    )
    return render(
        request,
        "agenda/appointment_form.html",
        _appointment_form_context(request, form, appointment),
    )


@tenant_required
def appointment_status_view(request: HttpRequest, appointment_id: int) -> HttpResponse:
    # Look the row up before checking the method: another tenant's id is 404 on any method.
    appointment = _appointment_for_request(request, appointment_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    back_url = _safe_next(request, reverse("agenda:day"))
    error = None
    try:
        appointment = services.appointment_set_status(
            appointment=appointment,
            actor=request.user,
            status=request.POST.get("status", ""),
            ip=_ip(request),
        )
    except ApplicationError as exc:
        error = exc.message
    if request.htmx:  # type: ignore[attr-defined]
        appointment_badges_attach(tenant=appointment.tenant, appointments=[appointment])
        return render(
            request,
            "agenda/partials/appointment_card.html",
            {"a": appointment, "error": error, "back_url": back_url},
            status=400 if error else 200,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "Situação atualizada.")
    return redirect(back_url)


@require_GET
@tenant_required
def patient_search_view(request: HttpRequest) -> HttpResponse:
    """htmx suggestions for the patient picker: radio buttons named `patient`."""
    tenant = request.tenant  # type: ignore[attr-defined]
    query = request.GET.get("q", "")
    results = selectors.patient_suggestions(tenant=tenant, query=query)
    selected = None
    raw = request.GET.get("patient", "")
    if raw.isdigit():
        selected = Patient.objects.filter(tenant=tenant, pk=int(raw)).first()
    if selected is not None:
        results = [p for p in results if p.pk != selected.pk]
    return render(
        request,
        "agenda/partials/patient_options.html",
        {"results": results, "selected_patient": selected, "query": query.strip()},
    )


# --- availability rules ---------------------------------------------------------------------


def _rules_context(
    request: HttpRequest, professional: Professional, form: AvailabilityRuleForm | None = None
) -> dict[str, Any]:
    rules = selectors.availability_rule_list(
        tenant=request.tenant,  # type: ignore[attr-defined]
        professional=professional,
    )
    return {
        "professional": professional,
        "rules": rules,
        "form": form or AvailabilityRuleForm(prefix_id="new"),
    }


def _rule_form_save(form: AvailabilityRuleForm, save: Callable[..., Any]) -> bool:
    """Validate `form` and hand its rule fields to `save` (create or update); service refusals
    become form errors. True when saved."""
    if not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        save(
            weekday=data["weekday"],
            start_time=data["start_time"],
            end_time=data["end_time"],
            is_active=data["is_active"],
        )
    except ApplicationError as exc:
        form.add_service_error(exc.field, exc.message)
        return False
    return True


@require_http_methods(["GET", "POST"])
@tenant_required
def rules_view(request: HttpRequest, professional_id: int) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    professional = tenant_get_or_404(Professional, tenant=tenant, pk=professional_id)
    _ensure_can_manage(request, professional)
    if request.method == "GET":
        return render(request, "agenda/rules.html", _rules_context(request, professional))
    form = AvailabilityRuleForm(request.POST, prefix_id="new")
    status = 400
    saved = _rule_form_save(
        form,
        partial(
            services.availability_rule_create,
            tenant=tenant,
            actor=request.user,
            professional_id=professional.pk,
            ip=_ip(request),
        ),
    )
    if saved:
        status = 200
        form = AvailabilityRuleForm(prefix_id="new")
        if not request.htmx:  # type: ignore[attr-defined]
            messages.success(request, "Regra adicionada.")
            return redirect("agenda:rules", professional_id=professional.pk)
    context = _rules_context(request, professional, form)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "agenda/rules.html#rules_section", context, status=status)
    return render(request, "agenda/rules.html", context, status=status)


def _rule_for_request(request: HttpRequest, rule_id: int) -> AvailabilityRule:
    rule = tenant_get_or_404(
        AvailabilityRule.objects.select_related("professional"),
        tenant=request.tenant,  # type: ignore[attr-defined]
        pk=rule_id,
    )
    _ensure_can_manage(request, rule.professional)
    return rule


@require_http_methods(["GET", "POST"])
@tenant_required
def rule_edit_view(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = _rule_for_request(request, rule_id)
    professional = rule.professional
    if request.method == "GET":
        if request.GET.get("cancelar"):
            return render(request, "agenda/rules.html#rule_row", {"rule": rule})
        form = AvailabilityRuleForm(
            prefix_id=f"rule{rule.pk}",
            initial={
                "weekday": rule.weekday,
                "start_time": rule.start_time.strftime("%H:%M"),
                "end_time": rule.end_time.strftime("%H:%M"),
                "is_active": rule.is_active,
            },
        )
        htmx = bool(request.htmx)  # type: ignore[attr-defined]
        template = "agenda/rules.html#rule_edit_row" if htmx else "agenda/rule_edit.html"
        return render(request, template, {"rule": rule, "edit_form": form})
    form = AvailabilityRuleForm(request.POST, prefix_id=f"rule{rule.pk}")
    saved = _rule_form_save(
        form,
        partial(services.availability_rule_update, rule=rule, actor=request.user, ip=_ip(request)),
    )
    if saved:
        if request.htmx:  # type: ignore[attr-defined]
            return render(
                request, "agenda/rules.html#rules_section", _rules_context(request, professional)
            )
        messages.success(request, "Regra atualizada.")
        return redirect("agenda:rules", professional_id=professional.pk)
    if request.htmx:  # type: ignore[attr-defined]
        response = render(
            request,
            "agenda/rules.html#rule_edit_row",
            {"rule": rule, "edit_form": form},
            status=400,
        )
        # The form targets the whole section on success; its errors replace only its row.
        return reswap(retarget(response, f"#rule-{rule.pk}"), "outerHTML")
    return render(request, "agenda/rule_edit.html", {"rule": rule, "edit_form": form}, status=400)


@tenant_required
def rule_delete_view(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = _rule_for_request(request, rule_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    professional = rule.professional
    services.availability_rule_delete(rule=rule, actor=request.user, ip=_ip(request))
    if request.htmx:  # type: ignore[attr-defined]
        return render(
            request, "agenda/rules.html#rules_section", _rules_context(request, professional)
        )
    messages.success(request, "Regra excluída.")
    return redirect("agenda:rules", professional_id=professional.pk)
