"""Forms of the people app: thin shells over the services (which re-validate everything)."""

from typing import Any

from django import forms

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant, User
from clinicrm.people.documents import CpfField
from clinicrm.people.models import ContactEmailType, ContactType
from clinicrm.people.phones import phone_canonicalize
from clinicrm.people.services.contacts import (
    contact_email_types_for,
    contact_types_for,
    email_normalize,
)


class ServiceErrorMixin:
    """Put an ApplicationError on the matching field (or on the form when none matches)."""

    def add_service_error(self, exc: ApplicationError) -> None:
        fields: dict[str, Any] = self.fields  # type: ignore[attr-defined]
        field = exc.field if exc.field in fields else None
        self.add_error(field, exc.message)  # type: ignore[attr-defined]


class PatientForm(ServiceErrorMixin, forms.Form):
    full_name = forms.CharField(label="Nome completo", max_length=200)
    social_name = forms.CharField(label="Nome social", max_length=200, required=False)
    cpf = CpfField(required=False, help_text="Opcional. Com ou sem pontuação.")
    birth_date = forms.DateField(
        label="Data de nascimento",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    notes = forms.CharField(
        label="Observações", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class PatientCreateForm(PatientForm):
    """Creation also takes the first phone and e-mail, so a patient is usable at once."""

    phone = forms.CharField(
        label="Telefone",
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "placeholder": "(11) 98888-7777"}),
    )
    email = forms.CharField(
        label="E-mail",
        required=False,
        max_length=254,
        widget=forms.TextInput(attrs={"type": "email", "placeholder": "nome@exemplo.com.br"}),
    )

    def clean_phone(self) -> str:
        raw = self.cleaned_data.get("phone", "")
        if not raw:
            return ""
        try:
            return phone_canonicalize(raw)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean_email(self) -> str:
        raw = self.cleaned_data.get("email", "")
        if not raw:
            return ""
        try:
            return email_normalize(raw)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc


class ProfessionalForm(ServiceErrorMixin, forms.Form):
    full_name = forms.CharField(label="Nome completo", max_length=200)
    specialty = forms.CharField(label="Especialidade", max_length=120, required=False)
    council_registration = forms.CharField(
        label="Registro no conselho", max_length=40, required=False, help_text="Ex.: CRP 06/12345"
    )
    session_minutes = forms.IntegerField(
        label="Duração da sessão (min)", min_value=5, max_value=480, initial=50
    )
    user = forms.ModelChoiceField(
        label="Acesso ao sistema",
        queryset=User.objects.none(),
        required=False,
        empty_label="Sem acesso vinculado",
        help_text="Membro da clínica que entra como este profissional.",
    )

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user_field = self.fields["user"]
        assert isinstance(user_field, forms.ModelChoiceField)
        user_field.queryset = User.objects.filter(
            memberships__tenant=tenant, memberships__is_active=True
        ).order_by("first_name", "email")


class PhoneForm(ServiceErrorMixin, forms.Form):
    number = forms.CharField(
        label="Telefone",
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "placeholder": "(11) 98888-7777"}),
    )
    contact_type = forms.ModelChoiceField(
        label="Tipo", queryset=ContactType.objects.none(), empty_label=None
    )
    whatsapp_linked = forms.BooleanField(label="WhatsApp vinculado", required=False)

    def __init__(self, *args: Any, tenant_id: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["contact_type"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = contact_types_for(tenant_id=tenant_id)


class EmailForm(ServiceErrorMixin, forms.Form):
    # A CharField: the service validates and answers with our pt-BR message.
    email = forms.CharField(
        label="E-mail",
        max_length=254,
        widget=forms.TextInput(attrs={"type": "email", "placeholder": "nome@exemplo.com.br"}),
    )
    email_type = forms.ModelChoiceField(
        label="Tipo", queryset=ContactEmailType.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, tenant_id: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["email_type"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = contact_email_types_for(tenant_id=tenant_id)
