"""Forms of the Evolution set-up page (shape only; the services validate)."""

from django import forms

from clinicrm.messaging.channel_forms import ServiceErrorsMixin


class EvolutionSetupForm(ServiceErrorsMixin, forms.Form):
    instance_name = forms.CharField(
        label="Nome da instância",
        required=False,
        max_length=50,
        help_text="Opcional. Letras minúsculas, números e hífen. Em branco: geramos um nome.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "clinica-centro"}),
    )


class EvolutionPairForm(ServiceErrorsMixin, forms.Form):
    number = forms.CharField(
        label="Número do WhatsApp (para código de pareamento)",
        max_length=30,
        help_text="Use se não conseguir ler o QR code: digite o código no celular.",
        widget=forms.TextInput(attrs={"type": "tel", "placeholder": "(11) 98888-7777"}),
    )
