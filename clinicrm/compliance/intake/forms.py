"""Forms of intake invites: the member's invite form and the patient's public form."""

import datetime as dt
from typing import Any

from django import forms

from clinicrm.compliance.intake.services import DEFAULT_DAYS, MAX_DAYS, IntakeData
from clinicrm.core.errors import ApplicationError
from clinicrm.core.timeutils import local_today
from clinicrm.people.documents import CpfField
from clinicrm.people.phones import phone_canonicalize
from clinicrm.people.services import email_normalize

TERMS_TEXT = (
    "Autorizo a clínica a tratar os dados deste formulário (nome, CPF, data de nascimento, "
    "telefone e e-mail) para o meu cadastro de paciente, o agendamento e o contato comigo, "
    "inclusive pelo WhatsApp, conforme a Lei Geral de Proteção de Dados (Lei 13.709/2018). "
    "Posso pedir a qualquer momento o acesso, a correção, a exportação ou a eliminação desses "
    "dados à clínica, e revogar este consentimento, sem prejuízo dos registros que a lei obriga "
    "a clínica a guardar."
)


class InviteForm(forms.Form):
    name = forms.CharField(label="Nome (opcional)", max_length=200, required=False)
    phone = forms.CharField(
        label="Telefone (opcional)",
        max_length=30,
        required=False,
        help_text=(
            "Só para a sua lista de convites; a página do paciente não mostra nome nem telefone."
        ),
    )
    # The range is the service's rule (its pt-BR message); the widget only hints it.
    days = forms.IntegerField(
        label="Validade (dias)",
        initial=DEFAULT_DAYS,
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_DAYS}),
    )


class IntakePublicForm(forms.Form):
    full_name = forms.CharField(label="Nome completo", max_length=200)
    social_name = forms.CharField(label="Nome social (opcional)", max_length=200, required=False)
    cpf = CpfField(label="CPF")
    birth_date = forms.DateField(
        label="Data de nascimento",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    phone = forms.CharField(
        label="Celular com WhatsApp",
        max_length=30,
        help_text="Com DDD, por exemplo (11) 98888-7777.",
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    email = forms.CharField(
        label="E-mail (opcional)",
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    consent = forms.BooleanField(
        label="Li e aceito os termos acima sobre o tratamento dos meus dados (LGPD).",
        error_messages={
            "required": "Para enviar o cadastro, aceite os termos de tratamento dos dados."
        },
    )

    def clean_full_name(self) -> str:
        name = " ".join(self.cleaned_data["full_name"].split())
        if len(name) < 2 or " " not in name:
            raise forms.ValidationError("Informe o nome completo (nome e sobrenome).")
        return name

    def clean_social_name(self) -> str:
        return " ".join(self.cleaned_data.get("social_name", "").split())

    def clean_birth_date(self) -> dt.date:
        value: dt.date = self.cleaned_data["birth_date"]
        today = local_today()
        if value > today:
            raise forms.ValidationError("A data de nascimento não pode estar no futuro.")
        if value.year < today.year - 130:
            raise forms.ValidationError("Confira o ano de nascimento.")
        return value

    def clean_phone(self) -> str:
        return _service_clean(phone_canonicalize, self.cleaned_data["phone"])

    def clean_email(self) -> str:
        value = self.cleaned_data.get("email", "").strip()
        return _service_clean(email_normalize, value) if value else ""

    def intake_data(self) -> IntakeData:
        d = self.cleaned_data
        return IntakeData(
            full_name=d["full_name"],
            social_name=d["social_name"],
            cpf=d["cpf"],
            birth_date=d["birth_date"],
            phone_e164=d["phone"],
            email=d["email"],
        )


def _service_clean(func: Any, value: str) -> str:
    try:
        result: str = func(value)
    except ApplicationError as exc:
        raise forms.ValidationError(exc.message) from exc
    return result
