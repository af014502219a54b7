"""Forms of the Twilio set-up page (shape only; the services validate)."""

from typing import Any

from django import forms

from clinicrm.messaging.channel_forms import ServiceErrorsMixin


def _twilio_sid_field(label: str, prefix: str, *, required: bool = True) -> forms.CharField:
    """A Twilio identifier: a two-letter prefix (AC, SK, HX…) and 32 hex digits."""
    return forms.CharField(
        label=label,
        required=required,
        max_length=34,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": f"{prefix}…"}),
    )


def _secret_field(label: str) -> forms.CharField:
    """A provider secret: never rendered back, and optional here because a blank one keeps the
    saved value (the service says when one is missing)."""
    return forms.CharField(
        label=label,
        required=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class TwilioSetupForm(ServiceErrorsMixin, forms.Form):
    account_sid = _twilio_sid_field("Account SID", "AC")
    auth_token = _secret_field("Auth Token")
    api_key_sid = _twilio_sid_field("API Key SID (opcional)", "SK", required=False)
    api_key_secret = _secret_field("Segredo da API Key")
    sender = forms.CharField(
        label="Número remetente do WhatsApp",
        max_length=30,
        help_text="O número aprovado na Twilio, com DDD. Ex.: +55 11 99999-0002.",
        widget=forms.TextInput(attrs={"type": "tel"}),
    )

    def __init__(self, *args: Any, has_secrets: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if has_secrets:
            keep = "Em branco: mantém o valor salvo."
            self.fields["auth_token"].help_text = keep
            self.fields["api_key_secret"].help_text = keep
        else:
            self.fields[
                "auth_token"
            ].help_text = "Obrigatório: a Twilio assina os avisos de mensagens com ele."


class TwilioTemplateForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label="Nome do modelo", max_length=60)
    content_sid = _twilio_sid_field("ContentSid", "HX")
    variables = forms.CharField(
        label="Variáveis",
        required=False,
        max_length=700,
        help_text="Separadas por vírgula, na ordem {{1}}, {{2}}… Ex.: nome do paciente, data.",
    )

    def variables_list(self) -> list[str]:
        raw = self.cleaned_data.get("variables") or ""
        return [v.strip() for v in raw.split(",") if v.strip()]
