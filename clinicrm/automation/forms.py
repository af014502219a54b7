"""Forms of the automation settings pages (pt-BR). The rules themselves (unknown variables,
overlapping hours, a window that ends before it starts, a cooldown below one hour) are checked
by the services: the forms parse what people type and show the services' messages."""

from collections.abc import Sequence
from typing import Any

from django import forms

from clinicrm.automation.models import KeywordKind, ScheduleMode
from clinicrm.automation.services.schedule import WEEKDAYS
from clinicrm.automation.texts import REMINDER_VARIABLES
from clinicrm.core.holidays import STATES

REQUIRED = "Este campo é obrigatório."
# Two intervals per weekday: a day with a lunch break.
INTERVALS_PER_DAY = 2


class ServiceErrorsForm(forms.Form):
    """A form whose fields say "Este campo é obrigatório." and that shows service errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages["required"] = REQUIRED

    def add_service_error(self, field: str | None, message: str) -> None:
        self.add_error(field if field in self.fields else None, message)


class KeywordForm(ServiceErrorsForm):
    keyword = forms.CharField(label="Palavra ou frase curta", max_length=240)
    kind = forms.ChoiceField(label="Tipo", choices=KeywordKind.choices, initial=KeywordKind.OPT_OUT)


class OptOutForm(ServiceErrorsForm):
    number = forms.CharField(label="Número de WhatsApp", max_length=40)
    reason = forms.CharField(label="Motivo", max_length=300)


class ReasonForm(ServiceErrorsForm):
    reason = forms.CharField(label="Motivo", max_length=300)


class AutoReplyForm(ServiceErrorsForm):
    enabled = forms.BooleanField(label="Resposta automática ativada", required=False)
    mode = forms.ChoiceField(
        label="Quando responder", choices=ScheduleMode.choices, widget=forms.RadioSelect
    )
    message = forms.CharField(label="Mensagem", widget=forms.Textarea(attrs={"rows": 3}))
    cooldown_hours = forms.IntegerField(
        label="No máximo uma resposta por conversa a cada (horas)",
        error_messages={"invalid": "Informe um número inteiro de horas."},
    )
    window_starts_at = forms.DateTimeField(
        label="Início do período",
        required=False,
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": "Data e hora inválidas."},
    )
    window_ends_at = forms.DateTimeField(
        label="Fim do período",
        required=False,
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": "Data e hora inválidas."},
    )
    state = forms.ChoiceField(
        label="Estado (feriados estaduais)",
        choices=[("", "Somente feriados nacionais"), *STATES],
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for weekday, _name in enumerate(WEEKDAYS):
            for n in range(INTERVALS_PER_DAY):
                for part in ("start", "end"):
                    self.fields[f"bh_{weekday}_{n}_{part}"] = forms.TimeField(
                        required=False,
                        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                        error_messages={"invalid": "Horário inválido."},
                    )

    def business_hours(self) -> list[dict[str, Any]]:
        """The hours typed, as the service takes them (a half-filled pair is an error there)."""
        rows = []
        for weekday in range(7):
            for n in range(INTERVALS_PER_DAY):
                start = self.cleaned_data.get(f"bh_{weekday}_{n}_start")
                end = self.cleaned_data.get(f"bh_{weekday}_{n}_end")
                if start is None and end is None:
                    continue
                rows.append({"weekday": weekday, "start": start, "end": end})
        return rows

    def hour_rows(self) -> list[dict[str, Any]]:
        """For the template: one row per weekday with its bound fields."""
        return [
            {
                "name": name,
                "pairs": [
                    (self[f"bh_{weekday}_{n}_start"], self[f"bh_{weekday}_{n}_end"])
                    for n in range(INTERVALS_PER_DAY)
                ],
            }
            for weekday, name in enumerate(WEEKDAYS)
        ]


TEMPLATE_VARIABLE_SLOTS = 5
TEMPLATE_LABEL = "Modelo aprovado (fora da janela de 24 h)"


class ReminderForm(ServiceErrorsForm):
    enabled_24h = forms.BooleanField(label="Enviar 24 horas antes", required=False)
    text_24h = forms.CharField(label="Texto (24 h antes)", widget=forms.Textarea(attrs={"rows": 3}))
    template_24h = forms.ChoiceField(label=TEMPLATE_LABEL, required=False)
    enabled_2h = forms.BooleanField(label="Enviar 2 horas antes", required=False)
    text_2h = forms.CharField(label="Texto (2 h antes)", widget=forms.Textarea(attrs={"rows": 3}))
    template_2h = forms.ChoiceField(label=TEMPLATE_LABEL, required=False)

    def __init__(self, *args: Any, templates: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "Nenhum (sem modelo, o lembrete não sai fora da janela)")] + [
            (t.content_sid, t.name) for t in templates
        ]
        variables = [("", "—")] + [(k, f"{{{k}}}") for k in REMINDER_VARIABLES]
        for window in ("24h", "2h"):
            self.fields[f"template_{window}"].choices = choices  # type: ignore[attr-defined]
            for slot in range(1, TEMPLATE_VARIABLE_SLOTS + 1):
                self.fields[f"var_{window}_{slot}"] = forms.ChoiceField(
                    label=f"{{{{{slot}}}}}", choices=variables, required=False
                )

    def template_vars(self, window: str) -> list[str]:
        return [
            self.cleaned_data.get(f"var_{window}_{slot}") or ""
            for slot in range(1, TEMPLATE_VARIABLE_SLOTS + 1)
        ]

    def variable_fields(self, window: str) -> list[Any]:
        return [self[f"var_{window}_{slot}"] for slot in range(1, TEMPLATE_VARIABLE_SLOTS + 1)]
