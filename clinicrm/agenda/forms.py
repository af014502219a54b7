"""Agenda forms: people type a São Paulo date + start + end; the form builds aware datetimes."""

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet

from clinicrm.agenda.models import AppointmentStatus, Weekday
from clinicrm.core.dates import BoundedDateField
from clinicrm.core.models import Tenant
from clinicrm.core.timeutils import local_datetime
from clinicrm.people.models import Patient, Professional

END_AFTER_START = "O término deve ser depois do início."
# One wording for every required field of the agenda (Django's own, as on the other pages).
REQUIRED = "Este campo é obrigatório."

# Map service error fields onto the form fields people see.
SERVICE_FIELD_TO_FORM = {"starts_at": "start_time", "ends_at": "end_time"}


class AppointmentForm(forms.Form):
    professional = forms.ModelChoiceField(
        label="Profissional",
        queryset=Professional.objects.none(),
        # Django's default blank label is not translated to pt-BR.
        empty_label="Selecione o profissional",
        error_messages={"invalid_choice": "Escolha um profissional da lista."},
    )
    # Rendered as a search box with htmx suggestions (radio buttons), so it scales to large
    # tenants; validation is still a single lookup restricted to the tenant.
    patient = forms.ModelChoiceField(
        label="Paciente",
        queryset=Patient.objects.none(),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "Escolha um paciente da lista."},
    )
    date = BoundedDateField(
        label="Data", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    start_time = forms.TimeField(label="Início", widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(label="Término", widget=forms.TimeInput(attrs={"type": "time"}))
    status = forms.ChoiceField(
        label="Situação", choices=AppointmentStatus.choices, initial=AppointmentStatus.SCHEDULED
    )
    notes = forms.CharField(
        label="Observações", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self,
        *args: Any,
        tenant: Tenant,
        professionals: QuerySet[Professional],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["professional"].queryset = professionals  # type: ignore[attr-defined]
        self.fields["patient"].queryset = Patient.objects.filter(tenant=tenant)  # type: ignore[attr-defined]
        for name, field in self.fields.items():
            field.error_messages["required"] = REQUIRED
            if name in ("date", "start_time", "end_time"):
                field.error_messages["invalid"] = "Valor inválido."

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        day, start, end = cleaned.get("date"), cleaned.get("start_time"), cleaned.get("end_time")
        if day and start and end:
            cleaned["starts_at"] = local_datetime(day, start)
            cleaned["ends_at"] = local_datetime(day, end)
            if cleaned["ends_at"] <= cleaned["starts_at"]:
                self.add_error("end_time", END_AFTER_START)
        return cleaned

    def add_service_error(self, field: str | None, message: str) -> None:
        name = SERVICE_FIELD_TO_FORM.get(field or "", field)
        self.add_error(name if name in self.fields else None, message)


class AvailabilityRuleForm(forms.Form):
    weekday = forms.TypedChoiceField(
        label="Dia da semana", choices=Weekday.choices, coerce=int, initial=Weekday.MONDAY
    )
    start_time = forms.TimeField(label="Início", widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(label="Término", widget=forms.TimeInput(attrs={"type": "time"}))
    is_active = forms.BooleanField(label="Ativa", required=False, initial=True)

    def __init__(self, *args: Any, prefix_id: str = "", **kwargs: Any) -> None:
        # Several rule forms live on one page (add + inline edits): keep their ids apart.
        if prefix_id:
            kwargs.setdefault("auto_id", f"id_{prefix_id}_%s")
        super().__init__(*args, **kwargs)
        for name in ("start_time", "end_time"):
            self.fields[name].error_messages["required"] = REQUIRED
            self.fields[name].error_messages["invalid"] = "Horário inválido."

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start: dt.time | None = cleaned.get("start_time")
        end: dt.time | None = cleaned.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", END_AFTER_START)
        return cleaned

    def add_service_error(self, field: str | None, message: str) -> None:
        self.add_error(field if field in self.fields else None, message)
